import type { MysqlQueryResult } from 'kysely';

/*
 * Server-side prepared statements for the store's hot reads on MySQL/MariaDB.
 *
 * A text query (`mysql2`'s `query()`) costs, at every call, `mysql2`'s client-side formatting
 * — it scans the whole statement for `?` placeholders and writes the values into the text
 * (the session query is ~1.7 KB of SQL) — then the server's parse, and the text protocol's
 * decoding of every value from text. `execute()` prepares the statement once per connection
 * (`mysql2` keeps each connection's statements in a cache keyed by their text) and then sends
 * only the statement's id and the values, and reads the answer in the binary protocol. The
 * server still optimises the statement at every execution (MariaDB and MySQL keep no plans),
 * but it no longer parses it, and the node side of the session read roughly halves.
 *
 * A table changed by a migration is no obstacle: the server re-prepares a statement whose
 * tables changed on its own before executing it. A connection that is closed takes its
 * statements with it; a new one prepares them again on first use.
 */

/** A `mysql2` connection with its callback-style `execute()`, which Kysely's structural type does not name (a look-alike may lack it). */
export interface ExecutingConnection {
  execute?(sql: string, parameters: unknown[], callback: (error: unknown, result: MysqlQueryResult) => void): void;
  query(sql: string, parameters: unknown[], callback: (error: unknown, result: MysqlQueryResult) => void): void;
}

/**
 * Whether the store sends `sql` as a prepared statement: the reads it sends straight to the
 * pool (the session query, the session's stamp). The sign-in's `CALL`s stay text queries:
 * their result sets and the procedures' status answer differently in the binary protocol.
 */
export const isPreparedStatement = (sql: string): boolean => sql.startsWith('select ');

/**
 * Sends one statement on a connection and calls `callback` with its outcome: through
 * `execute()` (prepared once per connection) when `prepared` is set, {@link isPreparedStatement}
 * says so and the connection has it; through `query()` otherwise.
 */
export function sendStatement(
  connection: ExecutingConnection,
  sql: string,
  parameters: unknown[],
  prepared: boolean,
  callback: (error: unknown, result: MysqlQueryResult) => void,
): void {
  if (prepared && connection.execute !== undefined && isPreparedStatement(sql)) connection.execute(sql, parameters, callback);
  else connection.query(sql, parameters, callback);
}
