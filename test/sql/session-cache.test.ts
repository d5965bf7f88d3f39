import { randomBytes, randomUUID } from 'node:crypto';
import { Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createAuth, type Auth, type AuthContext, type AuthStore } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { ManualClock } from 'gatehouse/testing';
import { hashToken } from '../../src/crypto/tokens.js';
import { user as fixtureUser } from '../../adapters/testing/fixtures.js';
import { describeSql, mysqlPool, pgPool, SQL_KINDS } from '../support/sql-servers.js';

/**
 * The core's session cache keeps the bundles of the sessions it validated and checks them
 * with a one-row read of the session's stamp (its revision). Whatever another process
 * changes through gatehouse must show at the next validation exactly as a full read shows
 * it: each case writes through a second store and compares the caching instance's answer
 * with that of an instance without a cache (`sessions.cacheSize: 0`).
 */

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: the session cache`, (db) => {
    let kysely: Kysely<unknown>;
    /** SQL of the queries the reader sent. */
    let sent: string[] = [];
    /** The caching instance, on a store with its own Kysely instance (so every query it sends is logged). */
    let reader: Auth;
    /** Another process: writes go through it. */
    let writer: AuthStore;
    /** The truth: an instance that reads in full every time. */
    let uncached: Auth;
    let userId: string;
    let token: string;
    let tokenHash: string;
    const clock = new ManualClock(T0);
    const instance = (store: AuthStore, cacheSize?: number): Auth => createAuth({ store, mailer: new MemoryMailer(), clock, sessions: { ...(cacheSize === undefined ? {} : { cacheSize }) } });

    beforeAll(async () => {
      writer = await db.freshStore();
      uncached = instance(db.store(), 0);
      kysely = new Kysely({
        dialect: kind === 'postgres' ? new PostgresDialect({ pool: pgPool(db.url, 2) }) : new MysqlDialect({ pool: mysqlPool(db.url) }),
        log: (event) => void (event.level === 'query' && sent.push(event.query.sql)),
      });
    });
    afterAll(() => kysely?.destroy());

    beforeEach(async () => {
      await db.reset();
      reader = instance(db.store({ db: kysely }));
      for (const [code, level] of [['customer', 10], ['seller', 20]] as const) {
        await writer.upsertRole({ code, name: code, description: '', level, active: true, createdAt: T0, updatedAt: T0 });
      }
      for (const code of ['orders:create', 'products:edit', 'reports:view']) {
        const [module = '', action = ''] = code.split(':');
        await writer.upsertPermission({ code, name: code, module, action, active: true, createdAt: T0 });
      }
      await writer.grantPermission('customer', 'orders:create');
      await writer.grantPermission('seller', 'products:edit');
      const user = fixtureUser({ email: `${randomUUID().slice(0, 8)}@example.com`, name: 'Ana', passwordHash: null, emailVerifiedAt: T0, createdAt: T0, updatedAt: T0 });
      userId = user.id;
      await writer.insertUser(user);
      await writer.assignRole({ userId, roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: null });
      token = randomBytes(32).toString('base64url');
      tokenHash = hashToken(token);
      await writer.insertSession({
        id: randomUUID(), userId, tokenHash, ip: null, userAgent: null, rememberMe: false,
        createdAt: T0, lastActiveAt: T0, expiresAt: at(3600), revokedAt: null,
      });
    });

    /** What a context says, as plain data. */
    const seen = (context: AuthContext | null) => (context === null ? null : { user: context.user, session: context.session, roles: context.roles, permissions: context.permissions, level: context.level });

    /** Validates through the caching instance, and checks it answers what a full read answers. */
    async function read(): Promise<ReturnType<typeof seen>> {
      const answer = seen(await reader.sessions.validate(token));
      expect(answer).toEqual(seen(await uncached.sessions.validate(token)));
      return answer;
    }

    it('a session validated again costs one query of the session row alone, and the answer is the full one', async () => {
      sent = [];
      const first = await read();
      expect(first?.roles.map((r) => r.code)).toEqual(['customer']);
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
      expect((await reader.sessions.validate(token))?.user.name).toBe('Ana');
      expect((await uncached.sessions.validate(token))?.user.name).toBe('Outside');
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

    it('sessions.cacheSize 0 reads in full every time', async () => {
      const logged = instance(db.store({ db: kysely }), 0);
      sent = [];
      expect(await logged.sessions.validate(token)).not.toBeNull();
      expect(await logged.sessions.validate(token)).not.toBeNull();
      expect(sent).toHaveLength(2);
      for (const query of sent) expect(query).toMatch(/users/);
    });
  });
}
