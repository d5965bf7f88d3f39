import type { Activity, PasswordHistoryEntry } from '../domain/activity.js';
import type { UserIdentifier } from '../domain/identifier.js';
import type { UserRole } from '../domain/role.js';
import type { UserRecord } from '../domain/user.js';
import type { AuthStore } from './auth-store.js';

/**
 * The reads and writes of many users at once that a second import run makes when it updates
 * the users an earlier run imported: each is a fixed number of statements (or, in memory, one
 * step) whatever the number of users, so that a batch never costs a round trip per user. Part
 * of {@link AuthStore}.
 */
export interface ImportBatchStore {
  /**
   * Reads the users with these ids as {@link AuthStore.lockUser} does, all at once, and inside a
   * transaction locks their rows until it ends.
   * - MUST leave out the ids of no user, in no particular order.
   * - MUST, inside a transaction, make another transaction's `lockUser()` or `updateUser()` of
   *   one of them wait until this transaction ends.
   */
  lockUsers(ids: readonly string[]): Promise<UserRecord[]>;
  /**
   * Writes every field of existing users but `id` and `createdAt`, as read from each record.
   * - MUST reject with `AuthError` `EMAIL_TAKEN` when an email belongs to another user, and
   *   then change none of them.
   * - MUST ignore a record whose user does not exist.
   */
  updateUsers(users: readonly UserRecord[]): Promise<void>;
  /**
   * Removes every identifier of the users `userIds`, then stores `identifiers` (of those users
   * or of others, such as users just inserted).
   * - MUST reject with `AuthError` `IDENTIFIER_TAKEN` when a (name, value) pair is held by a
   *   user left out of `userIds` or is given twice, and then change nothing.
   * - MUST reject with `AuthError` `NOT_FOUND` when a user of `identifiers` does not exist, and then change nothing.
   */
  replaceUserIdentifiers(userIds: readonly string[], identifiers: readonly UserIdentifier[]): Promise<void>;
  /**
   * Removes every role assignment of the users `userIds`, then stores `assignments` (of those
   * users or of others, such as users just inserted).
   * - MUST keep the stored `assignedAt` of an assignment a user of `userIds` already held (it
   *   records when the role was first given), and take `assignedBy` and `expiresAt` from `assignments`.
   * - MUST reject with `AuthError` `NOT_FOUND` when a user or role does not exist, and then
   *   change nothing.
   */
  replaceUserRoles(userIds: readonly string[], assignments: readonly UserRole[]): Promise<void>;
  /** Every password history entry of these users, each user's newest first. */
  listPasswordHistoryOf(userIds: readonly string[]): Promise<PasswordHistoryEntry[]>;
  /** Every activity whose subject is one of these users, newest first. */
  listActivitiesOf(subjectIds: readonly string[]): Promise<Activity[]>;
}

/** The names of the methods of {@link ImportBatchStore}, every one of them required of a store. */
export const IMPORT_BATCH_STORE_METHODS = [
  'lockUsers',
  'updateUsers',
  'replaceUserIdentifiers',
  'replaceUserRoles',
  'listPasswordHistoryOf',
  'listActivitiesOf',
] as const satisfies readonly (keyof ImportBatchStore)[];
