import { beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createAuth, isAuthError, type Activity, type Auth, type AuthError, type AuthOptions, type AuthStore } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { ManualClock } from 'gatehouse/testing';
import { user as userRow } from '../../adapters/testing/fixtures.js';
import { base32Decode, hotp, totpStep } from '../../src/crypto/totp.js';
import { fastHasher, PASSWORD } from '../support/harness.js';
import { describeEveryStore, GatedHasher, type SharedStores } from '../support/stores.js';

/** Every race runs this many rounds: a race that goes wrong once in a few tries still shows. */
const ROUNDS = 20;
const KEY = '0123456789abcdef'.repeat(4);
const LIMIT = 5;

let passwordHash: string;
beforeAll(async () => {
  passwordHash = await fastHasher().hash(PASSWORD);
});

/** Two gatehouse instances, as two processes of one app would be: one database, one clock, one outbox. */
function twoInstances(stores: SharedStores, overrides: Partial<AuthOptions> = {}) {
  const clock = new ManualClock();
  const mailer = new MemoryMailer();
  const hasher = new GatedHasher(fastHasher());
  const options = { mailer, clock, hasher, lockout: { maxFailures: LIMIT }, ...overrides };
  const instances = [createAuth({ ...options, store: stores.store }), createAuth({ ...options, store: stores.twin })] as const;
  /** The instance a request goes to: they take turns. */
  const instance = (i: number): Auth => instances[i % 2]!;
  return { instances, instance, clock, mailer, hasher, store: stores.store };
}

/** An active, verified user who signs in with {@link PASSWORD}. */
async function activeUser(store: AuthStore, overrides: Parameters<typeof userRow>[0] = {}) {
  const record = userRow({ passwordHash, emailVerifiedAt: new Date('2029-12-31T00:00:00.000Z'), ...overrides });
  await store.insertUser(record);
  return record;
}

/**
 * The store, whose transactions take a moment between reading a user and going on: time for
 * a concurrent transaction to read the same row, unless the read locked it.
 */
function slowReads(store: AuthStore): AuthStore {
  const slow = (tx: AuthStore): AuthStore =>
    new Proxy(tx, {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown;
        if (typeof value !== 'function') return value;
        if (property !== 'findUserById' && property !== 'lockUser') return value.bind(target);
        return async (id: string) => {
          const read = await (value as (id: string) => Promise<unknown>).call(target, id);
          await new Promise((resolve) => setTimeout(resolve, 5));
          return read;
        };
      },
    });
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (property === 'transaction') return <T>(fn: (tx: AuthStore) => Promise<T>) => target.transaction((tx) => fn(slow(tx)));
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Settles every promise, and counts them as they settle. */
function tracked<T>(promises: Promise<T>[], onSettled: () => void): Promise<PromiseSettledResult<T>[]> {
  return Promise.allSettled(promises.map((p) => p.finally(onSettled)));
}

const codeOf = (result: PromiseSettledResult<unknown>): string => (result.status === 'fulfilled' ? 'ok' : String((result.reason as AuthError).code ?? result.reason));

async function activities(store: AuthStore, subjectId: string, action: string): Promise<Activity[]> {
  return (await store.listActivities({ subjectId, action, offset: 0, limit: 1000 })).items;
}

