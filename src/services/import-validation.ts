import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isVerifierScheme, legacyHash } from '../crypto/legacy-hashes.js';
import { base32Decode } from '../crypto/totp.js';
import type { Activity, PasswordHistoryEntry } from '../domain/activity.js';
import { IDENTIFIER_NAME, isIdentifierValue } from '../domain/identifier.js';
import type { ImportPassword, ImportRecord, ImportUserReference } from '../domain/import.js';
import { USER_STATUSES, type JsonObject, type JsonValue, type UserRecord } from '../domain/user.js';
import type { AuthErrorCode } from '../errors.js';
import { normalizeEmail } from '../validation/email.js';
import { validateAppFields } from '../validation/app-fields.js';
import { idSchema, localeSchema, nameSchema, reasonSchema, roleCodeSchema, singleLineSchema } from '../validation/schemas.js';
import type { StandardSchemaV1 } from '../validation/standard-schema.js';
import { isStorableText } from '../validation/text.js';

/**
 * The identifier under which an imported user keeps the fingerprint of the record they
 * were imported from: a name no application identifier can take (it holds a dot).
 */
export const IMPORT_FINGERPRINT = 'gatehouse.import';

/** A record that passed validation, in the shape the store takes; ids are filled in when it is matched. */
export interface PreparedRecord {
  readonly index: number;
  readonly record: ImportRecord;
  /** The stored form of the password hash, or `null`. */
  readonly passwordHash: string | null;
  readonly history: readonly { readonly passwordHash: string; readonly changedAt: Date; readonly reason: string; readonly forced: boolean }[];
  /** The TOTP secret in base32, checked. */
  readonly twoFactorSecret: string | null;
  readonly attributes: JsonObject;
  /** SHA-256 of the canonical record. */
  readonly fingerprint: string;
}

/** Why a record is refused. */
export interface RecordRefusal {
  readonly code: AuthErrorCode;
  readonly message: string;
}

/** What validation needs to know of the gatehouse it imports into. */
export interface ValidationContext {
  readonly fields: Readonly<Record<string, StandardSchemaV1>>;
  readonly roles: ReadonlySet<string>;
  readonly verifierSchemes: ReadonlySet<string>;
  readonly twoFactor: boolean;
}

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;
const ARGON2 = { argon2id: /^\$argon2id\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/, argon2i: /^\$argon2i\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/ };
const ACTION = /^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$/;
const detailsSchema = singleLineSchema(1000, 0);
const shortTextSchema = singleLineSchema(255, 0);

const isDate = (value: unknown): value is Date => value instanceof Date && !Number.isNaN(value.getTime());
const isOptionalDate = (value: unknown): value is Date | null => value === null || isDate(value);

/** The hash as gatehouse stores it, or why it cannot take it. */
function storedHash(password: ImportPassword, context: ValidationContext): string | string[] {
  const { hash, scheme } = password;
  if (typeof hash !== 'string' || typeof scheme !== 'string') return ['is not a { hash, scheme } pair'];
  if (scheme === 'bcrypt') return BCRYPT.test(hash) ? hash : ['is not a bcrypt hash ($2a$, $2b$ or $2y$)'];
  if (scheme === 'argon2id' || scheme === 'argon2i') return ARGON2[scheme as 'argon2id' | 'argon2i'].test(hash) ? hash : [`is not an ${scheme} hash in PHC form`];
  if (!isVerifierScheme(scheme) || !context.verifierSchemes.has(scheme)) return [`has the scheme "${scheme}", which no verifier handles (createAuth({ passwordVerifiers }))`];
  return hash.length > 0 && hash.length <= 200 && isStorableText(hash) && !/[\r\n]/.test(hash) ? legacyHash(scheme, hash) : ['is not one line of at most 200 characters'];
}

/**
 * JSON with keys in order, so that equal records have equal fingerprints. Built with loops
 * rather than `entries().map().join()`: an import canonicalises every record it reads, and
 * the output must stay the same byte for byte, or every user of an earlier run would count
 * as updated.
 */
