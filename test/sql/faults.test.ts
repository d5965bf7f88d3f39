/**
 * Faults of the database while gatehouse holds a connection: the connection ended by the
 * server, a statement that does not come back, a pool with no connection to spare. Each
 * call caught in one rejects STORAGE_FAILED, nothing it began stays written, the process
 * lives (an unhandled 'error' event would end the run), and the next call succeeds.
 */
import { Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import { createPool, type Pool as MysqlPool } from 'mysql2';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { isAuthError, type AuthStore } from 'gatehouse';
import { MysqlAuthStore } from 'gatehouse/mysql';
import { PostgresAuthStore } from 'gatehouse/postgres';
import { role, session, user } from '../../adapters/testing/fixtures.js';
import type { SqlStoreOptions } from '../../adapters/sql/store-init.js';
import { DatabaseTimeoutError } from '../../adapters/sql/timeouts.js';
import { connectionIds, connectionIn, lockTable, stallingRelay, terminate, type HeldLock } from '../support/db-faults.js';
import { describeSql, SQL_KINDS, type SqlKind, type TestDatabase } from '../support/sql-servers.js';

const storageFailed = (error: unknown): boolean => isAuthError(error, 'STORAGE_FAILED') && error.cause !== undefined;

/** A call's outcome, handled from the start: a call expected to fail may fail while the test is still arranging the fault. */
async function outcome<T>(call: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  try {
    return { value: await call };
  } catch (error) {
    return { error };
  }
}

/** The error a call rejected with; fails the test when it resolved. */
async function failure(settled: Promise<{ value: unknown } | { error: unknown }>): Promise<unknown> {
  const result = await settled;
  if (!('error' in result)) throw new Error(`expected a rejection, got ${JSON.stringify(result.value)}`);
  return result.error;
}

/** A store built one of the ways an application builds it, and what to end after the test. */
interface Built {
  readonly store: AuthStore & { close(): Promise<void>; migrate(): Promise<unknown> };
  end(): Promise<void>;
}

/** One way of building a store: from a URL, from the application's pool, from its Kysely instance. */
interface Way {
  readonly name: string;
  build(db: TestDatabase, options?: SqlStoreOptions): Built;
  /**
   * Whether the pool may hand a connection the server just ended to the next caller, before
   * its socket reports the end: pg does, for a client released without an error, which is
   * how Kysely releases them. The store releases its own that way no more; behind `{ db }` it
   * cannot reach them, so the test lets the socket report first.
   */
  readonly reusesEndedConnections?: boolean;
}

/** The application's pg pool, made as the README says (the pool's own 'error' listener covers idle clients). */
function pgPool(db: TestDatabase, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString: db.url, max });
  pool.on('error', () => undefined);
  return pool;
}

/** The application's mysql2 pool, made as the README says. */
function mysqlPool(db: TestDatabase, connectionLimit = 4): MysqlPool {
  return createPool({ uri: db.url, timezone: 'Z', connectionLimit });
}

const endMysql = (pool: MysqlPool): Promise<void> => new Promise((resolve) => pool.end(() => resolve()));

