import { createPool, type Pool as MysqlPool } from 'mysql2';
import pg from 'pg';
import type { SqlKind } from './sql-servers.js';

/**
 * A driver pool that records every statement it sends to the server — BEGIN, COMMIT and the
 * statements of Kysely and of the store's hot path alike — counted on the driver's
 * connections, beneath everything gatehouse does.
 */
export interface CountingPool {
  /** The pool, for `{ pool }` of the store of `kind`. */
  readonly pool: pg.Pool | MysqlPool;
  /** The statements sent since the last {@link reset}, in order. */
  readonly sent: readonly string[];
  /** Forgets what was sent so far. */
  reset(): void;
  end(): Promise<void>;
}

/** The text of what a driver's `query()` was given: a string, or a config object with `text` / `sql`. */
function textOf(query: unknown): string {
  if (typeof query === 'string') return query;
  if (typeof query === 'object' && query !== null) {
    const { text, sql } = query as { text?: unknown; sql?: unknown };
    if (typeof text === 'string') return text;
    if (typeof sql === 'string') return sql;
  }
  return String(query);
}

/** A pool on `url` counting its statements (see {@link CountingPool}). */
export function countingPool(kind: SqlKind, url: string): CountingPool {
  const sent: string[] = [];
  const record = (query: unknown): void => void sent.push(textOf(query).replace(/\s+/g, ' ').trim());
  if (kind === 'postgres') {
    class CountingClient extends pg.Client {
      override query(...args: unknown[]): never {
        record(args[0]);
        return (super.query as (...a: unknown[]) => never)(...args);
      }
    }
    const pool = new pg.Pool({ connectionString: url, max: 4, Client: CountingClient });
    pool.on('error', () => undefined);
    return { pool, sent, reset: () => void sent.splice(0), end: () => pool.end() };
  }
  const pool = createPool({ uri: url, timezone: 'Z', connectionLimit: 4 });
  pool.on('connection', (connection) => {
    for (const method of ['query', 'execute'] as const) {
      const original = connection[method].bind(connection) as (...a: unknown[]) => unknown;
      (connection as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        record(args[0]);
        return original(...args);
      };
    }
  });
  return { pool, sent, reset: () => void sent.splice(0), end: () => pool.promise().end() };
}
