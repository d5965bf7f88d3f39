import { MysqlDialect, type MysqlPool } from 'kysely';
import { storeOnPool, storeOnUrl, type PoolDriver } from '../sql/pooled-store.js';
import type { AuthStore } from 'gatehouse';
import { SqlAuthStore } from '../sql/sql-auth-store.js';
import { connectionKind, kyselyOf, sqlStoreInit, type KyselyInstance, type SqlStoreOptions } from '../sql/store-init.js';
import { resolveTimeouts, type SqlTimeouts } from '../sql/timeouts.js';
import { guardMysqlPool, type GuardedMysqlPool } from './guarded-pool.js';
import { mysqlSqlDialect } from './mysql-sql-dialect.js';

/** Options of a {@link MysqlAuthStore}. */
export interface MysqlStoreOptions extends SqlStoreOptions {
  /**
   * Send the store's hot reads (the session query behind every first validation, the
   * session's stamp) as server-side prepared statements, prepared once per connection with
   * `mysql2`'s `execute()` (with `{ url }` and `{ pool }`; a `{ db }` instance runs them as it
   * does every query). Turn it off behind a proxy that cannot keep prepared statements on a
   * connection, or when `max_prepared_stmt_count` is tight: each pool connection holds up to
   * three of them.
   * @default true
   */
  readonly preparedStatements?: boolean | undefined;
}

/**
 * A pool the store can query through: a callback-style `mysql2` pool (`createPool` from
 * `'mysql2'`, not `'mysql2/promise'`), typed structurally so `mysql2` stays an optional peer
 * dependency. Create it with `timezone: 'Z'`: gatehouse stores instants in UTC.
 */
export type MysqlPoolLike = MysqlPool;

/**
 * How a {@link MysqlAuthStore} reaches MySQL or MariaDB:
 * - `{ url }` — a connection string (`mysql://user:password@host:3306/db`, `mariadb://` too);
 *   the store opens its own `mysql2` pool (with `timezone: 'Z'`) and {@link MysqlAuthStore.close} ends it;
 * - `{ pool }` — the application's `mysql2` pool, created with `timezone: 'Z'` (or `dateStrings: true`),
 *   shared and never ended by the store;
 * - `{ db }` — the application's Kysely instance on a `MysqlDialect` over such a pool, never destroyed by the store.
 */
export type MysqlConnection =
  | {
      /** A connection URL, e.g. `mysql://user:password@host:3306/database`: the store opens its own pool and ends it on `close()`. */
      readonly url: string;
      /** Not with `url`. */
      readonly pool?: undefined;
      /** Not with `url`. */
      readonly db?: undefined;
    }
  | {
      /** The application's pool, shared and never ended by the store. */
      readonly pool: MysqlPoolLike;
      /** Not with `pool`. */
      readonly url?: undefined;
      /** Not with `pool`. */
      readonly db?: undefined;
    }
  | {
      /** The application's Kysely instance on a `MysqlDialect`, never destroyed by the store. */
      readonly db: KyselyInstance;
      /** Not with `db`. */
      readonly url?: undefined;
      /** Not with `db`. */
      readonly pool?: undefined;
    };

const ENTRY = 'gatehouse/mysql';

/**
 * The {@link AuthStore} on MySQL 8 and MariaDB 10.11 or later, with the driver `mysql2`.
 * Every table is created by {@link MysqlAuthStore.migrate} (or `npx gatehouse migrate`)
 * with InnoDB and `utf8mb4`; instants are `DATETIME(3)` in UTC; transactions are InnoDB
 * transactions at READ COMMITTED.
 *
 * @example
 * ```ts
 * import { createAuth } from 'gatehouse';
 * import { MysqlAuthStore } from 'gatehouse/mysql';
 *
 * const store = new MysqlAuthStore({ url: 'mysql://app:secret@127.0.0.1:3306/shop' });
 * await store.migrate();
 * const auth = createAuth({ store, mailer });
 * ```
 */
export class MysqlAuthStore extends SqlAuthStore {
  /**
   * @throws {TypeError} when the connection or the options are malformed, the pool does not read instants as UTC, or
   *   it is a `mysql2/promise` pool (pass the callback pool of `createPool` from `'mysql2'`).
   */
  constructor(connection: MysqlConnection, options: MysqlStoreOptions = {}) {
    super(mysqlInit(connection, options));
  }
}

/**
 * Refuses a mysql2 pool that would read `DATETIME` values in another zone than the one
 * gatehouse writes (UTC): every instant would come back shifted.
 */
