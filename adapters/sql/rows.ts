import type {
  Activity,
  JsonObject,
  KeyPurpose,
  OneTimeKey,
  PasswordHistoryEntry,
  Permission,
  Role,
  RoleGrant,
  SessionRecord,
  TwoFactorRecord,
  UserRecord,
  UserStatus,
} from 'gatehouse';
import type { Insertable } from 'kysely';
import { SESSION_COLUMNS, USER_COLUMNS, type UsersTable } from './schema.js';

/** A row as a driver hands it out. */
export type Row = Readonly<Record<string, unknown>>;

const TIMESTAMP = /^(\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * An instant from what a driver or a JSON document gives: a `Date`, epoch milliseconds, or
 * an ISO-like string. A string without a zone is UTC, because gatehouse writes UTC.
 */
export function toDate(value: unknown): Date {
  if (value instanceof Date) return new Date(value.getTime());
  // Epoch milliseconds; rounded, as a double computed by the database may miss by a hair.
  if (typeof value === 'number') return new Date(Math.round(value));
  if (typeof value === 'string') {
    const m = TIMESTAMP.exec(value);
    if (m !== null) {
      const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = m;
      const ms = Number((fraction + '000').slice(0, 3));
      let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
      if (zone.toUpperCase() !== 'Z') {
        const sign = zone.startsWith('-') ? -1 : 1;
        const digits = zone.slice(1).replace(':', '');
        time -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')) * 60_000;
      }
      return new Date(time);
    }
  }
  const parsed = new Date(value as string);
  if (Number.isNaN(parsed.getTime())) throw new TypeError(`not a timestamp: ${String(value)}`);
  return parsed;
}

/** {@link toDate}, with `null` kept. */
export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

/** A boolean from `true`/`false` or MySQL's 0/1. */
export function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

/** A JSON value from a parsed document or its text (MariaDB answers JSON as text). */
export function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
}

function parseJsonObject(value: unknown): JsonObject {
  const parsed = parseJson(value);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : {};
}

const text = (value: unknown): string => String(value);
const textOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));

/** Reads the columns of one table out of a joined row whose column names carry `prefix`. */
export function unprefix(row: Row, prefix: string): Row {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  return out;
}

/** A `users` row (plain column names) as a {@link UserRecord}. */
export function toUserRecord(row: Row): UserRecord {
  return {
    id: text(row['id']),
    email: text(row['email']),
    name: text(row['name']),
    passwordHash: textOrNull(row['password_hash']),
    status: text(row['status']) as UserStatus,
    statusReason: textOrNull(row['status_reason']),
    statusUntil: toDateOrNull(row['status_until']),
    emailVerifiedAt: toDateOrNull(row['email_verified_at']),
    mustChangePassword: toBool(row['must_change_password']),
    locale: textOrNull(row['locale']),
    attributes: parseJsonObject(row['attributes']),
    lastLoginAt: toDateOrNull(row['last_login_at']),
    createdAt: toDate(row['created_at']),
    updatedAt: toDate(row['updated_at']),
  };
}

/** A `roles` row as a {@link Role}. */
export function toRole(row: Row): Role {
  return {
    code: text(row['code']),
    name: text(row['name']),
    description: text(row['description']),
    level: Number(row['level']),
    active: toBool(row['active']),
    createdAt: toDate(row['created_at']),
    updatedAt: toDate(row['updated_at']),
  };
}

/** A `permissions` row as a {@link Permission}. */
export function toPermission(row: Row): Permission {
  return {
    code: text(row['code']),
    name: text(row['name']),
    module: text(row['module']),
    action: text(row['action']),
    active: toBool(row['active']),
    createdAt: toDate(row['created_at']),
  };
}

/** A `sessions` row as a {@link SessionRecord}. */
export function toSessionRecord(row: Row): SessionRecord {
  return {
    id: text(row['id']),
    userId: text(row['user_id']),
    tokenHash: text(row['token_hash']),
    ip: textOrNull(row['ip']),
    userAgent: textOrNull(row['user_agent']),
    rememberMe: toBool(row['remember_me']),
    createdAt: toDate(row['created_at']),
    lastActiveAt: toDate(row['last_active_at']),
    expiresAt: toDate(row['expires_at']),
    revokedAt: toDateOrNull(row['revoked_at']),
  };
}

/** A `one_time_keys` row as a {@link OneTimeKey}. */
export function toOneTimeKey(row: Row): OneTimeKey {
  return {
    id: text(row['id']),
    userId: text(row['user_id']),
    purpose: text(row['purpose']) as KeyPurpose,
    keyHash: text(row['key_hash']),
    sentTo: text(row['sent_to']),
    createdAt: toDate(row['created_at']),
    expiresAt: toDate(row['expires_at']),
    usedAt: toDateOrNull(row['used_at']),
    usedIp: textOrNull(row['used_ip']),
    voidedAt: toDateOrNull(row['voided_at']),
  };
}

