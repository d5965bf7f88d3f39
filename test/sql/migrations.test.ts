import { randomUUID } from 'node:crypto';
import * as kysely from 'kysely';
import { describe, expect, it } from 'vitest';
import { isAuthError, type UserRecord } from 'gatehouse';
import { MysqlAuthStore } from 'gatehouse/mysql';
import { PostgresAuthStore } from 'gatehouse/postgres';
import { describeSql, mysqlPool, pgPool, SQL_KINDS } from '../support/sql-servers.js';
import { user as fixtureUser } from '../../adapters/testing/fixtures.js';
import { MIGRATIONS } from '../support/migrations.js';
import { gatehouseMigrations } from '../../adapters/sql/migrations.js';
import { mysqlSqlDialect } from '../../adapters/mysql/mysql-sql-dialect.js';
import { postgresSqlDialect } from '../../adapters/postgres/postgres-sql-dialect.js';
import { TablePrefixPlugin } from '../../adapters/sql/table-prefix-plugin.js';

const TABLES = ['activities', 'login_attempts', 'one_time_keys', 'password_history', 'permissions', 'rate_limits', 'role_catalog', 'role_permissions', 'roles', 'sessions', 'two_factor', 'user_devices', 'user_roles', 'user_search_words', 'users'];
const T0 = new Date('2030-01-01T00:00:00.000Z');

