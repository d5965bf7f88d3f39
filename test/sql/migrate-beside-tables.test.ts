import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isAuthError } from 'gatehouse';
import { MysqlAuthStore } from 'gatehouse/mysql';
import { EXIT, runCli } from '../../adapters/cli/run-cli.js';
import { TABLE_NAMES } from '../../adapters/sql/schema.js';
import { describeSql, SQL_KINDS, type SqlKind, type TestDatabase } from '../support/sql-servers.js';
import { MIGRATIONS } from '../support/migrations.js';
import { createLegacyDatabase, fillLegacyFixtures, type LegacyDatabase } from '../support/legacy-db.js';

/** Every foreign key gatehouse's schema must have, with its ON DELETE, written out by hand. */
const EXPECTED_FOREIGN_KEYS = [
  'activities.actor_id → users.id SET NULL',
  'activities.subject_id → users.id SET NULL',
  'login_attempts.user_id → users.id CASCADE',
  'one_time_keys.user_id → users.id CASCADE',
  'password_history.user_id → users.id CASCADE',
  'role_permissions.permission_code → permissions.code CASCADE',
  'role_permissions.role_code → roles.code CASCADE',
  'sessions.user_id → users.id CASCADE',
  'two_factor.user_id → users.id CASCADE',
  'user_roles.assigned_by → users.id SET NULL',
  'user_roles.role_code → roles.code CASCADE',
  'user_roles.user_id → users.id CASCADE',
];

/** Keys of tables of later migrations, declared table-level from the start (MySQL kept them): 0005 leaves them alone. */
const LATER_FOREIGN_KEYS = ['user_devices.user_id → users.id CASCADE', 'user_identifiers.user_id → users.id CASCADE', 'user_search_words.user_id → users.id CASCADE'];
const LATER_TABLES = new Set(LATER_FOREIGN_KEYS.map((line) => line.slice(0, line.indexOf('.'))));

/** Every foreign key of the current schema. */
const ALL_FOREIGN_KEYS = [...EXPECTED_FOREIGN_KEYS, ...LATER_FOREIGN_KEYS].sort();

/** The migrations from 0005 on: undone by hand (their records deleted), they all run again. */
const FROM_0005 = MIGRATIONS.slice(MIGRATIONS.indexOf('0005_foreign_keys'));
const undoFrom0005 = (prefix: string): string => `delete from ${prefix}gatehouse_migration where name >= '0005_foreign_keys'`;

/** The foreign keys `information_schema` reports for tables with `prefix`, one line each (duplicates kept). */
async function foreignKeys(db: TestDatabase, prefix: string): Promise<{ lines: string[]; names: { table: string; name: string }[] }> {
  const rows =
    db.kind === 'postgres'
      ? await db.query(`
          select kcu.table_name as t, kcu.column_name as c, ccu.table_name as rt, ccu.column_name as rc, rc.delete_rule as d, rc.constraint_name as n
          from information_schema.referential_constraints rc
          join information_schema.key_column_usage kcu on kcu.constraint_schema = rc.constraint_schema and kcu.constraint_name = rc.constraint_name
          join information_schema.constraint_column_usage ccu on ccu.constraint_schema = rc.constraint_schema and ccu.constraint_name = rc.constraint_name
          where rc.constraint_schema = current_schema()`)
      : await db.query(`
          select kcu.table_name as t, kcu.column_name as c, kcu.referenced_table_name as rt, kcu.referenced_column_name as rc, rc.delete_rule as d, rc.constraint_name as n
          from information_schema.referential_constraints rc
          join information_schema.key_column_usage kcu on kcu.constraint_schema = rc.constraint_schema and kcu.constraint_name = rc.constraint_name and kcu.table_name = rc.table_name
          where rc.constraint_schema = database()`);
  const strip = (name: unknown): string => String(name).slice(prefix.length);
  const own = rows.filter((r) => String(r['t']).startsWith(prefix) && (TABLE_NAMES as readonly string[]).includes(strip(r['t'])));
  return {
    lines: own.map((r) => `${strip(r['t'])}.${String(r['c'])} → ${strip(r['rt'])}.${String(r['rc'])} ${String(r['d'])}`).sort(),
    names: own.map((r) => ({ table: String(r['t']), name: String(r['n']) })),
  };
}

