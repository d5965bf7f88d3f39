import { randomUUID } from 'node:crypto';
import { CamelCasePlugin, Kysely, MysqlDialect, PostgresDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import { createPool as createPromisePool } from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isAuthError } from 'gatehouse';
import { MysqlAuthStore, createMysqlStore } from 'gatehouse/mysql';
import { PostgresAuthStore, createPostgresStore } from 'gatehouse/postgres';
import { describeSql, mysqlPool, SQL_KINDS, type SqlKind, type TestDatabase } from '../support/sql-servers.js';

const storageFailed = (error: unknown): boolean => isAuthError(error, 'STORAGE_FAILED') && error.cause !== undefined;

/** Connections the server holds open to the run's database. */
async function openConnections(db: TestDatabase): Promise<number> {
  const rows =
    db.kind === 'postgres'
      ? await db.query('select count(*) as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [db.name])
      : await db.query('select count(*) as n from information_schema.processlist where db = ? and id <> connection_id()', [db.name]);
  return Number(rows[0]?.['n']);
}

/** Waits for the server to notice closed connections (it sees them end asynchronously). */
async function settle(db: TestDatabase, expected: number): Promise<number> {
  let count = await openConnections(db);
  for (let i = 0; i < 50 && count !== expected; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    count = await openConnections(db);
  }
  return count;
}

/** A pool of the application, the way it would make it. */
function appPool(kind: SqlKind, url: string): { kysely: Kysely<unknown>; ping: () => Promise<unknown>; end: () => Promise<void>; pool: pg.Pool | ReturnType<typeof createPool> } {
  if (kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    return { pool, kysely: new Kysely({ dialect: new PostgresDialect({ pool }) }), ping: () => pool.query('select 1'), end: () => pool.end() };
  }
  const pool = mysqlPool(url);
  return { pool, kysely: new Kysely({ dialect: new MysqlDialect({ pool }) }), ping: () => pool.promise().query('select 1'), end: () => pool.promise().end() };
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: the store closes only what it opened`, (db) => {
    it('{ url }: close() ends the pool the store opened; later calls reject STORAGE_FAILED', async () => {
      await db.freshStore();
      const before = await settle(db, await openConnections(db));
      const store = db.store({ url: db.url });
      await Promise.all([store.findUserById('00000000-0000-4000-8000-000000000000'), store.listRoles()]);
      expect(await openConnections(db)).toBeGreaterThan(before);
      await store.close();
      expect(await settle(db, before)).toBe(before);
      await expect(store.listRoles()).rejects.toSatisfy(storageFailed);
      await store.close(); // closing twice is harmless
    });

    it('{ pool }: close() leaves the application pool open and usable', async () => {
      await db.freshStore();
      const app = appPool(kind, db.url);
      try {
        const store =
          kind === 'postgres' ? createPostgresStore({ pool: app.pool as pg.Pool }) : createMysqlStore({ pool: app.pool as ReturnType<typeof createPool> });
        expect(await store.listRoles()).toEqual([]);
        await store.close();
        await expect(app.ping()).resolves.toBeDefined();
      } finally {
        await app.end();
      }
    });

    it('{ db }: close() leaves the application Kysely instance usable, and the store ignores its plugins', async () => {
      await db.freshStore();
      const app = appPool(kind, db.url);
      try {
        // An application's instance may carry plugins that would rename the store's columns.
        const theirs = app.kysely.withPlugin(new CamelCasePlugin());
        const store = kind === 'postgres' ? new PostgresAuthStore({ db: theirs }) : new MysqlAuthStore({ db: theirs });
        const at = new Date('2030-01-01T00:00:00.000Z');
        await store.upsertRole({ code: 'customer', name: 'Customer', description: '', level: 10, active: true, createdAt: at, updatedAt: at });
        expect(await store.findRole('customer')).toEqual({ code: 'customer', name: 'Customer', description: '', level: 10, active: true, createdAt: at, updatedAt: at });
        await store.close();
        const rows = await sql<{ one: number }>`select 1 as one`.execute(app.kysely);
        expect(Number(rows.rows[0]?.one)).toBe(1);
      } finally {
        await app.kysely.destroy();
      }
    });

    it('inside a transaction, the session query sees the transaction’s own uncommitted writes', async () => {
      const store = await db.freshStore();
      const at = new Date('2030-01-01T00:00:00.000Z');
      const userId = randomUUID();
      const tokenHash = 'f'.repeat(64);
      await store.transaction(async (tx) => {
        await tx.insertUser({
          id: userId, email: 'tx@example.com', name: 'Tx', passwordHash: null, status: 'active', statusReason: null, statusUntil: null,
          emailVerifiedAt: null, mustChangePassword: false, locale: null, attributes: {}, lastLoginAt: null, createdAt: at, updatedAt: at,
        });
        await tx.insertSession({
          id: randomUUID(), userId, tokenHash, ip: null, userAgent: null, rememberMe: false, createdAt: at, lastActiveAt: at, expiresAt: at, revokedAt: null,
        });
        expect((await tx.findSessionByTokenHash(tokenHash))?.user.id).toBe(userId);
        // Another connection does not see them before the commit.
        expect(await store.findSessionByTokenHash(tokenHash)).toBeNull();
      });
      expect((await store.findSessionByTokenHash(tokenHash))?.user.id).toBe(userId);
    });

    if (kind === 'postgres') {
      it('preparedStatements: false runs the same queries unprepared', async () => {
        await db.freshStore();
        const store = new PostgresAuthStore({ url: db.url }, { preparedStatements: false });
        try {
          expect(await store.findSessionByTokenHash('0'.repeat(64))).toBeNull();
          expect(await store.listRoles()).toEqual([]);
        } finally {
          await store.close();
        }
        expect(() => new PostgresAuthStore({ url: db.url }, { preparedStatements: 'no' as never })).toThrow(TypeError);
      });
    }

    it('a driver failure inside transaction() rejects STORAGE_FAILED and rolls back', async () => {
      const store = await db.freshStore();
      await expect(
        store.transaction(async (tx) => {
          await tx.upsertRole({ code: 'kept-out', name: 'x', description: '', level: 1, active: true, createdAt: new Date(), updatedAt: new Date() });
          // A level that overflows the integer column: the database refuses the write.
          await tx.upsertRole({ code: 'overflow', name: 'x', description: '', level: 2 ** 40, active: true, createdAt: new Date(), updatedAt: new Date() });
        }),
      ).rejects.toSatisfy(storageFailed);
      expect(await store.findRole('kept-out')).toBeNull();
    });
  });
}

describe('an unreachable server', () => {
  const stores = {
    postgres: () => new PostgresAuthStore({ url: 'postgres://postgres@127.0.0.1:1/none' }),
    mysql: () => new MysqlAuthStore({ url: 'mysql://root@127.0.0.1:1/none' }),
  };
  for (const kind of SQL_KINDS) {
    it(`${kind}: every call rejects STORAGE_FAILED with the driver's error as cause, migrate() and transaction() too`, async () => {
      const store = stores[kind]();
      try {
        await expect(store.findUserByEmail('ana@example.com')).rejects.toSatisfy(storageFailed);
        await expect(store.transaction(async () => 1)).rejects.toSatisfy(storageFailed);
        await expect(store.migrate()).rejects.toSatisfy(storageFailed);
      } finally {
        await store.close();
      }
    });
  }
});

