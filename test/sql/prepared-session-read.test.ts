import { createHash, randomUUID } from 'node:crypto';
import { createPool, type Pool as MysqlPool } from 'mysql2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuth, type Auth } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { MysqlAuthStore } from 'gatehouse/mysql';
import { MIGRATION_TABLE } from '../../adapters/sql/schema.js';
import { user as userRow } from '../../adapters/testing/fixtures.js';
import { fastHasher, PASSWORD } from '../support/harness.js';
import { describeSql } from '../support/sql-servers.js';

/**
 * On MySQL/MariaDB the session query (the full read of a first validation) and the session's
 * stamp go as server-side prepared statements (adapters/mysql/prepared-statements.ts): the
 * server parses them once per connection, not at every call. Counted by the server itself,
 * in the session status of the pool's one connection.
 */

const ROLES = [
  ['customer', 10, ['orders:view:own', 'profile:edit']],
  ['seller', 20, ['products:view', 'orders:create']],
] as const;

await describeSql('mysql', 'mysql: the session read as a prepared statement', (db) => {
  /** A pool of one connection, so that its session status counts every statement the store sends. */
  let pool: MysqlPool;
  let store: MysqlAuthStore;
  let auth: Auth;
  let token: string;
  let userId: string;

  /** The statement counters of `on`'s one connection (the shared pool's by default), read on that connection. */
  async function counters(on: MysqlPool = pool): Promise<{ prepares: number; executes: number }> {
    const [rows] = await on.promise().query(`show session status where variable_name in ('Com_stmt_prepare', 'Com_stmt_execute')`);
    const value = (name: string): number => Number((rows as { Variable_name: string; Value: string }[]).find((r) => r.Variable_name === name)?.Value);
    return { prepares: value('Com_stmt_prepare'), executes: value('Com_stmt_execute') };
  }

  beforeAll(async () => {
    await db.store().migrate();
    await db.store({ url: db.url }, { tablePrefix: 'p_' }).migrate();
    pool = createPool({ uri: db.url, timezone: 'Z', connectionLimit: 1 });
    store = db.store({ pool }) as MysqlAuthStore;
    const mailer = new MemoryMailer();
    auth = createAuth({ store, mailer, hasher: fastHasher(), sessions: { cacheSize: 0 } });
    const at = new Date();
    for (const [code, level, permissions] of ROLES) {
      await store.upsertRole({ code, name: code, description: '', level, active: true, createdAt: at, updatedAt: at });
      for (const permission of permissions) {
        const [module = '', ...action] = permission.split(':');
        await store.upsertPermission({ code: permission, name: permission, module, action: action.join(':'), active: true, createdAt: at });
        await store.grantPermission(code, permission);
      }
    }
    const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: at });
    userId = record.id;
    await store.insertUser(record);
    for (const [code] of ROLES) await store.assignRole({ userId, roleCode: code, assignedAt: at, assignedBy: null, expiresAt: null });
    token = (await auth.sessions.login({ email: record.email, password: PASSWORD })).token;
    await auth.drain();
  });
  afterAll(() => pool?.promise().end());

  it('after the first two, twenty full reads prepare nothing and execute the session query twenty times', async () => {
    // The first validation of the process reads the role catalogue too (another statement), the second one the hot statement: each is prepared there.
    await auth.sessions.validate(token);
    await auth.sessions.validate(token);
    const before = await counters();
    const runs = 20;
    for (let i = 0; i < runs; i += 1) {
      const context = await auth.sessions.validate(token);
      expect(context?.user.id).toBe(userId);
      expect([...(context?.permissions ?? [])].sort()).toEqual(['orders:create', 'orders:view:own', 'products:view', 'profile:edit']);
    }
    const after = await counters();
    expect(after.prepares - before.prepares).toBe(0);
    expect(after.executes - before.executes).toBe(runs);
  });

  it('the answer is the same with preparedStatements: false, which sends text queries', async () => {
    const textPool = createPool({ uri: db.url, timezone: 'Z', connectionLimit: 1 });
    try {
      const text = new MysqlAuthStore({ pool: textPool }, { preparedStatements: false });
      const tokenHash = createHash('sha256').update(token).digest('hex');
      const [prepared, plain] = [await store.findSessionByTokenHash(tokenHash), await text.findSessionByTokenHash(tokenHash)];
      expect(plain).not.toBeNull();
      expect(prepared).toEqual(plain);
      expect((await counters(textPool)).prepares).toBe(0);
      expect(() => new MysqlAuthStore({ pool: textPool }, { preparedStatements: 'no' as never })).toThrow(TypeError);
    } finally {
      await textPool.promise().end();
    }
  });

  it('a pool made with dateStrings: true reads the same bundle through the prepared statement, instants to the millisecond', async () => {
    const expiring = userRow({ passwordHash: null, emailVerifiedAt: new Date('2030-01-02T03:04:05.678Z') });
    await store.insertUser(expiring);
    await store.assignRole({ userId: expiring.id, roleCode: 'seller', assignedAt: new Date('2030-01-01T00:00:00.123Z'), assignedBy: null, expiresAt: new Date('2999-01-01T00:00:00.456Z') });
    const tokenHash = createHash('sha256').update(`token of ${expiring.id}`).digest('hex');
    const at = new Date('2030-01-03T00:00:00.789Z');
    await store.insertSession({ id: randomUUID(), userId: expiring.id, tokenHash, ip: null, userAgent: null, rememberMe: false, createdAt: at, lastActiveAt: at, expiresAt: new Date('2999-01-01T00:00:00.001Z'), revokedAt: null });
    const stringsPool = createPool({ uri: db.url, dateStrings: true, connectionLimit: 1 });
    try {
      const strings = new MysqlAuthStore({ pool: stringsPool });
      const expected = await new MysqlAuthStore({ pool }, { preparedStatements: false }).findSessionByTokenHash(tokenHash);
      expect(expected?.grants[0]?.expiresAt).toEqual(new Date('2999-01-01T00:00:00.456Z'));
      for (let i = 0; i < 3; i += 1) expect(await strings.findSessionByTokenHash(tokenHash)).toEqual(expected);
      expect((await counters(stringsPool)).executes).toBeGreaterThanOrEqual(2);
    } finally {
      await stringsPool.promise().end();
    }
  });

  it('after a migration drops and re-creates a table the session query reads, the prepared statement still answers', async () => {
    await auth.sessions.validate(token);
    // role_catalog (migration 0011) is read by the session query: undo the migration by hand and run it again.
    await db.query('drop table role_catalog');
    await db.query(`delete from ${MIGRATION_TABLE} where name = '0011_role_catalog'`);
    await store.migrate();
    expect(await db.query('select id from role_catalog')).toHaveLength(1);
    const context = await auth.sessions.validate(token);
    expect(context?.user.id).toBe(userId);
    expect(context?.permissions).toHaveLength(4);
  });

  it('with a table prefix, the prepared session query reads the prefixed tables', async () => {
    const prefixedPool = createPool({ uri: db.url, timezone: 'Z', connectionLimit: 1 });
    try {
      const prefixed = new MysqlAuthStore({ pool: prefixedPool }, { tablePrefix: 'p_' });
      const own = createAuth({ store: prefixed, mailer: new MemoryMailer(), hasher: fastHasher(), sessions: { cacheSize: 0 } });
      const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: new Date() });
      await prefixed.insertUser(record);
      const { token: own_token } = await own.sessions.login({ email: record.email, password: PASSWORD });
      await own.drain();
      expect((await own.sessions.validate(own_token))?.user.id).toBe(record.id);
      // The unprefixed store's token is not a session of the prefixed tables.
      expect(await own.sessions.validate(token)).toBeNull();
      expect((await counters(prefixedPool)).prepares).toBeGreaterThanOrEqual(1);
    } finally {
      await prefixedPool.promise().end();
    }
  });

  it('after the connection is killed, the next validation fails or answers, and the one after answers on a new connection', async () => {
    await auth.sessions.validate(token);
    const [[row]] = (await pool.promise().query('select connection_id() as id')) as unknown as [[{ id: number }]];
    await db.query(`kill ${Number(row.id)}`);
    await auth.sessions.validate(token).catch(() => null);
    const context = await auth.sessions.validate(token);
    expect(context?.user.id).toBe(userId);
  });
});

