import type { Activity, LoginAttempt, Page, PageStart, PasswordHistoryEntry } from '../domain/activity.js';
import type { UserIdentifier } from '../domain/identifier.js';
import type { KeyPurpose, OneTimeKey } from '../domain/one-time-key.js';
import type { Permission, Role, RoleGrant, UserRole } from '../domain/role.js';
import type { ImmutableDate } from '../domain/immutable.js';
import type { SessionRecord } from '../domain/session.js';
import type { TwoFactorRecord } from '../domain/two-factor.js';
import type { AppTransaction } from './app-transaction.js';
import type { DeletedRows, ExpiredRows } from './retention.js';

export type { DeletedRows, ExpiredRows } from './retention.js';
import type { SessionBundle } from './session-bundle.js';
export type { SessionBundle } from './session-bundle.js';
import type { SignInFinish, SignInStart, SignInState } from './sign-in-steps.js';
import { IMPORT_BATCH_STORE_METHODS, type ImportBatchStore } from './import-batch-store.js';
import type { UserPatch, UserRecord, UserStatus } from '../domain/user.js';

/** The order of a list of users: newest first (`createdAt` descending, then `id` descending) or oldest first (both ascending). */
export type UserOrder = 'newest' | 'oldest';

/** Filters and paging for {@link AuthStore.listUsers}. */
export interface UserQuery {
  /** Only users in this status. */
  readonly status?: UserStatus | undefined;
  /** Only users holding this role through an assignment unexpired at `now`. */
  readonly roleCode?: string | undefined;
  /**
   * A search: every word of the text begins a word of the name or the email, without case or
   * accents; a text holding `@` begins the email. Words as `searchWordsOf()` and
   * `searchTermsOf()` of `gatehouse` make them (the SQL stores index them).
   */
  readonly text?: string | undefined;
  /** How many matching users to skip (after {@link after}, when given). */
  readonly offset: number;
  /** How many users to answer at most. */
  readonly limit: number;
  /** The instant against which role assignments are judged expired. */
  readonly now: Date;
  /**
   * The list's order: `'newest'` (the default: `createdAt` descending, then `id` descending) or
   * `'oldest'` (both ascending). A store MUST answer the page, `offset` and {@link after} in this
   * order, with every filter; the oldest users are then a first page, not a deep `offset`.
   */
  readonly order?: UserOrder | undefined;
  /** Only users after this one in the list's order (see {@link order}): keyset paging. */
  readonly after?: PageStart | undefined;
  /** Count at most this many matches: when more match, answer `total: countLimit` and `totalExact: false`. Without it, count them all. */
  readonly countLimit?: number | undefined;
}

/** Filters and paging for {@link AuthStore.listActivities}. */
export interface ActivityQuery {
  /** Only entries about this user. */
  readonly subjectId?: string | undefined;
  /** Only entries of this actor. */
  readonly actorId?: string | undefined;
  /** An exact action, or a prefix ending in `.` (`login.` matches `login.failed`). */
  readonly action?: string | undefined;
  /** Inclusive lower bound on `createdAt`. */
  readonly from?: Date | undefined;
  /** Exclusive upper bound on `createdAt`. */
  readonly to?: Date | undefined;
  /** How many matching entries to skip (after {@link after}, when given). */
  readonly offset: number;
  /** How many entries to answer at most. */
  readonly limit: number;
  /** Only entries after this one in the log's order (`createdAt` descending, then `id` descending): keyset paging. */
  readonly after?: PageStart | undefined;
  /** Count at most this many matches: when more match, answer `total: countLimit` and `totalExact: false`. Without it, count them all. */
  readonly countLimit?: number | undefined;
}

/** Which login failures to look at. */
export type LoginFailureFilter =
  | {
      /** The failures for this email (lower-cased). */
      readonly email: string;
    }
  | {
      /** The failures from this client key (an IPv4 address, or an IPv6 /64). */
      readonly ip: string;
    };