describe('misuse is refused at construction with a TypeError', () => {
  it('a connection that is not exactly one of { url }, { pool }, { db }, or a URL of another database', () => {
    const bad: unknown[] = [undefined, {}, { url: 'mysql://h/db' }, { url: 'postgres://h/db', pool: {} }, { url: 42 }, { db: {} }, { pool: {} }];
    for (const connection of bad) expect(() => new PostgresAuthStore(connection as never), JSON.stringify(connection)).toThrow(TypeError);
    for (const connection of [{}, { url: 'postgres://h/db' }, { pool: {} }, { db: {} }]) expect(() => new MysqlAuthStore(connection as never), JSON.stringify(connection)).toThrow(TypeError);
  });

  it('a mysql2 pool that reads DATETIME in the local zone (mysql2’s default) is refused; timezone Z is accepted', async () => {
    const local = createPool({ uri: 'mysql://root@127.0.0.1:1/none' });
    const utc = createPool({ uri: 'mysql://root@127.0.0.1:1/none', timezone: 'Z' });
    try {
      expect(() => new MysqlAuthStore({ pool: local })).toThrow(/timezone: 'Z'/);
      expect(new MysqlAuthStore({ pool: utc })).toBeInstanceOf(MysqlAuthStore);
    } finally {
      await Promise.all([local.promise().end(), utc.promise().end()]);
    }
  });
});

await describeSql('mysql', 'a mysql2/promise pool', (db) => {
  it('is refused at construction with a TypeError naming the callback pool (it would wait forever); its .pool is accepted and works', async () => {
    const promisePool = createPromisePool({ uri: db.url, timezone: 'Z', connectionLimit: 2 });
    try {
      // A real pool on the real server: it answers queries of its own.
      expect((await promisePool.query('select 1 as one'))[0]).toEqual([{ one: 1 }]);
      for (const pool of [promisePool, promisePool.pool.promise()]) {
        expect(() => createMysqlStore({ pool })).toThrow(TypeError);
        expect(() => new MysqlAuthStore({ pool })).toThrow(/mysql2\/promise pool; pass the callback pool: createPool\(\) from 'mysql2'/);
      }
      const store = createMysqlStore({ pool: promisePool.pool });
      await store.migrate();
      expect(await store.findUserByEmail('nobody@example.com')).toBeNull();
      await store.close();
    } finally {
      await promisePool.end();
    }
  });
});