const user = (email: string): UserRecord => fixtureUser({ email, name: 'Ana', passwordHash: null, createdAt: T0, updatedAt: T0 });

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: migrations and table prefix`, (db) => {
    it('migrate() creates every table and records it; running it again applies nothing', async () => {
      const store = db.store();
      const first = await store.migrate();
      expect(first.applied).toEqual(MIGRATIONS);
      expect(first.known).toEqual(MIGRATIONS);
      expect(await db.tables()).toEqual(expect.arrayContaining([...TABLES, 'gatehouse_migration', 'gatehouse_migration_lock']));

      const second = await store.migrate();
      expect(second.applied).toEqual([]);
      // A second store (another process, say) finds the schema up to date too.
      expect((await db.store().migrate()).applied).toEqual([]);
      const recorded = await db.query('select name from gatehouse_migration order by name');
      expect(recorded.map((r) => r['name'])).toEqual(MIGRATIONS);
    });

    it('0010 and 0012 each swap one index for another: down puts the old one back and drops the new, up the other way round, and either runs twice', async () => {
      await db.store({ url: db.url }, { tablePrefix: 'swap_' }).migrate();
      const indexes = async (table: string): Promise<string[]> => {
        const rows = kind === 'postgres'
          ? await db.query(`select indexname as name from pg_indexes where tablename = 'swap_${table}'`)
          : await db.query(`select distinct index_name as name from information_schema.statistics where table_schema = database() and table_name = 'swap_${table}'`);
        return rows.map((row) => String(row['name'])).filter((name) => name.endsWith('_idx')).sort();
      };
      const conn = new kysely.Kysely<unknown>({
        dialect: kind === 'postgres' ? new kysely.PostgresDialect({ pool: pgPool(db.url) }) : new kysely.MysqlDialect({ pool: mysqlPool(db.url) }),
        plugins: [new TablePrefixPlugin('swap_')],
      });
      try {
        const migrations = await gatehouseMigrations(kind === 'postgres' ? postgresSqlDialect : mysqlSqlDialect, 'swap_').getMigrations();
        const swaps = [
          { name: '0010_user_list_indexes', table: 'user_search_words', before: 'swap_user_search_words_user_idx', after: 'swap_user_search_words_user_word_idx' },
          { name: '0012_role_holder_index', table: 'user_roles', before: 'swap_user_roles_role_idx', after: 'swap_user_roles_role_expiry_idx' },
        ];
        for (const { name, table, before, after } of swaps) {
          const others = (await indexes(table)).filter((index) => index !== after);
          expect(await indexes(table), name).toContain(after);
          for (let run = 0; run < 2; run += 1) await migrations[name]!.down!(conn);
          expect(await indexes(table), name).toEqual([...others, before].sort());
          for (let run = 0; run < 2; run += 1) await migrations[name]!.up(conn);
          expect(await indexes(table), name).toEqual([...others, after].sort());
        }
      } finally {
        await conn.destroy();
      }
    });

    it('0014 copies the created_at of each assigned user into user_roles and indexes it in the order of the list; down drops both; either runs twice', async () => {
      const store = db.store({ url: db.url }, { tablePrefix: 'order_' });
      await store.migrate();
      await store.upsertRole({ code: 'clerk', name: 'Clerk', description: '', level: 5, active: true, createdAt: T0, updatedAt: T0 });
      const users = [0, 1, 2].map((i) => fixtureUser({ email: `order${i}@example.com`, name: 'Ana', createdAt: new Date(T0.getTime() + i * 1000) }));
      await store.insertUsers(users);
      await store.insertUserRoles(users.map((u) => ({ userId: u.id, roleCode: 'clerk', assignedAt: T0, assignedBy: null, expiresAt: null })));
      const copied = async (): Promise<[string, number][]> =>
        (await db.query('select ur.user_id as id, ur.user_created_at as at from order_user_roles ur order by ur.user_id')).map((row) => [String(row['id']), new Date(row['at'] as Date).getTime()]);
      const expected = users.map((u): [string, number] => [u.id, u.createdAt.getTime()]).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      expect(await copied()).toEqual(expected);
      const conn = new kysely.Kysely<unknown>({
        dialect: kind === 'postgres' ? new kysely.PostgresDialect({ pool: pgPool(db.url) }) : new kysely.MysqlDialect({ pool: mysqlPool(db.url) }),
        plugins: [new TablePrefixPlugin('order_')],
      });
      const columns = async (): Promise<string[]> =>
        (await db.query(kind === 'postgres' ? `select column_name as c from information_schema.columns where table_name = 'order_user_roles'` : `select column_name as c from information_schema.columns where table_schema = database() and table_name = 'order_user_roles'`)).map((r) => String(r['c']));
      const indexes = async (): Promise<string[]> =>
        (await db.query(kind === 'postgres' ? `select indexname as name from pg_indexes where tablename = 'order_user_roles'` : `select distinct index_name as name from information_schema.statistics where table_schema = database() and table_name = 'order_user_roles'`)).map((r) => String(r['name']));
      try {
        const migration = (await gatehouseMigrations(kind === 'postgres' ? postgresSqlDialect : mysqlSqlDialect, 'order_').getMigrations())['0014_role_holder_order']!;
        expect(await indexes()).toContain('order_user_roles_role_order_idx');
        for (let run = 0; run < 2; run += 1) await migration.down!(conn);
        expect(await columns()).not.toContain('user_created_at');
        expect(await indexes()).not.toContain('order_user_roles_role_order_idx');
        // Assignments written before 0014 (no copy), then filled by its backfill.
        await db.query(`delete from order_user_roles where user_id = '${users[0]!.id}'`);
        await db.query(`insert into order_user_roles (user_id, role_code, assigned_at) values ('${users[0]!.id}', 'clerk', '2030-01-01 00:00:00')`);
        for (let run = 0; run < 2; run += 1) await migration.up(conn);
        expect(await copied()).toEqual(expected);
        expect(await indexes()).toContain('order_user_roles_role_order_idx');
        const list = await store.listUsers({ roleCode: 'clerk', offset: 0, limit: 10, now: T0, countLimit: 1000 });
        expect(list.items.map((u) => u.id)).toEqual(users.map((u) => u.id).reverse());
      } finally {
        await conn.destroy();
      }
    });

    it('migrationStatus() lists every migration as pending on an empty database, creating nothing; then as applied, in order', async () => {
      const store = db.store({ url: db.url }, { tablePrefix: 'status_' });
      expect(await store.migrationStatus()).toEqual({ applied: [], pending: MIGRATIONS });
      expect((await db.tables()).filter((t) => t.startsWith('status_'))).toEqual([]);
      const before = Date.now();
      await store.migrate();
      const status = await store.migrationStatus();
      expect(status.pending).toEqual([]);
      expect(status.applied.map((m) => m.name)).toEqual(MIGRATIONS);
      for (const { appliedAt } of status.applied) expect(Math.abs(appliedAt.getTime() - before)).toBeLessThan(60_000);
      // The newest migration undone by hand (it is idempotent): it is pending again, and migrate() applies just that one.
      const newest = MIGRATIONS.at(-1)!;
      await db.query(`delete from status_gatehouse_migration where name = '${newest}'`);
      expect((await store.migrationStatus()).pending).toEqual([newest]);
      expect((await store.migrate()).applied).toEqual([newest]);
    });

    it('a database that ran 0009 before 0007 and 0008 were released applies them next, in order, and 0008 fills the search words of the users already there', async () => {
      const store = db.store({ url: db.url }, { tablePrefix: 'late_' });
      await store.migrate();
      const ana = user('ana.gomez@example.com');
      await store.insertUser({ ...ana, name: 'Ana Gómez' });
      // The state of a database migrated by the release that had 0009 but not 0007 and 0008.
      await db.query('drop table late_user_search_words');
      await db.query(kind === 'postgres' ? 'drop index late_users_status_idx' : 'drop index late_users_status_idx on late_users');
      await db.query(`delete from late_gatehouse_migration where name in ('0007_admin_indexes', '0008_user_search_words')`);
      expect((await store.migrationStatus()).pending).toEqual(['0007_admin_indexes', '0008_user_search_words']);
      expect((await store.migrate()).applied).toEqual(['0007_admin_indexes', '0008_user_search_words']);
      expect((await store.migrationStatus()).pending).toEqual([]);
      expect((await store.listUsers({ offset: 0, limit: 10, now: T0, text: 'gom' })).items.map((u) => u.id)).toEqual([ana.id]);
      const indexes =
        kind === 'postgres'
          ? await db.query(`select indexname as n from pg_indexes where tablename = 'late_users'`)
          : await db.query(`select index_name as n from information_schema.statistics where table_schema = database() and table_name = 'late_users'`);
      expect(indexes.map((r) => r['n'])).toContain('late_users_status_idx');
    });

    it('concurrent migrate() calls apply the migrations once', async () => {
      const reports = await Promise.all([1, 2, 3].map(() => db.store({ url: db.url }, { tablePrefix: 'race_' }).migrate()));
      expect(reports.flatMap((r) => r.applied).sort()).toEqual(MIGRATIONS);
    });

    it('the database itself keeps emails unique case-insensitively, whatever writes to it', async () => {
      const store = db.store({ url: db.url }, { tablePrefix: 'raw_' });
      await store.migrate();
      const now = kind === 'postgres' ? 'now()' : 'now(3)';
      const insert = (id: string, email: string): Promise<unknown> =>
        db.query(
          kind === 'postgres'
            ? `insert into raw_users (id, email, name, status, must_change_password, attributes, created_at, updated_at) values ($1, $2, 'x', 'active', false, '{}', ${now}, ${now})`
            : `insert into raw_users (id, email, name, status, must_change_password, attributes, created_at, updated_at) values (?, ?, 'x', 'active', false, '{}', ${now}, ${now})`,
          [id, email],
        );
      await insert(randomUUID(), 'Mixed@Example.com');
      await expect(insert(randomUUID(), 'mixed@example.COM')).rejects.toThrow();
      expect((await store.findUserByEmail('MIXED@example.com'))?.email).toBe('Mixed@Example.com');
    });

    it('a table prefix gives gatehouse its own tables beside tables of the same name', async () => {
      const plain = db.store();
      await plain.migrate();
      const prefixed = db.store({ url: db.url }, { tablePrefix: 'auth_' });
      expect(prefixed.tablePrefix).toBe('auth_');
      expect((await prefixed.migrate()).applied).toEqual(MIGRATIONS);
      expect(await db.tables()).toEqual(expect.arrayContaining([...TABLES.map((t) => `auth_${t}`), 'auth_gatehouse_migration', 'auth_gatehouse_migration_lock']));

      const ana = user('ana@example.com');
      await prefixed.insertUser(ana);
      expect(await plain.findUserById(ana.id)).toBeNull();
      // The same email is free in the other set of tables: they share nothing.
      await plain.insertUser(user('ana@example.com'));
      await expect(prefixed.insertUser(user('ANA@example.com'))).rejects.toSatisfy((e) => isAuthError(e, 'EMAIL_TAKEN'));
      const [row] = await db.query('select count(*) as n from auth_users');
      expect(Number(row?.['n'])).toBe(1);
      // Rate limits too: each set of tables counts its own.
      const hit = { limit: 1, window: 60, at: T0 };
      expect((await prefixed.hitRateLimit('http:register:203.0.113.9', hit)).allowed).toBe(true);
      expect((await prefixed.hitRateLimit('http:register:203.0.113.9', hit)).allowed).toBe(false);
      expect((await plain.hitRateLimit('http:register:203.0.113.9', hit)).allowed).toBe(true);
      const [windows] = await db.query('select count(*) as n from auth_rate_limits');
      expect(Number(windows?.['n'])).toBe(1);
    });

    it('a malformed table prefix is refused at construction with a TypeError', () => {
      const Store = kind === 'postgres' ? PostgresAuthStore : MysqlAuthStore;
      for (const tablePrefix of ['Auth_', 'auth-', '1auth_', 'auth_; drop table users; --', 'x'.repeat(25)]) {
        expect(() => new Store({ url: db.url || (kind === 'postgres' ? 'postgres://h/db' : 'mysql://h/db') }, { tablePrefix }), tablePrefix).toThrow(TypeError);
      }
    });
  });
}

describe('the Kysely under test', () => {
  it(`is the one this run asked for (GATEHOUSE_KYSELY=${process.env['GATEHOUSE_KYSELY'] ?? 'unset'}): 0.29 keeps its Migrator out of the root entry`, () => {
    const version = process.env['GATEHOUSE_KYSELY'];
    expect(['0.28', '0.29']).toContain(version);
    expect(typeof (kysely as Record<string, unknown>)['Migrator']).toBe(version === '0.29' ? 'undefined' : 'function');
  });
});
