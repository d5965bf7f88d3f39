import { beforeEach, expect, it } from 'vitest';
import { createAuth, isAuthError, type AuthStore, type OnRegister } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { ManualClock } from 'gatehouse/testing';
import { user } from '../../adapters/testing/fixtures.js';
import { fastHasher, PASSWORD } from '../support/harness.js';
import { describeSql, SQL_KINDS, type TestDatabase } from '../support/sql-servers.js';

function gatehouse(store: AuthStore, onRegister?: OnRegister) {
  const mailer = new MemoryMailer();
  // Concurrent sign-ins count against the lockout until their password is checked: room for the crowds below.
  const lockout = { maxFailures: 20 };
  const auth = createAuth({ store, mailer, clock: new ManualClock(), hasher: fastHasher(), lockout, registration: { defaultRole: 'customer', onRegister } });
  return { auth, mailer };
}

async function seedCustomerRole(store: AuthStore): Promise<void> {
  const now = new Date('2030-01-01T00:00:00.000Z');
  await store.upsertRole({ code: 'customer', name: 'Customer', description: '', level: 10, active: true, createdAt: now, updatedAt: now });
}

/** A one-shot signal between two concurrent tasks. */
interface Signal {
  readonly raised: Promise<void>;
  raise(): void;
}
function signal(): Signal {
  let raise = (): void => undefined;
  const raised = new Promise<void>((resolve) => (raise = resolve));
  return { raised, raise };
}

