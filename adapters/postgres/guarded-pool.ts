import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { listenForErrors, type ErrorEmitter } from '../sql/connection-errors.js';
import type { Row } from '../sql/rows.js';
import { clientBound, within, type SqlTimeouts } from '../sql/timeouts.js';
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

const ignore = (): void => undefined;

/**
 * Puts the store's bounds on a `pg` pool: a checkout waits at most `acquireTimeout`, a
 * statement at most `statementTimeout` plus `CLIENT_GRACE` (the server's own
 * `statement_timeout`, when set, answers first), and a client caught by either bound is
 * discarded, never returned to the pool; every client the store holds has an 'error'
 * listener. Statements with parameters run as named prepared statements when `nameOf` is
 * given. `end()` does nothing: the pool is ended by whoever made it.
 */
export function guardPostgresPool(pool: () => Promise<PostgresPool>, timeouts: SqlTimeouts, nameOf: StatementNamer | null): GuardedPostgresPool {
  const statementBound = clientBound(timeouts);
  const connect = async (): Promise<PostgresPoolClient> => {
    const target = await pool();
    const client = await within(target.connect() as Promise<PgClient>, timeouts.acquireTimeout, 'waiting for a PostgreSQL connection', (late) => late.release());
    listenForErrors(client);
    return guardedClient(client, statementBound, nameOf);
  };
  return {
    connect,
    end: () => Promise.resolve(),
    async run(text, parameters) {
      const client = await connect();
      try {
        return (await client.query<Row>(text, parameters)).rows;
      } finally {
        client.release();
      }
    },
  };
}

/**
 * Whether an error means the connection itself is gone: anything but the server's answer to
 * a statement (a network error, a client-side timeout), or a FATAL one (the server ending
 * the session). pg learns that the socket closed only a little later, and would meanwhile
 * hand the dead client to the next caller.
 */
const endsConnection = (error: unknown): boolean => {
  const severity = typeof error === 'object' && error !== null ? (error as { severity?: unknown }).severity : undefined;
  return typeof severity !== 'string' || severity === 'FATAL' || severity === 'PANIC';
};

/** A checked-out client whose statements are bounded, and which is discarded on release once its connection failed or was given up. */
function guardedClient(client: PgClient, bound: number, nameOf: StatementNamer | null): PostgresPoolClient {
  let failed: Error | null = null;
  const statement = async (text: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<Row>> => {
    // A statement given up may still be running: nothing more is sent on this connection
    // (a ROLLBACK would wait behind it); it is closed on release, and the server rolls back.
    if (failed !== null) throw failed;
    try {
      return await within(sendStatement(client, text, parameters, nameOf), bound, 'a PostgreSQL statement', ignore);
    } catch (error) {
      if (endsConnection(error)) failed = error instanceof Error ? error : new Error(String(error));
      throw error;
    }
  };
  const query = ((textOrCursor: string | PostgresCursor<Row>, parameters?: ReadonlyArray<unknown>) =>
    typeof textOrCursor === 'string' ? statement(textOrCursor, parameters ?? []) : client.query(textOrCursor)) as PostgresPoolClient['query'];
  return { query, release: () => client.release(failed ?? undefined) };
}