/**
 * The storage port. One implementation per database; all of them pass the conformance
 * suite of `gatehouse/testing`, which checks each MUST below. Absence is `null`, never
 * an exception. Every method may reject with an `AuthError` `STORAGE_FAILED` wrapping
 * the driver's error as `cause`.
 *
 * Records go in and come out as plain objects with `Date` instances; the store MUST
 * NOT hand out objects whose later mutation changes what it holds. A {@link SessionBundle}'s
 * records may be ones nothing can change instead of copies: frozen, with {@link ImmutableDate}s
 * and frozen JSON (the memory store hands out its own rows so); the core only reads a bundle.
 */
export interface AuthStore extends ImportBatchStore {
  /**
   * Runs `fn` in one transaction and resolves with its result.
   * - MUST commit every write made through `tx` when `fn` resolves.
   * - MUST undo every write made through `tx` when `fn` rejects, and reject with the same error.
   * - A call to `tx.transaction()` inside `fn` MUST join the running transaction.
   * - MAY run `fn` again, from the start, when the database rolled the transaction back to
   *   break a deadlock: `fn` writes only through `tx`, and its effects outside the store
   *   wait for the commit.
   */
  transaction<T>(fn: (tx: AuthStore) => Promise<T>): Promise<T>;

  /**
   * Optional. In a transaction's view (the `tx` given to {@link transaction}'s callback), the
   * handle through which the application writes its own rows in the same database
   * transaction (`onRegister`, transaction-phase listeners); `null` outside a transaction.
   * Without it, the application is given a handle that refuses every query.
   * - MUST run every query of the handle in the view's transaction: committed when it
   *   commits, undone when it rolls back (also when the database breaks a deadlock).
   * - MUST refuse, with a `TypeError`, a query made after the transaction ended.
   */
  appTransaction?(): AppTransaction | null;

  /**
   * Inserts a user.
   * - MUST reject with `AuthError` `EMAIL_TAKEN` when a user with the same email exists,
   *   compared case-insensitively, and then store nothing — also under concurrent inserts.
   */
  insertUser(user: UserRecord): Promise<void>;
  /** The user with this id, or `null`. */
  findUserById(id: string): Promise<UserRecord | null>;
  /**
   * The user with this (lower-cased) email, or `null`. MUST match case-insensitively and exactly otherwise.
   * - MUST resolve `null`, not reject, for an email holding NUL or a lone surrogate (no stored text holds either).
   */
  findUserByEmail(email: string): Promise<UserRecord | null>;
  /**
   * Reads a user as {@link findUserById} does, and inside a transaction locks their row until
   * the transaction ends (`SELECT … FOR UPDATE`): every change to a user reads and writes it
   * under this lock, so that concurrent changes end as one of their serial orders.
   * - MUST, inside a transaction, make another transaction's `lockUser()` or `updateUser()` of
   *   the same user wait until this transaction ends, and then read what it committed.
   * - MUST resolve `null` when there is no such user.
   */
  lockUser(id: string): Promise<UserRecord | null>;
  /**
   * Applies `patch` and resolves with the updated user, or `null` when there is no such user.
   * - MUST reject with `AuthError` `EMAIL_TAKEN` when the patch's email belongs to another user.
   */
  updateUser(id: string, patch: UserPatch): Promise<UserRecord | null>;
  /**
   * A page of users matching every given filter, newest first (`createdAt` descending,
   * then `id` descending, so pages are stable), with the total count of matches.
   * - MUST match `text` by word prefix as `matchesSearch(searchWordsOf(user), searchTermsOf(text))` of `gatehouse` does (`%` and `_` are plain characters).
   * - MUST resolve an empty page, not reject, for a `text` holding NUL or a lone surrogate.
   * - With `after`, MUST answer only the users after it in the list's order; `total` still counts every match.
   * - With `countLimit`, MUST answer `total: countLimit, totalExact: false` when more than `countLimit` match, and the exact total otherwise.
   */
  listUsers(query: UserQuery): Promise<Page<UserRecord>>;
  /**
   * Erases a user and everything that belongs to them (roles, sessions, keys, history,
   * login attempts); activities keep their rows with the user's id cleared.
   * Resolves `false` when there was no such user.
   */
  deleteUser(id: string): Promise<boolean>;