function canonical(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i === 0 ? '' : ',') + (i in value ? canonical(value[i]) : ''); // a hole stays empty, as join() leaves it
    return `${out}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const object = value as Record<string, unknown>;
    // Strings sort by UTF-16 code units, as `<` compares them.
    const keys = Object.keys(object).sort();
    let out = '{';
    for (const key of keys) {
      const item = object[key];
      if (item === undefined) continue;
      out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${canonical(item)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The SHA-256 fingerprint of a record, as a second run compares it. */
export function fingerprintOf(record: ImportRecord): string {
  return createHash('sha256').update(canonical(record)).digest('hex');
}

/**
 * Validates one record as `users.create` validates its input, except the password policy
 * (the hash is taken as it is): every problem is collected, none fixed up. Resolves the
 * prepared record, or the refusal naming each field at fault.
 */
export async function prepareRecord(record: ImportRecord, index: number, context: ValidationContext): Promise<PreparedRecord | RecordRefusal> {
  const problems: string[] = [];
  const bad = (field: string, what: string): void => void problems.push(`${field} ${what}`);
  if (typeof record !== 'object' || record === null) return { code: 'VALIDATION_FAILED', message: 'the record is not an object' };
  if (record.id !== null && (!idSchema.safeParse(record.id).success || record.id !== record.id.toLowerCase())) bad('id', 'is not a lower-case UUID');
  if (typeof record.email !== 'string' || normalizeEmail(record.email) !== record.email) bad('email', 'is not an address in the form gatehouse stores (lower-case, xn-- domain)');
  if (!nameSchema.safeParse(record.name).success) bad('name', 'is not an acceptable name');
  if (!(USER_STATUSES as readonly unknown[]).includes(record.status)) bad('status', 'is not a gatehouse status');
  if (record.statusReason !== null && !reasonSchema.safeParse(record.statusReason).success) bad('statusReason', 'is not one line of at most 500 characters');
  for (const field of ['statusUntil', 'emailVerifiedAt', 'lastLoginAt'] as const) if (!isOptionalDate(record[field])) bad(field, 'is not a date or null');
  if (!isDate(record.createdAt)) bad('createdAt', 'is not a date');
  if (record.locale !== null && !localeSchema.safeParse(record.locale).success) bad('locale', 'is not a language tag such as es or es-CO');

  let passwordHash: string | null = null;
  if (record.password !== null) {
    const stored = storedHash(record.password, context);
    if (typeof stored === 'string') passwordHash = stored;
    else bad('password', stored[0]!);
  }

  const identifiers = typeof record.identifiers === 'object' && record.identifiers !== null ? Object.entries(record.identifiers) : null;
  if (identifiers === null) bad('identifiers', 'is not an object');
  for (const [name, value] of identifiers ?? []) {
    if (!IDENTIFIER_NAME.test(name)) bad(`identifiers.${name}`, 'is not an identifier name (a letter, then letters, digits or _)');
    else if (typeof value !== 'string' || !isIdentifierValue(value)) bad(`identifiers.${name}`, 'is not one line of at most 255 characters');
  }

  const seenRoles = new Set<string>();
  for (const [i, role] of (Array.isArray(record.roles) ? record.roles : []).entries()) {
    if (!roleCodeSchema.safeParse(role.code).success || !context.roles.has(role.code)) bad(`roles[${i}]`, `names the role "${String(role.code)}", which does not exist (seed the role set first)`);
    else if (seenRoles.has(role.code)) bad(`roles[${i}]`, `repeats the role "${role.code}"`);
    seenRoles.add(role.code);
    if (!isDate(role.assignedAt) || !isOptionalDate(role.expiresAt)) bad(`roles[${i}]`, 'has a date that is not one');
  }
  if (!Array.isArray(record.roles)) bad('roles', 'is not a list');

  const history: { passwordHash: string; changedAt: Date; reason: string; forced: boolean }[] = [];
  for (const [i, entry] of (Array.isArray(record.passwordHistory) ? record.passwordHistory : []).entries()) {
    const stored = storedHash(entry, context);
    if (typeof stored !== 'string') bad(`passwordHistory[${i}].hash`, stored[0]!);
    else if (!isDate(entry.changedAt)) bad(`passwordHistory[${i}].changedAt`, 'is not a date');
    else history.push({ passwordHash: stored, changedAt: entry.changedAt, reason: String(entry.reason).slice(0, 64), forced: entry.forced === true });
  }

  let twoFactorSecret: string | null = null;
  if (record.twoFactor !== null) {
    const secret = typeof record.twoFactor?.secret === 'string' ? record.twoFactor.secret : '';
    const key = base32Decode(secret);
    if (key === null || key.length < 10) bad('twoFactor.secret', 'is not a base32 TOTP secret of at least 80 bits');
    else if (!context.twoFactor) bad('twoFactor', 'needs two-factor configured (createAuth({ twoFactor: { encryptionKey } })) to be kept sealed');
    else twoFactorSecret = secret.replace(/[\s=]/g, '').toUpperCase();
  }

  for (const [i, activity] of (Array.isArray(record.activities) ? record.activities : []).entries()) {
    const where = `activities[${i}]`;
    if (typeof activity.action !== 'string' || activity.action.length > 128 || !ACTION.test(activity.action)) bad(`${where}.action`, 'is not a dotted action name');
    if (!isDate(activity.at)) bad(`${where}.at`, 'is not a date');
    if (!detailsSchema.safeParse(activity.details).success) bad(`${where}.details`, 'is not one line of at most 1000 characters');
    for (const field of ['ip', 'userAgent', 'sourceKey'] as const) {
      if (activity[field] !== null && !shortTextSchema.safeParse(activity[field]).success) bad(`${where}.${field}`, 'is not one line of at most 255 characters');
    }
    if (activity.actor !== null && !isReference(activity.actor)) bad(`${where}.actor`, 'is not an { identifier, value } reference');
  }

  const app = await validateAppFields(context.fields, record.attributes, { partial: false });
  for (const issue of app.issues) bad(`attributes.${issue.path.join('.')}`, issue.message);
  if (problems.length > 0) return { code: 'VALIDATION_FAILED', message: problems.join('; ') };
  // Fields the application declares are validated by its schemas; the others are kept as they came.
  const attributes = { ...(typeof record.attributes === 'object' && record.attributes !== null ? record.attributes : {}), ...app.values };
  return { index, record, passwordHash, history, twoFactorSecret, attributes, fingerprint: fingerprintOf(record) };
}

function isReference(value: ImportUserReference): boolean {
  return IDENTIFIER_NAME.test(value.identifier) && typeof value.value === 'string' && isIdentifierValue(value.value);
}

/** The stored user of a prepared record. */
export function userOf(prepared: PreparedRecord, id: string, now: Date): UserRecord {
  const r = prepared.record;
  return {
    id,
    email: r.email,
    name: r.name.trim(),
    passwordHash: prepared.passwordHash,
    status: r.status,
    statusReason: r.statusReason?.trim() ?? null,
    statusUntil: r.statusUntil,
    emailVerifiedAt: r.emailVerifiedAt,
    mustChangePassword: false,
    locale: r.locale,
    attributes: prepared.attributes,
    lastLoginAt: r.lastLoginAt,
    createdAt: r.createdAt,
    updatedAt: now,
  };
}

/** The password history rows of a prepared record. */
export function historyOf(prepared: PreparedRecord, userId: string, newId: () => string): PasswordHistoryEntry[] {
  return prepared.history.map((entry) => ({ id: newId(), userId, ...entry }));
}

/** The record's past events as activities with their own times, marked imported; actors resolved where known. */
export function activitiesOf(prepared: PreparedRecord, userId: string, newId: () => string, actorOf: (ref: ImportUserReference) => string | null, skip: ReadonlySet<string>): Activity[] {
  return prepared.record.activities
    .filter((a) => a.sourceKey === null || !skip.has(a.sourceKey))
    .map((a) => {
      const metadata: { [key: string]: JsonValue } = { ...a.metadata, imported: true };
      if (a.sourceKey !== null) metadata['sourceKey'] = a.sourceKey;
      if (a.actor !== null) metadata['actor'] = { identifier: a.actor.identifier, value: a.actor.value };
      return {
        id: newId(),
        subjectId: userId,
        actorId: a.actor === null ? null : actorOf(a.actor),
        action: a.action,
        details: a.details.trim(),
        ip: a.ip,
        userAgent: a.userAgent,
        metadata,
        createdAt: a.at,
      };
    });
}

/** The options of an import, checked. */
export const importOptionsSchema = z.object({
  batchSize: z.number().int().min(1).max(5000).default(500),
  matchBy: z.array(z.union([z.string().regex(IDENTIFIER_NAME), z.literal('email')])).max(10).default(['legacyId']),
  dryRun: z.boolean().default(false),
  onBatch: z.custom<(batch: unknown) => void>((value) => typeof value === 'function').optional(),
});