/** Drops every foreign key of the tables of 0001 and 0002 with `prefix`: the state MySQL left them in. */
async function dropForeignKeys(db: TestDatabase, prefix: string): Promise<void> {
  const { names } = await foreignKeys(db, prefix);
  for (const { table, name } of names) {
    if (LATER_TABLES.has(table.slice(prefix.length))) continue;
    await db.query(db.kind === 'postgres' ? `alter table "${table}" drop constraint "${name}"` : `alter table \`${table}\` drop foreign key \`${name}\``);
  }
}

const ts = (kind: SqlKind): string => (kind === 'postgres' ? 'now()' : 'now(3)');

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: foreign keys MySQL keeps`, (db) => {
    it('every foreign key exists once, with its ON DELETE, read from information_schema', async () => {
      await db.store().migrate();
      expect((await foreignKeys(db, '')).lines).toEqual(ALL_FOREIGN_KEYS);
    });

    it('0005 adds the keys a database lacks, after doing to rows that point nowhere what the key would have done; a second run adds nothing', async () => {
      const store = db.store({ url: db.url }, { tablePrefix: 'old_' });
      await store.migrate();
      await dropForeignKeys(db, 'old_');
      expect((await foreignKeys(db, 'old_')).lines).toEqual(LATER_FOREIGN_KEYS);
      // What an erased user left behind on MySQL: a session, a role assignment, an activity naming them.
      const ghost = randomUUID();
      const ana = randomUUID();
      const p = kind === 'postgres' ? (n: number) => `$${n}` : () => '?';
      await db.query(`insert into old_users (id, email, name, status, must_change_password, attributes, created_at, updated_at) values (${p(1)}, 'ana@example.com', 'Ana', 'active', false, '{}', ${ts(kind)}, ${ts(kind)})`, [ana]);
      await db.query(`insert into old_roles (code, name, description, level, active, created_at, updated_at) values ('customer', 'Customer', '', 10, true, ${ts(kind)}, ${ts(kind)})`);
      await db.query(
        `insert into old_sessions (id, user_id, token_hash, remember_me, created_at, last_active_at, expires_at) values (${p(1)}, ${p(2)}, ${p(3)}, false, ${ts(kind)}, ${ts(kind)}, ${ts(kind)})`,
        [randomUUID(), ghost, 'a'.repeat(64)],
      );
      await db.query(`insert into old_user_roles (user_id, role_code, assigned_at, assigned_by) values (${p(1)}, 'customer', ${ts(kind)}, ${p(2)})`, [ana, ghost]);
      await db.query(`insert into old_activities (id, subject_id, actor_id, action, details, metadata, created_at) values (${p(1)}, ${p(2)}, ${p(3)}, 'user.updated', 'x', '{}', ${ts(kind)})`, [randomUUID(), ana, ghost]);
      await db.query(undoFrom0005('old_'));

      expect((await store.migrate()).applied).toEqual(FROM_0005);
      expect((await foreignKeys(db, 'old_')).lines).toEqual(ALL_FOREIGN_KEYS);
      expect(await db.query('select * from old_sessions')).toEqual([]);
      const [assignment] = await db.query('select user_id, assigned_by from old_user_roles');
      expect(assignment).toEqual({ user_id: ana, assigned_by: null });
      const [activity] = await db.query('select subject_id, actor_id from old_activities');
      expect(activity).toEqual({ subject_id: ana, actor_id: null });

      // Now erasing a user takes what hangs from them along.
      await db.query(`delete from old_users where id = ${p(1)}`, [ana]);
      expect(await db.query('select * from old_user_roles')).toEqual([]);
      expect((await store.migrate()).applied).toEqual([]);
    });

    it('0005 does not duplicate keys an older install declared inline (MariaDB and PostgreSQL kept them, under names of their own)', async () => {
      const store = db.store({ url: db.url }, { tablePrefix: 'inl_' });
      await store.migrate();
      await dropForeignKeys(db, 'inl_');
      // Re-declared the way the old inline REFERENCES left them: unnamed, named by the database.
      for (const line of EXPECTED_FOREIGN_KEYS) {
        const [, table, column, refTable, refColumn, rule] = /^(\w+)\.(\w+) → (\w+)\.(\w+) (.+)$/.exec(line)!;
        const q = (name: string): string => (kind === 'postgres' ? `"${name}"` : `\`${name}\``);
        await db.query(`alter table ${q(`inl_${table}`)} add foreign key (${q(column!)}) references ${q(`inl_${refTable}`)} (${q(refColumn!)}) on delete ${rule!.toLowerCase()}`);
      }
      const before = await foreignKeys(db, 'inl_');
      expect(before.names.filter((n) => !LATER_TABLES.has(n.table.slice('inl_'.length))).some((n) => n.name.endsWith('_fk'))).toBe(false);
      await db.query(undoFrom0005('inl_'));
      expect((await store.migrate()).applied).toEqual(FROM_0005);
      const after = await foreignKeys(db, 'inl_');
      expect(after.lines).toEqual(ALL_FOREIGN_KEYS);
      expect(after.names.map((n) => n.name).sort()).toEqual(before.names.map((n) => n.name).sort());
    });
  });

  await describeSql(kind, `${kind}: migrate beside tables of the same names`, (db) => {
    it('refuses a database that already has a table named like one of gatehouse’s, creating nothing, and names a prefix', async () => {
      await db.query('create table roles (id integer primary key, codigo varchar(50) not null)');
      await db.query(`insert into roles (id, codigo) values (1, 'CLIENTE')`);
      const error = await db.store().migrate().catch((e: unknown) => e);
      expect(isAuthError(error, 'CONFLICT')).toBe(true);
      expect((error as Error).message).toMatch(/already has a table named roles/);
      expect((error as Error).message).toContain("tablePrefix: 'auth_'");
      expect((error as Error).message).toContain('--table-prefix auth_');
      expect(await db.tables()).toEqual(['roles']);
      // The next run fails the same way: nothing half-made stands in its way.
      expect(isAuthError(await db.store().migrate().catch((e: unknown) => e), 'CONFLICT')).toBe(true);
      expect(await db.tables()).toEqual(['roles']);

      const prefixed = db.store({ url: db.url }, { tablePrefix: 'auth_' });
      expect((await prefixed.migrate()).applied).toContain('0001_initial');
      expect(await db.query('select codigo from roles')).toEqual([{ codigo: 'CLIENTE' }]);
      expect((await prefixed.migrate()).applied).toEqual([]);
    });
  });
}