  // External identifiers (`legacyId`, `documentNumber`, …): unique per name, indexed.

  /**
   * The user holding the identifier `name` with exactly this `value`, or `null`.
   * - MUST compare the value byte by byte (case- and accent-sensitive), through an index.
   * - MUST resolve `null`, not reject, for a value holding NUL or a lone surrogate.
   */
  findUserByIdentifier(name: string, value: string): Promise<UserRecord | null>;
  /**
   * The identifiers named `name` whose value is one of `values`, each with its holder's id, in
   * one round trip; values nobody holds are left out.
   */
  findUsersByIdentifiers(name: string, values: readonly string[]): Promise<UserIdentifier[]>;
  /** Every identifier of the given users, in one round trip, ordered by user id and name. */
  listUserIdentifiers(userIds: readonly string[]): Promise<UserIdentifier[]>;
  /**
   * Replaces a user's identifiers by `identifiers` (name → value): names left out are removed.
   * - MUST reject with `AuthError` `IDENTIFIER_TAKEN` when another user holds one of the
   *   (name, value) pairs, and then change nothing — also under concurrent calls.
   * - MUST reject with `AuthError` `NOT_FOUND` when there is no such user.
   */
  setUserIdentifiers(userId: string, identifiers: Readonly<Record<string, string>>): Promise<void>;
  /** The users with one of these ids or one of these (lower-cased) emails, in one round trip, in no particular order. */
  findUsersByIdOrEmail(keys: { readonly ids: readonly string[]; readonly emails: readonly string[] }): Promise<UserRecord[]>;

  // Batch writes, for imports: each is one statement (or, in memory, one step).

  /**
   * Inserts users.
   * - MUST reject with `AuthError` `EMAIL_TAKEN` when an email is taken, by a stored user or
   *   by another of `users` (case-insensitively), and then store none of them.
   */
  insertUsers(users: readonly UserRecord[]): Promise<void>;
  /**
   * Inserts identifiers.
   * - MUST reject with `AuthError` `IDENTIFIER_TAKEN` when a (name, value) pair is held, by a
   *   stored user or twice in `identifiers`, and then store none of them.
   */
  insertUserIdentifiers(identifiers: readonly UserIdentifier[]): Promise<void>;
  /**
   * Inserts new role assignments, keeping each one's `assignedAt`.
   * - MUST reject with `AuthError` `NOT_FOUND` when a user or role does not exist, and then store none of them.
   */
  insertUserRoles(assignments: readonly UserRole[]): Promise<void>;
  /** Appends password history entries. */
  insertPasswordHistory(entries: readonly PasswordHistoryEntry[]): Promise<void>;
  /** Appends activities, each with its own `createdAt`. */
  appendActivities(activities: readonly Activity[]): Promise<void>;

  /** Inserts a role, or replaces every field of the role with the same code. */
  upsertRole(role: Role): Promise<void>;
  /** The role with this code, or `null`. */
  findRole(code: string): Promise<Role | null>;
  /** Every role, highest level first, then by code. */
  listRoles(): Promise<Role[]>;
  /** Inserts a permission, or replaces every field of the permission with the same code. */
  upsertPermission(permission: Permission): Promise<void>;
  /** Every permission, ordered by code. */
  listPermissions(): Promise<Permission[]>;
  /** Grants a permission to a role; granting twice is a no-op. MUST reject with `AuthError` `NOT_FOUND` when either does not exist. */
  grantPermission(roleCode: string, permissionCode: string): Promise<void>;
  /** Revokes a permission from a role; resolves whether it was granted. */
  revokePermission(roleCode: string, permissionCode: string): Promise<boolean>;
  /** Codes of the permissions granted to a role (active or not), ordered by code. */
  listRolePermissions(roleCode: string): Promise<string[]>;
  /** Assigns a role to a user, or replaces the assignment's expiry and assigner if it exists. */
  assignRole(assignment: UserRole): Promise<void>;
  /** Removes a role from a user; resolves whether it was assigned. */
  removeRole(userId: string, roleCode: string): Promise<boolean>;
  /**
   * Every role assignment of a user, expired or not, each with its role and the codes of
   * the role's **active** permissions; highest role level first.
   */
  listUserGrants(userId: string): Promise<RoleGrant[]>;

