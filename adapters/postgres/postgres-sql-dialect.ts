import { sql, type SqlBool } from 'kysely';
import type { SqlDialect } from '../sql/sql-dialect.js';

const field = (error: unknown, name: string): unknown =>
  typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;

/**
 * PostgreSQL's side of the SQL differences: `timestamptz`, `jsonb`, the session query as one JSON document,
 * `ON CONFLICT`, `UPDATE … RETURNING`, and SQLSTATE codes for constraint violations.
 */
export const postgresSqlDialect: SqlDialect = {
  name: 'postgres',
  types: {
    // Codes and hashes sort and compare byte by byte whatever the database's locale.
    id: sql.raw('varchar(36) collate "C"'),
    code: (length) => sql.raw(`varchar(${length}) collate "C"`),
    string: (length) => sql.raw(`varchar(${length})`),
    text: sql.raw('text'),
    timestamp: sql.raw('timestamptz'),
    boolean: sql.raw('boolean'),
    integer: sql.raw('integer'),
    bigint: sql.raw('bigint'),
    json: sql.raw('jsonb'),
  },
  tableOptions: null,
  updateReturning: true,
  updateFrom: 'from',
  json: {
    array: (values) => sql`json_build_array(${sql.join(values)})`,
    arrayAgg: (value) => sql`coalesce(json_agg(${value}), '[]'::json)`,
    // date_part() is a double, a JSON number at once: since PostgreSQL 14 extract() is a numeric,
    // and numeric arithmetic and its cast to float8 cost ~1-3 µs of server CPU per instant (14+
    // per session query). A double misses the millisecond by a hair: readers round.
    instant: (instant) => sql`date_part('epoch', ${instant}) * 1000`,
  },
  sessionAssignments: 'document',
  drive: (subquery) => sql`(${subquery} offset 0)`,
  probe: (subquery) => sql<SqlBool>`exists (${subquery} offset 0)`,
  plugins: [],
  onConflict(query, conflict, set) {
    // `set` is checked against the table by the interface; Kysely's ON CONFLICT view of it
    // (with `excluded`) is a wider type the generic signature cannot name.
    return query.onConflict((oc) => (set === null ? oc.columns(conflict).doNothing() : oc.columns(conflict).doUpdateSet(set as never)));
  },
  placeholder: (index) => `$${index}`,
  quoteIdentifier: (name) => `"${name.replace(/"/g, '""')}"`,
  toParameter: (value) => value,
  uniqueViolation(error) {
    // 23505 unique_violation; the driver names the violated index in `constraint`.
    if (field(error, 'code') !== '23505') return null;
    const constraint = field(error, 'constraint');
    return typeof constraint === 'string' ? constraint : '';
  },
  isForeignKeyViolation(error) {
    return field(error, 'code') === '23503';
  },
  isDeadlock(error) {
    // 40P01 deadlock_detected, 40001 serialization_failure.
    const code = field(error, 'code');
    return code === '40P01' || code === '40001';
  },
};
