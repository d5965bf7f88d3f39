import { createHash } from 'node:crypto';
import type { PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type { Row } from '../sql/rows.js';

/** A query as `pg` takes it: with a `name`, `pg` prepares it once per connection. */
interface QueryConfig {
  name?: string;
  text: string;
  values: unknown[];
}

/** A `pg` client's `query()` taking a query config, which Kysely's structural type does not name. */
type ClientQuery = (config: QueryConfig) => Promise<PostgresQueryResult<Row>>;

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
 * Sends one statement on a client, as a named prepared statement when it has parameters and
 * `nameOf` names it: PostgreSQL then parses and plans it once per connection instead of on
 * every call, which halves the cost of the session query. Statements without parameters
 * (`begin`, `commit`) go as they are.
 */
export function sendStatement(client: PostgresPoolClient, text: string, parameters: ReadonlyArray<unknown>, nameOf: StatementNamer | null): Promise<PostgresQueryResult<Row>> {
  const name = parameters.length > 0 ? nameOf?.(text) : undefined;
  if (name === undefined) return client.query<Row>(text, parameters);
  return (client.query as unknown as ClientQuery).call(client, { name, text, values: [...parameters] });
}