const WAYS: Record<SqlKind, readonly Way[]> = {
  postgres: [
    { name: '{ url }', build: (db, options) => ({ store: new PostgresAuthStore({ url: db.url }, options), end: async () => undefined }) },
    {
      name: '{ url } with preparedStatements: false',
      build: (db, options) => ({ store: new PostgresAuthStore({ url: db.url }, { ...options, preparedStatements: false }), end: async () => undefined }),
    },
    {
      name: '{ pool }',
      build: (db, options) => {
        const pool = pgPool(db);
        return { store: new PostgresAuthStore({ pool }, options), end: () => pool.end() };
      },
    },
    {
      name: '{ pool } with preparedStatements: false',
      build: (db, options) => {
        const pool = pgPool(db);
        return { store: new PostgresAuthStore({ pool }, { ...options, preparedStatements: false }), end: () => pool.end() };
      },
    },
    {
      name: '{ db } on a pool made as the README says',
      reusesEndedConnections: true,
      build: (db) => {
        const pool = pgPool(db);
        // What the README asks of a pool behind an application's own Kysely instance.
        pool.on('connect', (client) => client.on('error', () => undefined));
        const kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
        return { store: new PostgresAuthStore({ db: kysely }), end: () => kysely.destroy() };
      },
    },
  ],
  mysql: [
    { name: '{ url }', build: (db, options) => ({ store: new MysqlAuthStore({ url: db.url }, options), end: async () => undefined }) },
    {
      name: '{ pool }',
      build: (db, options) => {
        const pool = mysqlPool(db);
        return { store: new MysqlAuthStore({ pool }, options), end: () => endMysql(pool) };
      },
    },
    {
      name: '{ db }',
      build: (db) => {
        const kysely = new Kysely<unknown>({ dialect: new MysqlDialect({ pool: mysqlPool(db) }) });
        return { store: new MysqlAuthStore({ db: kysely }), end: () => kysely.destroy() };
      },
    },
  ],
};

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: a connection the server ends while gatehouse holds it`, (db) => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
    });
    const build = (way: Way, options?: SqlStoreOptions): Built['store'] => {
      const built = way.build(db, options);
      cleanup.push(() => built.end(), () => built.store.close());
      return built.store;
    };
    const hold = async (table: string): Promise<HeldLock> => {
      const lock = await lockTable(db, table);
      cleanup.push(() => lock.release());
      return lock;
    };

    for (const way of WAYS[kind]) {
      it(`${way.name}: a statement waiting for a lock, its connection ended → STORAGE_FAILED; the next call succeeds`, async () => {
        await db.freshStore();
        const store = build(way);
        const ana = user();
        await store.insertUser(ana);
        const lock = await hold('users');
        const reading = outcome(store.listUsers({ offset: 0, limit: 10, now: new Date() }));
        await terminate(db, await connectionIn(db, 'waiting for a lock'));
        expect(await failure(reading)).toSatisfy(storageFailed);
        if (way.reusesEndedConnections) await new Promise((resolve) => setTimeout(resolve, 50));
        // The session read, the hot path that may bypass Kysely, caught the same way.
        const bundle = outcome(Promise.resolve(store.findSessionByTokenHash(session(ana.id).tokenHash)));
        await terminate(db, await connectionIn(db, 'waiting for a lock'));
        expect(await failure(bundle)).toSatisfy(storageFailed);
        if (way.reusesEndedConnections) await new Promise((resolve) => setTimeout(resolve, 50));
        await lock.release();
        expect((await store.findUserById(ana.id))?.email).toBe(ana.email);
        expect((await store.listUsers({ offset: 0, limit: 10, now: new Date() })).total).toBe(1);
      });

      it(`${way.name}: a transaction whose connection is ended between statements → STORAGE_FAILED, nothing of it written; the next transaction commits`, async () => {
        await db.freshStore();
        const store = build(way);
        const kept = role();
        const lost = role();
        const others = await connectionIds(db);
        await expect(
          store.transaction(async (tx) => {
            await tx.upsertRole(lost);
            await terminate(db, await connectionIn(db, 'idle', others));
            await tx.findRole(lost.code);
          }),
        ).rejects.toSatisfy(storageFailed);
        if (way.reusesEndedConnections) await new Promise((resolve) => setTimeout(resolve, 50));
        await store.transaction((tx) => tx.upsertRole(kept));
        expect(await store.findRole(lost.code)).toBeNull();
        expect((await store.findRole(kept.code))?.code).toBe(kept.code);
      });
    }
  });
}

/** The server's own statement timeout, as each driver reports it. */
const serverTimedOut = (error: unknown): boolean => {
  const cause = isAuthError(error) ? (error.cause as { code?: unknown; errno?: unknown } | undefined) : undefined;
  // PostgreSQL: 57014 query_canceled (statement_timeout); MariaDB: 1969 ER_STATEMENT_TIMEOUT.
  return isAuthError(error, 'STORAGE_FAILED') && (cause?.code === '57014' || cause?.errno === 1969);
};

/** The store's own bound, when no answer came at all. */
const clientTimedOut = (error: unknown): boolean =>
  isAuthError(error, 'STORAGE_FAILED') && error.cause instanceof DatabaseTimeoutError;

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: a database that does not answer in time`, (db) => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
    });
    const own = <T extends { close(): Promise<void> }>(store: T): T => (cleanup.push(() => store.close()), store);
    const hold = async (table: string): Promise<HeldLock> => {
      const lock = await lockTable(db, table);
      cleanup.push(() => lock.release());
      return lock;
    };
    const urlStore = (url: string, options: SqlStoreOptions) => own(kind === 'postgres' ? new PostgresAuthStore({ url }, options) : new MysqlAuthStore({ url }, options));
    /** The application's pool, without any server-side timeout, and a store on it. */
    const poolStore = (size: number, options: SqlStoreOptions) => {
      if (kind === 'postgres') {
        const pool = pgPool(db, size);
        cleanup.push(() => pool.end());
        const take = async () => {
          const client = await pool.connect();
          return () => client.release();
        };
        return { store: own(new PostgresAuthStore({ pool }, options)), take };
      }
      const pool = mysqlPool(db, size);
      cleanup.push(() => endMysql(pool));
      const take = () => new Promise<() => void>((resolve, reject) => pool.getConnection((error, connection) => (error ? reject(error) : resolve(() => connection.release()))));
      return { store: own(new MysqlAuthStore({ pool }, options)), take };
    };

    it('{ url }: a statement waiting beyond statementTimeout is stopped by the server → STORAGE_FAILED; the connection serves the next call', async () => {
      await db.freshStore();
      const store = urlStore(db.url, { statementTimeout: 300 });
      const ana = user();
      await store.insertUser(ana);
      const lock = await hold('users');
      expect(await failure(outcome(store.listUsers({ offset: 0, limit: 10, now: new Date() })))).toSatisfy(serverTimedOut);
      expect(await failure(outcome(Promise.resolve(store.findSessionByTokenHash(session(ana.id).tokenHash))))).toSatisfy(serverTimedOut);
      await lock.release();
      expect((await store.listUsers({ offset: 0, limit: 10, now: new Date() })).total).toBe(1);
    });

    const timedOutTransactions = [
      {
        name: '{ url }: a transaction the server timed out is rolled back on its connection, which serves the next transactions',
        store: () => urlStore(db.url, { statementTimeout: 300 }),
        timedOut: serverTimedOut,
      },
      {
        // A pool of one: the next transactions get the very connection, or its replacement.
        name: '{ pool } of one connection without a server-side timeout: a transaction the store gave up on is rolled back, and the pool serves the next transactions',
        store: () => poolStore(1, { statementTimeout: 300 }).store,
        timedOut: clientTimedOut,
      },
    ];
    for (const { name, store: makeStore, timedOut } of timedOutTransactions) {
      it(name, async () => {
        await db.freshStore();
        const store = makeStore();
        const lost = role();
        const lock = await hold('users');
        const stuck = outcome(
          store.transaction(async (tx) => {
            await tx.upsertRole(lost);
            await tx.listUsers({ offset: 0, limit: 10, now: new Date() });
          }),
        );
        expect(await failure(stuck)).toSatisfy(timedOut);
        await lock.release();
        const kept = [role(), role(), role()];
        for (const one of kept) await store.transaction((tx) => tx.upsertRole(one));
        expect(await store.findRole(lost.code)).toBeNull();
        const rows = await db.query(`select code from roles order by code`);
        expect(rows.map((row) => row['code'])).toEqual(kept.map((one) => one.code).sort());
      });
    }

    it('a stalled network: no answer within statementTimeout + 1 s → STORAGE_FAILED, the connection is closed, and the next call gets a new one', async () => {
      await db.freshStore();
      const relay = await stallingRelay(db);
      cleanup.push(() => relay.close());
      const store = urlStore(relay.url, { statementTimeout: 200 });
      const ana = user();
      await store.insertUser(ana);
      relay.stall();
      const closedBefore = relay.closedByClient;
      expect(await failure(outcome(store.findUserById(ana.id)))).toSatisfy(clientTimedOut);
      await relay.closedAtLeast(closedBefore + 1);
      relay.resume();
      expect((await store.findUserById(ana.id))?.email).toBe(ana.email);
    });

    it('a stalled network inside a transaction: STORAGE_FAILED, nothing of it written, its connection closed', async () => {
      await db.freshStore();
      const relay = await stallingRelay(db);
      cleanup.push(() => relay.close());
      const store = urlStore(relay.url, { statementTimeout: 200 });
      const lost = role();
      const closedBefore = relay.closedByClient;
      const stalled = outcome(
        store.transaction(async (tx) => {
          await tx.upsertRole(lost);
          relay.stall();
          await tx.findRole(lost.code);
        }),
      );
      expect(await failure(stalled)).toSatisfy(clientTimedOut);
      await relay.closedAtLeast(closedBefore + 1);
      relay.resume();
      expect(await store.findRole(lost.code)).toBeNull();
      const [row] = await db.query(`select count(*) as n from roles`);
      expect(Number(row?.['n'])).toBe(0);
    });

    it('a server that does not accept connections: the call waits acquireTimeout, then STORAGE_FAILED', async () => {
      const relay = await stallingRelay(db);
      cleanup.push(() => relay.close());
      relay.stall();
      const store = urlStore(relay.url, { acquireTimeout: 200, statementTimeout: 60_000 });
      expect(await failure(outcome(store.findUserById(user().id)))).toSatisfy(storageFailed);
      expect(await failure(outcome(store.listRoles()))).toSatisfy(storageFailed);
      relay.resume();
    });

    it('{ pool } of one connection, held by the application: the call waits acquireTimeout, then STORAGE_FAILED; the next call, once it is free, succeeds', async () => {
      await db.freshStore();
      const { store, take } = poolStore(1, { acquireTimeout: 200 });
      const release = await take();
      expect(await failure(outcome(store.listRoles()))).toSatisfy(clientTimedOut);
      expect(await failure(outcome(store.findUserById(user().id)))).toSatisfy(clientTimedOut);
      expect(await failure(outcome(store.transaction((tx) => tx.listRoles())))).toSatisfy(clientTimedOut);
      release();
      expect(await store.listRoles()).toEqual([]);
      expect(await store.findUserById(user().id)).toBeNull();
    });

    it('migrate() is not bounded by statementTimeout', async () => {
      // A lock held on the migration table for longer than the statement timeout: migrate() waits it out.
      await db.freshStore();
      const store = urlStore(db.url, { statementTimeout: 100 });
      const lock = await hold('gatehouse_migration');
      const migrating = outcome(store.migrate());
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await lock.release();
      expect('value' in (await migrating)).toBe(true);
    });

    it('timeouts are checked: whole milliseconds ≥ 0, and refused with { db }', () => {
      for (const bad of [-1, 1.5, Number.NaN, '100', 2 ** 31]) {
        expect(() => urlStore(db.url, { statementTimeout: bad as never })).toThrow(TypeError);
        expect(() => urlStore(db.url, { acquireTimeout: bad as never })).toThrow(TypeError);
      }
      expect(() => urlStore(db.url, { statementTimeout: 0, acquireTimeout: 0 })).not.toThrow();
      const kysely = new Kysely<unknown>({ dialect: kind === 'postgres' ? new PostgresDialect({ pool: pgPool(db) }) : new MysqlDialect({ pool: mysqlPool(db) }) });
      cleanup.push(() => kysely.destroy());
      const Store = kind === 'postgres' ? PostgresAuthStore : MysqlAuthStore;
      expect(() => new Store({ db: kysely }, { statementTimeout: 1000 })).toThrow(/with \{ db \}/);
      expect(() => new Store({ db: kysely }, { acquireTimeout: 1000 })).toThrow(/with \{ db \}/);
    });
  });
}
