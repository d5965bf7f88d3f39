/**
 * `gatehouse/mysql` — the store on MySQL 8 and MariaDB 10.11+, with the driver `mysql2`
 * (an optional peer dependency, like `kysely`: install both to use this entry).
 * @packageDocumentation
 */
import { MysqlAuthStore, type MysqlConnection, type MysqlStoreOptions } from './mysql-auth-store.js';

export { MysqlAuthStore, type MysqlConnection, type MysqlPoolLike, type MysqlStoreOptions } from './mysql-auth-store.js';
export type { KyselyInstance, SqlStoreOptions } from '../sql/store-init.js';
export { transactionKysely } from '../sql/sql-app-transaction.js';
export type { MigrationReport, MigrationStatus } from '../sql/sql-auth-store.js';

/**
 * Creates a MySQL/MariaDB store from a connection URL, a `mysql2` pool (made with
 * `timezone: 'Z'`) or a Kysely instance. Run `await store.migrate()` (or
 * `npx gatehouse migrate`) once before use.
 *
 * @throws {TypeError} when the connection or the options are malformed.
 * @example
 * ```ts
 * import { createPool } from 'mysql2';
 * import { createMysqlStore } from 'gatehouse/mysql';
 *
 * const pool = createPool({ uri: process.env.DATABASE_URL, timezone: 'Z' });
 * const store = createMysqlStore({ pool }, { tablePrefix: 'auth_' });
 * await store.migrate();
 * ```
 */
export function createMysqlStore(connection: MysqlConnection, options: MysqlStoreOptions = {}): MysqlAuthStore {
  return new MysqlAuthStore(connection, options);
}