  /** Inserts a session. MUST reject when another session has the same token hash. */
  insertSession(session: SessionRecord): Promise<void>;
  /**
   * The session with this token hash with its user and the user's grants (as in {@link listUserGrants}), in one
   * round trip, with its `revision` when the store has {@link findSessionRevision}; `null` when there is no such
   * session. Revoked and expired sessions are returned too: judging them is the core's job.
   */
  findSessionByTokenHash(tokenHash: string): Promise<SessionBundle | null>;
  /**
   * Optional: the revision of the session with this token hash (`null`: no such session), one small read for the
   * core's session cache. It MUST change in the transaction of any write that changes what {@link findSessionByTokenHash}
   * answers for the session, whichever process writes, and MUST never come back to an earlier value.
   */
  findSessionRevision?(tokenHash: string): Promise<number | null>;
  /** The session with this id, or `null`. */
  findSessionById(id: string): Promise<SessionRecord | null>;
  /** A user's sessions that are not revoked and whose `expiresAt` is after `now`, most recently active first. */
  listUserSessions(userId: string, now: Date): Promise<SessionRecord[]>;
  /** Records activity on a session: sets `lastActiveAt` and `expiresAt`. */
  touchSession(id: string, times: { lastActiveAt: Date; expiresAt: Date }): Promise<void>;
  /**
   * Revokes one session. MUST resolve `true` only for the call that revoked it, `false`
   * when it was already revoked or does not exist.
   */
  revokeSession(id: string, at: Date): Promise<boolean>;
  /** Revokes every unrevoked session of a user except `exceptId`; resolves how many it revoked. */
  revokeUserSessions(userId: string, options: { at: Date; exceptId?: string | undefined }): Promise<number>;
  /** Deletes sessions that expired or were revoked before `before`; resolves how many. */
  deleteSessionsBefore(before: Date): Promise<number>;

  /** Inserts a one-time key. MUST reject when another key has the same hash. */
  insertOneTimeKey(key: OneTimeKey): Promise<void>;
  /** The key with this hash whatever its state, or `null`. */
  findOneTimeKey(keyHash: string): Promise<OneTimeKey | null>;
  /**
   * Marks a key used and resolves with it, in one atomic step, when it has this hash and
   * purpose, is unused, not voided and `expiresAt` is after `at`; otherwise resolves `null`.
   * - MUST resolve the key to exactly one of any number of concurrent callers.
   */
  consumeOneTimeKey(keyHash: string, options: { purpose: KeyPurpose; at: Date; ip: string | null }): Promise<OneTimeKey | null>;
  /** Voids a user's unused, unvoided keys of one purpose; resolves how many. */
  voidOneTimeKeys(userId: string, purpose: KeyPurpose, at: Date): Promise<number>;

  /** Appends a password history entry. */
  appendPasswordHistory(entry: PasswordHistoryEntry): Promise<void>;
  /** A user's newest `limit` history entries, newest first. */
  listPasswordHistory(userId: string, limit: number): Promise<PasswordHistoryEntry[]>;

