import { PostgresDialect, type PostgresPool } from 'kysely';
import { storeOnPool, storeOnUrl, type PoolDriver } from '../sql/pooled-store.js';
import type { AuthStore } from 'gatehouse';
import { SqlAuthStore } from '../sql/sql-auth-store.js';
import { connectionKind, kyselyOf, sqlStoreInit, type KyselyInstance, type SqlStoreOptions } from '../sql/store-init.js';
import { resolveTimeouts, type SqlTimeouts } from '../sql/timeouts.js';
import { guardPostgresPool, type GuardedPostgresPool } from './guarded-pool.js';
import { postgresSqlDialect } from './postgres-sql-dialect.js';
import { statementNamer } from './prepared-statements.js';

/** Options of a {@link PostgresAuthStore}. */
export interface PostgresStoreOptions extends SqlStoreOptions {
  /**
   * Run the store's queries as named prepared statements, parsed and planned once per
   * connection (with `{ url }` and `{ pool }`; a `{ db }` instance runs them as it does
   * every query). Turn it off behind a connection pooler that cannot keep prepared
   * statements, such as PgBouncer before 1.21 in transaction mode.
   * @default true
   */
  readonly preparedStatements?: boolean | undefined;
  /**
   * Wait for the WAL flush of a successful sign-in's commit (its session, its
   * `login.succeeded` entry, the attempt marked succeeded, `lastLoginAt`) before answering.
   *
   * `false` commits the end of a successful sign-in with PostgreSQL's `synchronous_commit =
   * off`, for that one transaction: it is visible at once and answered without waiting for the
   * disk (about one `fdatasync`, often the largest cost of a sign-in after the password hash).
   * The trade-off: if the database server crashes (not the application) within about three
   * times `wal_writer_delay` (600 ms by default) after a sign-in, that sign-in can be lost
   * whole — session, log entry, `lastLoginAt` and the attempt's success together, never in
   * part — and its user has to sign in again; the attempt may survive as a failure, counting
   * once more toward the lockout. Failed sign-ins, and every other write, still wait for their
   * flush. MySQL/MariaDB have no per-transaction equivalent.
   * @default true
   */
  readonly flushSignIns?: boolean | undefined;
}

/**
 * A pool the store can query through: a `pg` `Pool`, or anything with its `connect()` and
 * `end()` (typed structurally, so `pg` stays an optional peer dependency).
 */
export type PostgresPoolLike = PostgresPool;

/**
 * How a {@link PostgresAuthStore} reaches PostgreSQL:
 * - `{ url }` — a connection string (`postgres://user:password@host:5432/db`); the store
 *   opens its own `pg` pool and {@link PostgresAuthStore.close} ends it;
 * - `{ pool }` — the application's `pg` pool, shared and never ended by the store;
 * - `{ db }` — the application's Kysely instance on a `PostgresDialect`, never destroyed by the store.
 */
export type PostgresConnection =
  | {
      /** A connection URL, e.g. `postgres://user:password@host:5432/database`: the store opens its own pool and ends it on `close()`. */
      readonly url: string;
      /** Not with `url`. */
      readonly pool?: undefined;
      /** Not with `url`. */
      readonly db?: undefined;
    }
  | {
      /** The application's pool, shared and never ended by the store. */
      readonly pool: PostgresPoolLike;
      /** Not with `pool`. */
      readonly url?: undefined;
      /** Not with `pool`. */
      readonly db?: undefined;
    }
  | {
      /** The application's Kysely instance on a `PostgresDialect`, never destroyed by the store. */
      readonly db: KyselyInstance;
      /** Not with `db`. */
      readonly url?: undefined;
      /** Not with `db`. */
      readonly pool?: undefined;
    };

const ENTRY = 'gatehouse/postgres';

/**
 * The {@link AuthStore} on PostgreSQL (12 or later), with the driver `pg`. Every table is
 * created by {@link PostgresAuthStore.migrate} (or `npx gatehouse migrate`); transactions
 * are PostgreSQL transactions; a session is validated in one query.
 *
 * @example
 * ```ts
 * import { createAuth } from 'gatehouse';
 * import { PostgresAuthStore } from 'gatehouse/postgres';
 *
 * const store = new PostgresAuthStore({ url: process.env.DATABASE_URL! });
 * await store.migrate();
 * const auth = createAuth({ store, mailer });
 * ```
 */
export class PostgresAuthStore extends SqlAuthStore {
  /**
   * @throws {TypeError} when the connection or the options are malformed.
   */
  constructor(connection: PostgresConnection, options: PostgresStoreOptions = {}) {
    super(postgresInit(connection, options));
  }
}

function postgresInit(connection: PostgresConnection, options: PostgresStoreOptions): ConstructorParameters<typeof SqlAuthStore>[0] {
  const kind = connectionKind(connection, ENTRY);
  if (options.preparedStatements !== undefined && typeof options.preparedStatements !== 'boolean') {
    throw new TypeError(`${ENTRY}: preparedStatements must be a boolean`);
  }
  if (options.flushSignIns !== undefined && typeof options.flushSignIns !== 'boolean') {
    throw new TypeError(`${ENTRY}: flushSignIns must be a boolean`);
  }
  const flushSignIns = options.flushSignIns ?? true;
  const timeouts = resolveTimeouts(options, ENTRY, kind);
  if (kind === 'db') return { ...sqlStoreInit(kyselyOf(connection.db!, ENTRY), postgresSqlDialect, options, null), flushSignIns };
  const nameOf = options.preparedStatements === false ? null : statementNamer();
  const driver: PoolDriver<PostgresPool, GuardedPostgresPool> = {
    dialect: postgresSqlDialect,
    guard: (open, bounds, forMigrations) => guardPostgresPool(open, bounds, forMigrations ? null : nameOf),
    kyselyDialect: (pool) => new PostgresDialect({ pool }),
    openPool: ownPool,
    endPool: (pool) => pool.end(),
  };
  if (kind === 'pool') {
    const pool = connection.pool!;
    if (typeof pool.connect !== 'function') throw new TypeError(`${ENTRY}: { pool } must be a pg Pool`);
    return { ...storeOnPool(driver, pool, timeouts, options), flushSignIns };
  }
  const url = connection.url;
  if (typeof url !== 'string' || !/^postgres(?:ql)?:\/\//i.test(url)) {
    throw new TypeError(`${ENTRY}: { url } must be a postgres:// or postgresql:// connection string`);
  }
  return { ...storeOnUrl(driver, url, timeouts, options), flushSignIns };
}

/** A `pg` pool the store opens itself, with the server-side statement timeout on each of its connections. */
async function ownPool(url: string, timeouts: SqlTimeouts, max?: number): Promise<PostgresPool> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: timeouts.acquireTimeout,
    // Sent at connection start (0: not sent, the server's own setting applies).
    statement_timeout: timeouts.statementTimeout,
    ...(max === undefined ? {} : { max }),
  });
  // An idle client losing its connection (a server restart) must not crash the process;
  // the next query gets a fresh connection or fails as STORAGE_FAILED.
  pool.on('error', () => undefined);
  return pool;
}