await describeEveryStore('the lockout under concurrency', (fresh) => {
  it(`49 concurrent wrong passwords through two instances: at most ${LIMIT} are verified, and the right password sent after them is refused`, async () => {
    const { instances, instance, hasher, store } = twoInstances(await fresh());
    const victim = await activeUser(store);
    hasher.close();
    let settled = 0;
    const crowd = tracked(
      Array.from({ length: 49 }, (_, i) => instance(i).sessions.login({ email: victim.email, password: `wrong password ${i}` })),
      () => (settled += 1, hasher.progress.note()),
    );
    // Every guess has either reached the hash (held there) or been refused.
    await hasher.progress.until(() => hasher.verified + settled === 49);
    const right = instances[1].sessions.login({ email: victim.email, password: PASSWORD }).finally(() => (settled += 1, hasher.progress.note()));
    await hasher.progress.until(() => hasher.verified + settled === 50);
    hasher.open();
    const [results, last] = await Promise.all([crowd, right.then(() => 'signed in', (e: AuthError) => e.code)]);
    expect(hasher.verified).toBeLessThanOrEqual(LIMIT);
    expect(last).toBe('RATE_LIMITED');
    for (const code of results.map(codeOf)) expect(['INVALID_CREDENTIALS', 'RATE_LIMITED']).toContain(code);
    // Every attempt counted before the lock was first refused is kept; refusals after it, within a minute, write nothing.
    const failures = await store.listLoginFailures({ email: victim.email }, { since: new Date(0), limit: 100 });
    expect(failures.length).toBeGreaterThan(LIMIT);
    expect(failures.length).toBeLessThanOrEqual(50);
  });

  it(`49 concurrent wrong current passwords of a signed-in user: at most ${LIMIT} are verified, then the right one is refused`, async () => {
    const { instances, instance, hasher, store } = twoInstances(await fresh());
    const owner = await activeUser(store);
    const { token } = await instances[0].sessions.login({ email: owner.email, password: PASSWORD });
    const contexts = await Promise.all(instances.map((auth) => auth.sessions.validate(token)));
    hasher.close();
    let settled = 0;
    const crowd = tracked(
      Array.from({ length: 49 }, (_, i) => instance(i).passwords.change(contexts[i % 2]!, { currentPassword: `wrong password ${i}`, newPassword: 'a new passphrase 123' })),
      () => (settled += 1, hasher.progress.note()),
    );
    await hasher.progress.until(() => hasher.verified + settled === 49);
    hasher.open();
    await crowd;
    expect(hasher.verified).toBeLessThanOrEqual(LIMIT);
    await expect(instances[0].passwords.change(contexts[0]!, { currentPassword: PASSWORD, newPassword: 'a new passphrase 123' })).rejects.toSatisfy((e) => isAuthError(e, 'RATE_LIMITED'));
  });

  it(`49 concurrent wrong second-step codes through two instances: at most ${LIMIT} are checked, and the right code sent after them is refused`, async () => {
    const { instances, instance, clock, store } = twoInstances(await fresh(), { twoFactor: { encryptionKey: KEY } });
    const owner = await activeUser(store);
    const { token } = await instances[0].sessions.login({ email: owner.email, password: PASSWORD });
    const context = await instances[0].sessions.validate(token);
    const { secret } = await instances[0].twoFactor.enrol(context, { password: PASSWORD });
    const codeAt = (steps = 0): string => hotp(base32Decode(secret)!, totpStep(clock.now()) + steps);
    await instances[0].twoFactor.confirm(context, { code: codeAt() });
    clock.advance(30);
    const challenge = ((await instances[0].sessions.login({ email: owner.email, password: PASSWORD }).catch((e: unknown) => e)) as AuthError).challenge!;
    const results = await Promise.allSettled(Array.from({ length: 49 }, (_, i) => instance(i).sessions.verifyTwoFactor({ challenge, code: codeAt(3 + (i % 5)) })));
    for (const code of results.map(codeOf)) expect(['TWO_FACTOR_INVALID', 'RATE_LIMITED']).toContain(code);
    // Each code that was checked and found wrong is logged as such; the others were refused unchecked.
    expect((await activities(store, owner.id, 'login.two_factor.failed')).length).toBeLessThanOrEqual(LIMIT);
    await expect(instances[1].sessions.verifyTwoFactor({ challenge, code: codeAt() })).rejects.toSatisfy((e) => isAuthError(e, 'RATE_LIMITED'));
  });
});

await describeEveryStore('sign-ins racing a block', (fresh) => {
  it(`${ROUNDS} rounds of 5 sign-ins racing a block of a user whose earlier block expired: the user ends blocked, no session stays live, the log tells one serial order`, async () => {
    const { instances, instance, clock, hasher, store } = twoInstances(await fresh());
    for (let round = 0; round < ROUNDS; round += 1) {
      const expired = new Date(clock.now().getTime() - 1000);
      const target = await activeUser(store, { status: 'blocked', statusReason: 'cool down', statusUntil: expired });
      const blockNow = (): Promise<unknown> => instance(round).users.block(instances[0].system, target.id, { reason: 'fraud' });
      // Three ways to race: all at once; the block committed while every sign-in holds its
      // stale read, stopped at the hash; the block sent once one sign-in went through.
      const way = round % 3;
      if (way === 1) hasher.close();
      const signIns = Array.from({ length: 5 }, (_, i) => instance(i).sessions.login({ email: target.email, password: PASSWORD }));
      let block: Promise<unknown>;
      if (way === 0) {
        block = blockNow();
      } else if (way === 1) {
        await hasher.progress.until(() => hasher.verified === 5);
        block = blockNow();
        await block;
        hasher.open();
      } else {
        block = Promise.race(signIns.map((p) => p.catch(() => undefined))).then(blockNow);
      }
      const [results] = await Promise.all([Promise.allSettled(signIns), block]);
      const codes = results.map(codeOf);
      for (const code of codes) expect(['ok', 'ACCOUNT_BLOCKED'], `round ${round}`).toContain(code);
      const signedIn = codes.filter((code) => code === 'ok').length;

      const after = await store.findUserById(target.id);
      expect({ status: after?.status, reason: after?.statusReason }, `round ${round}`).toEqual({ status: 'blocked', reason: 'fraud' });
      expect(await store.listUserSessions(target.id, clock.now()), `round ${round}: live sessions`).toEqual([]);
      const [blocked] = await activities(store, target.id, 'user.blocked');
      // Sign-ins before the block lifted the expired one, and the block then ended their sessions;
      // sign-ins after it were refused.
      expect(blocked?.metadata, `round ${round}`).toMatchObject({ before: { status: signedIn > 0 ? 'active' : 'blocked' }, sessionsRevoked: signedIn });
      expect(await activities(store, target.id, 'login.succeeded'), `round ${round}`).toHaveLength(signedIn);
    }
  });
});

