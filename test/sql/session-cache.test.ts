import { randomUUID } from 'node:crypto';
import { Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { AuthStore, SessionBundle } from 'gatehouse';
import { MysqlAuthStore } from 'gatehouse/mysql';
import { PostgresAuthStore } from 'gatehouse/postgres';
import { user as fixtureUser } from '../../adapters/testing/fixtures.js';
import { describeSql, mysqlPool, pgPool, SQL_KINDS } from '../support/sql-servers.js';

/**
 * A store keeps the bundles of the sessions it validated and checks them with a one-row
 * read of the session. Whatever another process changes through gatehouse must show at the
 * next read exactly as a full read shows it: each case writes through a second store and
 * compares the caching store's answer with that of a store without a cache.
 */

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: the session cache`, (db) => {
    let kysely: Kysely<unknown>;
    /** SQL of the queries the reader sent. */
    let sent: string[] = [];
    /** The caching store, on its own Kysely instance (so every query it sends is logged). */
    let reader: AuthStore;
    /** Another process: writes go through it. */
    let writer: AuthStore;
    /** The truth: a store that reads in full every time. */
    let uncached: AuthStore;
    let userId: string;
    let tokenHash: string;

    beforeAll(async () => {
      writer = await db.freshStore();
      uncached = db.store(undefined, { sessionCacheSize: 0 });
      kysely = new Kysely({
        dialect: kind === 'postgres' ? new PostgresDialect({ pool: pgPool(db.url, 2) }) : new MysqlDialect({ pool: mysqlPool(db.url) }),
        log: (event) => void (event.level === 'query' && sent.push(event.query.sql)),
      });
      reader = db.store({ db: kysely });
    });
    afterAll(() => kysely?.destroy());

    beforeEach(async () => {
      await db.reset();
      for (const [code, level] of [['customer', 10], ['seller', 20]] as const) {
        await writer.upsertRole({ code, name: code, description: '', level, active: true, createdAt: T0, updatedAt: T0 });
      }
      for (const code of ['orders:create', 'products:edit', 'reports:view']) {
        const [module = '', action = ''] = code.split(':');
        await writer.upsertPermission({ code, name: code, module, action, active: true, createdAt: T0 });
      }
      await writer.grantPermission('customer', 'orders:create');
      await writer.grantPermission('seller', 'products:edit');
      const user = fixtureUser({ email: `${randomUUID().slice(0, 8)}@example.com`, name: 'Ana', passwordHash: null, createdAt: T0, updatedAt: T0 });
      userId = user.id;
      await writer.insertUser(user);
      await writer.assignRole({ userId, roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: null });
      tokenHash = randomUUID().replace(/-/g, '').repeat(2);
      await writer.insertSession({
        id: randomUUID(), userId, tokenHash, ip: null, userAgent: null, rememberMe: false,
        createdAt: T0, lastActiveAt: T0, expiresAt: at(3600), revokedAt: null,
      });
    });

    /** Reads through the caching store, and checks it answers what a full read answers. */
    async function read(): Promise<SessionBundle | null> {
      const answer = await reader.findSessionByTokenHash(tokenHash);
      expect(answer).toEqual(await uncached.findSessionByTokenHash(tokenHash));
      return answer;
    }

    it('a session read again costs one query of the session row alone, and the answer is the full one', async () => {
      sent = [];
      const first = await read();
      expect(first?.grants.map((g) => g.roleCode)).toEqual(['customer']);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatch(/users/);

      sent = [];
      expect(await read()).toEqual(first);
      expect(sent).toHaveLength(1);
      expect(sent[0]).not.toMatch(/users|roles|permissions/);
    });

    it('a write made to the tables behind gatehouse’s back is not seen while the session is unchanged (documented)', async () => {
      await read();
      await db.query(kind === 'postgres' ? 'update users set name = $1 where id = $2' : 'update users set name = ? where id = ?', ['Outside', userId]);
      expect((await reader.findSessionByTokenHash(tokenHash))?.user.name).toBe('Ana');
      expect((await uncached.findSessionByTokenHash(tokenHash))?.user.name).toBe('Outside');
      // The next change through gatehouse marks the session stale, and the outside write shows too.
      await writer.updateUser(userId, { locale: 'es', updatedAt: at(2) });
      expect((await read())?.user).toMatchObject({ name: 'Outside', locale: 'es' });
    });

    const changes: [string, () => Promise<unknown>][] = [
      ['updateUser (profile)', () => writer.updateUser(userId, { name: 'Ana María', updatedAt: at(1) })],
      ['updateUser (block)', () => writer.updateUser(userId, { status: 'blocked', statusReason: 'fraud', updatedAt: at(1) })],
      ['assignRole', () => writer.assignRole({ userId, roleCode: 'seller', assignedAt: at(1), assignedBy: null, expiresAt: null })],
      ['assignRole (new expiry of a held role)', () => writer.assignRole({ userId, roleCode: 'customer', assignedAt: at(1), assignedBy: null, expiresAt: at(60) })],
      ['removeRole', () => writer.removeRole(userId, 'customer')],
      ['upsertRole (level)', () => writer.upsertRole({ code: 'customer', name: 'Customer', description: 'd', level: 15, active: true, createdAt: T0, updatedAt: at(1) })],
      ['upsertRole (deactivate)', () => writer.upsertRole({ code: 'customer', name: 'customer', description: '', level: 10, active: false, createdAt: T0, updatedAt: at(1) })],
      ['upsertPermission (deactivate)', () => writer.upsertPermission({ code: 'orders:create', name: 'x', module: 'orders', action: 'create', active: false, createdAt: T0 })],
      ['grantPermission', () => writer.grantPermission('customer', 'reports:view')],
      ['revokePermission', () => writer.revokePermission('customer', 'orders:create')],
      ['touchSession', () => writer.touchSession(firstSessionId(), { lastActiveAt: at(5), expiresAt: at(7200) })],
      ['revokeSession', () => writer.revokeSession(firstSessionId(), at(5))],
      ['revokeUserSessions', () => writer.revokeUserSessions(userId, { at: at(5) })],
      ['deleteSessionsBefore', () => writer.deleteSessionsBefore(at(7200))],
      ['deleteUser', () => writer.deleteUser(userId)],
      ['a transaction of several writes', () => writer.transaction(async (tx) => {
        await tx.updateUser(userId, { name: 'In a transaction', updatedAt: at(2) });
        await tx.assignRole({ userId, roleCode: 'seller', assignedAt: at(1), assignedBy: null, expiresAt: null });
      })],
    ];
    let sessionId = '';
    const firstSessionId = (): string => sessionId;

    for (const [name, change] of changes) {
      it(`shows at once a change made by another store: ${name}`, async () => {
        const before = await read();
        sessionId = before!.session.id;
        await read(); // the cached path
        await change();
        const after = await read();
        expect(after).not.toEqual(before);
      });
    }

    it('a write rolled back leaves the cached bundle as it was', async () => {
      const before = await read();
      await expect(
        writer.transaction(async (tx) => {
          await tx.updateUser(userId, { name: 'Rolled back', updatedAt: at(2) });
          await tx.removeRole(userId, 'customer');
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await read()).toEqual(before);
    });

    it('sessionCacheSize 0 reads in full every time; a size that is not a whole number ≥ 0 is refused', async () => {
      let full = 0;
      const logged = new Kysely<unknown>({
        dialect: kind === 'postgres' ? new PostgresDialect({ pool: pgPool(db.url, 1) }) : new MysqlDialect({ pool: mysqlPool(db.url) }),
        log: (event) => void (event.level === 'query' && /users/.test(event.query.sql) && (full += 1)),
      });
      try {
        const store = kind === 'postgres' ? new PostgresAuthStore({ db: logged }, { sessionCacheSize: 0 }) : new MysqlAuthStore({ db: logged }, { sessionCacheSize: 0 });
        await store.findSessionByTokenHash(tokenHash);
        await store.findSessionByTokenHash(tokenHash);
        expect(full).toBe(2);
      } finally {
        await logged.destroy();
      }
      for (const size of [-1, 1.5, Number.NaN]) expect(() => db.store(undefined, { sessionCacheSize: size })).toThrow(TypeError);
    });
  });
}
