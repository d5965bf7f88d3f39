import { beforeEach, expect, it } from 'vitest';
import { createAuth, isAuthError, type AuthStore, type OnRegister } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { ManualClock } from 'gatehouse/testing';
import { fastHasher, PASSWORD } from '../support/harness.js';
import { describeSql, SQL_KINDS, type TestDatabase } from '../support/sql-servers.js';

function gatehouse(store: AuthStore, onRegister?: OnRegister) {
  const mailer = new MemoryMailer();
  const auth = createAuth({ store, mailer, clock: new ManualClock(), hasher: fastHasher(), registration: { defaultRole: 'customer', onRegister } });
  return { auth, mailer };
}

async function seedCustomerRole(store: AuthStore): Promise<void> {
  const now = new Date('2030-01-01T00:00:00.000Z');
  await store.upsertRole({ code: 'customer', name: 'Customer', description: '', level: 10, active: true, createdAt: now, updatedAt: now });
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