function checkPool(pool: MysqlPoolLike): void {
  if (typeof pool.getConnection !== 'function') throw new TypeError(`${ENTRY}: { pool } must be a mysql2 pool from createPool() of 'mysql2'`);
  if (isPromisePool(pool)) {
    // Its getConnection() ignores the callback Kysely passes: every query would wait forever.
    throw new TypeError(
      `${ENTRY}: { pool } is a mysql2/promise pool; pass the callback pool: createPool() from 'mysql2', not from 'mysql2/promise' (a promise pool's own callback pool is its .pool)`,
    );
  }
  const config = (pool as { config?: { connectionConfig?: { timezone?: unknown; dateStrings?: unknown } } }).config?.connectionConfig;
  if (config === undefined) return;
  const timezone = config.timezone ?? 'local';
  const utc = typeof timezone === 'string' && /^(?:Z|[+-]00:?00)$/i.test(timezone);
  const strings = config.dateStrings === true || (Array.isArray(config.dateStrings) && config.dateStrings.includes('DATETIME'));
  if (!utc && !strings) {
    throw new TypeError(`${ENTRY}: create the mysql2 pool with timezone: 'Z' (gatehouse stores instants in UTC); it has timezone: ${JSON.stringify(timezone)}`);
  }
}

/**
 * Whether a pool is mysql2's promise wrapper (`createPool` of `mysql2/promise`, or
 * `pool.promise()`): it holds the callback pool as `.pool`, and has no `.promise()` of its own.
 */
function isPromisePool(pool: MysqlPoolLike): boolean {
  const wrapped = (pool as { pool?: { getConnection?: unknown } }).pool;
  return typeof wrapped?.getConnection === 'function' && typeof (pool as { promise?: unknown }).promise !== 'function';
}

/**
 * The session settings that make the server stop a statement after `statementTimeout`: MariaDB's
 * `max_statement_time` (seconds, every statement), MySQL's `max_execution_time` (milliseconds,
 * read-only `SELECT` only), and on both InnoDB's row-lock wait (whole seconds). One statement
 * for both servers: MySQL runs a `/*!50708 … *\/` comment (5.7.8 or later) and takes `/*M!…*\/`
 * for a plain comment; MariaDB runs `/*M!…*\/` and skips comments marked with a MySQL 5.7+ version.
 */
export function sessionTimeoutSql(statementTimeout: number): string {
  const seconds = statementTimeout / 1000;
  return (
    `SET SESSION /*!50708 max_execution_time = ${statementTimeout}, */ /*M!100108 max_statement_time = ${seconds}, */ ` +
    `innodb_lock_wait_timeout = ${Math.max(1, Math.ceil(seconds))}`
  );
}

/** A `mysql2` pool the store opens itself, with the server-side statement timeout on each of its connections. */
async function ownPool(url: string, timeouts: SqlTimeouts, connectionLimit = 10): Promise<MysqlPool> {
  const { createPool } = await import('mysql2');
  const pool = createPool({ uri: url.replace(/^mariadb:/i, 'mysql:'), timezone: 'Z', connectionLimit, connectTimeout: timeouts.acquireTimeout });
  if (timeouts.statementTimeout > 0) {
    const settings = sessionTimeoutSql(timeouts.statementTimeout);
    // Queued before anything else is sent on the new connection. Should the server refuse it,
    // the client-side bound still holds: nothing to do with the error.
    pool.on('connection', (connection) => void connection.query(settings, () => undefined));
  }
  return pool;
}

function mysqlInit(connection: MysqlConnection, options: MysqlStoreOptions): ConstructorParameters<typeof SqlAuthStore>[0] {
  const kind = connectionKind(connection, ENTRY);
  if (options.preparedStatements !== undefined && typeof options.preparedStatements !== 'boolean') {
    throw new TypeError(`${ENTRY}: preparedStatements must be a boolean`);
  }
  const timeouts = resolveTimeouts(options, ENTRY, kind);
  if (kind === 'db') return sqlStoreInit(kyselyOf(connection.db!, ENTRY), mysqlSqlDialect, options, null);
  const prepared = options.preparedStatements !== false;
  const driver: PoolDriver<MysqlPool, GuardedMysqlPool> = {
    dialect: mysqlSqlDialect,
    guard: (open, bounds, forMigrations) => guardMysqlPool(open, bounds, prepared && !forMigrations),
    kyselyDialect: (pool) => new MysqlDialect({ pool }),
    openPool: ownPool,
    endPool,
  };
  if (kind === 'pool') {
    const pool = connection.pool!;
    checkPool(pool);
    return storeOnPool(driver, pool, timeouts, options);
  }
  const url = connection.url;
  if (typeof url !== 'string' || !/^(?:mysql|mariadb):\/\//i.test(url)) {
    throw new TypeError(`${ENTRY}: { url } must be a mysql:// or mariadb:// connection string`);
  }
  return storeOnUrl(driver, url, timeouts, options);
}

const endPool = (pool: MysqlPool): Promise<void> => new Promise<void>((resolve, reject) => pool.end((error) => (error ? reject(error) : resolve())));
