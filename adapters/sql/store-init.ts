import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { checkTablePrefix } from './schema.js';
import type { DirectQuery, SqlStoreInit } from './sql-auth-store.js';
import type { SqlDialect } from './sql-dialect.js';
import { TablePrefixPlugin } from './table-prefix-plugin.js';

/** Options shared by the PostgreSQL and MySQL stores. */
export interface SqlStoreOptions {
  /**
   * Prepended to every table name gatehouse creates and queries (`auth_` gives `auth_users`,
   * `auth_sessions`, …), so that gatehouse can live beside tables of the application with
   * the same names. Lower-case letters, digits and `_`, starting with a letter, at most 24
   * characters. Use the same prefix for `migrate()` (or the CLI's `--table-prefix`) and at run time.
   * @default '' — no prefix
   */
  readonly tablePrefix?: string | undefined;
  /**
   * How long one statement may run, in milliseconds, before it fails as `STORAGE_FAILED`
   * (`0`: no limit). With `{ url }` the server stops the statement (PostgreSQL's
   * `statement_timeout`; MariaDB's `max_statement_time`; MySQL's `max_execution_time`, which
   * covers `SELECT` only, and `innodb_lock_wait_timeout` for row locks, in whole seconds).
   * With `{ url }` and `{ pool }`, a statement whose answer has not arrived one second later
   * (a stalled server or network, or a pool without the server-side timeout) fails anyway
   * and its connection is closed, never returned to the pool; a transaction it was part of
   * is rolled back. `migrate()` is not bounded. With `{ db }` the store never sees a
   * connection: set the timeout on the pool behind your Kysely instance (passing it here is a TypeError).
   * @default 5000
   */
  readonly statementTimeout?: number | undefined;
  /**
   * How long a call may wait for a connection, in milliseconds, before it fails as
   * `STORAGE_FAILED` (`0`: no limit): a pool whose connections are all busy, or a server that
   * does not accept new ones. With `{ url }` and `{ pool }`; with `{ db }`, set it on the pool
   * behind your Kysely instance (passing it here is a TypeError).
   * @default 5000
   */
  readonly acquireTimeout?: number | undefined;
}

/** A Kysely instance for `migrate()` alone, free of the store's timeouts, and how to let it go afterwards. */
export interface MigrationConnection {
  readonly db: Kysely<Database>;
  done(): Promise<void>;
}

/**
 * Builds what a {@link SqlAuthStore} needs from a Kysely instance: the store queries through
 * a copy without the caller's plugins (a `CamelCasePlugin` would rename its columns) and
 * with its own. `release` closes what the store opened (`null`: it opened nothing);
 * `direct` runs the hot queries on the underlying pool when the store has it; `migrations`
 * opens the connection `migrate()` runs on (`null`: the store's own).
 */
export function sqlStoreInit(
  base: Kysely<Database>,
  dialect: SqlDialect,
  options: SqlStoreOptions,
  release: (() => Promise<void>) | null,
  direct: DirectQuery | null = null,
  migrations: (() => MigrationConnection) | null = null,
): SqlStoreInit {
  const tablePrefix = checkTablePrefix(options.tablePrefix);
  const own = (instance: Kysely<Database>): Kysely<Database> => {
    let db = instance.withoutPlugins();
    if (tablePrefix !== '') db = db.withPlugin(new TablePrefixPlugin(tablePrefix));
    for (const plugin of dialect.plugins) db = db.withPlugin(plugin);
    return db;
  };
  const migrationConnection =
    migrations === null
      ? null
      : (): MigrationConnection => {
          const opened = migrations();
          return { db: own(opened.db), done: () => opened.done() };
        };
  return { db: own(base), dialect, tablePrefix, release, compiled: new Map(), direct, migrations: migrationConnection };
}

/**
 * An application's Kysely instance, whatever its tables: the store uses only its dialect and
 * connection. (Kysely's type is invariant in the tables, so it is named by what the store calls.)
 */
export interface KyselyInstance {
  /** Kysely's own method: the store queries through a copy without the application's plugins. */
  withoutPlugins(): unknown;
}

/** The Kysely instance behind `{ db }`, checked. */
export function kyselyOf(db: KyselyInstance, entry: string): Kysely<Database> {
  if (typeof db?.withoutPlugins !== 'function') throw new TypeError(`${entry}: { db } must be a Kysely instance`);
  return db.withoutPlugins() as Kysely<Database>;
}

/** Which of the three ways of connecting a store was given, checked eagerly. */
export function connectionKind(connection: unknown, entry: string): 'url' | 'pool' | 'db' {
  if (typeof connection !== 'object' || connection === null) {
    throw new TypeError(`${entry}: pass { url }, { pool } or { db }`);
  }
  const given = (['url', 'pool', 'db'] as const).filter((key) => (connection as Record<string, unknown>)[key] !== undefined);
  if (given.length !== 1) throw new TypeError(`${entry}: pass exactly one of { url }, { pool } or { db }; got ${given.length === 0 ? 'none' : given.join(', ')}`);
  return given[0]!;
}