  /**
   * Records a login attempt. The lockout records an attempt as failed before it checks the
   * password or code, then counts the failures, itself included, and marks it succeeded if it
   * matched: so that of any number of concurrent attempts at most the limit are checked.
   * - Concurrent inserts MUST all be kept.
   * - Outside a transaction, the attempt MUST be committed when the call resolves: a
   *   {@link listLoginFailures} started afterwards, through any store on the same data, counts it.
   */
  insertLoginAttempt(attempt: LoginAttempt): Promise<void>;
  /** Marks a recorded attempt succeeded: it no longer counts as a failure. */
  markLoginAttemptSucceeded(id: string): Promise<void>;
  /** Times of failed attempts for an email or ip at or after `since`, newest first, at most `limit`. */
  listLoginFailures(filter: LoginFailureFilter, options: { since: Date; limit: number }): Promise<Date[]>;
  /** Deletes login attempts older than `before`; resolves how many. */
  deleteLoginAttemptsBefore(before: Date): Promise<number>;

  // Sign-in in two steps around the password check. Optional: without them (all three, or
  // none) the core signs in through the methods above, in more round trips.

  /**
   * Records a sign-in attempt as failed, committed, and then reads the user with the email,
   * the lockout's counts, two-factor and the device ({@link SignInState}).
   * - MUST commit the attempt before counting: of concurrent calls for one email or address,
   *   the k-th to commit counts at least k failures (as {@link insertLoginAttempt} then
   *   {@link listLoginFailures} do).
   * - MUST set the attempt's `userId` to the id of the user with the email, or `null`.
   */
  startSignIn?(start: SignInStart): Promise<SignInState>;
  /**
   * Ends a sign-in whose password matched, in one atomic step: sets the user's
   * `lastLoginAt` and `updatedAt` to `at`, inserts the session and the activity, marks the
   * attempt succeeded and remembers the device. Resolves the updated user.
   * - MUST write nothing and resolve `null` when the user's password hash, status, status end
   *   or email verification differ from `user` (changed since it was read), or the user is gone.
   * - MUST NOT mark the user's other sessions stale: nothing they depend on changed.
   */
  finishSignIn?(finish: SignInFinish): Promise<UserRecord | null>;
  /** Remembers that the user signed in from a device (see {@link SignInStart.deviceHash}); remembering it again is a no-op. */
  rememberDevice?(userId: string, deviceHash: string, at: Date): Promise<void>;

  /** Appends an activity. */
  appendActivity(activity: Activity): Promise<void>;
  /**
   * A page of activities matching every given filter, newest first (`createdAt`, then `id`), with the total.
   * - With `after` and `countLimit`, MUST answer as {@link listUsers} does.
   */
  listActivities(query: ActivityQuery): Promise<Page<Activity>>;
  /** Deletes activities older than `before`; resolves how many. */
  deleteActivitiesBefore(before: Date): Promise<number>;
  /**
   * Optional. Deletes rows past their retention, in short statements: login attempts made before
   * `loginAttemptsBefore`, sessions that expired or were revoked before `sessionsBefore`, one-time
   * keys that expired or were used before `oneTimeKeysBefore`, activities written before
   * `activitiesBefore` (a `null` cut-off keeps that kind). Without it, `auth.maintenance.run()`
   * uses the unbounded `delete…Before()` methods and keeps one-time keys.
   * - MUST delete at most `limit` rows per kind and condition (so, per kind, at most `2 × limit`
   *   sessions and keys, `limit` attempts and activities), each deletion on its own committing.
   * - MUST NOT delete a row on the kept side of its cut-off.
   */
  deleteExpired?(rows: ExpiredRows): Promise<DeletedRows>;

  // Two-factor authentication. Optional: a store without these methods works for
  // applications that do not turn two-factor on (`createAuth` checks when they do).
  // `deleteUser` MUST also delete the user's two-factor record.

