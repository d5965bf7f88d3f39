import { domainToUnicode } from 'node:url';
import { createConnection, type Connection } from 'mysql2/promise';
import { AuthError, normalizeEmail, type FieldIssue, type JsonObject, type JsonValue, type UserStatus } from 'gatehouse';
import type {
  ImportActivity,
  ImportBatch,
  ImportNotice,
  ImportPasswordHistoryEntry,
  ImportRecord,
  ImportRefusal,
  ImportRole,
  ImportRoleAssignment,
  ImportRoleSet,
  ImportPermission,
  PasswordScheme,
} from './import-record.js';
import { PERMISSION_CODE, ROLE_CODE, translatePermissionCode, translateRoleCode } from './legacy-codes.js';
import { importableEmail } from './legacy-email.js';
import { PHP_USUARIOS_MAPPING, type LegacyMapping } from './legacy-mapping.js';
import { checkTimeZone, legacyInstant } from './legacy-time.js';

/** How a {@link LegacyReader} reads. */
export interface LegacyReaderOptions {
  /**
   * The zone in which the legacy application wrote its `DATETIME`s (an IANA name such as
   * `America/Bogota`, or an offset such as `-05:00`): PHP's `date()` and MySQL's `NOW()`
   * write wall-clock time without a zone. `TIMESTAMP` columns carry their zone and are read
   * as such whatever this says.
   */
  readonly timeZone: string;
  /**
   * Users per batch.
   * @default 500
   */
  readonly batchSize?: number | undefined;
  /**
   * How the legacy schema is read.
   * @default PHP_USUARIOS_MAPPING — seed 004's schema
   */
  readonly mapping?: LegacyMapping | undefined;
  /**
   * Read everything in one read-only transaction with a consistent snapshot (a batch import).
   * `false` for lazy migration (`findUser()` while the legacy system still runs): each
   * lookup then sees what the legacy system committed last.
   * @default true
   */
  readonly snapshot?: boolean | undefined;
}

type Row = Record<string, unknown>;

/** Quotes a table or column name the mapping checked (letters, digits, `_`, `$`). */
const id = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCALE = /^([a-z]{2,3})(?:[-_]([a-z]{2}))?$/i;
/** Base32 (RFC 4648) of at least 80 bits, the size Google Authenticator-style libraries made. */
const BASE32_SECRET = /^[A-Z2-7]{16,}$/;

/** The scheme a hash's prefix announces, or the mapping's default for the rest. */
function schemeOf(hash: string, fallback: string | null): PasswordScheme {
  if (BCRYPT.test(hash)) return 'bcrypt';
  if (hash.startsWith('$argon2id$')) return 'argon2id';
  if (hash.startsWith('$argon2i$')) return 'argon2i';
  return fallback ?? 'unknown';
}

const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const nonEmpty = (value: unknown): string | null => {
  const t = text(value)?.trim() ?? null;
  return t === '' ? null : t;
};
/** A MySQL boolean (`TINYINT(1)`) answered as a number or a string. */
const flag = (value: unknown): boolean => value !== null && value !== undefined && Number(value) !== 0;

/** A JSON column: MySQL 8 answers it parsed, MariaDB as text. */
function json(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return value as JsonValue;
  try {
    return JSON.parse(value) as JsonValue;
  } catch {
    return value;
  }
}

/** A legacy language (`es`, `es_CO`, `es-co`) as a gatehouse language tag, or `null`. */
function localeOf(value: string): string | null {
  const parts = LOCALE.exec(value);
  if (parts === null) return null;
  return parts[2] === undefined ? parts[1]!.toLowerCase() : `${parts[1]!.toLowerCase()}-${parts[2].toUpperCase()}`;
}

