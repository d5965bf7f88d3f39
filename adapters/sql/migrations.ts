import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import { searchWordsOf } from 'gatehouse';
import type { SchemaMigration as Migration, SchemaMigrationProvider as MigrationProvider } from './kysely-migrator.js';
import { freshCatalogVersion } from './role-catalog.js';
import type { SqlDialect } from './sql-dialect.js';

/**
 * The versioned schema, as code (not files on disk) so that it ships inside the build.
 * Migrations are append-only: once released, a migration never changes; a schema change
 * is a new entry with the next number.
 *
 * Table names are written plain and prefixed by the store's `TablePrefixPlugin`; index
 * names are prefixed here, because PostgreSQL's index names share one namespace per schema.
 */
export function gatehouseMigrations(dialect: SqlDialect, prefix: string): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001_initial': initial(dialect, prefix),
    '0002_two_factor': twoFactor(dialect, prefix),
    '0003_session_stamp': sessionStamp(dialect),
    '0004_rate_limits': rateLimits(dialect, prefix),
    '0005_foreign_keys': foreignKeyRepair(dialect, prefix),
    '0006_identifiers': identifiers(dialect, prefix),
    '0007_admin_indexes': adminIndexes(dialect, prefix),
    '0008_user_search_words': userSearchWords(dialect, prefix),
    '0009_sign_in': signIn(dialect, prefix),
    '0010_user_list_indexes': userListIndexes(dialect, prefix),
    '0011_role_catalog': roleCatalog(dialect, prefix),
    '0012_role_holder_index': roleHolderIndex(dialect, prefix),
    '0013_sign_in_start': signInStart(dialect, prefix),
    '0014_role_holder_order': roleHolderOrder(dialect, prefix),
  };
  return { getMigrations: () => Promise.resolve(migrations) };
}

