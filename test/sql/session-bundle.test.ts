import { randomUUID } from 'node:crypto';
import { Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuth, type AuthStore, type SessionRecord, type UserRecord } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { MysqlAuthStore } from 'gatehouse/mysql';
import { PostgresAuthStore } from 'gatehouse/postgres';
import { fastHasher, PASSWORD } from '../support/harness.js';
import { describeSql, mysqlPool, pgPool, SQL_KINDS } from '../support/sql-servers.js';

/**
 * The session query is the one query every request runs, built differently per database
 * (one JSON document on PostgreSQL, joined rows on MySQL). Its answer must be exactly the
 * memory store's, to the millisecond, whatever the user's roles.
 */

const instant = (iso: string): Date => new Date(iso);

function user(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: randomUUID(),
    email: `${randomUUID().slice(0, 8)}@example.com`,
    name: 'Zoë “Quotes” O\'Neil',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    status: 'suspended',
    statusReason: 'Reason with "quotes" and \\ backslash',
    statusUntil: instant('2031-02-03T04:05:06.789Z'),
    emailVerifiedAt: instant('1970-01-01T00:00:00.001Z'),
    mustChangePassword: true,
    locale: 'es-VE',
    attributes: { phone: '+58 412 1234567', nested: { list: [1, 2.5, 'x', null, false] } },
    lastLoginAt: instant('2029-12-31T23:59:59.999Z'),
    createdAt: instant('2030-01-01T00:00:00.123Z'),
    updatedAt: instant('2030-01-01T00:00:00.456Z'),
    ...overrides,
  };
}

function session(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    userId,
    tokenHash: randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, ''),
    ip: '2001:db8::1',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    rememberMe: true,
    createdAt: instant('2030-01-01T00:00:01.001Z'),
    lastActiveAt: instant('2030-01-01T00:10:00.010Z'),
    expiresAt: instant('2030-01-31T00:00:01.999Z'),
    revokedAt: null,
    ...overrides,
  };
}

const at = instant('2030-01-01T00:00:00.007Z');
const plainUser = user({ status: 'active', statusReason: null, statusUntil: null, attributes: {}, lastLoginAt: null, locale: null });
const richUser = user();
const boss = user();
/** A user without any role, a user with four (expired, inactive, without permissions, with an inactive permission), and a revoked session. */
const sessions = {
  plain: session(plainUser.id, { ip: null, userAgent: null, rememberMe: false }),
  rich: session(richUser.id),
  revoked: session(richUser.id, { revokedAt: instant('2030-01-05T00:00:00.999Z') }),
};