  /** The user's two-factor record, or `null`. */
  findTwoFactor?(userId: string): Promise<TwoFactorRecord | null>;
  /** Inserts the user's two-factor record, or replaces every field of the existing one. */
  upsertTwoFactor?(record: TwoFactorRecord): Promise<void>;
  /** Deletes the user's two-factor record; resolves whether there was one. */
  deleteTwoFactor?(userId: string): Promise<boolean>;
  /**
   * Records that the code of time step `step` was used, in one atomic step, only when the
   * record's `lastStep` is below `step`; resolves whether it did.
   * - MUST resolve `true` to exactly one of any number of concurrent callers with the same step.
   */
  advanceTwoFactorStep?(userId: string, step: number): Promise<boolean>;

  /**
   * Releases what the store opened itself (a pool it made from a URL), so that the process
   * can exit; `auth.close()` calls it. Optional: a store holding nothing needs none.
   * - MUST leave open what the application passed in (its pool, its client).
   * - MUST resolve when called again.
   */
  close?(): Promise<void>;
}

/** The store methods of the two-step sign-in; a store has all of them or none. */
export const SIGN_IN_STORE_METHODS = ['startSignIn', 'finishSignIn', 'rememberDevice'] as const satisfies readonly (keyof AuthStore)[];

/** A store with the two-step sign-in. */
export type SignInStore = AuthStore & Required<Pick<AuthStore, (typeof SIGN_IN_STORE_METHODS)[number]>>;

/** Whether a store has every method of the two-step sign-in. */
export function hasSignInSteps(store: AuthStore): store is SignInStore {
  return SIGN_IN_STORE_METHODS.every((method) => typeof store[method] === 'function');
}

/** The store methods two-factor authentication needs. */
export const TWO_FACTOR_STORE_METHODS = ['findTwoFactor', 'upsertTwoFactor', 'deleteTwoFactor', 'advanceTwoFactorStep'] as const satisfies readonly (keyof AuthStore)[];

/** A store with the two-factor methods. */
export type TwoFactorStore = AuthStore & Required<Pick<AuthStore, (typeof TWO_FACTOR_STORE_METHODS)[number]>>;

/** The names of every method an {@link AuthStore} must have, checked by `createAuth`. */
export const AUTH_STORE_METHODS = [
  'transaction',
  'insertUser',
  'findUserById',
  'findUserByEmail',
  'lockUser',
  'updateUser',
  'listUsers',
  'deleteUser',
  'findUserByIdentifier',
  'findUsersByIdentifiers',
  'listUserIdentifiers',
  'setUserIdentifiers',
  'findUsersByIdOrEmail',
  'insertUsers',
  'insertUserIdentifiers',
  'insertUserRoles',
  'insertPasswordHistory',
  'appendActivities',
  ...IMPORT_BATCH_STORE_METHODS,
  'upsertRole',
  'findRole',
  'listRoles',
  'upsertPermission',
  'listPermissions',
  'grantPermission',
  'revokePermission',
  'listRolePermissions',
  'assignRole',
  'removeRole',
  'listUserGrants',
  'insertSession',
  'findSessionByTokenHash',
  'findSessionById',
  'listUserSessions',
  'touchSession',
  'revokeSession',
  'revokeUserSessions',
  'deleteSessionsBefore',
  'insertOneTimeKey',
  'findOneTimeKey',
  'consumeOneTimeKey',
  'voidOneTimeKeys',
  'appendPasswordHistory',
  'listPasswordHistory',
  'insertLoginAttempt',
  'markLoginAttemptSucceeded',
  'listLoginFailures',
  'deleteLoginAttemptsBefore',
  'appendActivity',
  'listActivities',
  'deleteActivitiesBefore',
] as const satisfies readonly (keyof AuthStore)[];

// Compile-time check that the list above names every method of the port.
type Unlisted = Exclude<
  keyof AuthStore,
  (typeof AUTH_STORE_METHODS)[number] | (typeof TWO_FACTOR_STORE_METHODS)[number] | (typeof SIGN_IN_STORE_METHODS)[number] | 'close' | 'appTransaction' | 'deleteExpired' | 'findSessionRevision'
>;
const everyMethodListed: Unlisted extends never ? true : false = true;
void everyMethodListed;
