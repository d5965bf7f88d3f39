import { randomUUID } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import { isAuthError, type AuthStore, type TwoFactorRecord, type UserRecord } from 'gatehouse';
import { describeSql, SQL_KINDS } from '../support/sql-servers.js';

/** The optional two-factor methods of the port (the conformance suite has no cases for them yet). */

const T0 = new Date('2030-01-01T00:00:00.000Z');

const user = (): UserRecord => ({
  id: randomUUID(), email: `${randomUUID().slice(0, 8)}@example.com`, name: 'Two', passwordHash: null, status: 'active', statusReason: null,
  statusUntil: null, emailVerifiedAt: T0, mustChangePassword: false, locale: null, attributes: {}, lastLoginAt: null, createdAt: T0, updatedAt: T0,
});

const record = (userId: string, overrides: Partial<TwoFactorRecord> = {}): TwoFactorRecord => ({
  userId, secret: 'sealed:v1:abcdef0123456789', enabledAt: null, lastStep: 0, createdAt: new Date('2030-01-01T00:00:00.001Z'), updatedAt: new Date('2030-01-01T00:00:00.002Z'),
  ...overrides,
});

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: two-factor records`, (db) => {
    let store: AuthStore & Required<Pick<AuthStore, 'findTwoFactor' | 'upsertTwoFactor' | 'deleteTwoFactor' | 'advanceTwoFactorStep'>>;
    beforeEach(async () => {
      store = (await db.freshStore()) as typeof store;
    });

    it('upsertTwoFactor() inserts, then replaces every field; findTwoFactor() and deleteTwoFactor() answer null and false when absent', async () => {
      const u = user();
      await store.insertUser(u);
      expect(await store.findTwoFactor(u.id)).toBeNull();
      const pending = record(u.id);
      await store.upsertTwoFactor(pending);
      expect(await store.findTwoFactor(u.id)).toEqual(pending);
      const enabled = record(u.id, { secret: 'sealed:v1:other', enabledAt: new Date('2030-01-02T03:04:05.678Z'), lastStep: 63_400_000_000, updatedAt: new Date('2030-01-02T03:04:05.679Z') });
      await store.upsertTwoFactor(enabled);
      expect(await store.findTwoFactor(u.id)).toEqual(enabled);
      expect(await store.deleteTwoFactor(u.id)).toBe(true);
      expect(await store.deleteTwoFactor(u.id)).toBe(false);
      expect(await store.findTwoFactor(u.id)).toBeNull();
    });

    it('upsertTwoFactor() for an unknown user rejects NOT_FOUND', async () => {
      await expect(store.upsertTwoFactor(record(randomUUID()))).rejects.toSatisfy((e) => isAuthError(e, 'NOT_FOUND'));
    });

    it('advanceTwoFactorStep() moves forward only, and to exactly one of 10 concurrent callers with the same step', async () => {
      const u = user();
      await store.insertUser(u);
      await store.upsertTwoFactor(record(u.id, { lastStep: 100 }));
      expect(await store.advanceTwoFactorStep(u.id, 100)).toBe(false);
      expect(await store.advanceTwoFactorStep(u.id, 99)).toBe(false);
      const results = await Promise.all(Array.from({ length: 10 }, () => store.advanceTwoFactorStep(u.id, 101)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.findTwoFactor(u.id))?.lastStep).toBe(101);
      expect(await store.advanceTwoFactorStep(randomUUID(), 500)).toBe(false);
    });

    it('deleteUser() erases the two-factor record too', async () => {
      const u = user();
      await store.insertUser(u);
      await store.upsertTwoFactor(record(u.id));
      expect(await store.deleteUser(u.id)).toBe(true);
      expect(await store.findTwoFactor(u.id)).toBeNull();
    });
  });
}
