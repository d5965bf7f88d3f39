import type { SecretBox } from '../crypto/secret-box.js';
import type { Activity, PasswordHistoryEntry } from '../domain/activity.js';
import type { ImportOptions, ImportOutcome, ImportRecord, ImportRefused, ImportResult, ImportUserReference } from '../domain/import.js';
import type { UserRole } from '../domain/role.js';
import type { UserRecord } from '../domain/user.js';
import { AuthError, isAuthError } from '../errors.js';
import type { AuthStore, TwoFactorStore } from '../ports/auth-store.js';
import type { StandardSchemaV1 } from '../validation/standard-schema.js';
import { parseInput } from '../validation/schemas.js';
import { actorIdOf, type Actor } from '../domain/principal.js';
import { assertMayGrantRole } from './guards.js';
import {
  activitiesOf,
  historyOf,
  IMPORT_FINGERPRINT,
  importOptionsSchema,
  prepareRecord,
  userOf,
  type PreparedRecord,
  type RecordRefusal,
  type ValidationContext,
} from './import-validation.js';

/** What an import needs of gatehouse. */
export interface ImportDependencies {
  readonly store: AuthStore;
  readonly now: () => Date;
  readonly newId: () => string;
  /** The application's registration fields, which validate `attributes`. */
  readonly fields: Readonly<Record<string, StandardSchemaV1>>;
  /** Seals TOTP secrets; `null` when two-factor is not configured. */
  readonly secretBox: SecretBox | null;
  /** Schemes of the plugged-in password verifiers. */
  readonly verifierSchemes: ReadonlySet<string>;
}

/** A record matched to its fate, ready to write. */
interface Planned {
  readonly prepared: PreparedRecord;
  readonly kind: 'imported' | 'updated' | 'skipped';
  readonly userId: string;
}

/** Rolls a dry run's transaction back. */
class DryRun extends Error {}

/** The refusal codes a record can earn while written (a concurrent writer took its address or identifier). */
const WRITE_REFUSALS = new Set(['EMAIL_TAKEN', 'IDENTIFIER_TAKEN', 'NOT_FOUND', 'VALIDATION_FAILED']);

/**
 * Imports users from another system, batch by batch: validates each record, matches it to
 * the user a previous run made, and writes the new and changed ones, one transaction per batch.
 * @throws {AuthError} FORBIDDEN — unless the actor is the system, or holds `users:create` and `roles:assign` and may grant every role imported.
 */
export async function importUsers(
  deps: ImportDependencies,
  actor: Actor,
  records: Iterable<ImportRecord> | AsyncIterable<ImportRecord>,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const { batchSize, matchBy, dryRun } = parseInput(importOptionsSchema, options);
  const roles = await deps.store.listRoles();
  const grantable = new Set<string>();
  for (const role of roles) {
    try {
      assertMayGrantRole(actor, role, await deps.store.listRolePermissions(role.code));
      grantable.add(role.code);
    } catch {
      // a role this actor may not grant: a record naming it is refused below
    }
  }
  const context: ValidationContext = {
    fields: deps.fields,
    roles: grantable,
    verifierSchemes: deps.verifierSchemes,
    twoFactor: deps.secretBox !== null && typeof deps.store.upsertTwoFactor === 'function',
  };
  const total: ImportOutcome[] = [];
  let batch: ImportRecord[] = [];
  let read = 0;
  // The previous batch's write: the next batch is read and validated while it runs, and matched once it committed.
  const inFlight: { writing: Promise<void> | null } = { writing: null };
  const flush = async (): Promise<void> => {
    const records = batch;
    const offset = read;
    batch = [];
    read += records.length;
    const prepared = await prepareBatch(records, offset, context);
    if (inFlight.writing !== null) await inFlight.writing;
    const writing = importBatch(deps, actor, records, offset, prepared, matchBy, dryRun).then((outcomes) => {
      total.push(...outcomes);
      options.onBatch?.(summarise(outcomes));
    });
    // Surfaced where it is awaited (next batch or the end); heard here so it never goes unhandled meanwhile.
    writing.catch(() => undefined);
    inFlight.writing = writing;
  };
  try {
    for await (const record of records) {
      batch.push(record);
      if (batch.length >= batchSize) await flush();
    }
    if (batch.length > 0) await flush();
    if (inFlight.writing !== null) await inFlight.writing;
  } catch (error) {
    // Nothing is left writing when the import returns or throws.
    await inFlight.writing?.catch(() => undefined);
    throw error;
  }
  return summarise(total);
}

/** Records validated between two waits for the database, so that a batch in flight is answered promptly. */
const PREPARED_BETWEEN_YIELDS = 50;

