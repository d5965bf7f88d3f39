import type { MysqlPool, MysqlPoolConnection, MysqlQueryResult } from 'kysely';
import { listenForErrors, type ErrorEmitter } from '../sql/connection-errors.js';
import type { Row } from '../sql/rows.js';
import { bounded, clientBound, DatabaseTimeoutError, within, type SqlTimeouts } from '../sql/timeouts.js';
import { sendStatement, type ExecutingConnection } from './prepared-statements.js';

/** A `mysql2` pool connection as the pool hands it out: an event emitter that can be destroyed instead of released. */
interface PoolConnection extends MysqlPoolConnection, ErrorEmitter {
  execute?: ExecutingConnection['execute'];
  destroy?(): void;
}

/** A guarded connection, which the hot reads also send prepared statements through. */
interface GuardedConnection extends MysqlPoolConnection {
  /** Sends one statement, bounded; prepared when `prepared` is set and it is one of the prepared reads. */
  send(sql: string, parameters: unknown[], prepared: boolean, callback: (error: unknown, result: MysqlQueryResult) => void): void;
}

/** The application's or the store's `mysql2` pool, seen through what the store needs of it. */
export interface GuardedMysqlPool extends MysqlPool {
  /** Runs one statement on a connection of its own and resolves its rows: the hot queries' way to the pool, without Kysely. */
  run(sql: string, parameters: readonly unknown[]): Promise<Row[]>;
}

/**
 * Puts the store's bounds on a `mysql2` pool (which has no acquire timeout of its own): a
 * checkout waits at most `acquireTimeout`, a statement at most `statementTimeout` plus
 * `CLIENT_GRACE` (the server's own limit, when set, answers first), and a connection
 * caught by either bound is destroyed, never returned to the pool; every connection the
 * store holds has an 'error' listener. With `prepared`, the reads `run()` sends go as
 * server-side prepared statements (`prepared-statements.ts`). `end()` does nothing: the pool is
 * ended by whoever made it.
 */
export function guardMysqlPool(pool: () => Promise<MysqlPool>, timeouts: SqlTimeouts, prepared = false): GuardedMysqlPool {
  const statementBound = clientBound(timeouts);
  const connect = async (): Promise<GuardedConnection> => {
    const target = await pool();
    const checkout = new Promise<PoolConnection>((resolve, reject) => target.getConnection((error, connection) => (error ? reject(error) : resolve(connection as PoolConnection))));
    const connection = await within(checkout, timeouts.acquireTimeout, 'waiting for a MySQL connection', (late) => late.release());
    listenForErrors(connection);
    return guardedConnection(connection, statementBound);
  };
  return {
    getConnection: (callback) => void connect().then((connection) => callback(null, connection), (error: unknown) => callback(error, undefined as never)),
    end: (callback) => callback(null),
    async run(sql, parameters) {
      const connection = await connect();
      try {
        const rows = await new Promise<MysqlQueryResult>((resolve, reject) => connection.send(sql, [...parameters], prepared, (error, result) => (error ? reject(error) : resolve(result))));
        return Array.isArray(rows) ? (rows as Row[]) : [];
      } finally {
        connection.release();
      }
    },
  };
}

/** Whether an error means the connection itself is gone: `mysql2` marks those `fatal`; a client-side timeout gives the connection up too. */
const endsConnection = (error: unknown): boolean =>
  error instanceof DatabaseTimeoutError || (typeof error === 'object' && error !== null && (error as { fatal?: unknown }).fatal === true);

/** A checked-out connection whose statements are bounded, and which is destroyed on release once it failed or was given up. */
function guardedConnection(connection: PoolConnection, bound: number): GuardedConnection {
  let failed: unknown = null;
  const send = (sql: string, parameters: unknown[], prepared: boolean, callback: (error: unknown, result: MysqlQueryResult) => void): void => {
    // A statement given up may still be running: nothing more is sent on this connection
    // (a ROLLBACK would wait behind it); it is destroyed on release, and the server rolls back.
    if (failed !== null) {
      const error = failed;
      queueMicrotask(() => callback(error, []));
      return;
    }
    bounded<MysqlQueryResult>(bound, 'a MySQL statement', (done) =>
      sendStatement(connection, sql, parameters, prepared, (error, result) => done(error as Error | null, result)),
    ).then(
      (result) => callback(null, result),
      (error: unknown) => {
        if (endsConnection(error)) failed = error;
        callback(error, []);
      },
    );
  };
  const query = ((sql: string, parameters: unknown[], callback?: (error: unknown, result: MysqlQueryResult) => void) =>
    callback === undefined ? connection.query(sql, parameters) : send(sql, parameters, false, callback)) as MysqlPoolConnection['query'];
  return {
    query,
    send,
    release: () => (failed !== null && typeof connection.destroy === 'function' ? connection.destroy() : connection.release()),
  };
}