/** A `password_history` row as a {@link PasswordHistoryEntry}. */
export function toPasswordHistoryEntry(row: Row): PasswordHistoryEntry {
  return {
    id: text(row['id']),
    userId: text(row['user_id']),
    passwordHash: text(row['password_hash']),
    changedAt: toDate(row['changed_at']),
    reason: text(row['reason']),
    forced: toBool(row['forced']),
  };
}

/** A `two_factor` row as a {@link TwoFactorRecord}. */
export function toTwoFactor(row: Row): TwoFactorRecord {
  return {
    userId: text(row['user_id']),
    secret: text(row['secret']),
    enabledAt: toDateOrNull(row['enabled_at']),
    lastStep: Number(row['last_step']),
    createdAt: toDate(row['created_at']),
    updatedAt: toDate(row['updated_at']),
  };
}

/** An `activities` row as an {@link Activity}. */
export function toActivity(row: Row): Activity {
  return {
    id: text(row['id']),
    subjectId: textOrNull(row['subject_id']),
    actorId: textOrNull(row['actor_id']),
    action: text(row['action']),
    details: text(row['details']),
    ip: textOrNull(row['ip']),
    userAgent: textOrNull(row['user_agent']),
    metadata: parseJsonObject(row['metadata']),
    createdAt: toDate(row['created_at']),
  };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One grant from a row with `g_*` (assignment) fields, its role's row and its permission codes. */
function toGrant(g: Row, role: Row, permissions: readonly string[]): RoleGrant {
  return {
    userId: text(g['g_user_id']),
    roleCode: text(g['g_role_code']),
    assignedAt: toDate(g['g_assigned_at']),
    assignedBy: textOrNull(g['g_assigned_by']),
    expiresAt: toDateOrNull(g['g_expires_at']),
    role: toRole(role),
    permissions: [...permissions].sort(compare),
  };
}

/** Highest role level first, then by code: the order of the port. */
function ordered(grants: RoleGrant[]): RoleGrant[] {
  return grants.sort((a, b) => b.role.level - a.role.level || compare(a.roleCode, b.roleCode));
}

/** Columns that hold instants, which the JSON session document carries as epoch milliseconds. */
export const TIMESTAMP_COLUMNS: ReadonlySet<string> = new Set([
  'created_at',
  'updated_at',
  'last_active_at',
  'expires_at',
  'revoked_at',
  'status_until',
  'email_verified_at',
  'last_login_at',
  'assigned_at',
]);

/**
 * A row of `names` from `values` read from `offset` on. A plain loop: `Object.fromEntries`
 * over mapped pairs cost more CPU than the rest of decoding the session document.
 */
function byPosition(names: readonly string[], values: readonly unknown[], offset = 0): Row {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i += 1) row[names[i]!] = values[offset + i];
  return row;
}

/**
 * The session and its user from the session query's JSON array: the session's columns
 * (`SESSION_COLUMNS`), the user's (`USER_COLUMNS`), by position; `rest` holds what follows.
 */
export function fromSessionAndUser(value: unknown): { session: SessionRecord; user: UserRecord; rest: unknown[] } {
  const doc = parseJson(value) as unknown[];
  const userAt = SESSION_COLUMNS.length;
  const restAt = userAt + USER_COLUMNS.length;
  return { session: toSessionRecord(byPosition(SESSION_COLUMNS, doc)), user: toUserRecord(byPosition(USER_COLUMNS, doc, userAt)), rest: doc.slice(restAt) };
}

/**
 * The grants of a user from rows of one (assignment, active permission) each — `p_code`
 * null for a role without active permissions, `g_role_code` null when a left join found
 * no assignment at all.
 */
export function grantsFromRows(rows: readonly Row[]): RoleGrant[] {
  const byRole = new Map<string, { row: Row; permissions: string[] }>();
  for (const row of rows) {
    const roleCode = row['g_role_code'];
    if (roleCode === null || roleCode === undefined) continue;
    let entry = byRole.get(String(roleCode));
    if (entry === undefined) {
      entry = { row, permissions: [] };
      byRole.set(String(roleCode), entry);
    }
    const permission = row['p_code'];
    if (permission !== null && permission !== undefined) entry.permissions.push(String(permission));
  }
  return ordered([...byRole.values()].map(({ row, permissions }) => toGrant(row, unprefix(row, 'r_'), permissions)));
}

/** A user's row as it is written: `attributes` as JSON text. */
export function userRow(user: UserRecord): Insertable<UsersTable> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    password_hash: user.passwordHash,
    status: user.status,
    status_reason: user.statusReason,
    status_until: user.statusUntil,
    email_verified_at: user.emailVerifiedAt,
    must_change_password: user.mustChangePassword,
    locale: user.locale,
    attributes: JSON.stringify(user.attributes),
    last_login_at: user.lastLoginAt,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}
