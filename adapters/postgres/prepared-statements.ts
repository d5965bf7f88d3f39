import { createHash } from 'node:crypto';
import type { PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type { Row } from '../sql/rows.js';

/** A query as `pg` takes it: with a `name`, `pg` prepares it once per connection. */
interface QueryConfig {
  name?: string;
  text: string;
  values: unknown[];
}

/** A `pg` client's callback-style `query()`, which Kysely's structural type does not name. */
type ClientQuery = (config: QueryConfig, callback: (error: Error | null, result: PostgresQueryResult<Row>) => void) => void;

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
 * Sends one statement on a client and calls `callback` with its outcome, as a named prepared
 * statement when it has parameters and `nameOf` names it: PostgreSQL then parses and plans it
 * once per connection instead of on every call, which halves the cost of the session query.
 * Statements without parameters (`begin`, `commit`) go as they are. Callback-style, as `pg`
 * is underneath: a promise per statement is left to the caller.
 */
export function sendStatement(
  client: PostgresPoolClient,
  text: string,
  parameters: ReadonlyArray<unknown>,
  nameOf: StatementNamer | null,
  callback: (error: Error | null, result: PostgresQueryResult<Row>) => void,
): void {
  const name = parameters.length > 0 ? nameOf?.(text) : undefined;
  const config: QueryConfig = name === undefined ? { text, values: [...parameters] } : { name, text, values: [...parameters] };
  (client.query as unknown as ClientQuery).call(client, config, callback);
}