/** Validates a batch's records: each one prepared, or refused with why. */
async function prepareBatch(records: readonly ImportRecord[], offset: number, context: ValidationContext): Promise<(PreparedRecord | RecordRefusal)[]> {
  const out: (PreparedRecord | RecordRefusal)[] = [];
  for (const [index, record] of records.entries()) {
    // A resolved await never lets I/O in: give the batch being written its answers now and then.
    if (index > 0 && index % PREPARED_BETWEEN_YIELDS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    out.push(await prepareRecord(record, offset + index, context));
  }
  return out;
}

function summarise(outcomes: readonly ImportOutcome[]): ImportResult {
  const count = (kind: ImportOutcome['result']): number => outcomes.filter((o) => o.result === kind).length;
  const refused: ImportRefused[] = outcomes.flatMap((o) => (o.result === 'refused' ? [{ source: o.source, email: o.email, code: o.code!, message: o.message! }] : []));
  return { imported: count('imported'), updated: count('updated'), skipped: count('skipped'), refused, outcomes };
}

const refusal = (record: ImportRecord, why: RecordRefusal): ImportOutcome => ({
  source: String(record?.source ?? ''),
  email: String(record?.email ?? ''),
  result: 'refused',
  userId: null,
  code: why.code,
  message: why.message,
});

async function importBatch(
  deps: ImportDependencies,
  actor: Actor,
  records: readonly ImportRecord[],
  offset: number,
  validated: readonly (PreparedRecord | RecordRefusal)[],
  matchBy: readonly string[],
  dryRun: boolean,
): Promise<ImportOutcome[]> {
  const outcomes: (ImportOutcome | null)[] = records.map(() => null);
  const prepared: PreparedRecord[] = [];
  for (const [index, result] of validated.entries()) {
    if ('fingerprint' in result) prepared.push(result);
    else outcomes[index] = refusal(records[index]!, result);
  }
  const plans = await plan(deps.store, prepared, matchBy, deps.newId, (p, why) => (outcomes[p.index - offset] = refusal(p.record, why)));
  const write = async (store: AuthStore, batch: readonly Planned[]): Promise<void> => {
    await store.transaction(async (tx) => {
      await writePlans(deps, actor, tx, batch);
      if (dryRun) throw new DryRun();
    });
  };
  try {
    // A batch of unchanged users has nothing to write: no transaction at all.
    if (plans.some((p) => p.kind !== 'skipped')) await write(deps.store, plans);
  } catch (error) {
    if (error instanceof DryRun) {
      // rolled back, as asked
    } else if (isAuthError(error) && WRITE_REFUSALS.has(error.code)) {
      // A concurrent writer took an address or identifier between matching and writing: record by record, to name the culprit.
      for (const p of plans) {
        try {
          await write(deps.store, [p]);
        } catch (single) {
          if (single instanceof DryRun) continue;
          if (!isAuthError(single) || !WRITE_REFUSALS.has(single.code)) throw single;
          outcomes[p.prepared.index - offset] = refusal(p.prepared.record, { code: single.code, message: single.message });
        }
      }
    } else {
      throw error;
    }
  }
  for (const p of plans) {
    const at = p.prepared.index - offset;
    outcomes[at] ??= { source: p.prepared.record.source, email: p.prepared.record.email, result: p.kind, userId: p.userId, code: null, message: null };
  }
  return outcomes as ImportOutcome[];
}

/**
 * Matches every record of a batch, with one query per identifier name and one for ids and
 * emails: by the first `matchBy` identifier the record has, then by id, then (when listed) by
 * email. A record whose address or identifier another user holds is refused.
 */
async function plan(
  store: AuthStore,
  prepared: readonly PreparedRecord[],
  matchBy: readonly string[],
  newId: () => string,
  refuse: (p: PreparedRecord, why: RecordRefusal) => void,
): Promise<Planned[]> {
  // Two records of one batch with one address or identifier: the first one wins.
  const emails = new Set<string>();
  const ids = new Set<string>();
  const pairs = new Set<string>();
  const unique = prepared.filter((p) => {
    const own = Object.entries(p.record.identifiers).map(([name, value]) => `${name}\u0000${value}`);
    if (p.record.id !== null && ids.has(p.record.id)) return void refuse(p, { code: 'VALIDATION_FAILED', message: `another record of this import has the id ${p.record.id}` });
    if (emails.has(p.record.email)) return void refuse(p, { code: 'EMAIL_TAKEN', message: `another record of this import has the address ${p.record.email}` });
    const repeated = own.find((pair) => pairs.has(pair));
    if (repeated !== undefined) return void refuse(p, { code: 'IDENTIFIER_TAKEN', message: `another record of this import has the identifier ${repeated.replace('\u0000', ' = ')}` });
    emails.add(p.record.email);
    if (p.record.id !== null) ids.add(p.record.id);
    for (const pair of own) pairs.add(pair);
    return true;
  });
  const holders = new Map<string, string>(); // `name\0value` → user id
  const names = new Set(unique.flatMap((p) => Object.keys(p.record.identifiers)));
  for (const name of names) {
    const values = unique.flatMap((p) => (Object.hasOwn(p.record.identifiers, name) ? [p.record.identifiers[name]!] : []));
    for (const held of await store.findUsersByIdentifiers(name, values)) holders.set(`${name}\u0000${held.value}`, held.userId);
  }
  const found = await store.findUsersByIdOrEmail({ ids: unique.flatMap((p) => (p.record.id === null ? [] : [p.record.id])), emails: unique.map((p) => p.record.email) });
  const byId = new Map(found.map((u) => [u.id, u]));
  const byEmail = new Map(found.map((u) => [u.email.toLowerCase(), u]));

  const matched: { p: PreparedRecord; userId: string | null }[] = [];
  for (const p of unique) {
    const r = p.record;
    let userId: string | null = null;
    for (const name of matchBy) {
      if (name !== 'email' && Object.hasOwn(r.identifiers, name)) userId ??= holders.get(`${name}\u0000${r.identifiers[name]}`) ?? null;
    }
    if (userId === null && r.id !== null && byId.has(r.id)) userId = r.id;
    if (userId === null && matchBy.includes('email')) userId = byEmail.get(r.email)?.id ?? null;
    const emailHolder = byEmail.get(r.email)?.id;
    if (emailHolder !== undefined && emailHolder !== userId) {
      refuse(p, { code: 'EMAIL_TAKEN', message: `the address ${r.email} belongs to another user` });
      continue;
    }
    const taken = Object.entries(r.identifiers).find(([name, value]) => {
      const holder = holders.get(`${name}\u0000${value}`);
      return holder !== undefined && holder !== userId;
    });
    if (taken !== undefined) {
      refuse(p, { code: 'IDENTIFIER_TAKEN', message: `the identifier ${taken[0]} = ${taken[1]} belongs to another user` });
      continue;
    }
    matched.push({ p, userId });
  }
  const known = matched.flatMap((m) => (m.userId === null ? [] : [m.userId]));
  const fingerprints = new Map((await store.listUserIdentifiers(known)).filter((i) => i.name === IMPORT_FINGERPRINT).map((i) => [i.userId, i.value]));
  return matched.map(({ p, userId }) => {
    if (userId === null) return { prepared: p, kind: 'imported', userId: p.record.id ?? newId() };
    return { prepared: p, kind: fingerprints.get(userId) === p.fingerprint ? 'skipped' : 'updated', userId };
  });
}

/**
 * Writes a batch's new and changed users in the caller's transaction with a fixed number of
 * statements whatever the batch's size: the changed users are locked and read at once, then
 * each table is written once for the whole batch (the store splits rows into statements that
 * stay under the drivers' parameter limits).
 */
async function writePlans(deps: ImportDependencies, actor: Actor, tx: AuthStore, plans: readonly Planned[]): Promise<void> {
  const now = deps.now();
  const fresh = plans.filter((p) => p.kind === 'imported');
  const changed = plans.filter((p) => p.kind === 'updated');
  const changedIds = changed.map((p) => p.userId);
  const written = [...fresh, ...changed];
  const actors = await actorResolver(tx, plans);

  // What the changed users hold now, read under their row locks.
  const current = new Map((await tx.lockUsers(changedIds)).map((u) => [u.id, u]));
  const erased = changed.find((p) => !current.has(p.userId));
  if (erased !== undefined) throw new AuthError('NOT_FOUND', { message: `the user ${erased.userId} was erased while the import ran` });
  const historyHeld = new Set(changed.length === 0 ? [] : (await tx.listPasswordHistoryOf(changedIds)).map((h) => `${h.userId}\u0000${h.passwordHash}\u0000${h.changedAt.getTime()}`));
  const sourceKeysHeld = new Map<string, Set<string>>();
  for (const a of changed.length === 0 ? [] : await tx.listActivitiesOf(changedIds)) {
    if (a.subjectId === null || typeof a.metadata['sourceKey'] !== 'string') continue;
    let keys = sourceKeysHeld.get(a.subjectId);
    if (keys === undefined) sourceKeysHeld.set(a.subjectId, (keys = new Set()));
    keys.add(a.metadata['sourceKey']);
  }

  // Users: new rows, and every field of the changed ones as patchOf() decides.
  const inserted = fresh.map((p) => userOf(p.prepared, p.userId, now));
  const updated = changed.map((p) => {
    const was = current.get(p.userId)!;
    return { ...was, ...patchOf(was, userOf(p.prepared, p.userId, now)) };
  });
  await tx.insertUsers(inserted);
  await tx.updateUsers(updated);
  // Rows derived from each user's record (for every user of `inserted` and `updated`) are written here, once per batch.

  const identifiersOf = (p: Planned): Record<string, string> => ({ ...p.prepared.record.identifiers, [IMPORT_FINGERPRINT]: p.prepared.fingerprint });
  await tx.replaceUserIdentifiers(
    changedIds,
    written.flatMap((p) => Object.entries(identifiersOf(p)).map(([name, value]) => ({ userId: p.userId, name, value }))),
  );
  await tx.replaceUserRoles(
    changedIds,
    written.flatMap((p) => p.prepared.record.roles.map((r): UserRole => ({ userId: p.userId, roleCode: r.code, assignedAt: r.assignedAt, assignedBy: null, expiresAt: r.expiresAt }))),
  );
  await tx.insertPasswordHistory(
    written.flatMap((p) => historyOf(p.prepared, p.userId, deps.newId).filter((h: PasswordHistoryEntry) => !historyHeld.has(`${p.userId}\u0000${h.passwordHash}\u0000${h.changedAt.getTime()}`))),
  );
  const importedEntry = (p: Planned): Activity => ({
    id: deps.newId(),
    subjectId: p.userId,
    actorId: actorIdOf(actor),
    action: p.kind === 'imported' ? 'user.imported' : 'user.import_updated',
    details: p.kind === 'imported' ? 'Imported from another system.' : 'Updated from another system.',
    ip: null,
    userAgent: null,
    metadata: {
      source: p.prepared.record.source,
      ...(p.prepared.record.legacyEmail === null ? {} : { legacyEmail: p.prepared.record.legacyEmail }),
      identifiers: { ...p.prepared.record.identifiers },
    },
    createdAt: now,
  });
  const none = new Set<string>();
  await tx.appendActivities(written.flatMap((p) => [...activitiesOf(p.prepared, p.userId, deps.newId, actors, sourceKeysHeld.get(p.userId) ?? none), importedEntry(p)]));
  // Only users with two-step verification: one upsert each.
  for (const p of written) await writeTwoFactor(deps, tx, p, now);
}

/**
 * What an update changes: every field from the record, except a password the user already
 * replaced in gatehouse (an argon2id hash gatehouse made is never put back to the old one),
 * an address verified in gatehouse, and a last sign-in older than the one gatehouse saw.
 */
function patchOf(current: UserRecord, next: UserRecord): Parameters<AuthStore['updateUser']>[1] {
  const { id: _id, createdAt: _createdAt, ...fields } = next;
  const upgraded = current.passwordHash !== null && current.passwordHash.startsWith('$argon2id$') && current.passwordHash !== next.passwordHash;
  const lastLoginAt = current.lastLoginAt !== null && (next.lastLoginAt === null || current.lastLoginAt > next.lastLoginAt) ? current.lastLoginAt : next.lastLoginAt;
  // An address proven in gatehouse stays proven.
  const emailVerifiedAt = current.emailVerifiedAt ?? next.emailVerifiedAt;
  return { ...fields, passwordHash: upgraded ? current.passwordHash : next.passwordHash, mustChangePassword: current.mustChangePassword, lastLoginAt, emailVerifiedAt };
}

async function writeTwoFactor(deps: ImportDependencies, tx: AuthStore, p: Planned, now: Date): Promise<void> {
  const secret = p.prepared.twoFactorSecret;
  if (secret === null || deps.secretBox === null) return;
  const store = tx as TwoFactorStore;
  // Switched on as of the import: the next sign-in asks for a code, as the old module was meant to.
  await store.upsertTwoFactor({ userId: p.userId, secret: deps.secretBox.seal(secret), enabledAt: now, lastStep: 0, createdAt: now, updatedAt: now });
}

/** Resolves the actors of imported entries: users of this batch by their identifiers, then stored ones, in one query per name. */
async function actorResolver(tx: AuthStore, plans: readonly Planned[]): Promise<(ref: ImportUserReference) => string | null> {
  const known = new Map<string, string>();
  for (const p of plans) for (const [name, value] of Object.entries(p.prepared.record.identifiers)) known.set(`${name}\u0000${value}`, p.userId);
  const wanted = new Map<string, Set<string>>();
  for (const p of plans) {
    for (const a of p.prepared.record.activities) {
      if (a.actor === null || known.has(`${a.actor.identifier}\u0000${a.actor.value}`)) continue;
      let values = wanted.get(a.actor.identifier);
      if (values === undefined) wanted.set(a.actor.identifier, (values = new Set()));
      values.add(a.actor.value);
    }
  }
  for (const [name, values] of wanted) for (const held of await tx.findUsersByIdentifiers(name, [...values])) known.set(`${name}\u0000${held.value}`, held.userId);
  return (ref) => known.get(`${ref.identifier}\u0000${ref.value}`) ?? null;
}
