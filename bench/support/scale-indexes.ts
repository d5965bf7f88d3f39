/**
 * The secondary indexes (and, on PostgreSQL, the foreign keys) of the tables the scale bench
 * fills, set aside for the load and rebuilt afterwards from the migrated schema's own
 * definitions: read from the server (`pg_indexes` / `pg_get_constraintdef()`, MariaDB's
 * `SHOW CREATE TABLE`) just before they are dropped, replayed as they were, and compared with
 * the schema afterwards. Nothing here spells an index: whatever the migrations created, and
 * only that, comes back. Building an index once over ten million rows costs a sort; keeping
 * six of them up to date row by row cost most of an hour.
 *
 * Primary keys stay (other tables' foreign keys need `users.id`). PostgreSQL checks each
 * foreign key by a trigger per inserted row (a look-up and a row lock on `users`), so those of
 * the filled tables are dropped too and added back, which checks every row in one join.
 * MariaDB's loads run with `foreign_key_checks = 0` for the statement instead
 * (`SET STATEMENT … FOR`, MariaDB only: on MySQL 8 a session `SET foreign_key_checks = 0` on
 * the loading connection), which also lets it drop an index a foreign key needs.
 */
export type IndexKind = 'postgres' | 'mysql';

/** Runs one raw statement; answers the rows. */
export type Execute = (statement: string, parameters?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** The tables the scale bench fills (without prefix). */
export const LOADED_TABLES = ['users', 'user_roles', 'user_search_words', 'activities'] as const;

/** What was set aside, to be put back by {@link rebuild}. */
export interface SetAside {
  /** Per table, the statements that put its indexes and foreign keys back, in order. */
  readonly restore: readonly { readonly table: string; readonly statements: readonly string[] }[];
  /** The schema's description of the tables before anything was dropped ({@link describe}). */
  readonly before: string;
  /** Names of what was dropped, for the report. */
  readonly names: readonly string[];
}

/**
 * Every index and constraint of the tables as the server describes them, one per line,
 * sorted: equal before the drop and after the rebuild when the rebuild is exact.
 */
export async function describe(kind: IndexKind, execute: Execute, tables: readonly string[]): Promise<string> {
  if (kind === 'postgres') {
    const indexes = await execute(`select tablename, indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = any($1::text[])`, [tables]);
    const constraints = await execute(
      `select c.relname as tablename, k.conname, pg_get_constraintdef(k.oid) as def, k.convalidated
         from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relname = any($1::text[])`,
      [tables],
    );
    return [
      ...indexes.map((r) => `${String(r['tablename'])} index ${String(r['indexname'])}: ${String(r['indexdef'])}`),
      ...constraints.map((r) => `${String(r['tablename'])} constraint ${String(r['conname'])}: ${String(r['def'])}${r['convalidated'] === true ? '' : ' NOT VALID'}`),
    ]
      .sort()
      .join('\n');
  }
  const lines: string[] = [];
  for (const table of tables) lines.push(...(await createTableLines(execute, table)).map((line) => `${table}: ${line}`));
  return lines.sort().join('\n');
}

/** The lines of MariaDB's `SHOW CREATE TABLE` between the parentheses, without trailing commas. */
async function createTableLines(execute: Execute, table: string): Promise<string[]> {
  const [row] = await execute(`show create table \`${table}\``);
  const text = String(row!['Create Table']);
  return text
    .slice(text.indexOf('(\n') + 2, text.lastIndexOf('\n)'))
    .split('\n')
    .map((line) => line.trim().replace(/,$/, ''));
}

const MYSQL_SECONDARY = /^(UNIQUE |FULLTEXT |SPATIAL )?KEY `([^`]+)`/;

/** Drops the secondary indexes (and on PostgreSQL the foreign keys) of `tables`; answers how to put them back. */
export async function setAside(kind: IndexKind, execute: Execute, tables: readonly string[]): Promise<SetAside> {
  const before = await describe(kind, execute, tables);
  const restore: { table: string; statements: string[] }[] = [];
  const names: string[] = [];
  if (kind === 'postgres') {
    const indexes = await execute(
      `select i.tablename, i.indexname, i.indexdef from pg_indexes i
        where i.schemaname = current_schema() and i.tablename = any($1::text[])
          and not exists (select 1 from pg_constraint k where k.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)
        order by i.tablename, i.indexname`,
      [tables],
    );
    const keys = await execute(
      `select c.relname as tablename, k.conname, pg_get_constraintdef(k.oid) as def
         from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relname = any($1::text[]) and k.contype = 'f'
        order by c.relname, k.conname`,
      [tables],
    );
    for (const table of tables) {
      const statements = [
        ...indexes.filter((r) => r['tablename'] === table).map((r) => String(r['indexdef'])),
        ...keys.filter((r) => r['tablename'] === table).map((r) => `alter table "${table}" add constraint "${String(r['conname'])}" ${String(r['def'])}`),
      ];
      if (statements.length > 0) restore.push({ table, statements });
    }
    for (const r of keys) {
      await execute(`alter table "${String(r['tablename'])}" drop constraint "${String(r['conname'])}"`);
      names.push(String(r['conname']));
    }
    for (const r of indexes) {
      await execute(`drop index "${String(r['indexname'])}"`);
      names.push(String(r['indexname']));
    }
    return { restore, before, names };
  }
  for (const table of tables) {
    const keys = (await createTableLines(execute, table)).filter((line) => MYSQL_SECONDARY.test(line));
    if (keys.length === 0) continue;
    const keyNames = keys.map((line) => MYSQL_SECONDARY.exec(line)![2]!);
    // One ALTER per table: the rebuild reads the table once for all of its indexes.
    await execute(`set statement foreign_key_checks = 0 for alter table \`${table}\` ${keyNames.map((name) => `drop index \`${name}\``).join(', ')}`);
    restore.push({ table, statements: [`set statement foreign_key_checks = 0 for alter table \`${table}\` ${keys.map((line) => `add ${line}`).join(', ')}`] });
    names.push(...keyNames);
  }
  return { restore, before, names };
}

/**
 * Puts back what {@link setAside} dropped and checks that the tables' indexes and constraints
 * are again exactly what they were.
 * @throws {Error} — when the schema differs from before the drop.
 */
export async function rebuild(kind: IndexKind, execute: Execute, tables: readonly string[], aside: SetAside): Promise<void> {
  for (const { statements } of aside.restore) {
    for (const statement of statements) {
      // A sort in memory rather than in temporary files: `set local` lasts for this message's
      // implicit transaction only, so the pooled connection keeps the server's setting.
      await execute(kind === 'postgres' ? `set local maintenance_work_mem = '1GB'; ${statement}` : statement);
    }
  }
  const after = await describe(kind, execute, tables);
  if (after !== aside.before) throw new Error(`the rebuilt indexes differ from the migrated schema's:\nbefore:\n${aside.before}\nafter:\n${after}`);
}
