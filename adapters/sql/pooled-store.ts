import { Kysely, type Dialect } from 'kysely';
import type { Row } from './rows.js';
import type { Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';
import type { SqlStoreInit } from './sql-auth-store.js';
import { sqlStoreInit, type MigrationConnection, type SqlStoreOptions } from './store-init.js';
import { UNBOUNDED, type SqlTimeouts } from './timeouts.js';

/** A pool wrapped with the store's timeouts, that also runs the hot queries directly. */
export interface RunnablePool {
  run(text: string, parameters: readonly unknown[]): Promise<Row[]>;
}

/** What a driver gives the store's set-up on a pool: the PostgreSQL and MySQL stores each have one. */
export interface PoolDriver<Pool, Guarded extends RunnablePool> {
  readonly dialect: SqlDialect;
  /** Wraps a pool (opened on first use) with the timeouts; `forMigrations`: no statement timeout, nothing prepared. */
  guard(open: () => Promise<Pool>, timeouts: SqlTimeouts, forMigrations: boolean): Guarded;
  /** The Kysely dialect on a guarded pool. */
  kyselyDialect(pool: Guarded): Dialect;
  /** Opens a pool of the store's own on a connection string, with the server-side statement timeout. */
  openPool(url: string, timeouts: SqlTimeouts, max?: number): Promise<Pool>;
  endPool(pool: Pool): Promise<void>;
}

/**
 * The set-up of a SQL store on the application's pool: the store queries through it and never
 * ends it; `migrate()` runs on the same pool, without the statement timeout.
 */
export function storeOnPool<Pool, Guarded extends RunnablePool>(driver: PoolDriver<Pool, Guarded>, pool: Pool, timeouts: SqlTimeouts, options: SqlStoreOptions): SqlStoreInit {
  const guarded = driver.guard(() => Promise.resolve(pool), timeouts, false);
  const db = new Kysely<Database>({ dialect: driver.kyselyDialect(guarded) });
  const migrations = (): MigrationConnection => {
    const unbounded = new Kysely<Database>({ dialect: driver.kyselyDialect(driver.guard(() => Promise.resolve(pool), UNBOUNDED, true)) });
    return { db: unbounded, done: () => unbounded.destroy() };
  };
  return sqlStoreInit(db, driver.dialect, options, null, (text, parameters) => guarded.run(text, parameters), migrations);
}

/**
 * The set-up of a SQL store on a connection string: the pool is opened on first use, so that
 * constructing the store never touches the network and the driver loads only when needed;
 * shared by Kysely and the hot queries, and ended once, by `close()`. `migrate()` runs on a
 * connection of its own, without the server-side statement timeout.
 */
export function storeOnUrl<Pool, Guarded extends RunnablePool>(driver: PoolDriver<Pool, Guarded>, url: string, timeouts: SqlTimeouts, options: SqlStoreOptions): SqlStoreInit {
  let opened: Promise<Pool> | undefined;
  let closed = false;
  const open = (): Promise<Pool> => {
    if (closed) return Promise.reject(new Error('the store is closed'));
    opened ??= driver.openPool(url, timeouts);
    return opened;
  };
  const guarded = driver.guard(open, timeouts, false);
  const db = new Kysely<Database>({ dialect: driver.kyselyDialect(guarded) });
  const release = async (): Promise<void> => {
    closed = true;
    await db.destroy();
    if (opened !== undefined) await driver.endPool(await opened);
  };
  const migrations = (): MigrationConnection => {
    let pool: Promise<Pool> | undefined;
    const unbounded = new Kysely<Database>({ dialect: driver.kyselyDialect(driver.guard(() => (pool ??= driver.openPool(url, UNBOUNDED, 1)), UNBOUNDED, true)) });
    return {
      db: unbounded,
      done: async () => {
        await unbounded.destroy();
        if (pool !== undefined) await driver.endPool(await pool);
      },
    };
  };
  return sqlStoreInit(db, driver.dialect, options, release, (text, parameters) => guarded.run(text, parameters), migrations);
}
