/**
 * Retention (issue 21): `auth.maintenance.run()` deletes what is past `options.retention`, in
 * bounded batches, and a client hammering a locked account adds at most one attempt row and
 * one activity row per account and minute — on the memory store, PostgreSQL and MariaDB.
 */
import { describe, expect, it } from 'vitest';
import { isAuthError, type AuthOptions, type AuthStore } from 'gatehouse';
import { activity, attempt, key, session } from '../../adapters/testing/fixtures.js';
import { activeUser, harness, PASSWORD, type Harness } from '../support/harness.js';

import { describeSql, SQL_KINDS } from '../support/sql-servers.js';

const DAY = 86_400;

/** A gatehouse on the store under test, and that store (the harness's own `store` stays its memory one). */
type World = (overrides?: Partial<AuthOptions>) => Promise<{ h: Harness; store: AuthStore }>;

function cases(world: World): void {
  it('run() deletes attempts past 30 days, sessions and keys ended past 7 days, keeps live rows and activity by default; activity goes once a retention is set', async () => {
    const { h, store } = await world();
    const now = h.clock.now().getTime();
    const ago = (days: number): Date => new Date(now - days * DAY * 1000);
    const user = await activeUser(h);
    const attempts = { old: attempt({ createdAt: ago(31) }), kept: attempt({ createdAt: ago(29) }) };
    for (const a of Object.values(attempts)) await store.insertLoginAttempt(a);
    const sessions = {
      expiredLongAgo: session(user.id, { tokenHash: 'a'.repeat(64), createdAt: ago(20), lastActiveAt: ago(9), expiresAt: ago(8) }),
      expiredLately: session(user.id, { tokenHash: 'b'.repeat(64), createdAt: ago(20), lastActiveAt: ago(7), expiresAt: ago(6) }),
      revokedLongAgo: session(user.id, { tokenHash: 'c'.repeat(64), createdAt: ago(20), lastActiveAt: ago(9), expiresAt: ago(-30), revokedAt: ago(8) }),
      live: session(user.id, { tokenHash: 'd'.repeat(64), createdAt: ago(1), lastActiveAt: ago(0), expiresAt: ago(-1) }),
    };
    for (const s of Object.values(sessions)) await store.insertSession(s);
    const keys = {
      expiredLongAgo: key(user.id, { keyHash: 'e'.repeat(64), createdAt: ago(9), expiresAt: ago(8) }),
      usedLongAgo: key(user.id, { keyHash: 'f'.repeat(64), createdAt: ago(9), expiresAt: ago(-20), usedAt: ago(8) }),
      expiredLately: key(user.id, { keyHash: '0'.repeat(64), createdAt: ago(7), expiresAt: ago(6) }),
    };
    for (const k of Object.values(keys)) await store.insertOneTimeKey(k);
    const ancient = activity({ createdAt: ago(400) });
    await store.appendActivity(ancient);

    const report = await h.auth.maintenance.run();
    expect(report).toMatchObject({ loginAttempts: 1, sessions: 2, oneTimeKeys: 2, activities: 0, complete: true });
    expect(await store.findSessionById(sessions.expiredLongAgo.id)).toBeNull();
    expect(await store.findSessionById(sessions.revokedLongAgo.id)).toBeNull();
    expect(await store.findSessionById(sessions.expiredLately.id)).not.toBeNull();
    expect(await store.findSessionById(sessions.live.id)).not.toBeNull();
    expect(await store.findOneTimeKey(keys.expiredLongAgo.keyHash)).toBeNull();
    expect(await store.findOneTimeKey(keys.usedLongAgo.keyHash)).toBeNull();
    expect(await store.findOneTimeKey(keys.expiredLately.keyHash)).not.toBeNull();
    expect(await store.listLoginFailures({ email: 'someone@example.com' }, { since: ago(400), limit: 10 })).toEqual([attempts.kept.createdAt]);
    expect((await store.listActivities({ offset: 0, limit: 10, to: ago(399) })).items.map((a) => a.id)).toEqual([ancient.id]);
    expect(await h.auth.maintenance.run()).toMatchObject({ loginAttempts: 0, sessions: 0, oneTimeKeys: 0, activities: 0, complete: true });

    const keeping = await world({ store, clock: h.clock, retention: { activities: 365 * DAY } });
    expect(await keeping.h.auth.maintenance.run()).toMatchObject({ activities: 1, complete: true });
    expect((await store.listActivities({ offset: 0, limit: 10, to: ago(399) })).total).toBe(0);
  });

  it('run() deletes in batches of batchSize, at most maxBatches per kind, and says when rows are left', async () => {
    const { h, store } = await world({ retention: { batchSize: 2, maxBatches: 2 } });
    const old = new Date(h.clock.now().getTime() - 40 * DAY * 1000);
    for (let i = 0; i < 5; i += 1) await store.insertLoginAttempt(attempt({ email: 'batch@example.com', createdAt: old }));
    expect(await h.auth.maintenance.run()).toMatchObject({ loginAttempts: 4, complete: false });
    expect(await h.auth.maintenance.run()).toMatchObject({ loginAttempts: 1, complete: true });
    expect(await store.listLoginFailures({ email: 'batch@example.com' }, { since: old, limit: 10 })).toEqual([]);
  });

  it('retention options are checked: at least a day, or null', async () => {
    await expect(world({ retention: { loginAttempts: 60 } })).rejects.toThrow(TypeError);
    await expect(world({ retention: { batchSize: 0 } })).rejects.toThrow(TypeError);
    await world({ retention: { loginAttempts: null, sessions: null, oneTimeKeys: null, activities: null } });
  });

  it('a locked account hammered by a client gains at most one attempt row and one activity row per minute', async () => {
    const { h, store } = await world({ lockout: { maxFailures: 3, window: 900 } });
    const user = await activeUser(h);
    const since = h.clock.now();
    const client = { ip: '198.51.100.7' };
    const refused = async (password: string): Promise<string> =>
      h.auth.sessions.login({ email: user.email, password }, client).then(
        () => 'signed in',
        (error: unknown) => (isAuthError(error) ? error.code : String(error)),
      );
    for (let i = 0; i < 3; i += 1) expect(await refused('wrong password')).toBe('INVALID_CREDENTIALS');
    const rows = async (): Promise<[number, number]> => [
      (await store.listLoginFailures({ email: user.email }, { since, limit: 1000 })).length,
      (await store.listActivities({ offset: 0, limit: 1000, action: 'login.locked' })).total,
    ];
    expect(await rows()).toEqual([3, 0]);
    for (let i = 0; i < 20; i += 1) {
      expect(await refused(i === 19 ? PASSWORD : 'wrong password')).toBe('RATE_LIMITED');
      h.clock.advance(1);
    }
    expect(await rows()).toEqual([4, 1]);
    // From another address too: the account is locked, not the address.
    expect(await h.auth.sessions.login({ email: user.email, password: PASSWORD }, { ip: '203.0.113.99' }).catch((e: unknown) => (isAuthError(e) ? e.code : e))).toBe('RATE_LIMITED');
    expect(await rows()).toEqual([4, 1]);
    h.clock.advance(60);
    expect(await refused('wrong password')).toBe('RATE_LIMITED');
    expect(await rows()).toEqual([5, 2]);
    // Once the lock lifts, the right password signs in.
    h.clock.advance(900);
    expect(await refused(PASSWORD)).toBe('signed in');
  });
}

describe('memory: retention', () => {
  cases(async (overrides = {}) => {
    const h = harness(overrides);
    return { h, store: (overrides.store ?? h.store) as AuthStore };
  });
});

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: retention`, (db) => {
    cases(async (overrides = {}) => {
      const store = overrides.store ?? ((await db.freshStore()) as AuthStore);
      return { h: harness({ ...overrides, store }), store };
    });
  });
}