await describeSql('mysql', 'mysql: npx gatehouse migrate into the legacy PHP module’s own database', () => {
  let legacy: LegacyDatabase;
  beforeAll(async () => {
    legacy = await createLegacyDatabase();
    await fillLegacyFixtures(legacy);
  });
  afterAll(() => legacy?.drop());

  const tables = async (): Promise<string[]> => (await legacy.query('select table_name as t from information_schema.tables where table_schema = database() order by 1')).map((r) => String(r['t']));

  it('exits 1 naming the legacy roles table and suggesting --table-prefix, leaving the database as it was; with the prefix it migrates', async () => {
    const before = await tables();
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => err.push(line), env: {} };
    expect(await runCli(['migrate', '--database-url', legacy.url], io)).toBe(EXIT.failed);
    expect(err.join('\n')).toMatch(/already has a table named roles, which gatehouse did not create.*--table-prefix auth_/s);
    expect(await tables()).toEqual(before);

    expect(await runCli(['migrate', '--database-url', legacy.url, '--table-prefix', 'auth_'], io)).toBe(EXIT.ok);
    expect((await tables()).filter((t) => !before.includes(t)).every((t) => t.startsWith('auth_'))).toBe(true);
    const [roles] = await legacy.query('select count(*) as n from roles');
    expect(Number(roles?.['n'])).toBe(6);
    // gatehouse's tables work beside the legacy ones.
    const store = new MysqlAuthStore({ url: legacy.url }, { tablePrefix: 'auth_' });
    try {
      expect(await store.findUserByEmail('ana.gomez@example.com')).toBeNull();
    } finally {
      await store.close();
    }
  });
});
