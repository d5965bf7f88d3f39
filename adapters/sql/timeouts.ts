/**
 * How long the SQL stores wait for their database: shared by the PostgreSQL and MySQL
 * entries, which apply the bounds to the connections they hold (see each driver's guard).
 */

/** The bounds a store puts on waiting for its database, in milliseconds; `0` waits forever. */
export interface SqlTimeouts {
  /** How long one statement may run before the server stops it. */
  readonly statementTimeout: number;
  /** How long a call may wait for a connection of the pool. */
  readonly acquireTimeout: number;
}

/** No bound at all: for `migrate()`, whose statements may rightly take long, and which may wait for another migrator. */
export const UNBOUNDED: SqlTimeouts = { statementTimeout: 0, acquireTimeout: 0 };

/** The default of both timeouts: far above what any of the store's statements takes, well below a proxy's request timeout. */
export const DEFAULT_TIMEOUT = 5_000;

/**
 * How much longer than the statement timeout the store waits for an answer before it gives up
 * on the connection itself: long enough for the server's own timeout to arrive first, so
 * that only a stalled server or network costs a connection.
 */
export const CLIENT_GRACE = 1_000;

/** How long the store waits for a statement's answer before it gives the connection up (`0`: forever). */
export const clientBound = (timeouts: SqlTimeouts): number => (timeouts.statementTimeout === 0 ? 0 : timeouts.statementTimeout + CLIENT_GRACE);

/** The longest timeout accepted: Node's timers hold at most a signed 32-bit count of milliseconds. */
const MAX_TIMEOUT = 2 ** 31 - 1 - CLIENT_GRACE;

/** The options the timeouts come from (a subset of `SqlStoreOptions`). */
export interface TimeoutOptions {
  readonly statementTimeout?: number | undefined;
  readonly acquireTimeout?: number | undefined;
}

/**
 * The timeouts of a store, checked. With `{ db }` the store never sees a connection, so a
 * timeout given there would bound nothing: that is refused rather than ignored.
 *
 * @throws {TypeError} when a timeout is not a whole number of milliseconds ≥ 0, or is given with `{ db }`.
 */
export function resolveTimeouts(options: TimeoutOptions, entry: string, kind: 'url' | 'pool' | 'db'): SqlTimeouts {
  const check = (name: keyof TimeoutOptions): number => {
    const value = options[name];
    if (value === undefined) return DEFAULT_TIMEOUT;
    if (kind === 'db') throw new TypeError(`${entry}: ${name} bounds the connections the store holds; with { db }, set it on the pool behind your Kysely instance`);
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_TIMEOUT) throw new TypeError(`${entry}: ${name} must be a whole number of milliseconds ≥ 0 (0: no limit)`);
    return value;
  };
  return { statementTimeout: check('statementTimeout'), acquireTimeout: check('acquireTimeout') };
}

/** A wait for the database that took longer than the store allows; the `cause` of the `STORAGE_FAILED` the caller gets. */
export class DatabaseTimeoutError extends Error {
  override readonly name = 'DatabaseTimeoutError';
  /** Stable, for logs and monitoring. */
  readonly code = 'GATEHOUSE_DATABASE_TIMEOUT';
}

/**
 * Resolves with what `work` resolves with, or rejects with a {@link DatabaseTimeoutError}
 * once `ms` milliseconds passed (`0`: never), handing it to `expired` first. A value that
 * arrives after that is handed to `late` — a connection to give back, for instance.
 */
export function within<T>(work: Promise<T>, ms: number, what: string, late: (value: T) => void, expired?: (error: DatabaseTimeoutError) => void): Promise<T> {
  if (ms === 0) return work;
  return new Promise<T>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      const error = new DatabaseTimeoutError(`gatehouse: ${what} took longer than ${ms} ms`);
      expired?.(error);
      reject(error);
    }, ms);
    // The work itself keeps the process alive while it is pending; the bound alone must not.
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        if (timedOut) late(value);
        else resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!timedOut) reject(error);
      },
    );
  });
}

/**
 * Runs callback-style `work` and resolves with its result, or rejects with a
 * {@link DatabaseTimeoutError} once `ms` milliseconds passed (`0`: never); an outcome that
 * arrives later is dropped. One promise and one timer: the hot queries' way to bound a statement.
 */
export function bounded<T>(ms: number, what: string, work: (done: (error: Error | null, result: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    if (ms > 0) {
      timer = setTimeout(() => {
        settled = true;
        reject(new DatabaseTimeoutError(`gatehouse: ${what} took longer than ${ms} ms`));
      }, ms);
      timer.unref();
    }
    work((error, result) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      if (error) reject(error);
      else resolve(result);
    });
  });
}