/** The MySQL URL mysql2 takes (`mariadb://` is the same server). */
function mysqlUrl(url: string): string {
  if (!/^(?:mysql|mariadb):\/\//i.test(url)) throw new TypeError('the legacy database URL must start with mysql:// or mariadb://');
  return url.replace(/^mariadb:/i, 'mysql:');
}

/**
 * Reads a legacy PHP/MySQL user module (MySQL or MariaDB) and maps its users, in batches,
 * into {@link ImportRecord}s, and its roles and permissions into an {@link ImportRoleSet}.
 * It only reads: one connection, in one read-only transaction with a consistent snapshot,
 * so that a legacy system still running cannot change the picture between batches.
 *
 * @example
 * ```ts
 * const reader = await LegacyReader.open('mysql://app@old-db/tienda', { timeZone: 'America/Bogota' });
 * try {
 *   const roles = await reader.readRoles();
 *   for await (const batch of reader.batches()) console.log(batch.records.length, batch.refusals);
 * } finally {
 *   await reader.close();
 * }
 * ```
 */
export class LegacyReader {
  readonly #connection: Connection;
  readonly #mapping: LegacyMapping;
  readonly #zone: string;
  readonly #batchSize: number;
  /** `table.column` of every `TIMESTAMP` column: read in UTC, not in the legacy zone. */
  readonly #timestamps: ReadonlySet<string>;
  readonly #readAt = new Date();
  #roles: { set: ImportRoleSet; codeById: Map<string, string> } | null = null;

  private constructor(connection: Connection, mapping: LegacyMapping, zone: string, batchSize: number, timestamps: ReadonlySet<string>) {
    this.#connection = connection;
    this.#mapping = mapping;
    this.#zone = zone;
    this.#batchSize = batchSize;
    this.#timestamps = timestamps;
  }

  /**
   * Connects to the legacy database and checks that every table and column the mapping
   * names exists, and that every legacy status has a gatehouse status.
   * @throws {TypeError} a malformed URL, time zone or batch size.
   * @throws {AuthError} VALIDATION_FAILED — the schema does not match the mapping (the issues name each table, column or status).
   */
  static async open(url: string, options: LegacyReaderOptions): Promise<LegacyReader> {
    const uri = mysqlUrl(url);
    const zone = checkTimeZone(options.timeZone);
    const batchSize = options.batchSize ?? 500;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new TypeError('batchSize must be a whole number from 1 to 10000');
    const mapping = options.mapping ?? PHP_USUARIOS_MAPPING;
    const connection = await createConnection({ uri, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4' });
    try {
      // UTC for the session: TIMESTAMP columns then read as UTC; DATETIMEs are read as written and placed in `zone` here.
      await connection.query("set time_zone = '+00:00'");
      if (options.snapshot !== false) await connection.query('start transaction with consistent snapshot, read only');
      const timestamps = await checkSchema(connection, mapping);
      const reader = new LegacyReader(connection, mapping, zone, batchSize, timestamps);
      await reader.#checkStatuses();
      return reader;
    } catch (error) {
      await connection.end().catch(() => undefined);
      throw error;
    }
  }

  /** Ends the read transaction and closes the connection. */
  async close(): Promise<void> {
    await this.#connection.query('rollback').catch(() => undefined);
    await this.#connection.end();
  }

  /** How many users the legacy table holds, for a progress bar. */
  async countUsers(): Promise<number> {
    const [row] = await this.#rows(`select count(*) as n from ${id(this.#mapping.tables.users)}`);
    return Number(row?.['n'] ?? 0);
  }

  async #rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    const [rows] = await this.#connection.query(sql, params);
    return rows as Row[];
  }

  /** An instant from a column: `TIMESTAMP`s in UTC, `DATETIME`s in the legacy zone. */
  #instant(table: string, column: string | null, value: unknown): Date | null {
    if (column === null) return null;
    const raw = text(value);
    return legacyInstant(raw, this.#timestamps.has(`${table}.${column}`) ? 'UTC' : this.#zone);
  }

  async #checkStatuses(): Promise<void> {
    const { tables, columns, statuses } = this.#mapping;
    const rows = await this.#rows(`select ${id(columns.statuses.code)} as code from ${id(tables.statuses)}`);
    const issues: FieldIssue[] = rows
      .map((row) => String(row['code']))
      .filter((code) => statuses[code] === undefined)
      .map((code) => ({ path: ['statuses', code], code: 'unmapped_status', message: `legacy status ${code} has no gatehouse status: map it in "statuses"` }));
    if (issues.length > 0) throw mismatch('the legacy statuses', issues);
  }

  /**
   * The legacy roles and permissions with their grants, in gatehouse's terms: role codes
   * lower-cased (or renamed by the mapping), permission codes translated. Switched-off roles
   * and permissions come along switched off.
   * @throws {AuthError} VALIDATION_FAILED — a code that does not translate into a valid gatehouse code, or two that translate into the same role (the issues name them).
   */
  async readRoles(): Promise<ImportRoleSet> {
    if (this.#roles !== null) return this.#roles.set;
    const { tables, columns: c, roles: renames, permissions: rules } = this.#mapping;
    const p = c.permissions;
    const permissionRows = await this.#rows(
      `select ${id(p.id)} as id, ${id(p.code)} as code, ${p.name === null ? 'null' : id(p.name)} as name, ${p.module === null ? 'null' : id(p.module)} as module, ${p.active === null ? '1' : id(p.active)} as active from ${id(tables.permissions)} order by ${id(p.id)}`,
    );
    const r = c.roles;
    const roleRows = await this.#rows(
      `select ${id(r.id)} as id, ${id(r.code)} as code, ${id(r.name)} as name, ${r.description === null ? 'null' : id(r.description)} as description, ${id(r.level)} as level, ${r.active === null ? '1' : id(r.active)} as active from ${id(tables.roles)} order by ${id(r.id)}`,
    );
    const rp = c.rolePermissions;
    const grantRows = await this.#rows(`select ${id(rp.roleId)} as role_id, ${id(rp.permissionId)} as permission_id from ${id(tables.rolePermissions)}`);

    const issues: FieldIssue[] = [];
    const permissionById = new Map<string, ImportPermission>();
    const permissions = new Map<string, ImportPermission>();
    for (const row of permissionRows) {
      const legacyCode = String(row['code']);
      const code = translatePermissionCode(legacyCode, text(row['module']), rules);
      if (!PERMISSION_CODE.test(code)) {
        issues.push({ path: ['permissions', 'codes', legacyCode], code: 'invalid_permission_code', message: `permission ${legacyCode} translates into "${code}", not a gatehouse permission code: name it in "permissions.codes"` });
        continue;
      }
      // Two legacy codes may mean one gatehouse permission: it is active if either is.
      const known = permissions.get(code);
      const permission: ImportPermission = { code, name: nonEmpty(row['name']) ?? code, active: flag(row['active']) || (known?.active ?? false), legacyCode: known?.legacyCode ?? legacyCode };
      permissions.set(code, permission);
      permissionById.set(String(row['id']), permission);
    }
    const grants = new Map<string, Set<string>>();
    for (const row of grantRows) {
      const permission = permissionById.get(String(row['permission_id']));
      if (permission === undefined) continue;
      const set = grants.get(String(row['role_id'])) ?? new Set<string>();
      set.add(permission.code);
      grants.set(String(row['role_id']), set);
    }
    const codeById = new Map<string, string>();
    const roles: ImportRole[] = [];
    for (const row of roleRows) {
      const legacyCode = String(row['code']);
      const code = translateRoleCode(legacyCode, renames);
      if (!ROLE_CODE.test(code)) {
        issues.push({ path: ['roles', legacyCode], code: 'invalid_role_code', message: `role ${legacyCode} becomes "${code}", not a gatehouse role code: rename it in "roles"` });
        continue;
      }
      const twin = roles.find((role) => role.code === code);
      if (twin !== undefined) {
        issues.push({ path: ['roles', legacyCode], code: 'duplicate_role_code', message: `roles ${twin.legacyCode} and ${legacyCode} both become "${code}": rename one in "roles"` });
        continue;
      }
      codeById.set(String(row['id']), code);
      roles.push({
        code,
        name: nonEmpty(row['name']) ?? code,
        description: nonEmpty(row['description']) ?? '',
        level: Number(row['level']),
        permissions: [...(grants.get(String(row['id'])) ?? [])].sort(),
        active: flag(row['active']),
        legacyCode,
      });
    }
    if (issues.length > 0) throw mismatch('the legacy roles and permissions', issues);
    const set: ImportRoleSet = { roles, permissions: [...permissions.values()] };
    this.#roles = { set, codeById };
    return set;
  }

  /**
   * The legacy users, a batch at a time, in the order of their primary key. Each batch says
   * which users it could not map (by name and why) and what it changed on the way.
   */
  async *batches(): AsyncGenerator<ImportBatch, void, undefined> {
    await this.readRoles();
    let after: string | null = null;
    for (;;) {
      const rows = await this.#userRows(after);
      if (rows.length === 0) return;
      yield await this.#batch(rows);
      after = String(rows.at(-1)!['id']);
      if (rows.length < this.#batchSize) return;
    }
  }

  /**
   * The legacy user with this address, mapped, for lazy migration: `null` when the legacy
   * system has no such user or cannot give one gatehouse takes. `email` is compared as
   * gatehouse stores it (`normalizeEmail()`), so the legacy row's domain may be written in
   * Unicode or in its `xn--` form, in any case.
   */
  async findUser(email: string): Promise<ImportRecord | null> {
    const wanted = normalizeEmail(email);
    if (wanted === null) return null;
    await this.readRoles();
    const at = wanted.lastIndexOf('@');
    const domain = wanted.slice(at + 1);
    const spellings = [...new Set([wanted, `${wanted.slice(0, at)}@${domainToUnicode(domain)}`])];
    // The legacy collation compares case-insensitively; the exact match is made below, as gatehouse stores addresses.
    const rows = await this.#userRows(null, { sql: `u.${id(this.#mapping.columns.users.email)} in (?)`, params: [spellings] });
    if (rows.length === 0) return null;
    const { records } = await this.#batch(rows);
    return records.find((record) => record.email === wanted) ?? null;
  }

  async #userRows(after: string | null, filter?: { sql: string; params: unknown[] }): Promise<Row[]> {
    const { tables, columns, identifiers, attributes } = this.#mapping;
    const u = columns.users;
    const pr = columns.profiles;
    const profiles = tables.profiles;
    const extra = [
      ...Object.values(identifiers).map((column, i) => `u.${id(column)} as ${id(`i${i}`)}`),
      ...Object.values(attributes).flatMap((source, i) => (source.table === 'profiles' && profiles === null ? [] : [`${source.table === 'users' ? 'u' : 'p'}.${id(source.column)} as ${id(`a${i}`)}`])),
    ];
    const optional = (alias: string, column: string | null, as: string): string => `${column === null ? 'null' : `${alias}.${id(column)}`} as ${as}`;
    const sql = `select u.${id(u.id)} as id, ${optional('u', u.uuid, 'uuid')}, u.${id(u.email)} as email, u.${id(u.passwordHash)} as password_hash,
        u.${id(u.name)} as name, u.${id(u.statusId)} as status_id, s.${id(columns.statuses.code)} as status_code,
        ${u.active === null ? '1' : `u.${id(u.active)}`} as active, ${optional('u', u.emailVerified, 'email_verified')},
        u.${id(u.createdAt)} as created_at, ${optional('u', u.lastLoginAt, 'last_login_at')},
        ${profiles === null ? 'null as two_factor_active, null as two_factor_secret, null as locale' : `p.${id(pr.twoFactorActive)} as two_factor_active, p.${id(pr.twoFactorSecret)} as two_factor_secret, ${optional('p', pr.locale, 'locale')}`}
        ${extra.length === 0 ? '' : `, ${extra.join(', ')}`}
      from ${id(tables.users)} u
      join ${id(tables.statuses)} s on s.${id(columns.statuses.id)} = u.${id(u.statusId)}
      ${profiles === null ? '' : `left join ${id(profiles)} p on p.${id(pr.userId)} = u.${id(u.id)}`}
      ${filter !== undefined ? `where ${filter.sql}` : after === null ? '' : `where u.${id(u.id)} > ?`}
      order by u.${id(u.id)} limit ${this.#batchSize}`;
    if (filter !== undefined) return this.#rows(sql, filter.params);
    // An integer key is compared as one: MySQL compares an integer column with a string as doubles, which lose digits past 2^53.
    return this.#rows(sql, after === null ? [] : [/^-?\d+$/.test(after) ? BigInt(after) : after]);
  }

  /** Rows of a per-user table for the users of a batch, grouped by user, in the order given. */
  async #byUser(table: string | null, userColumn: string, select: string, orderBy: string, ids: readonly string[]): Promise<Map<string, Row[]>> {
    const grouped = new Map<string, Row[]>();
    if (table === null) return grouped;
    const rows = await this.#rows(`select ${id(userColumn)} as user_id, ${select} from ${id(table)} where ${id(userColumn)} in (?) order by ${orderBy}`, [ids]);
    for (const row of rows) {
      const key = String(row['user_id']);
      const list = grouped.get(key) ?? [];
      list.push(row);
      grouped.set(key, list);
    }
    return grouped;
  }

  async #batch(rows: readonly Row[]): Promise<ImportBatch> {
    const { tables, columns: c } = this.#mapping;
    const ids = rows.map((row) => String(row['id']));
    const col = (column: string | null, as: string): string => `${column === null ? 'null' : id(column)} as ${as}`;
    const assignments = await this.#byUser(
      tables.userRoles,
      c.userRoles.userId,
      `${id(c.userRoles.roleId)} as role_id, ${col(c.userRoles.assignedAt, 'assigned_at')}, ${col(c.userRoles.expiresAt, 'expires_at')}, ${c.userRoles.active === null ? '1' : id(c.userRoles.active)} as active`,
      `${id(c.userRoles.userId)}, ${id(c.userRoles.roleId)}`,
      ids,
    );
    const h = c.passwordHistory;
    const history = await this.#byUser(
      tables.passwordHistory,
      h.userId,
      `${col(h.previousHash, 'previous_hash')}, ${id(h.newHash)} as new_hash, ${id(h.changedAt)} as changed_at, ${col(h.forced, 'forced')}`,
      `${id(h.userId)}, ${id(h.changedAt)}`,
      ids,
    );
    const s = c.signIns;
    const signIns = await this.#byUser(
      tables.signIns,
      s.userId,
      `${col(s.id, 'row_key')}, ${col(s.email, 'email')}, ${col(s.ip, 'ip')}, ${col(s.userAgent, 'user_agent')}, ${id(s.success)} as success, ${col(s.failureReason, 'failure_reason')}, ${id(s.at)} as at`,
      `${id(s.userId)}, ${id(s.at)}${s.id === null ? '' : `, ${id(s.id)}`}`,
      ids,
    );
    const a = c.audit;
    const audit = await this.#byUser(
      tables.audit,
      a.userId,
      `${col(a.id, 'row_key')}, ${id(a.table)} as tbl, ${id(a.operation)} as operation, ${col(a.before, 'before_json')}, ${col(a.after, 'after_json')}, ${col(a.adminId, 'admin_id')}, ${col(a.reason, 'reason')}, ${col(a.ip, 'ip')}, ${id(a.at)} as at`,
      `${id(a.userId)}, ${id(a.at)}${a.id === null ? '' : `, ${id(a.id)}`}`,
      ids,
    );

    const records: ImportRecord[] = [];
    const refusals: ImportRefusal[] = [];
    const notices: ImportNotice[] = [];
    for (const row of rows) {
      const key = String(row['id']);
      const outcome = this.#record(row, {
        assignments: assignments.get(key) ?? [],
        history: history.get(key) ?? [],
        signIns: signIns.get(key) ?? [],
        audit: audit.get(key) ?? [],
      });
      if ('refusal' in outcome) refusals.push(outcome.refusal);
      else records.push(outcome.record);
      notices.push(...outcome.notices);
    }
    return { records, refusals, notices };
  }

  /** One legacy user as a record, or why not. */
  #record(
    row: Row,
    related: { assignments: readonly Row[]; history: readonly Row[]; signIns: readonly Row[]; audit: readonly Row[] },
  ): { record: ImportRecord; notices: ImportNotice[] } | { refusal: ImportRefusal; notices: ImportNotice[] } {
    const { tables, columns: c, identifiers, attributes, statuses } = this.#mapping;
    const source = `${tables.users}.${c.users.id} ${String(row['id'])}`;
    const legacyEmail = String(row['email']);
    const notices: ImportNotice[] = [];
    const notice = (kind: ImportNotice['kind'], message: string): void => void notices.push({ source, email: legacyEmail, kind, message });

    const address = importableEmail(legacyEmail);
    if (!address.ok) return { refusal: { source, email: legacyEmail, reason: 'email', message: `${legacyEmail}: ${address.reason}` }, notices };

    let twoFactor: ImportRecord['twoFactor'] = null;
    if (flag(row['two_factor_active'])) {
      const secret = (text(row['two_factor_secret']) ?? '').replace(/[\s=]/g, '').toUpperCase();
      if (!BASE32_SECRET.test(secret)) {
        const message = `${legacyEmail}: two-step verification is on but the stored secret is not a base32 TOTP secret of at least 80 bits; imported without it the account would lose its second step`;
        return { refusal: { source, email: legacyEmail, reason: 'two_factor_secret', message }, notices };
      }
      twoFactor = { secret };
    }

    const users = tables.users;
    const createdAt = this.#instant(users, c.users.createdAt, row['created_at']) ?? this.#readAt;
    const active = flag(row['active']);
    const statusCode = String(row['status_code']);
    const status: UserStatus = active ? statuses[statusCode]! : 'inactive';

    const uuid = text(row['uuid'])?.trim().toLowerCase() ?? '';
    let gatehouseId: string | null = null;
    if (UUID.test(uuid)) gatehouseId = uuid;
    else if (c.users.uuid !== null) notice('id_generated', `${legacyEmail}: ${c.users.uuid} ${JSON.stringify(uuid)} is not a UUID; gatehouse gives the user a new id`);

    const identifierValues: Record<string, string> = {};
    Object.keys(identifiers).forEach((name, i) => {
      const value = nonEmpty(row[`i${i}`]);
      if (value !== null) identifierValues[name] = value;
    });
    const attributeValues: JsonObject = {};
    Object.keys(attributes).forEach((name, i) => {
      const value = row[`a${i}`];
      if (value === null || value === undefined || value === '') return;
      attributeValues[name] = typeof value === 'number' ? value : String(value);
    });

    let emailVerifiedAt: Date | null = null;
    if (flag(row['email_verified'])) emailVerifiedAt = createdAt;
    else if (this.#mapping.verifiedIfActive && (status === 'active' || status === 'pending')) {
      // Pending too: the old sign-in let them in once approved, never asking for a verified address.
      emailVerifiedAt = createdAt;
      notice('verified_because_active', `${legacyEmail}: ${status} in the legacy system, whose sign-in never asked for a verified address: imported as verified`);
    }

    const rawLocale = nonEmpty(row['locale']);
    const locale = rawLocale === null ? null : localeOf(rawLocale);
    if (rawLocale !== null && locale === null) notice('locale_dropped', `${legacyEmail}: language ${JSON.stringify(rawLocale)} is not a language tag such as es or es-CO; imported without one`);

    const roles: ImportRoleAssignment[] = [];
    for (const assignment of related.assignments) {
      const code = this.#roles!.codeById.get(String(assignment['role_id']));
      if (code === undefined) continue;
      if (!flag(assignment['active'])) {
        notice('assignment_switched_off', `${legacyEmail}: role ${code} was switched off (${c.userRoles.active} = 0) in the legacy system; not imported`);
        continue;
      }
      roles.push({
        code,
        assignedAt: this.#instant(tables.userRoles, c.userRoles.assignedAt, assignment['assigned_at']) ?? createdAt,
        expiresAt: this.#instant(tables.userRoles, c.userRoles.expiresAt, assignment['expires_at']),
      });
    }

    const password = nonEmpty(row['password_hash']);
    return {
      record: {
        source,
        id: gatehouseId,
        email: address.email,
        legacyEmail: address.email === legacyEmail ? null : legacyEmail,
        name: String(row['name'] ?? '').trim(),
        password: password === null ? null : { hash: password, scheme: schemeOf(password, this.#mapping.passwordScheme) },
        identifiers: identifierValues,
        status,
        statusReason: status === 'active' ? null : this.#statusReason(row, related.audit),
        statusUntil: null,
        emailVerifiedAt,
        createdAt,
        lastLoginAt: this.#instant(users, c.users.lastLoginAt, row['last_login_at']),
        locale,
        attributes: attributeValues,
        roles,
        passwordHistory: this.#history(related.history, createdAt),
        twoFactor,
        activities: [...this.#signInActivities(related.signIns), ...this.#auditActivities(related.audit)].sort((x, y) => x.at.getTime() - y.at.getTime()),
      },
      notices,
    };
  }

  /**
   * Why the user is in their state: the reason of the newest audit entry that put them in it
   * (the status, or `activo = 0`), skipping the entries of the schema's trigger, which say
   * `trigger`; failing that, for a user switched off in another state, that state's code.
   */
  #statusReason(row: Row, audit: readonly Row[]): string | null {
    const { tables, columns: c } = this.#mapping;
    const active = flag(row['active']);
    let reason: string | null = null;
    for (const entry of audit) {
      if (String(entry['tbl']) !== tables.users) continue;
      const after = json(entry['after_json']);
      if (after === null || typeof after !== 'object' || Array.isArray(after)) continue;
      const matches = active
        ? c.users.statusId in after && String(after[c.users.statusId]) === String(row['status_id'])
        : c.users.active !== null && c.users.active in after && Number(after[c.users.active]) === 0;
      const said = nonEmpty(entry['reason']);
      if (matches && said !== null && said !== 'trigger') reason = said;
    }
    if (reason !== null) return reason;
    return !active && this.#mapping.statuses[String(row['status_code'])] !== 'active' ? String(row['status_code']) : null;
  }

  /** The passwords the user had: the first one (the oldest change's previous hash) from sign-up, then each change's new one. */
  #history(rows: readonly Row[], createdAt: Date): ImportPasswordHistoryEntry[] {
    const { tables, columns: c, passwordScheme } = this.#mapping;
    const entries: ImportPasswordHistoryEntry[] = [];
    const add = (hash: string | null, changedAt: Date, reason: ImportPasswordHistoryEntry['reason'], forced: boolean): void => {
      if (hash === null || entries.at(-1)?.hash === hash) return;
      entries.push({ hash, scheme: schemeOf(hash, passwordScheme), changedAt, reason, forced });
    };
    rows.forEach((row, i) => {
      if (i === 0) add(nonEmpty(row['previous_hash']), createdAt, 'registered', false);
      const forced = flag(row['forced']);
      add(nonEmpty(row['new_hash']), this.#instant(tables.passwordHistory!, c.passwordHistory.changedAt, row['changed_at']) ?? createdAt, forced ? 'admin' : 'changed', forced);
    });
    return entries;
  }

  #signInActivities(rows: readonly Row[]): ImportActivity[] {
    const { tables, columns: c } = this.#mapping;
    return rows.map((row) => {
      const ok = flag(row['success']);
      const reason = nonEmpty(row['failure_reason']);
      return {
        sourceKey: rowKey(tables.signIns!, c.signIns.id, row),
        action: ok ? 'login.succeeded' : 'login.failed',
        at: this.#instant(tables.signIns!, c.signIns.at, row['at'])!,
        details: ok ? 'Signed in (legacy system).' : `Sign-in failed (legacy system)${reason === null ? '' : `: ${reason}`}.`,
        ip: nonEmpty(row['ip']),
        userAgent: nonEmpty(row['user_agent']),
        actor: null,
        metadata: { imported: true, source: tables.signIns!, email: text(row['email']), reason },
      };
    });
  }

  #auditActivities(rows: readonly Row[]): ImportActivity[] {
    const { tables, columns: c, identifiers } = this.#mapping;
    // Administrators are named by the identifier that holds the legacy primary key, when there is one.
    const keyIdentifier = Object.entries(identifiers).find(([, column]) => column === c.users.id)?.[0] ?? null;
    return rows.map((row) => {
      const table = String(row['tbl']);
      const operation = String(row['operation']);
      const reason = nonEmpty(row['reason']);
      const admin = nonEmpty(row['admin_id']);
      // The schema's own trigger writes "trigger" where an administrator would write a reason.
      const said = reason === 'trigger' ? null : reason;
      return {
        sourceKey: rowKey(tables.audit!, c.audit.id, row),
        action: `legacy.${table}.${operation}`.toLowerCase().replace(/[^a-z0-9_.]/g, '_'),
        at: this.#instant(tables.audit!, c.audit.at, row['at'])!,
        details: said ?? `${operation} on ${table} (legacy system).`,
        ip: nonEmpty(row['ip']),
        userAgent: null,
        actor: admin === null || keyIdentifier === null ? null : { identifier: keyIdentifier, value: admin },
        metadata: { imported: true, source: tables.audit!, table, operation, before: json(row['before_json']), after: json(row['after_json']), reason },
      };
    });
  }
}

