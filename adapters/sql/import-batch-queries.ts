import { CompiledQuery } from 'kysely';
import type { UserRecord } from 'gatehouse';
import { userRow } from './rows.js';
import { USER_COLUMNS } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';

/*
 * The one statement that writes many users' rows at once, for an import that updates the
 * users an earlier run made. The databases disagree on how: PostgreSQL reads the rows from
 * one JSON parameter typed by the table's own row type; MySQL and MariaDB join the table to
 * the rows as a derived table of parameters.
 */

/** The columns an update writes: every one but the id and the creation time. */
const WRITTEN = USER_COLUMNS.filter((c) => c !== 'id' && c !== 'created_at');

/** Users per statement on MySQL/MariaDB: 14 parameters each, far under the 65,535 a statement takes. */
const USERS_PER_STATEMENT = 1000;

/** The statements that write every field of `users` but `id` and `createdAt` (one per thousand users on MySQL/MariaDB, one on PostgreSQL). */
export function updateUsersStatements(dialect: SqlDialect, prefix: string, users: readonly UserRecord[]): CompiledQuery[] {
  const q = (name: string): string => dialect.quoteIdentifier(name);
  const table = q(`${prefix}users`);
  if (dialect.name === 'postgres') {
    const set = WRITTEN.map((c) => `${q(c)} = v.${q(c)}`).join(', ');
    // json_populate_recordset types each field by the table's column (timestamptz, jsonb, boolean).
    // The attributes as JSON themselves, not as text: the JSON parameter carries them as they are.
    const rows = users.map((u) => ({ ...userRow(u), attributes: u.attributes }));
    const text = `update ${table} as u set ${set} from json_populate_recordset(null::${table}, $1::json) as v where u.${q('id')} = v.${q('id')}`;
    return [CompiledQuery.raw(text, [JSON.stringify(rows)])];
  }
  const statements: CompiledQuery[] = [];
  for (let start = 0; start < users.length; start += USERS_PER_STATEMENT) {
    const parameters: unknown[] = [];
    const selects = users.slice(start, start + USERS_PER_STATEMENT).map((u, i) => {
      const values = userRow(u);
      const columns = ['id' as const, ...WRITTEN];
      // The first select names the derived table's columns; the others follow by position.
      return `select ${columns.map((c) => (parameters.push(dialect.toParameter(values[c])), i === 0 ? `? as ${q(c)}` : '?')).join(', ')}`;
    });
    const text = `update ${table} as u join (${selects.join(' union all ')}) as v on u.${q('id')} = v.${q('id')} set ${WRITTEN.map((c) => `u.${q(c)} = v.${q(c)}`).join(', ')}`;
    statements.push(CompiledQuery.raw(text, parameters));
  }
  return statements;
}
