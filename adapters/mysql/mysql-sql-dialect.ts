import { sql, type SqlBool } from 'kysely';
import type { SqlDialect } from '../sql/sql-dialect.js';
import { toUtcDatetime, UtcDatetimePlugin } from './utc-datetime-plugin.js';

const field = (error: unknown, name: string): unknown =>
  typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;

/** `ER_DUP_ENTRY`: "Duplicate entry 'x' for key 'name'" (MySQL 8 writes 'table.name'). */
const ER_DUP_ENTRY = 1062;
/** InnoDB chose this transaction as the victim of a deadlock and rolled it back. */
const ER_LOCK_DEADLOCK = 1213;
/** `ER_NO_REFERENCED_ROW_2` and its older form: a foreign key points at a missing row. */
const FOREIGN_KEY_ERRORS: ReadonlySet<unknown> = new Set([1452, 1216]);

/**
 * MySQL's and MariaDB's side of the SQL differences: `DATETIME(3)` in UTC, `JSON` (text in
 * MariaDB), the session query as joined rows, `ON DUPLICATE KEY UPDATE`, no `UPDATE … RETURNING`,
 * tables in `utf8mb4` with a binary collation (exact comparisons; emails are unique through
 * their lower-cased generated column), and error numbers for constraint violations.
 */
export const mysqlSqlDialect: SqlDialect = {
  name: 'mysql',
  types: {
    id: sql.raw('varchar(36)'),
    code: (length) => sql.raw(`varchar(${length})`),
    string: (length) => sql.raw(`varchar(${length})`),
    text: sql.raw('text'),
    timestamp: sql.raw('datetime(3)'),
    boolean: sql.raw('boolean'),
    integer: sql.raw('integer'),
    bigint: sql.raw('bigint'),
    json: sql.raw('json'),
  },
  tableOptions: sql.raw('engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin'),
  updateReturning: false,
  updateFrom: 'join',
  json: {
    array: (values) => sql`json_array(${sql.join(values)})`,
    arrayAgg: (value) => sql`coalesce(json_arrayagg(${value}), json_array())`,
    // The DATETIME(3) as text ("2030-01-01 00:00:00.123"; MySQL 8 writes six digits): UTC, as
    // gatehouse writes it. UNIX_TIMESTAMP() would read it in the connection's time zone.
    instant: (instant) => sql`${instant}`,
  },
  sessionAssignments: 'rows',
  // Not a top-level EXISTS any more, so neither MariaDB nor MySQL 8 flattens it into a semi-join.
  drive: (subquery) => subquery,
  probe: (subquery) => sql<SqlBool>`(exists (${subquery})) = 1`,
  plugins: [new UtcDatetimePlugin()],
  onConflict(query, conflict, set) {
    // "Do nothing" as a no-op update: INSERT IGNORE would also ignore foreign-key errors.
    const first = conflict[0]!;
    // `set` is checked against the table by the interface; the generic signature cannot restate it.
    return query.onDuplicateKeyUpdate((set ?? { [first]: sql.ref(first) }) as never);
  },
  placeholder: () => '?',
  quoteIdentifier: (name) => `\`${name.replace(/`/g, '``')}\``,
  toParameter: (value) => (value instanceof Date ? toUtcDatetime(value) : value),
  uniqueViolation(error) {
    if (field(error, 'errno') !== ER_DUP_ENTRY) return null;
    const message = field(error, 'sqlMessage') ?? field(error, 'message');
    const key = typeof message === 'string' ? /for key '(?:[^']*\.)?([^'.]+)'/.exec(message) : null;
    return key?.[1] ?? '';
  },
  isForeignKeyViolation(error) {
    return FOREIGN_KEY_ERRORS.has(field(error, 'errno'));
  },
  isDeadlock(error) {
    return field(error, 'errno') === ER_LOCK_DEADLOCK;
  },
};