/** `table.column value` of a history row's key, or `null` when the mapping names none. */
const rowKey = (table: string, column: string | null, row: Row): string | null => (column === null || row['row_key'] == null ? null : `${table}.${column} ${String(row['row_key'])}`);

function mismatch(what: string, issues: readonly FieldIssue[]): AuthError {
  return new AuthError('VALIDATION_FAILED', { message: `${what} do not match the mapping:\n${issues.map((issue) => `  ${issue.message}`).join('\n')}`, issues });
}

/**
 * Checks that every table and column the mapping names exists in the legacy database, and
 * resolves the `table.column` names of its `TIMESTAMP` columns.
 * @throws {AuthError} VALIDATION_FAILED — with one issue per missing table or column.
 */
async function checkSchema(connection: Connection, mapping: LegacyMapping): Promise<Set<string>> {
  const [rows] = await connection.query('select table_name as t, column_name as c, data_type as d from information_schema.columns where table_schema = database()');
  const schema = new Map<string, Map<string, string>>();
  for (const row of rows as Row[]) {
    const table = String(row['t']);
    const columns = schema.get(table) ?? new Map<string, string>();
    columns.set(String(row['c']), String(row['d']).toLowerCase());
    schema.set(table, columns);
  }
  const issues: FieldIssue[] = [];
  const wanted: [string, string | null, (string | number)[]][] = [];
  for (const [key, table] of Object.entries(mapping.tables)) {
    if (table === null) continue;
    if (!schema.has(table)) {
      issues.push({ path: ['tables', key], code: 'missing_table', message: `table ${table} (tables.${key}) does not exist` });
      continue;
    }
    for (const [field, column] of Object.entries(mapping.columns[key as keyof LegacyMapping['columns']])) wanted.push([table, column as string | null, ['columns', key, field]]);
  }
  for (const [name, column] of Object.entries(mapping.identifiers)) wanted.push([mapping.tables.users, column, ['identifiers', name]]);
  for (const [name, source] of Object.entries(mapping.attributes)) {
    const table = source.table === 'users' ? mapping.tables.users : mapping.tables.profiles;
    if (table !== null) wanted.push([table, source.column, ['attributes', name]]);
  }
  for (const [table, column, path] of wanted) {
    const columns = schema.get(table);
    if (column === null || columns === undefined || columns.has(column)) continue;
    issues.push({ path, code: 'missing_column', message: `column ${table}.${column} (${path.join('.')}) does not exist; ${table} has ${[...columns.keys()].join(', ')}` });
  }
  if (issues.length > 0) throw mismatch('the legacy database', issues);
  const timestamps = new Set<string>();
  for (const [table, columns] of schema) for (const [column, type] of columns) if (type === 'timestamp') timestamps.add(`${table}.${column}`);
  return timestamps;
}
