import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type { DirectQuery } from '../sql/sql-auth-store.js';
import type { Row } from '../sql/rows.js';

/** A query as `pg` takes it: with a `name`, `pg` prepares it once per connection. */
interface QueryConfig {
  name?: string;
  text: string;
  values: unknown[];
}

/** A `pg` pool's own `query()`, present on `pg.Pool` though not part of what Kysely needs. */
type PoolQuery = (config: QueryConfig) => Promise<PostgresQueryResult<Row>>;

/** Beyond this many distinct statements, new ones run unprepared (the store sends a few dozen). */
const MAX_STATEMENTS = 500;

/** Names statements after their text; `undefined` once too many were named. */
export type StatementNamer = (text: string) => string | undefined;

/** A namer with its own cache: one per pool. */
export function statementNamer(): StatementNamer {
  const names = new Map<string, string>();
  return (text) => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_STATEMENTS) {
      name = `gatehouse_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
      names.set(text, name);
    }
    return name;
  };
}

/**
 * Wraps a `pg` pool so that every parameterised query the store sends runs as a named
 * prepared statement: PostgreSQL parses and plans it once per connection instead of on
 * every call, which halves the cost of the session query. Statements without parameters
 * (`begin`, `commit`) pass through. Only the store's own queries go through the wrapper.
 */
export function withPreparedStatements(pool: PostgresPool, nameOf: StatementNamer): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      const query = ((sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) => {
        const name = typeof sqlOrCursor === 'string' && parameters !== undefined && parameters.length > 0 ? nameOf(sqlOrCursor) : undefined;
        if (name !== undefined) return (client.query as unknown as PoolQuery).call(client, { name, text: sqlOrCursor as string, values: [...parameters!] });
        return (client.query as (...args: unknown[]) => unknown).call(client, sqlOrCursor, parameters);
      }) as PostgresPoolClient['query'];
      return { query, release: () => client.release() };
    },
    end: () => pool.end(),
  };
}

/**
 * The hot queries' way to the pool without Kysely in between, or `null` when the pool has
 * no `query()` of its own (a structural look-alike of `pg.Pool`).
 */
export function directQuery(pool: () => Promise<PostgresPool>, nameOf: StatementNamer | null): DirectQuery {
  return async (text, parameters) => {
    const target = (await pool()) as PostgresPool & { query?: PoolQuery };
    const name = nameOf?.(text);
    const config: QueryConfig = name === undefined ? { text, values: [...parameters] } : { name, text, values: [...parameters] };
    return (await (target.query as PoolQuery).call(target, config)).rows;
  };
}

/** Whether a pool has `pg.Pool`'s `query()`, which {@link directQuery} needs. */
export function hasQuery(pool: PostgresPool): boolean {
  return typeof (pool as { query?: unknown }).query === 'function';
}
