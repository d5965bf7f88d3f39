import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { SchemaMigration as Migration, SchemaMigrationProvider as MigrationProvider } from './kysely-migrator.js';
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
    '0002_two_factor': twoFactor(dialect),
    '0003_session_stamp': sessionStamp(dialect),
    '0004_rate_limits': rateLimits(dialect, prefix),
  };
  return { getMigrations: () => Promise.resolve(migrations) };
}

/** The finishing touch every CREATE TABLE gets (MySQL: engine and character set). */
function finisher(dialect: SqlDialect) {
  return <T extends string, C extends string>(builder: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> =>
    dialect.tableOptions === null ? builder : builder.modifyEnd(dialect.tableOptions);
}

function initial(dialect: SqlDialect, prefix: string): Migration {
  const t = dialect.types;
  const idx = (name: string): string => `${prefix}${name}`;
  const finish = finisher(dialect);

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
          .addColumn('role_code', t.code(64), (c) => c.notNull().references('roles.code').onDelete('cascade'))
          .addColumn('permission_code', t.code(128), (c) => c.notNull().references('permissions.code').onDelete('cascade'))
          .addPrimaryKeyConstraint(idx('role_permissions_pk'), ['role_code', 'permission_code']),
      ).execute();
      await db.schema.createIndex(idx('role_permissions_permission_idx')).on('role_permissions').column('permission_code').execute();

      await finish(
        db.schema
          .createTable('user_roles')
          .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('role_code', t.code(64), (c) => c.notNull().references('roles.code').onDelete('cascade'))
          .addColumn('assigned_at', t.timestamp, (c) => c.notNull())
          .addColumn('assigned_by', t.id, (c) => c.references('users.id').onDelete('set null'))
          .addColumn('expires_at', t.timestamp)
          .addPrimaryKeyConstraint(idx('user_roles_pk'), ['user_id', 'role_code']),
      ).execute();
      await db.schema.createIndex(idx('user_roles_role_idx')).on('user_roles').columns(['role_code', 'user_id']).execute();
      await db.schema.createIndex(idx('user_roles_assigned_by_idx')).on('user_roles').column('assigned_by').execute();

      await finish(
        db.schema
          .createTable('sessions')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('token_hash', t.code(64), (c) => c.notNull())
          .addColumn('ip', t.string(64))
          .addColumn('user_agent', t.text)
          .addColumn('remember_me', t.boolean, (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .addColumn('last_active_at', t.timestamp, (c) => c.notNull())
          .addColumn('expires_at', t.timestamp, (c) => c.notNull())
          .addColumn('revoked_at', t.timestamp),
      ).execute();
      await db.schema.createIndex(idx('sessions_token_uq')).on('sessions').column('token_hash').unique().execute();
      await db.schema.createIndex(idx('sessions_user_idx')).on('sessions').columns(['user_id', 'last_active_at']).execute();
      await db.schema.createIndex(idx('sessions_expires_idx')).on('sessions').column('expires_at').execute();

      await finish(
        db.schema
          .createTable('one_time_keys')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('purpose', t.code(32), (c) => c.notNull())
          .addColumn('key_hash', t.code(64), (c) => c.notNull())
          .addColumn('sent_to', t.string(255), (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .addColumn('expires_at', t.timestamp, (c) => c.notNull())
          .addColumn('used_at', t.timestamp)
          .addColumn('used_ip', t.string(64))
          .addColumn('voided_at', t.timestamp),
      ).execute();
      await db.schema.createIndex(idx('one_time_keys_hash_uq')).on('one_time_keys').column('key_hash').unique().execute();
      await db.schema.createIndex(idx('one_time_keys_user_idx')).on('one_time_keys').columns(['user_id', 'purpose']).execute();

      await finish(
        db.schema
          .createTable('password_history')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('user_id', t.id, (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('password_hash', t.string(255), (c) => c.notNull())
          .addColumn('changed_at', t.timestamp, (c) => c.notNull())
          .addColumn('reason', t.string(64), (c) => c.notNull())
          .addColumn('forced', t.boolean, (c) => c.notNull()),
      ).execute();
      await db.schema.createIndex(idx('password_history_user_idx')).on('password_history').columns(['user_id', 'changed_at']).execute();

      await finish(
        db.schema
          .createTable('login_attempts')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('email', t.string(255), (c) => c.notNull())
          .addColumn('user_id', t.id, (c) => c.references('users.id').onDelete('cascade'))
          .addColumn('ip', t.string(64))
          .addColumn('success', t.boolean, (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull()),
      ).execute();
      await db.schema.createIndex(idx('login_attempts_email_idx')).on('login_attempts').columns(['email', 'created_at']).execute();
      await db.schema.createIndex(idx('login_attempts_ip_idx')).on('login_attempts').columns(['ip', 'created_at']).execute();
      await db.schema.createIndex(idx('login_attempts_user_idx')).on('login_attempts').column('user_id').execute();
      await db.schema.createIndex(idx('login_attempts_created_idx')).on('login_attempts').column('created_at').execute();

      await finish(
        db.schema
          .createTable('activities')
          .addColumn('id', t.id, (c) => c.primaryKey())
          .addColumn('subject_id', t.id, (c) => c.references('users.id').onDelete('set null'))
          .addColumn('actor_id', t.id, (c) => c.references('users.id').onDelete('set null'))
          .addColumn('action', t.code(128), (c) => c.notNull())
          .addColumn('details', t.text, (c) => c.notNull())
          .addColumn('ip', t.string(64))
          .addColumn('user_agent', t.text)
          .addColumn('metadata', t.json, (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull()),
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
function twoFactor(dialect: SqlDialect): Migration {
  const t = dialect.types;
  const finish = finisher(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await finish(
        db.schema
          .createTable('two_factor')
          .addColumn('user_id', t.id, (c) => c.primaryKey().references('users.id').onDelete('cascade'))
          .addColumn('secret', t.text, (c) => c.notNull())
          .addColumn('enabled_at', t.timestamp)
          .addColumn('last_step', t.bigint, (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .addColumn('updated_at', t.timestamp, (c) => c.notNull()),
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
