import { Kysely, MysqlDialect, type MysqlPool } from 'kysely';
import type { Database } from '../sql/schema.js';
import type { Row } from '../sql/rows.js';
import { SqlAuthStore, type DirectQuery } from '../sql/sql-auth-store.js';
import { connectionKind, kyselyOf, sqlStoreInit, type KyselyInstance, type SqlStoreOptions } from '../sql/store-init.js';
import { mysqlSqlDialect } from './mysql-sql-dialect.js';

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
  | { readonly url: string; readonly pool?: undefined; readonly db?: undefined }
  | { readonly pool: MysqlPoolLike; readonly url?: undefined; readonly db?: undefined }
  | { readonly db: KyselyInstance; readonly url?: undefined; readonly pool?: undefined };

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
   * @throws {TypeError} when the connection or the options are malformed, or the pool does not read instants as UTC.
   */
  constructor(connection: MysqlConnection, options: SqlStoreOptions = {}) {
    super(mysqlInit(connection, options));
  }
}

/**
 * Refuses a mysql2 pool that would read `DATETIME` values in another zone than the one
 * gatehouse writes (UTC): every instant would come back shifted.
 */
function checkPool(pool: MysqlPoolLike): void {
  if (typeof pool.getConnection !== 'function') throw new TypeError(`${ENTRY}: { pool } must be a mysql2 pool from createPool() of 'mysql2'`);
  const config = (pool as { config?: { connectionConfig?: { timezone?: unknown; dateStrings?: unknown } } }).config?.connectionConfig;
  if (config === undefined) return;
  const timezone = config.timezone ?? 'local';
  const utc = typeof timezone === 'string' && /^(?:Z|[+-]00:?00)$/i.test(timezone);
  const strings = config.dateStrings === true || (Array.isArray(config.dateStrings) && config.dateStrings.includes('DATETIME'));
  if (!utc && !strings) {
    throw new TypeError(`${ENTRY}: create the mysql2 pool with timezone: 'Z' (gatehouse stores instants in UTC); it has timezone: ${JSON.stringify(timezone)}`);
  }
}

/** mysql2's callback-style `query()`, present on its pools though not part of what Kysely needs. */
type PoolQuery = (sql: string, values: unknown[], callback: (error: unknown, rows: unknown) => void) => void;

/** The hot queries' way to the pool without Kysely in between (text protocol, as Kysely sends them too). */
function directQuery(pool: () => Promise<MysqlPool>): DirectQuery {
  return async (sql, parameters) => {
    const target = (await pool()) as MysqlPool & { query: PoolQuery };
    return new Promise<Row[]>((resolve, reject) => {
      target.query(sql, [...parameters], (error, rows) => (error ? reject(error) : resolve(Array.isArray(rows) ? (rows as Row[]) : [])));
    });
  };
}

const hasQuery = (pool: MysqlPool): boolean => typeof (pool as { query?: unknown }).query === 'function';

/** A view of a pool whose `end()` does nothing: the store decides when its pool ends, Kysely never does. */
const unendable = (pool: MysqlPool): MysqlPool => ({ getConnection: (callback) => pool.getConnection(callback), end: (callback) => callback(null) });

function mysqlInit(connection: MysqlConnection, options: SqlStoreOptions): ConstructorParameters<typeof SqlAuthStore>[0] {
  const kind = connectionKind(connection, ENTRY);
  if (kind === 'db') return sqlStoreInit(kyselyOf(connection.db!, ENTRY), mysqlSqlDialect, options, null);
  if (kind === 'pool') {
    const pool = connection.pool!;
    checkPool(pool);
    const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool: unendable(pool) }) });
    return sqlStoreInit(db, mysqlSqlDialect, options, null, hasQuery(pool) ? directQuery(() => Promise.resolve(pool)) : null);
  }
  const url = connection.url;
  if (typeof url !== 'string' || !/^(?:mysql|mariadb):\/\//i.test(url)) {
    throw new TypeError(`${ENTRY}: { url } must be a mysql:// or mariadb:// connection string`);
  }
  // Opened on first use, so that constructing the store never touches the network and
  // `mysql2` loads only when needed; shared by Kysely and the hot queries, ended once by close().
  let opened: Promise<MysqlPool> | undefined;
  let closed = false;
  const open = (): Promise<MysqlPool> => {
    if (closed) return Promise.reject(new Error('the store is closed'));
    opened ??= import('mysql2').then(({ createPool }) =>
      createPool({ uri: url.replace(/^mariadb:/i, 'mysql:'), timezone: 'Z', connectionLimit: 10, connectTimeout: 10_000 }),
    );
    return opened;
  };
  const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool: async () => unendable(await open()) }) });
  const release = async (): Promise<void> => {
    closed = true;
    await db.destroy();
    if (opened === undefined) return;
    const pool = await opened;
    await new Promise<void>((resolve, reject) => pool.end((error) => (error ? reject(error) : resolve())));
  };
  return sqlStoreInit(db, mysqlSqlDialect, options, release, directQuery(open));
}
