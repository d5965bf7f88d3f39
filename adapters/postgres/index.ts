/**
 * `gatehouse/postgres` — the store on PostgreSQL, with the driver `pg` (an optional peer
 * dependency, like `kysely`: install both to use this entry).
 * @packageDocumentation
 */
import { PostgresAuthStore, type PostgresConnection, type PostgresStoreOptions } from './postgres-auth-store.js';

export { PostgresAuthStore, type PostgresConnection, type PostgresPoolLike, type PostgresStoreOptions } from './postgres-auth-store.js';
export type { KyselyInstance, SqlStoreOptions } from '../sql/store-init.js';
export { transactionKysely } from '../sql/sql-app-transaction.js';
export type { MigrationReport, MigrationStatus } from '../sql/sql-auth-store.js';

/**
 * Creates a PostgreSQL store from a connection URL, a `pg` pool or a Kysely instance.
 * Run `await store.migrate()` (or `npx gatehouse migrate`) once before use.
 *
 * @throws {TypeError} when the connection or the options are malformed.
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPostgresStore } from 'gatehouse/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = createPostgresStore({ pool }, { tablePrefix: 'auth_' });
 * await store.migrate();
 * ```
 */
export function createPostgresStore(connection: PostgresConnection, options: PostgresStoreOptions = {}): PostgresAuthStore {
  return new PostgresAuthStore(connection, options);
}
