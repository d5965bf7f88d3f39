import { sql, type Kysely } from 'kysely';
import { AuthError } from 'gatehouse';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, TABLE_NAMES } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';

/**
 * Refuses to migrate into a database that already holds tables (or views) with the names
 * gatehouse would create — a legacy user module's `roles`, say — before anything is created:
 * the migrations would fail half-way and leave gatehouse's other tables behind.
 *
 * Checked on the first migration with this prefix only (no `<prefix>gatehouse_migration`
 * yet): once gatehouse has migrated a database, tables with its names are its own, and a
 * concurrent `migrate()` must not take the tables another one is creating for foreign ones.
 *
 * @throws {AuthError} CONFLICT — names the tables and suggests a table prefix.
 */
export async function refuseForeignTables<DB>(db: Kysely<DB>, dialect: SqlDialect, prefix: string): Promise<void> {
  const schema = dialect.name === 'postgres' ? sql`current_schema()` : sql`database()`;
  const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${schema}`.execute(db);
  // Lower-cased: MySQL on Windows and macOS compares table names case-insensitively.
  const existing = new Set(rows.map((row) => row.name.toLowerCase()));
  if (existing.has(`${prefix}${MIGRATION_TABLE}`)) return;
  const taken = [...TABLE_NAMES, MIGRATION_TABLE, MIGRATION_LOCK_TABLE].map((name) => `${prefix}${name}`).filter((name) => existing.has(name));
  if (taken.length === 0) return;
  const suggestion = prefix === '' ? 'auth_' : `${prefix}auth_`;
  throw new AuthError('CONFLICT', {
    message:
      `gatehouse did not migrate: this database already has ${taken.length === 1 ? 'a table' : 'tables'} named ${taken.join(', ')}, which gatehouse did not create. ` +
      `Nothing was created. Give gatehouse's tables a prefix of their own — tablePrefix: '${suggestion}' in the store's options, ` +
      `or --table-prefix ${suggestion} on the command line — and use the same prefix when the application runs.`,
  });
}