await describeEveryStore('administrative changes racing each other', (fresh) => {
  const SETS = [['r1'], ['r2'], ['r3'], ['r4'], ['r1', 'r2'], ['r2', 'r3'], ['r3', 'r4'], ['r1', 'r4']];
  const key = (codes: readonly string[]): string => [...codes].sort().join(',');

  it(`${ROUNDS} rounds of ${SETS.length} concurrent role replacements: the roles are one of the requested sets, and the log chains them in one serial order`, async () => {
    const { instances, instance, store } = twoInstances(await fresh());
    const now = new Date('2030-01-01T00:00:00.000Z');
    for (const code of ['r1', 'r2', 'r3', 'r4']) await store.upsertRole({ code, name: code, description: '', level: 10, active: true, createdAt: now, updatedAt: now });
    for (let round = 0; round < ROUNDS; round += 1) {
      const target = await activeUser(store);
      await Promise.all(SETS.map((codes, i) => instance(i).users.setRoles(instances[0].system, target.id, codes.map((code) => ({ code })))));
      const final = key((await store.listUserGrants(target.id)).map((grant) => grant.roleCode));
      expect(SETS.map(key), `round ${round}`).toContain(final);

      // Each change's before is the state the previous one left: from no role, through every requested set once, to the final one.
      const changes = (await activities(store, target.id, 'user.roles_changed')).map((entry) => {
        const { before, after } = entry.metadata as { before: { roles: { code: string }[] }; after: { roles: { code: string }[] } };
        return { from: key(before.roles.map((r) => r.code)), to: key(after.roles.map((r) => r.code)) };
      });
      let state = '';
      const seen: string[] = [];
      for (let step = 0; step < SETS.length + 1; step += 1) {
        const next = changes.filter((change) => change.from === state);
        if (next.length === 0) break;
        expect(next, `round ${round}: two changes started from ${state}`).toHaveLength(1);
        state = next[0]!.to;
        seen.push(state);
      }
      expect(seen.length, `round ${round}: ${JSON.stringify(changes)}`).toBe(changes.length);
      expect(state, `round ${round}`).toBe(final);
    }
  });

  it(`${ROUNDS} rounds of 8 concurrent edits of a user's own profile, each setting another application field: every field stays`, async () => {
    const fields = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, z.string().optional()]));
    const shared = await fresh();
    const { instances, instance, store } = twoInstances({ store: slowReads(shared.store), twin: slowReads(shared.twin) }, { registration: { fields } });
    for (let round = 0; round < ROUNDS; round += 1) {
      const owner = await activeUser(store);
      const { token } = await instances[0].sessions.login({ email: owner.email, password: PASSWORD });
      const contexts = await Promise.all(instances.map((auth) => auth.sessions.validate(token)));
      await Promise.all(Array.from({ length: 8 }, (_, i) => instance(i).accounts.updateProfile(contexts[i % 2]!, { [`f${i}`]: `value ${i}` })));
      expect(Object.keys((await store.findUserById(owner.id))?.attributes ?? {}).sort(), `round ${round}`).toEqual(Object.keys(fields));
    }
  });

  it(`${ROUNDS} rounds of 7 concurrent toggles: the account ends switched off, with 4 switch-offs and 3 switch-ons logged, each from the state the one before left`, async () => {
    const { instances, instance, store } = twoInstances(await fresh());
    for (let round = 0; round < ROUNDS; round += 1) {
      const target = await activeUser(store);
      const results = await Promise.allSettled(Array.from({ length: 7 }, (_, i) => instance(i).users.toggle(instances[0].system, target.id)));
      expect(results.map(codeOf), `round ${round}`).toEqual(Array(7).fill('ok'));
      expect((await store.findUserById(target.id))?.status, `round ${round}`).toBe('inactive');
      const disabled = await activities(store, target.id, 'user.disabled');
      const enabled = await activities(store, target.id, 'user.enabled');
      expect([disabled.length, enabled.length], `round ${round}`).toEqual([4, 3]);
      for (const entry of disabled) expect(entry.metadata).toMatchObject({ before: { status: 'active' }, after: { status: 'inactive' } });
      for (const entry of enabled) expect(entry.metadata).toMatchObject({ before: { status: 'inactive' }, after: { status: 'active' } });
    }
  });
});