/** The finishing touch every CREATE TABLE gets (MySQL: engine and character set). */
function finisher(dialect: SqlDialect) {
  return <T extends string, C extends string>(builder: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> =>
    dialect.tableOptions === null ? builder : builder.modifyEnd(dialect.tableOptions);
}

/** A foreign key of gatehouse's tables. */
interface ForeignKey {
  readonly table: string;
  readonly column: string;
  readonly references: string;
  readonly referencedColumn: string;
  readonly onDelete: 'cascade' | 'set null';
}

/**
 * The foreign keys of migrations 0001 and 0002 — frozen with them; a later migration
 * declares its own. Declared as table-level constraints: MySQL (unlike MariaDB and
 * PostgreSQL) parses a column's inline `REFERENCES` and ignores it.
 */
const FOREIGN_KEYS_0001_0002: readonly ForeignKey[] = [
  { table: 'role_permissions', column: 'role_code', references: 'roles', referencedColumn: 'code', onDelete: 'cascade' },
  { table: 'role_permissions', column: 'permission_code', references: 'permissions', referencedColumn: 'code', onDelete: 'cascade' },
  { table: 'user_roles', column: 'user_id', references: 'users', referencedColumn: 'id', onDelete: 'cascade' },
  { table: 'user_roles', column: 'role_code', references: 'roles', referencedColumn: 'code', onDelete: 'cascade' },
  { table: 'user_roles', column: 'assigned_by', references: 'users', referencedColumn: 'id', onDelete: 'set null' },
  { table: 'sessions', column: 'user_id', references: 'users', referencedColumn: 'id', onDelete: 'cascade' },
  { table: 'one_time_keys', column: 'user_id', references: 'users', referencedColumn: 'id', onDelete: 'cascade' },
  { table: 'password_history', column: 'user_id', references: 'users', referencedColumn: 'id', onDelete: 'cascade' },
  { table: 'login_attempts', column: 'user_id', references: 'users', referencedColumn: 'id', onDelete: 'cascade' },
  { table: 'activities', column: 'subject_id', references: 'users', referencedColumn: 'id', onDelete: 'set null' },
  { table: 'activities', column: 'actor_id', references: 'users', referencedColumn: 'id', onDelete: 'set null' },
  { table: 'two_factor', column: 'user_id', references: 'users', referencedColumn: 'id', onDelete: 'cascade' },
];

/** A constraint's name: MySQL's constraint names are unique per database, so they carry the prefix. */
const foreignKeyName = (prefix: string, key: ForeignKey): string => `${prefix}${key.table}_${key.column}_fk`;

/** Adds the table-level foreign keys of `table` (from {@link FOREIGN_KEYS_0001_0002}) to its CREATE TABLE. */
function foreignKeysOf(prefix: string) {
  return (table: string) =>
    <T extends string, C extends string>(builder: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> =>
      FOREIGN_KEYS_0001_0002.filter((key) => key.table === table).reduce(
        (b, key) => b.addForeignKeyConstraint(foreignKeyName(prefix, key), [key.column as C], key.references, [key.referencedColumn], (fk) => fk.onDelete(key.onDelete)),
        builder,
      );
}

function initial(dialect: SqlDialect, prefix: string): Migration {
  const t = dialect.types;
  const idx = (name: string): string => `${prefix}${name}`;
  const finish = finisher(dialect);
  const foreignKeys = foreignKeysOf(prefix);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await finish(
        db.schema
          .createTable('users')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('email', t.string(255), (c) => c.notNull())
          // Lower-cased by the database itself, so uniqueness is case-insensitive whatever the writer did.
          .addColumn('email_lower', t.string(255), (c) => c.generatedAlwaysAs(sql`lower(email)`).stored())
          .addColumn('name', t.string(255), (c) => c.notNull())
          .addColumn('password_hash', t.string(255))
          .addColumn('status', t.code(16), (c) => c.notNull())
          .addColumn('status_reason', t.text)
          .addColumn('status_until', t.timestamp)
          .addColumn('email_verified_at', t.timestamp)
          .addColumn('must_change_password', t.boolean, (c) => c.notNull())
          .addColumn('locale', t.code(35))
          .addColumn('attributes', t.json, (c) => c.notNull())
          .addColumn('last_login_at', t.timestamp)
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .addColumn('updated_at', t.timestamp, (c) => c.notNull()),
      ).execute();
      await db.schema.createIndex(idx('users_email_uq')).on('users').column('email_lower').unique().execute();
      await db.schema.createIndex(idx('users_created_idx')).on('users').columns(['created_at', 'id']).execute();

      await finish(
        db.schema
          .createTable('roles')
          .addColumn('code', t.code(64), (c) => c.primaryKey())
          .addColumn('name', t.string(255), (c) => c.notNull())
          .addColumn('description', t.text, (c) => c.notNull())
          .addColumn('level', t.integer, (c) => c.notNull())
          .addColumn('active', t.boolean, (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .addColumn('updated_at', t.timestamp, (c) => c.notNull()),
      ).execute();

      await finish(
        db.schema
          .createTable('permissions')
          .addColumn('code', t.code(128), (c) => c.primaryKey())
          .addColumn('name', t.string(255), (c) => c.notNull())
          .addColumn('module', t.code(64), (c) => c.notNull())
          .addColumn('action', t.code(128), (c) => c.notNull())
          .addColumn('active', t.boolean, (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull()),
      ).execute();

      await finish(
        db.schema
          .createTable('role_permissions')
          .addColumn('role_code', t.code(64), (c) => c.notNull())
          .addColumn('permission_code', t.code(128), (c) => c.notNull())
          .addPrimaryKeyConstraint(idx('role_permissions_pk'), ['role_code', 'permission_code'])
          .$call(foreignKeys('role_permissions')),
      ).execute();
      await db.schema.createIndex(idx('role_permissions_permission_idx')).on('role_permissions').column('permission_code').execute();

      await finish(
        db.schema
          .createTable('user_roles')
          .addColumn('user_id', t.id, (c) => c.notNull())
          .addColumn('role_code', t.code(64), (c) => c.notNull())
          .addColumn('assigned_at', t.timestamp, (c) => c.notNull())
          .addColumn('assigned_by', t.id)
          .addColumn('expires_at', t.timestamp)
          .addPrimaryKeyConstraint(idx('user_roles_pk'), ['user_id', 'role_code'])
          .$call(foreignKeys('user_roles')),
      ).execute();
      await db.schema.createIndex(idx('user_roles_role_idx')).on('user_roles').columns(['role_code', 'user_id']).execute();
      await db.schema.createIndex(idx('user_roles_assigned_by_idx')).on('user_roles').column('assigned_by').execute();

      await finish(
        db.schema
          .createTable('sessions')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('user_id', t.id, (c) => c.notNull())
          .addColumn('token_hash', t.code(64), (c) => c.notNull())
          .addColumn('ip', t.string(64))
          .addColumn('user_agent', t.text)
          .addColumn('remember_me', t.boolean, (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .addColumn('last_active_at', t.timestamp, (c) => c.notNull())
          .addColumn('expires_at', t.timestamp, (c) => c.notNull())
          .addColumn('revoked_at', t.timestamp)
          .$call(foreignKeys('sessions')),
      ).execute();
      await db.schema.createIndex(idx('sessions_token_uq')).on('sessions').column('token_hash').unique().execute();
      await db.schema.createIndex(idx('sessions_user_idx')).on('sessions').columns(['user_id', 'last_active_at']).execute();
      await db.schema.createIndex(idx('sessions_expires_idx')).on('sessions').column('expires_at').execute();

      await finish(
        db.schema
          .createTable('one_time_keys')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('user_id', t.id, (c) => c.notNull())
          .addColumn('purpose', t.code(32), (c) => c.notNull())
          .addColumn('key_hash', t.code(64), (c) => c.notNull())
          .addColumn('sent_to', t.string(255), (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .addColumn('expires_at', t.timestamp, (c) => c.notNull())
          .addColumn('used_at', t.timestamp)
          .addColumn('used_ip', t.string(64))
          .addColumn('voided_at', t.timestamp)
          .$call(foreignKeys('one_time_keys')),
      ).execute();
      await db.schema.createIndex(idx('one_time_keys_hash_uq')).on('one_time_keys').column('key_hash').unique().execute();
      await db.schema.createIndex(idx('one_time_keys_user_idx')).on('one_time_keys').columns(['user_id', 'purpose']).execute();

      await finish(
        db.schema
          .createTable('password_history')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('user_id', t.id, (c) => c.notNull())
          .addColumn('password_hash', t.string(255), (c) => c.notNull())
          .addColumn('changed_at', t.timestamp, (c) => c.notNull())
          .addColumn('reason', t.string(64), (c) => c.notNull())
          .addColumn('forced', t.boolean, (c) => c.notNull())
          .$call(foreignKeys('password_history')),
      ).execute();
      await db.schema.createIndex(idx('password_history_user_idx')).on('password_history').columns(['user_id', 'changed_at']).execute();

      await finish(
        db.schema
          .createTable('login_attempts')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('email', t.string(255), (c) => c.notNull())
          .addColumn('user_id', t.id)
          .addColumn('ip', t.string(64))
          .addColumn('success', t.boolean, (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .$call(foreignKeys('login_attempts')),
      ).execute();
      await db.schema.createIndex(idx('login_attempts_email_idx')).on('login_attempts').columns(['email', 'created_at']).execute();
      await db.schema.createIndex(idx('login_attempts_ip_idx')).on('login_attempts').columns(['ip', 'created_at']).execute();
      await db.schema.createIndex(idx('login_attempts_user_idx')).on('login_attempts').column('user_id').execute();
      await db.schema.createIndex(idx('login_attempts_created_idx')).on('login_attempts').column('created_at').execute();

      await finish(
        db.schema
          .createTable('activities')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('subject_id', t.id)
          .addColumn('actor_id', t.id)
          .addColumn('action', t.code(128), (c) => c.notNull())
          .addColumn('details', t.text, (c) => c.notNull())
          .addColumn('ip', t.string(64))
          .addColumn('user_agent', t.text)
          .addColumn('metadata', t.json, (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .$call(foreignKeys('activities')),
      ).execute();
      await db.schema.createIndex(idx('activities_subject_idx')).on('activities').columns(['subject_id', 'created_at']).execute();
      await db.schema.createIndex(idx('activities_actor_idx')).on('activities').columns(['actor_id', 'created_at']).execute();
      await db.schema.createIndex(idx('activities_created_idx')).on('activities').columns(['created_at', 'id']).execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['activities', 'login_attempts', 'password_history', 'one_time_keys', 'sessions', 'user_roles', 'role_permissions', 'permissions', 'roles', 'users']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}

/** Two-factor authentication: one TOTP record per user, erased with the user. */
function twoFactor(dialect: SqlDialect, prefix: string): Migration {
  const t = dialect.types;
  const finish = finisher(dialect);
  const foreignKeys = foreignKeysOf(prefix);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await finish(
        db.schema
          .createTable('two_factor')
          .addColumn('user_id', t.id, (c) => c.primaryKey())
          .addColumn('secret', t.text, (c) => c.notNull())
          .addColumn('enabled_at', t.timestamp)
          .addColumn('last_step', t.bigint, (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .addColumn('updated_at', t.timestamp, (c) => c.notNull())
          .$call(foreignKeys('two_factor')),
      ).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('two_factor').ifExists().execute();
    },
  };
}

/**
 * `sessions.stamp`: bumped, in the writing transaction, whenever the session, its user, the
 * user's roles or those roles' permissions change, so that a store can keep a session's
 * bundle in memory and check it by reading the stamp alone.
 */
function sessionStamp(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('sessions').addColumn('stamp', dialect.types.integer, (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('sessions').dropColumn('stamp').execute();
    },
  };
}

/**
 * `rate_limits`: the rate-limit windows the store counts (`hitRateLimit`), shared by every
 * process on the database.
 */
function rateLimits(dialect: SqlDialect, prefix: string): Migration {
  const t = dialect.types;
  const finish = finisher(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await finish(
        db.schema
          .createTable('rate_limits')
          .addColumn('key_hash', t.code(64), (c) => c.primaryKey())
          .addColumn('hits', t.integer, (c) => c.notNull())
          .addColumn('reset_at', t.timestamp, (c) => c.notNull()),
      ).execute();
      await db.schema.createIndex(`${prefix}rate_limits_reset_idx`).on('rate_limits').column('reset_at').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('rate_limits').ifExists().execute();
    },
  };
}

/**
 * The foreign keys a database may lack: migrations 0001 and 0002 once declared them inline,
 * which MySQL ignores (MariaDB and PostgreSQL kept them). Each key missing from its column
 * is added as a table-level constraint, after doing to the rows that point nowhere what the
 * key would have done (delete them, or clear the column) — on MySQL, erasing a user left
 * their sessions, roles, history and activity behind. A key already there, whatever its
 * name, is left alone, so the migration adds nothing on MariaDB and PostgreSQL.
 */
function foreignKeyRepair(dialect: SqlDialect, prefix: string): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const present = await foreignKeyColumns(db, dialect);
      for (const key of FOREIGN_KEYS_0001_0002) {
        if (present.has(`${prefix}${key.table}.${key.column}`)) continue;
        const child = sql.table(`${prefix}${key.table}`);
        const orphan = sql`${sql.ref(key.column)} is not null and not exists (select 1 from ${sql.table(`${prefix}${key.references}`)} p where p.${sql.ref(key.referencedColumn)} = ${child}.${sql.ref(key.column)})`;
        await (key.onDelete === 'cascade'
          ? sql`delete from ${child} where ${orphan}`
          : sql`update ${child} set ${sql.ref(key.column)} = null where ${orphan}`
        ).execute(db);
        await db.schema
          .alterTable(key.table)
          .addForeignKeyConstraint(foreignKeyName(prefix, key), [key.column], key.references, [key.referencedColumn], (fk) => fk.onDelete(key.onDelete))
          .execute();
      }
    },
    async down(): Promise<void> {
      // Nothing to undo: the keys belong to the schema of 0001 and 0002.
    },
  };
}

/**
 * `user_identifiers`: named external identifiers of users (`legacyId`, `documentNumber`, …),
 * unique per name through the primary key (name, value), compared byte by byte (bytes on
 * MySQL), found by user through their own index, erased with the user.
 */
function identifiers(dialect: SqlDialect, prefix: string): Migration {
  const t = dialect.types;
  const finish = finisher(dialect);
  const userKey: ForeignKey = { table: 'user_identifiers', column: 'user_id', references: 'users', referencedColumn: 'id', onDelete: 'cascade' };
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // Idempotent: a database that has the table (the migration's record lost) keeps it as it is.
      if (await tableExists(db, dialect, `${prefix}user_identifiers`)) return;
      await finish(
        db.schema
          .createTable('user_identifiers')
          .addColumn('name', t.code(64), (c) => c.notNull())
          // MySQL's binary collations still pad with spaces ('a' = 'a '): bytes compare exactly (255 characters of UTF-8).
          .addColumn('value', dialect.name === 'mysql' ? sql.raw('varbinary(1020)') : t.code(255), (c) => c.notNull())
          .addColumn('user_id', t.id, (c) => c.notNull())
          .addPrimaryKeyConstraint(`${prefix}user_identifiers_pk`, ['name', 'value'])
          .addForeignKeyConstraint(foreignKeyName(prefix, userKey), ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade')),
      ).execute();
      await db.schema.createIndex(`${prefix}user_identifiers_user_idx`).on('user_identifiers').columns(['user_id', 'name']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('user_identifiers').ifExists().execute();
    },
  };
}

/** Whether the current schema has a table of this (prefixed) name. */
async function tableExists(db: Kysely<unknown>, dialect: SqlDialect, name: string): Promise<boolean> {
  const schema = dialect.name === 'postgres' ? sql`current_schema()` : sql`database()`;
  const { rows } = await sql<{ n: unknown }>`select count(*) as n from information_schema.tables where table_schema = ${schema} and table_name = ${name}`.execute(db);
  return Number(rows[0]?.n ?? 0) > 0;
}

/** `table.column` of every column of the current schema that has a foreign key. */
async function foreignKeyColumns(db: Kysely<unknown>, dialect: SqlDialect): Promise<Set<string>> {
  const schema = dialect.name === 'postgres' ? sql`current_schema()` : sql`database()`;
  const { rows } = await sql<{ table_name: string; column_name: string }>`
    select k.table_name as table_name, k.column_name as column_name
    from information_schema.table_constraints c
    join information_schema.key_column_usage k
      on k.constraint_schema = c.constraint_schema and k.constraint_name = c.constraint_name and k.table_name = c.table_name
    where c.constraint_type = 'FOREIGN KEY' and c.table_schema = ${schema}`.execute(db);
  return new Set(rows.map((row) => `${row.table_name}.${row.column_name}`));
}

/** The name of the MySQL procedure that ends a sign-in (see {@link signIn}), with the store's prefix. */
export const finishSignInProcedure = (prefix: string): string => `${prefix}gatehouse_finish_sign_in`;

/**
 * What a sign-in in three statements needs: `user_devices` (the devices each user signed in
 * from, for new sign-in notices, read by primary key instead of counting past sign-ins); an
 * index of failed attempts by address (the per-address lockout reads failures only, however
 * many sign-ins succeeded from a shared address); and on MySQL/MariaDB, which have no
 * data-modifying `WITH`, a procedure that writes the end of a sign-in in one transaction and
 * one statement (PostgreSQL does it in one statement of common table expressions).
 */
function signIn(dialect: SqlDialect, prefix: string): Migration {
  const t = dialect.types;
  const finish = finisher(dialect);
  const idx = (name: string): string => `${prefix}${name}`;
  return {
    // Idempotent, as the newest migration should be: a run cut short can simply run again.
    async up(db: Kysely<unknown>): Promise<void> {
      await finish(
        db.schema
          .createTable('user_devices')
          .ifNotExists()
          .addColumn('user_id', t.id, (c) => c.notNull())
          .addColumn('device_hash', t.code(64), (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .addPrimaryKeyConstraint(idx('user_devices_pk'), ['user_id', 'device_hash'])
          .addForeignKeyConstraint(idx('user_devices_user_id_fk'), ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade')),
      ).execute();
      // Failures only: successful sign-ins from one address (a NAT, a proxy) never enter it.
      if (!(await hasIndex(db, dialect, `${prefix}login_attempts`, idx('login_attempts_ip_failed_idx')))) {
        const failed = db.schema.createIndex(idx('login_attempts_ip_failed_idx')).on('login_attempts');
        if (dialect.name === 'postgres') await failed.columns(['ip', 'created_at']).where(sql.ref('success'), '=', false).execute();
        else await failed.columns(['ip', 'success', 'created_at']).execute();
      }
      if (await hasIndex(db, dialect, `${prefix}login_attempts`, idx('login_attempts_ip_idx'))) {
        await db.schema.dropIndex(idx('login_attempts_ip_idx')).$call((d) => (dialect.name === 'postgres' ? d : d.on('login_attempts'))).execute();
      }
      if (dialect.name === 'mysql') {
        await sql.raw(`drop procedure if exists \`${finishSignInProcedure(prefix)}\``).execute(db);
        await sql.raw(mysqlFinishSignIn(prefix)).execute(db);
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect.name === 'mysql') await sql.raw(`drop procedure if exists \`${finishSignInProcedure(prefix)}\``).execute(db);
      await db.schema.createIndex(idx('login_attempts_ip_idx')).on('login_attempts').columns(['ip', 'created_at']).execute();
      await db.schema.dropIndex(idx('login_attempts_ip_failed_idx')).$call((d) => (dialect.name === 'postgres' ? d : d.on('login_attempts'))).execute();
      await db.schema.dropTable('user_devices').ifExists().execute();
    },
  };
}

/**
 * The MySQL/MariaDB procedure behind `finishSignIn()`: under the user's row lock, only while
 * the user is as the sign-in read them, sets `last_login_at`, inserts the session, marks the
 * attempt succeeded, appends the activity and remembers the device, in one transaction at
 * READ COMMITTED; answers the updated user, or no row when the user changed. Parameters are
 * compared in the tables' binary collation, whatever the database's default.
 */
function mysqlFinishSignIn(prefix: string): string {
  const table = (name: string): string => `\`${prefix}${name}\``;
  const text = (length: number): string => `varchar(${length}) character set utf8mb4`;
  const bin = (parameter: string): string => `${parameter} collate utf8mb4_bin`;
  return `create procedure \`${finishSignInProcedure(prefix)}\`(
  in p_user_id ${text(36)}, in p_password_hash ${text(255)}, in p_status ${text(16)}, in p_status_until datetime(3), in p_unverified boolean,
  in p_at datetime(3), in p_attempt_id ${text(36)}, in p_device_hash ${text(64)},
  in s_id ${text(36)}, in s_token_hash ${text(64)}, in s_ip ${text(64)}, in s_user_agent text character set utf8mb4, in s_remember_me boolean,
  in s_created_at datetime(3), in s_last_active_at datetime(3), in s_expires_at datetime(3),
  in a_id ${text(36)}, in a_subject_id ${text(36)}, in a_actor_id ${text(36)}, in a_action ${text(128)}, in a_details text character set utf8mb4,
  in a_ip ${text(64)}, in a_user_agent text character set utf8mb4, in a_metadata longtext character set utf8mb4, in a_created_at datetime(3))
modifies sql data
begin
  declare v_found integer default 0;
  declare exit handler for sqlexception begin rollback; resignal; end;
  set transaction isolation level read committed;
  start transaction;
  select count(*) into v_found from ${table('users')}
    where id = ${bin('p_user_id')} and password_hash <=> ${bin('p_password_hash')} and status = ${bin('p_status')}
      and status_until <=> p_status_until and (email_verified_at is null) = p_unverified
    for update;
  if v_found = 1 then
    update ${table('users')} set last_login_at = p_at, updated_at = p_at where id = ${bin('p_user_id')};
    insert into ${table('sessions')} (id, user_id, token_hash, ip, user_agent, remember_me, created_at, last_active_at, expires_at, revoked_at)
      values (s_id, p_user_id, s_token_hash, s_ip, s_user_agent, s_remember_me, s_created_at, s_last_active_at, s_expires_at, null);
    update ${table('login_attempts')} set success = true where id = ${bin('p_attempt_id')};
    insert into ${table('activities')} (id, subject_id, actor_id, action, details, ip, user_agent, metadata, created_at)
      values (a_id, a_subject_id, a_actor_id, a_action, a_details, a_ip, a_user_agent, a_metadata, a_created_at);
    if p_device_hash is not null then
      insert into ${table('user_devices')} (user_id, device_hash, created_at) values (p_user_id, p_device_hash, p_at)
        on duplicate key update user_id = user_id;
    end if;
    commit;
    select ${USER_COLUMN_LIST} from ${table('users')} where id = ${bin('p_user_id')};
  else
    rollback;
  end if;
end`;
}

/** The name of the procedure that starts a sign-in (see {@link signInStart}), with the store's prefix. */
export const startSignInProcedure = (prefix: string): string => `${prefix}gatehouse_start_sign_in`;

/** The columns `startSignIn()` reads of the user, each answered as `u_<column>`. */
const START_USER_COLUMNS = [
  'id', 'email', 'name', 'password_hash', 'status', 'status_reason', 'status_until', 'email_verified_at', 'must_change_password', 'locale',
  'attributes', 'last_login_at', 'created_at', 'updated_at',
] as const;

/**
 * The start of a sign-in in one round trip (issue 21): a procedure that records the attempt as
 * a failure and COMMITS it, then reads the user, the lockout's two edges (counting the
 * attempt), two-factor and the device in a new statement, whose snapshot is taken after that
 * commit. The lockout stays exact as with two statements: of any number of concurrent
 * attempts, the k-th to commit reads at least k. One `CALL` instead of two statements: one
 * round trip, one wake-up of the server and of node fewer per sign-in.
 *
 * PostgreSQL answers the read as the procedure's `INOUT` parameters (one row, named as the
 * two-statement read named its columns; the types taken from the columns with `%TYPE`);
 * MySQL/MariaDB as the procedure's result set. The caller must not be in a transaction (the
 * procedure commits). Idempotent: the procedure is replaced.
 */
function signInStart(dialect: SqlDialect, prefix: string): Migration {
  const name = startSignInProcedure(prefix);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect.name === 'postgres') {
        await sql.raw(`drop procedure if exists "${name}"`).execute(db);
        await sql.raw(postgresStartSignIn(prefix)).execute(db);
        return;
      }
      await sql.raw(`drop procedure if exists \`${name}\``).execute(db);
      await sql.raw(mysqlStartSignIn(prefix)).execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql.raw(dialect.name === 'postgres' ? `drop procedure if exists "${name}"` : `drop procedure if exists \`${name}\``).execute(db);
    },
  };
}

/**
 * The read of a sign-in's start, in the procedures' terms: `q` quotes a table name, `bin`
 * makes a text parameter compare as the tables' columns do. The lockout's edges are the
 * `limit + 1`-th newest failure in the window (of the email, since the user's last sign-in
 * when later; of the address), read through the failures-only indexes.
 */
function startSignInRead(q: (table: string) => string, bin: (parameter: string) => string): string {
  const failure = (where: string, since: string, limit: string): string =>
    `(select la.created_at from ${q('login_attempts')} la where ${where} and la.success = false and la.created_at >= ${since} order by la.created_at desc limit 1 offset ${limit})`;
  const accountSince = 'case when u.last_login_at is not null and u.last_login_at > p_window_start then u.last_login_at else p_window_start end';
  const values = [
    ...START_USER_COLUMNS.map((c) => `u.${c}`),
    failure(`la.email = ${bin('p_email')}`, accountSince, 'p_max_failures'),
    `case when p_ip is null then null else ${failure(`la.ip = ${bin('p_ip')}`, 'p_window_start', 'p_max_failures_per_ip')} end`,
    `exists (select 1 from ${q('two_factor')} t where t.user_id = u.id and t.enabled_at is not null)`,
    `case when p_device_hash is null then null else exists (select 1 from ${q('user_devices')} d where d.user_id = u.id and d.device_hash = ${bin('p_device_hash')}) end`,
    `exists (select 1 from ${q('user_devices')} d where d.user_id = u.id)`,
  ];
  return `select ${values.map((value, i) => `${value} as ${START_OUTPUTS[i]}`).join(',\n      ')}`;
}

/** The names the start's read answers under: the user's columns as `u_<column>`, then the lockout, two-factor and the device. */
export const START_OUTPUTS = [...START_USER_COLUMNS.map((c) => `u_${c}`), 'account_locked_by', 'ip_locked_by', 'two_factor_enabled', 'device_known', 'any_device'];

/** PostgreSQL's procedure of {@link signInStart}. */
function postgresStartSignIn(prefix: string): string {
  const q = (table: string): string => `"${prefix}${table}"`;
  const types = [
    ...START_USER_COLUMNS.map((c) => `${q('users')}.${c}%type`),
    'timestamptz', 'timestamptz', 'boolean', 'boolean', 'boolean',
  ];
  const read = startSignInRead(q, (p) => p);
  return `create procedure "${startSignInProcedure(prefix)}"(
  p_id ${q('login_attempts')}.id%type, p_email ${q('login_attempts')}.email%type, p_ip ${q('login_attempts')}.ip%type, p_at timestamptz,
  p_window_start timestamptz, p_max_failures integer, p_max_failures_per_ip integer, p_device_hash ${q('user_devices')}.device_hash%type,
  ${START_OUTPUTS.map((o, i) => `inout ${o} ${types[i]}`).join(', ')})
language plpgsql as $body$
begin
  insert into ${q('login_attempts')} (id, email, user_id, ip, success, created_at)
    select p_id, p_email, (select id from ${q('users')} where email_lower = lower(p_email)), p_ip, false, p_at;
  -- Visible to every other sign-in as soon as committed; flushed to disk by the sign-in's next
  -- commit (its end, or its failure's log entry), before it answers: no outcome of this attempt
  -- is ever told while the attempt could still be lost. Saves one WAL flush per sign-in.
  set local synchronous_commit = off;
  -- The attempt is committed before the read: concurrent attempts count each other.
  commit;
  ${read}
    into ${START_OUTPUTS.join(', ')}
    from (select 1 as one) x left join ${q('users')} u on u.email_lower = lower(p_email);
end
$body$`;
}

/** MySQL's and MariaDB's procedure of {@link signInStart}: the attempt in a transaction of its own, then the read as a result set. */
function mysqlStartSignIn(prefix: string): string {
  const q = (table: string): string => `\`${prefix}${table}\``;
  const text = (length: number): string => `varchar(${length}) character set utf8mb4`;
  const bin = (parameter: string): string => `${parameter} collate utf8mb4_bin`;
  const read = startSignInRead(q, bin);
  return `create procedure \`${startSignInProcedure(prefix)}\`(
  in p_id ${text(36)}, in p_email ${text(255)}, in p_ip ${text(64)}, in p_at datetime(3),
  in p_window_start datetime(3), in p_max_failures integer, in p_max_failures_per_ip integer, in p_device_hash ${text(64)})
modifies sql data
begin
  declare exit handler for sqlexception begin rollback; resignal; end;
  start transaction;
  insert into ${q('login_attempts')} (id, email, user_id, ip, success, created_at)
    select p_id, p_email, (select id from ${q('users')} where email_lower = lower(${bin('p_email')})), p_ip, false, p_at;
  -- The attempt is committed before the read: concurrent attempts count each other.
  commit;
  ${read}
    from (select 1 as one) x left join ${q('users')} u on u.email_lower = lower(${bin('p_email')});
end`;
}

/** The user columns the procedure answers, as `SqlAuthStore` reads them. */
const USER_COLUMN_LIST = 'id, email, name, password_hash, status, status_reason, status_until, email_verified_at, must_change_password, locale, attributes, last_login_at, created_at, updated_at';

/** Whether the current schema has an index of this name on this (prefixed) table. */
async function hasIndex(db: Kysely<unknown>, dialect: SqlDialect, table: string, name: string): Promise<boolean> {
  const { rows } =
    dialect.name === 'postgres'
      ? await sql`select 1 from pg_indexes where schemaname = current_schema() and tablename = ${table} and indexname = ${name}`.execute(db)
      : await sql`select 1 from information_schema.statistics where table_schema = database() and table_name = ${table} and index_name = ${name}`.execute(db);
  return rows.length > 0;
}

/**
 * The indexes of the administrator's reads and of retention (issue 21): users by status in
 * the list's order; activities by exact action and by the action's first segment (`login.`)
 * in the log's order; ended sessions and spent keys by when they ended. The first segment is
 * an expression index on PostgreSQL, and an indexed virtual column (`action_module`) on
 * MySQL/MariaDB, which MariaDB needs (it has no expression indexes) and MySQL 8 accepts.
 * Idempotent: an index or column already there is kept.
 */
function adminIndexes(dialect: SqlDialect, prefix: string): Migration {
  const idx = (name: string): string => `${prefix}${name}`;
  const plain: readonly { readonly name: string; readonly table: string; readonly columns: readonly string[] }[] = [
    { name: 'users_status_idx', table: 'users', columns: ['status', 'created_at', 'id'] },
    { name: 'activities_action_idx', table: 'activities', columns: ['action', 'created_at', 'id'] },
    { name: 'one_time_keys_expires_idx', table: 'one_time_keys', columns: ['expires_at'] },
    { name: 'one_time_keys_used_idx', table: 'one_time_keys', columns: ['used_at'] },
  ];
  const drop = (db: Kysely<unknown>, name: string, table: string) => db.schema.dropIndex(idx(name)).$call((d) => (dialect.name === 'postgres' ? d : d.on(table)));
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const { name, table, columns } of plain) {
        if (await hasIndex(db, dialect, `${prefix}${table}`, idx(name))) continue;
        await db.schema.createIndex(idx(name)).on(table).columns([...columns]).execute();
      }
      // Revoked sessions only, where partial indexes exist: the live ones (revoked_at null) are found by user.
      if (!(await hasIndex(db, dialect, `${prefix}sessions`, idx('sessions_revoked_idx')))) {
        const revoked = db.schema.createIndex(idx('sessions_revoked_idx')).on('sessions').column('revoked_at');
        await (dialect.name === 'postgres' ? revoked.where(sql.ref('revoked_at'), 'is not', null) : revoked).execute();
      }
      const table = `${prefix}activities`;
      if (await hasIndex(db, dialect, table, idx('activities_module_idx'))) return;
      if (dialect.name === 'postgres') {
        // The store filters on exactly this expression (with the literal '.'), so the planner matches it.
        await sql.raw(`create index "${idx('activities_module_idx')}" on "${table}" (split_part(action, '.', 1), created_at, id)`).execute(db);
        return;
      }
      if (!(await hasColumn(db, table, 'action_module'))) {
        await sql.raw(`alter table \`${table}\` add column \`action_module\` varchar(128) generated always as (substring_index(\`action\`, '.', 1)) virtual`).execute(db);
      }
      await db.schema.createIndex(idx('activities_module_idx')).on('activities').columns(['action_module', 'created_at', 'id']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await drop(db, 'activities_module_idx', 'activities').execute();
      if (dialect.name === 'mysql') await sql.raw(`alter table \`${prefix}activities\` drop column \`action_module\``).execute(db);
      for (const { name, table } of plain) await drop(db, name, table).execute();
      await drop(db, 'sessions_revoked_idx', 'sessions').execute();
    },
  };
}

/** Whether a table of the current database (PostgreSQL: schema) has a column of this name. */
async function hasColumn(db: Kysely<unknown>, table: string, column: string, dialect?: SqlDialect): Promise<boolean> {
  const schema = dialect?.name === 'postgres' ? sql`current_schema()` : sql`database()`;
  const { rows } = await sql`select 1 from information_schema.columns where table_schema = ${schema} and table_name = ${table} and column_name = ${column}`.execute(db);
  return rows.length > 0;
}

/** How many users the backfill of {@link userSearchWords} reads at a time. */
const BACKFILL_BATCH = 1000;

/**
 * `user_search_words`: the words each user is found by in `users.list({ q })` (see
 * `searchWordsOf()`), one row per (word, user), read by word prefix through the primary key.
 * The store writes them in the same transaction as the user; this migration fills them for
 * the users already there, a thousand at a time. Idempotent: a second run rebuilds them.
 */
function userSearchWords(dialect: SqlDialect, prefix: string): Migration {
  const t = dialect.types;
  const finish = finisher(dialect);
  const idx = (name: string): string => `${prefix}${name}`;
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await finish(
        db.schema
          .createTable('user_search_words')
          .ifNotExists()
          .addColumn('word', t.code(255), (c) => c.notNull())
          .addColumn('user_id', t.id, (c) => c.notNull())
          .addPrimaryKeyConstraint(idx('user_search_words_pk'), ['word', 'user_id'])
          .addForeignKeyConstraint(idx('user_search_words_user_id_fk'), ['user_id'], 'users', ['id'], (fk) => fk.onDelete('cascade')),
      ).execute();
      if (!(await hasIndex(db, dialect, `${prefix}user_search_words`, idx('user_search_words_user_idx')))) {
        await db.schema.createIndex(idx('user_search_words_user_idx')).on('user_search_words').column('user_id').execute();
      }
      const words = db as unknown as Kysely<{ users: { id: string; name: string; email: string }; user_search_words: { word: string; user_id: string } }>;
      await words.deleteFrom('user_search_words').execute();
      for (let after = ''; ; ) {
        const users = await words.selectFrom('users').select(['id', 'name', 'email']).where('id', '>', after).orderBy('id').limit(BACKFILL_BATCH).execute();
        if (users.length === 0) break;
        const rows = users.flatMap((user) => searchWordsOf(user).map((word) => ({ word, user_id: user.id })));
        if (rows.length > 0) await words.insertInto('user_search_words').values(rows).execute();
        after = users.at(-1)!.id;
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('user_search_words').ifExists().execute();
    },
  };
}

/**
 * The indexes `users.list()` probes per user at a million users (issue 21): the search words
 * of one user by (user_id, word), so that "does this user have a word beginning `garcia`" is
 * one short range of an index instead of every word of the user read from the table; it
 * replaces the index on `user_id` alone (0008), which it also serves (the foreign key and its
 * cascade). On MySQL/MariaDB the old index already held the primary key's `word` after
 * `user_id`; the new one says so explicitly, and MySQL 8 lets the (user_id) index go once
 * another index begins with the foreign key's column. Idempotent.
 */
function userListIndexes(dialect: SqlDialect, prefix: string): Migration {
  return replaceIndex(dialect, prefix, 'user_search_words', {
    add: ['user_search_words_user_word_idx', ['user_id', 'word']],
    drop: ['user_search_words_user_idx', ['user_id']],
  });
}

/**
 * `role_catalog`: the one-row version of the role catalogue and the catalogue itself (issue
 * 21). A process keeps the roles and their active permissions in memory under this version,
 * and the session query sends the stored catalogue only when the version it holds is no
 * longer the database's (see `role-catalog.ts`). The row starts with a random value and no
 * document. Idempotent.
 */
function roleCatalog(dialect: SqlDialect, prefix: string): Migration {
  const t = dialect.types;
  const finish = finisher(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await finish(
        db.schema
          .createTable('role_catalog')
          .ifNotExists()
          .addColumn('id', t.integer, (c) => c.notNull())
          .addColumn('version', t.code(64), (c) => c.notNull())
          // The catalogue as JSON text, written by the store's role and permission writes after
          // their change; null until the first, or when it could not be built whole (a reader
          // then builds it from the tables). MySQL/MariaDB: LONGTEXT, not their 64 KB `text`, and
          // not `json`, whose check would refuse the write of a catalogue MariaDB cut short.
          .addColumn('document', dialect.name === 'postgres' ? t.text : sql.raw('longtext'))
          .addPrimaryKeyConstraint(`${prefix}role_catalog_pk`, ['id']),
      ).execute();
      const catalog = db as unknown as Kysely<{ role_catalog: { id: number; version: string } }>;
      const row = await catalog.selectFrom('role_catalog').select('id').where('id', '=', 1).executeTakeFirst();
      if (row === undefined) await catalog.insertInto('role_catalog').values({ id: 1, version: freshCatalogVersion() }).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('role_catalog').ifExists().execute();
    },
  };
}

/**
 * A role's holders with their expiry, in one index (issue 21): `user_roles (role_code, user_id,
 * expires_at)` replaces `(role_code, user_id)`, so that `users.list()` counts a role's unexpired
 * holders, and probes "does this user hold the role", from the index alone. With the old index
 * each holder's row was read for `expires_at`: a thousand admins among a million users were a
 * thousand scattered rows of `user_roles`, cold in MariaDB's default 128 MB buffer pool. The new
 * index begins with `role_code` as the old one did, so it serves the foreign key and the
 * stale-session writes by role too. Idempotent.
 */
function roleHolderIndex(dialect: SqlDialect, prefix: string): Migration {
  return replaceIndex(dialect, prefix, 'user_roles', {
    add: ['user_roles_role_expiry_idx', ['role_code', 'user_id', 'expires_at']],
    drop: ['user_roles_role_idx', ['role_code', 'user_id']],
  });
}

/**
 * A role's holders in the list's order (issue 21): `user_roles.user_created_at`, a copy of the
 * assigned user's `created_at` (which never changes), and the index `user_roles (role_code,
 * user_created_at, user_id, expires_at)`, so that `users.list({ role })` walks a role's
 * unexpired holders newest first and stops at its page, instead of reading every holder's user
 * by key to sort them (a thousand admins among a million users: a thousand scattered rows for a
 * page of 20). Every write of `user_roles` fills the column from `users` in the same statement;
 * this migration fills it for the assignments already there (one `UPDATE … JOIN`, MySQL 8 and
 * MariaDB alike, `UPDATE … FROM` on PostgreSQL). The column stays nullable: the writes cannot
 * leave it null (the user is there, or the foreign key refuses the row), and a missing user is
 * then reported by the foreign key, as before. Idempotent.
 */
function roleHolderOrder(dialect: SqlDialect, prefix: string): Migration {
  const t = dialect.types;
  const idx = `${prefix}user_roles_role_order_idx`;
  const q = (name: string): string => dialect.quoteIdentifier(`${prefix}${name}`);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (!(await hasColumn(db, `${prefix}user_roles`, 'user_created_at', dialect))) await db.schema.alterTable('user_roles').addColumn('user_created_at', t.timestamp).execute();
      await sql
        .raw(
          dialect.name === 'postgres'
            ? `update ${q('user_roles')} as ur set user_created_at = u.created_at from ${q('users')} as u where u.id = ur.user_id and ur.user_created_at is distinct from u.created_at`
            : `update ${q('user_roles')} as ur join ${q('users')} as u on u.id = ur.user_id set ur.user_created_at = u.created_at where not (ur.user_created_at <=> u.created_at)`,
        )
        .execute(db);
      if (!(await hasIndex(db, dialect, `${prefix}user_roles`, idx))) {
        await db.schema.createIndex(idx).on('user_roles').columns(['role_code', 'user_created_at', 'user_id', 'expires_at']).execute();
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (await hasIndex(db, dialect, `${prefix}user_roles`, idx)) await db.schema.dropIndex(idx).$call((d) => (dialect.name === 'postgres' ? d : d.on('user_roles'))).execute();
      if (await hasColumn(db, `${prefix}user_roles`, 'user_created_at', dialect)) await db.schema.alterTable('user_roles').dropColumn('user_created_at').execute();
    },
  };
}

/** An index and its columns, by its unprefixed name. */
type IndexSpec = readonly [name: string, columns: readonly string[]];

/**
 * A migration that replaces the index `drop` of `table` by `add`: up creates `add` before it
 * drops `drop` (a foreign key may need one of them at every moment), down the other way round.
 * Idempotent both ways.
 */
function replaceIndex(dialect: SqlDialect, prefix: string, table: string, { add, drop }: { add: IndexSpec; drop: IndexSpec }): Migration {
  const idx = (name: string): string => `${prefix}${name}`;
  const create = async (db: Kysely<unknown>, [name, columns]: IndexSpec): Promise<void> => {
    if (!(await hasIndex(db, dialect, `${prefix}${table}`, idx(name)))) await db.schema.createIndex(idx(name)).on(table).columns([...columns]).execute();
  };
  const remove = async (db: Kysely<unknown>, [name]: IndexSpec): Promise<void> => {
    if (!(await hasIndex(db, dialect, `${prefix}${table}`, idx(name)))) return;
    await db.schema.dropIndex(idx(name)).$call((d) => (dialect.name === 'postgres' ? d : d.on(table))).execute();
  };
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await create(db, add);
      await remove(db, drop);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await create(db, drop);
      await remove(db, add);
    },
  };
}