/** Rows in every gatehouse table, read with plain SQL. */
async function rowCounts(db: TestDatabase): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['users', 'user_roles', 'sessions', 'one_time_keys', 'password_history', 'login_attempts', 'activities']) {
    const [row] = await db.query(`select count(*) as n from ${table}`);
    counts[table] = Number(row?.['n']);
  }
  return counts;
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: concurrency and rollback through createAuth`, (db) => {
    let store: AuthStore;
    beforeEach(async () => {
      store = await db.freshStore();
      await seedCustomerRole(store);
    });

    it('20 parallel registrations of one email create one user; the other 19 reject EMAIL_TAKEN', async () => {
      const { auth } = gatehouse(store);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => auth.accounts.register({ email: 'race@example.com', password: PASSWORD, name: `Racer ${i}` })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isAuthError(r.reason, 'EMAIL_TAKEN'), String(r.reason)).toBe(true);
      const counts = await rowCounts(db);
      expect(counts).toMatchObject({ users: 1, user_roles: 1, one_time_keys: 1, password_history: 1 });
    });

    it('10 parallel uses of one activation key: exactly one succeeds, the other 9 reject KEY_INVALID', async () => {
      const { auth, mailer } = gatehouse(store);
      await auth.accounts.register({ email: 'key@example.com', password: PASSWORD, name: 'Key' });
      const key = mailer.last({ kind: 'activation' })!.key!;
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => auth.accounts.activate({ key })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isAuthError(r.reason, 'KEY_INVALID'), String(r.reason)).toBe(true);
      const [row] = await db.query(`select count(*) as n from one_time_keys where used_at is not null`);
      expect(Number(row?.['n'])).toBe(1);
    });

    it('10 parallel password resets with one key: exactly one succeeds', async () => {
      const { auth, mailer } = gatehouse(store);
      await auth.accounts.register({ email: 'reset@example.com', password: PASSWORD, name: 'Reset' });
      await auth.accounts.activate({ key: mailer.last({ kind: 'activation' })!.key! });
      await auth.passwords.requestReset({ email: 'reset@example.com' });
      await auth.drain();
      const key = mailer.last({ kind: 'password-reset' })!.key!;
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => auth.passwords.reset({ key, password: `a brand new passphrase ${i}` })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isAuthError(r.reason, 'KEY_INVALID'), String(r.reason)).toBe(true);
    });

    it('a failure thrown inside onRegister leaves no row behind, and the email stays free', async () => {
      const failure = new Error('the application could not create its own rows');
      const { auth, mailer } = gatehouse(store, async (user, { store: tx }) => {
        // Writes made by the hook through the transaction are undone too.
        await tx.appendActivity({ id: crypto.randomUUID(), subjectId: user.id, actorId: null, action: 'app.profile_created', details: '', ip: null, userAgent: null, metadata: {}, createdAt: new Date() });
        throw failure;
      });
      await expect(auth.accounts.register({ email: 'hook@example.com', password: PASSWORD, name: 'Hook' })).rejects.toBe(failure);
      expect(await rowCounts(db)).toEqual({ users: 0, user_roles: 0, sessions: 0, one_time_keys: 0, password_history: 0, login_attempts: 0, activities: 0 });
      expect(mailer.outbox).toHaveLength(0);
      expect(await auth.accounts.isEmailAvailable('hook@example.com')).toBe(true);
    });

    it('two transactions locking two users in opposite orders: the one the database rolls back runs again, and both commit', async () => {
      const [a, b] = [user({ name: 'A' }), user({ name: 'B' })];
      await store.insertUser(a);
      await store.insertUser(b);
      const locked = { first: signal(), second: signal() };
      let attempts = 0;
      const crosswise = (one: typeof a, other: typeof a, mine: Signal, theirs: Signal) =>
        store.transaction(async (tx) => {
          attempts += 1;
          await tx.updateUser(one.id, { name: `${one.name} by ${one.name}`, updatedAt: new Date() });
          mine.raise();
          await theirs.raised;
          await tx.updateUser(other.id, { name: `${other.name} by ${one.name}`, updatedAt: new Date() });
        });
      await Promise.all([crosswise(a, b, locked.first, locked.second), crosswise(b, a, locked.second, locked.first)]);
      expect(attempts).toBe(3);
      expect((await store.findUserById(a.id))?.name).toMatch(/^A by [AB]$/);
    });

    it('sign-ins, role changes, grants and profile edits racing on one user never deadlock, and the next validation sees the outcome', async () => {
      const { auth, mailer } = gatehouse(store);
      const { user } = await auth.accounts.register({ email: 'busy@example.com', password: PASSWORD, name: 'Busy' });
      await auth.accounts.activate({ key: mailer.last({ kind: 'activation' })!.key! });
      await auth.roles.createRole(auth.system, { code: 'seller', name: 'Seller', level: 20 });
      await auth.roles.createPermission(auth.system, { code: 'products:edit', name: 'Edit products' });
      const { token } = await auth.sessions.login({ email: 'busy@example.com', password: PASSWORD });
      await auth.sessions.validate(token); // the store now remembers this session's bundle

      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 8; i += 1) {
        work.push(auth.sessions.login({ email: 'busy@example.com', password: PASSWORD }));
        work.push(i % 2 === 0 ? auth.users.assignRole(auth.system, user.id, { code: 'seller' }) : auth.users.removeRole(auth.system, user.id, 'seller'));
        work.push(i % 2 === 0 ? auth.roles.grantPermission(auth.system, 'seller', 'products:edit') : auth.roles.revokePermission(auth.system, 'seller', 'products:edit'));
        work.push(auth.users.edit(auth.system, user.id, { name: `Busy ${i}` }));
        work.push(auth.sessions.validate(token));
      }
      const results = await Promise.allSettled(work);
      const failures = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as Error);
      expect(failures.map((e) => `${String(e)} ${String((e.cause as Error | undefined)?.message)}`)).toEqual([]);

      await auth.users.assignRole(auth.system, user.id, { code: 'seller' });
      await auth.roles.grantPermission(auth.system, 'seller', 'products:edit');
      await auth.users.edit(auth.system, user.id, { name: 'Settled' });
      const context = await auth.sessions.validate(token);
      expect(context?.user.name).toBe('Settled');
      expect(context?.roles.map((r) => r.code)).toEqual(['seller', 'customer']);
      expect(auth.access.can(context, 'products:edit')).toBe(true);
    });

    it('20 parallel registrations of different emails all succeed (no deadlock between neighbouring inserts)', async () => {
      const { auth } = gatehouse(store);
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => auth.accounts.register({ email: `crowd${i}@example.com`, password: PASSWORD, name: `Crowd ${i}` })),
      );
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      expect((await rowCounts(db)).users).toBe(20);
    });
  });
}
