import type { ColumnType, Generated, GeneratedAlways } from 'kysely';

/**
 * A timestamp column: written as a `Date`, read as a `Date` or, depending on the driver's
 * settings, as a string; rows are normalised by `rows.ts`.
 */
type Timestamp = ColumnType<Date | string, Date, Date>;
type NullableTimestamp = ColumnType<Date | string | null, Date | null, Date | null>;
/** PostgreSQL answers booleans, MySQL and MariaDB `TINYINT(1)` answers 0 or 1. */
type Bool = ColumnType<boolean | number, boolean, boolean>;
/** JSON is written as text; PostgreSQL and MySQL 8 answer it parsed, MariaDB as text. */
type Json = ColumnType<unknown, string, string>;

/** `user_devices`: the devices a user signed in from (the SHA-256 of the device key), for new sign-in notices. */
export interface UserDevicesTable {
  user_id: string;
  device_hash: string;
  created_at: Timestamp;
}

/** `user_search_words`: the words each user is found by in a search (migration 0008; see `searchWordsOf()`). */
export interface UserSearchWordsTable {
  word: string;
  user_id: string;
}

/** `users`: one row per account. */
export interface UsersTable {
  id: string;
  email: string;
  /** `lower(email)`, computed by the database; its unique index makes emails unique case-insensitively. */
  email_lower: GeneratedAlways<string>;
  name: string;
  password_hash: string | null;
  status: string;
  status_reason: string | null;
  status_until: NullableTimestamp;
  email_verified_at: NullableTimestamp;
  must_change_password: Bool;
  locale: string | null;
  attributes: Json;
  last_login_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `roles`. */
export interface RolesTable {
  code: string;
  name: string;
  description: string;
  level: number;
  active: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `permissions`. */
export interface PermissionsTable {
  code: string;
  name: string;
  module: string;
  action: string;
  active: Bool;
  created_at: Timestamp;
}

/** `role_permissions`: which permissions a role grants. */
export interface RolePermissionsTable {
  role_code: string;
  permission_code: string;
}

/** `user_roles`: role assignments. */
export interface UserRolesTable {
  user_id: string;
  role_code: string;
  assigned_at: Timestamp;
  assigned_by: string | null;
  expires_at: NullableTimestamp;
  /** The assigned user's `created_at`, copied by every write (migration 0014): the role's holders in the list's order. */
  user_created_at: NullableTimestamp;
}

/** `sessions`. */
export interface SessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  ip: string | null;
  user_agent: string | null;
  remember_me: Bool;
  created_at: Timestamp;
  last_active_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: NullableTimestamp;
  /** Changes whenever the session, its user, the user's roles or their permissions do (migration 0003). */
  stamp: Generated<number>;
}

/** `one_time_keys`: activation, reset and email-change keys (hashes only). */
export interface OneTimeKeysTable {
  id: string;
  user_id: string;
  purpose: string;
  key_hash: string;
  sent_to: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  used_ip: string | null;
  voided_at: NullableTimestamp;
}

/** `password_history`. */
export interface PasswordHistoryTable {
  id: string;
  user_id: string;
  password_hash: string;
  changed_at: Timestamp;
  reason: string;
  forced: Bool;
}

/** `login_attempts`: the ledger behind lockouts. */
export interface LoginAttemptsTable {
  id: string;
  email: string;
  user_id: string | null;
  ip: string | null;
  success: Bool;
  created_at: Timestamp;
}

/** `activities`: the append-only activity log. */
export interface ActivitiesTable {
  id: string;
  subject_id: string | null;
  actor_id: string | null;
  action: string;
  details: string;
  ip: string | null;
  user_agent: string | null;
  metadata: Json;
  created_at: Timestamp;
}

/** `two_factor`: a user's TOTP second factor (the secret sealed by the core). */
export interface TwoFactorTable {
  user_id: string;
  secret: string;
  enabled_at: NullableTimestamp;
  /** A bigint: PostgreSQL's driver answers it as a string. */
  last_step: ColumnType<number | string, number, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `rate_limits`: one fixed window of hits per key (migration 0004). */
export interface RateLimitsTable {
  /** SHA-256 of the key, in hex: keys hold addresses, and any key fits. */
  key_hash: string;
  hits: number;
  /** When the window ends. */
  reset_at: Timestamp;
}

/** `user_identifiers`: named external identifiers, unique per name (migration 0006). */
export interface UserIdentifiersTable {
  name: string;
  /** MySQL keeps the value's bytes (`varbinary`, exact comparison) and answers a Buffer. */
  value: ColumnType<string | Uint8Array, string, string>;
  user_id: string;
}

/** Every table gatehouse owns, by its unprefixed name. */
/**
 * `role_catalog`: one row (`id` 1) holding the version of the role catalogue — the roles and
 * their active permissions — and the catalogue as of that version, both written by every
 * write to `roles`, `permissions` or `role_permissions` through the store in its transaction
 * (migration 0011; see `role-catalog.ts`).
 */
export interface RoleCatalogTable {
  id: number;
  version: string;
  /** The catalogue as JSON text (see `catalogDocument()`), as of `version`; null until a write through the store. */
  document: string | null;
}

export interface Database {
  users: UsersTable;
  roles: RolesTable;
  permissions: PermissionsTable;
  role_permissions: RolePermissionsTable;
  user_roles: UserRolesTable;
  sessions: SessionsTable;
  one_time_keys: OneTimeKeysTable;
  password_history: PasswordHistoryTable;
  login_attempts: LoginAttemptsTable;
  activities: ActivitiesTable;
  two_factor: TwoFactorTable;
  rate_limits: RateLimitsTable;
  user_identifiers: UserIdentifiersTable;
  user_devices: UserDevicesTable;
  user_search_words: UserSearchWordsTable;
  role_catalog: RoleCatalogTable;
}

/** The unprefixed table names, in an order in which deleting every row breaks no foreign key. */
export const TABLE_NAMES = [
  'user_search_words',
  'user_identifiers',
  'role_permissions',
  'user_roles',
  'sessions',
  'one_time_keys',
  'password_history',
  'login_attempts',
  'activities',
  'two_factor',
  'user_devices',
  'users',
  'permissions',
  'roles',
  'rate_limits',
  'role_catalog',
] as const satisfies readonly (keyof Database)[];

/*
 * Queries name their columns rather than `select *`: a prepared statement must keep its
 * result shape when a later migration adds a column while the application runs.
 */

/** The columns of `users` a query selects (all but the generated `email_lower`). */
export const USER_COLUMNS = [
  'id',
  'email',
  'name',
  'password_hash',
  'status',
  'status_reason',
  'status_until',
  'email_verified_at',
  'must_change_password',
  'locale',
  'attributes',
  'last_login_at',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof UsersTable)[];

/** The columns of `sessions`. */
export const SESSION_COLUMNS = [
  'id',
  'user_id',
  'token_hash',
  'ip',
  'user_agent',
  'remember_me',
  'created_at',
  'last_active_at',
  'expires_at',
  'revoked_at',
] as const satisfies readonly (keyof SessionsTable)[];

/** The columns of `roles`. */
export const ROLE_COLUMNS = ['code', 'name', 'description', 'level', 'active', 'created_at', 'updated_at'] as const satisfies readonly (keyof RolesTable)[];

/** The columns of `permissions`. */
export const PERMISSION_COLUMNS = ['code', 'name', 'module', 'action', 'active', 'created_at'] as const satisfies readonly (keyof PermissionsTable)[];

/** The columns of `one_time_keys`. */
export const KEY_COLUMNS = [
  'id',
  'user_id',
  'purpose',
  'key_hash',
  'sent_to',
  'created_at',
  'expires_at',
  'used_at',
  'used_ip',
  'voided_at',
] as const satisfies readonly (keyof OneTimeKeysTable)[];

/** The columns of `password_history`. */
export const HISTORY_COLUMNS = ['id', 'user_id', 'password_hash', 'changed_at', 'reason', 'forced'] as const satisfies readonly (keyof PasswordHistoryTable)[];

/** The columns of `activities`. */
export const ACTIVITY_COLUMNS = [
  'id',
  'subject_id',
  'actor_id',
  'action',
  'details',
  'ip',
  'user_agent',
  'metadata',
  'created_at',
] as const satisfies readonly (keyof ActivitiesTable)[];

/** The columns of `two_factor`. */
export const TWO_FACTOR_COLUMNS = ['user_id', 'secret', 'enabled_at', 'last_step', 'created_at', 'updated_at'] as const satisfies readonly (keyof TwoFactorTable)[];

/** Names of gatehouse's own bookkeeping tables of Kysely's migrator, before the prefix. */
export const MIGRATION_TABLE = 'gatehouse_migration';
export const MIGRATION_LOCK_TABLE = 'gatehouse_migration_lock';

/** Longest accepted table prefix: the longest index name plus the prefix stays within MySQL's 64 characters. */
export const MAX_TABLE_PREFIX_LENGTH = 24;

/**
 * Checks a table prefix: lower-case letters, digits and `_`, starting with a letter (table
 * names are case-sensitive on some MySQL installations and not on others), at most
 * {@link MAX_TABLE_PREFIX_LENGTH} characters; `''` for none.
 * @throws {TypeError} when the prefix is not acceptable.
 */
export function checkTablePrefix(prefix: unknown): string {
  if (prefix === undefined) return '';
  if (typeof prefix !== 'string' || !/^(?:[a-z][a-z0-9_]*)?$/.test(prefix) || prefix.length > MAX_TABLE_PREFIX_LENGTH) {
    throw new TypeError(
      `tablePrefix must be lower-case letters, digits and _ starting with a letter, at most ${MAX_TABLE_PREFIX_LENGTH} characters (e.g. 'auth_'); got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}