/** The same records into any store. */
async function scenario(store: AuthStore): Promise<void> {
  await store.upsertRole({ code: 'customer', name: 'Customer', description: 'Buys', level: 10, active: true, createdAt: at, updatedAt: at });
  await store.upsertRole({ code: 'seller', name: 'Seller', description: '', level: 20, active: true, createdAt: at, updatedAt: at });
  await store.upsertRole({ code: 'retired', name: 'Retired', description: 'inactive role', level: 30, active: false, createdAt: at, updatedAt: at });
  await store.upsertRole({ code: 'empty', name: 'Empty', description: 'no permissions', level: 5, active: true, createdAt: at, updatedAt: at });
  for (const [code, active] of [['orders:view:own', true], ['orders:create', true], ['products:edit', true], ['products:delete', false], ['reports:view', true]] as const) {
    const [module = '', ...action] = code.split(':');
    await store.upsertPermission({ code, name: code, module, action: action.join(':'), active, createdAt: at });
  }
  for (const [role, permission] of [
    ['customer', 'orders:view:own'],
    ['customer', 'orders:create'],
    ['seller', 'products:edit'],
    ['seller', 'products:delete'],
    ['seller', 'orders:create'],
    ['retired', 'reports:view'],
  ] as const) {
    await store.grantPermission(role, permission);
  }
  for (const u of [plainUser, richUser, boss]) await store.insertUser(u);
  await store.assignRole({ userId: richUser.id, roleCode: 'customer', assignedAt: instant('2030-01-02T00:00:00.002Z'), assignedBy: null, expiresAt: null });
  await store.assignRole({ userId: richUser.id, roleCode: 'seller', assignedAt: instant('2030-01-03T00:00:00.003Z'), assignedBy: boss.id, expiresAt: instant('2030-06-01T00:00:00.004Z') });
  await store.assignRole({ userId: richUser.id, roleCode: 'retired', assignedAt: at, assignedBy: boss.id, expiresAt: instant('2029-01-01T00:00:00.005Z') });
  await store.assignRole({ userId: richUser.id, roleCode: 'empty', assignedAt: at, assignedBy: null, expiresAt: null });
  for (const s of Object.values(sessions)) await store.insertSession(s);
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: the session query`, (db) => {
    const memory = new MemoryAuthStore();
    let kysely: Kysely<unknown>;
    /** Queries sent through `kysely`, and the text of the last. */
    let sent = 0;
    let lastSql = '';
    /** The store with its own pool (hot query straight on the pool), and one on a Kysely instance. */
    let readers: AuthStore[];

    beforeAll(async () => {
      const store = db.store();
      await store.migrate();
      await scenario(store);
      await scenario(memory);
      kysely = new Kysely({
        dialect: kind === 'postgres' ? new PostgresDialect({ pool: pgPool(db.url) }) : new MysqlDialect({ pool: mysqlPool(db.url) }),
        log: (event) => {
          if (event.level !== 'query') return;
          sent += 1;
          lastSql = event.query.sql;
        },
      });
      readers = [store, kind === 'postgres' ? new PostgresAuthStore({ db: kysely }) : new MysqlAuthStore({ db: kysely })];
    });
    afterAll(() => kysely?.destroy());

    it('answers exactly what the memory store answers — every field to the millisecond, grants in the port’s order — with and without roles', async () => {
      for (const reader of readers) {
        for (const s of Object.values(sessions)) {
          const expected = await memory.findSessionByTokenHash(s.tokenHash);
          expect(expected?.session).toEqual(s);
          // Every field but the revision, which is each store's own (the SQL stores': the session's stamp), and whether the records are sealed (the memory store's are).
          const { revision, ...answer } = (await reader.findSessionByTokenHash(s.tokenHash))!;
          expect(answer).toEqual({ ...expected, revision: undefined, sealed: undefined });
          expect(typeof revision).toBe('number');
          expect(revision).toBe(await reader.findSessionRevision!(s.tokenHash));
          expect(await reader.listUserGrants(s.userId)).toEqual(await memory.listUserGrants(s.userId));
        }
        expect(await reader.findSessionByTokenHash('0'.repeat(64))).toBeNull();
      }
      const rich = await readers[0]!.findSessionByTokenHash(sessions.rich.tokenHash);
      expect(rich?.grants.map((g) => [g.roleCode, g.permissions])).toEqual([
        ['retired', ['reports:view']],
        ['seller', ['orders:create', 'products:edit']],
        ['customer', ['orders:create', 'orders:view:own']],
        ['empty', []],
      ]);
      expect((await readers[0]!.findSessionByTokenHash(sessions.plain.tokenHash))?.grants).toEqual([]);
    });

    it('sessions.validate() costs one query, and resolves the live roles and permissions', async () => {
      const mailer = new MemoryMailer();
      const auth = createAuth({ store: readers[1]!, mailer, hasher: fastHasher() });
      const email = `${randomUUID().slice(0, 8)}@example.com`;
      const { user: registered } = await auth.accounts.register({ email, password: PASSWORD, name: 'Live' });
      await auth.accounts.activate({ key: mailer.last({ kind: 'activation' })!.key! });
      await readers[0]!.assignRole({ userId: registered.id, roleCode: 'customer', assignedAt: new Date(), assignedBy: null, expiresAt: null });
      const { token } = await auth.sessions.login({ email, password: PASSWORD });
      sent = 0;
      const context = await auth.sessions.validate(token);
      expect(sent).toBe(1);
      expect(context?.user.id).toBe(registered.id);
      expect(context?.roles.map((r) => r.code)).toEqual(['customer']);
      expect(context?.permissions).toEqual(['orders:create', 'orders:view:own']);
    });

    it.runIf(kind === 'postgres')('PostgreSQL: the document carries instants as doubles (date_part), never through numeric extract()', async () => {
      // Since PostgreSQL 14 extract() is a numeric: its arithmetic and cast cost more server CPU than the rest of the session and user.
      await readers[1]!.findSessionByTokenHash(sessions.rich.tokenHash);
      expect(lastSql).toMatch(/date_part\('epoch'/);
      expect(lastSql).not.toMatch(/extract\s*\(/i);
    });
  });
}
