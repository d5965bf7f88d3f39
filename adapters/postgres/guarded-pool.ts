import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { listenForErrors, type ErrorEmitter } from '../sql/connection-errors.js';
import type { Row } from '../sql/rows.js';
import { bounded, clientBound, DatabaseTimeoutError, within, type SqlTimeouts } from '../sql/timeouts.js';
import { sendStatement, type StatementNamer } from './prepared-statements.js';

/** A `pg` client as the pool hands it out: an event emitter whose `release()` takes an error to discard it. */
interface PgClient extends PostgresPoolClient, ErrorEmitter {
  release(discard?: Error | boolean): void;
}

/** The application's or the store's `pg` pool, seen through what the store needs of it. */
export interface GuardedPostgresPool extends PostgresPool {
  /** Runs one statement on a connection of its own and resolves its rows: the hot queries' way to the pool, without Kysely. */
  run(text: string, parameters: readonly unknown[]): Promise<Row[]>;
}

/** A `pg` pool, with the counts `pg.Pool` keeps (absent from a structural look-alike). */
interface PgPool extends PostgresPool {
  readonly idleCount?: number;
  readonly waitingCount?: number;
}

/** pg-pool's callback-style `connect()`, which Kysely's structural type does not name. */
type CallbackConnect = (callback: (error: Error | undefined, client: PgClient) => void) => void;

/** Whether the pool has a client to spare: `connect()` then hands it over at once, with nothing to bound. */
const hasSpare = (pool: PgPool): boolean => (pool.idleCount ?? 0) > (pool.waitingCount ?? 0);

/**
 * Puts the store's bounds on a `pg` pool: a checkout waits at most `acquireTimeout`, a
 * statement at most `statementTimeout` plus `CLIENT_GRACE` (the server's own
 * `statement_timeout`, when set, answers first), and a client caught by either bound is
 * discarded, never returned to the pool; every client the store holds has an 'error'
 * listener. Statements with parameters run as named prepared statements when `nameOf` is
 * given. `end()` does nothing: the pool is ended by whoever made it.
 */
export function guardPostgresPool(pool: () => Promise<PostgresPool>, timeouts: SqlTimeouts, nameOf: StatementNamer | null): GuardedPostgresPool {
  const bound = clientBound(timeouts);
  let opened: PgPool | undefined;
  const checkout = async (): Promise<PgClient> => {
    const target: PgPool = opened ?? (opened = await pool());
    const client = (await (hasSpare(target)
      ? target.connect()
      : within(target.connect(), timeouts.acquireTimeout, 'waiting for a PostgreSQL connection', (late) => late.release()))) as PgClient;
    listenForErrors(client);
    return client;
  };
  /**
   * One statement on a spare client, in callbacks as `pg` works underneath, under one promise
   * and one timer: the session read behind every request takes this way, where each promise
   * more is a measurable share of the work.
   */
  const runOnSpare = (target: PgPool, text: string, parameters: readonly unknown[]): Promise<Row[]> =>
    new Promise<Row[]>((resolve, reject) => {
      let client: PgClient | undefined;
      let over = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (error: Error | null | undefined, rows?: Row[]): void => {
        if (over) return;
        over = true;
        if (timer !== undefined) clearTimeout(timer);
        client?.release(error ? connectionFailure(error) : undefined);
        if (error) reject(error);
        else resolve(rows!);
      };
      if (bound > 0) {
        timer = setTimeout(() => finish(new DatabaseTimeoutError(`gatehouse: a PostgreSQL statement took longer than ${bound} ms`)), bound);
        timer.unref();
      }
      (target.connect as unknown as CallbackConnect).call(target, (error, checkedOut) => {
        if (error) return finish(error);
        if (over) return checkedOut.release();
        client = checkedOut;
        listenForErrors(client);
        sendStatement(client, text, parameters, nameOf, (failure, result) => finish(failure, result?.rows));
      });
    });
  const statement = (client: PgClient, text: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<Row>> =>
    bounded(bound, 'a PostgreSQL statement', (done) => sendStatement(client, text, parameters, nameOf, done));
  /** One statement on a client checked out within the acquire bound. */
  const runOnCheckout = async (text: string, parameters: readonly unknown[]): Promise<Row[]> => {
    const client = await checkout();
    let failed: Error | undefined;
    try {
      return (await statement(client, text, parameters)).rows;
    } catch (error) {
      failed = connectionFailure(error);
      throw error;
    } finally {
      client.release(failed);
    }
  };
  return {
    connect: async () => guardedClient(await checkout(), statement),
    end: () => Promise.resolve(),
    run(text, parameters) {
      return opened !== undefined && hasSpare(opened) ? runOnSpare(opened, text, parameters) : runOnCheckout(text, parameters);
    },
  };
}

/**
 * The error to discard a client with, when `error` means its connection is gone: anything but
 * the server's answer to a statement (a network error, a client-side timeout), or a FATAL one
 * (the server ending the session). pg learns that the socket closed only a little later, and
 * would meanwhile hand the dead client to the next caller.
 */
function connectionFailure(error: unknown): Error | undefined {
  const severity = typeof error === 'object' && error !== null ? (error as { severity?: unknown }).severity : undefined;
  if (typeof severity === 'string' && severity !== 'FATAL' && severity !== 'PANIC') return undefined;
  return error instanceof Error ? error : new Error(String(error));
}

/** A checked-out client whose statements are bounded, and which is discarded on release once its connection failed or was given up. */
function guardedClient(client: PgClient, statement: (client: PgClient, text: string, parameters: ReadonlyArray<unknown>) => Promise<PostgresQueryResult<Row>>): PostgresPoolClient {
  let failed: Error | undefined;
  const send = async (text: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<Row>> => {
    // A statement given up may still be running: nothing more is sent on this connection
    // (a ROLLBACK would wait behind it); it is closed on release, and the server rolls back.
    if (failed !== undefined) throw failed;
    try {
      return await statement(client, text, parameters);
    } catch (error) {
      failed = connectionFailure(error);
      throw error;
    }
  };
  const query = ((textOrCursor: string | PostgresCursor<Row>, parameters?: ReadonlyArray<unknown>) =>
    typeof textOrCursor === 'string' ? send(textOrCursor, parameters ?? []) : client.query(textOrCursor)) as PostgresPoolClient['query'];
  return { query, release: () => client.release(failed) };
}
