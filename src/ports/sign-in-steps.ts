import type { Activity, LoginAttempt } from '../domain/activity.js';
import type { SessionRecord } from '../domain/session.js';
import type { UserRecord } from '../domain/user.js';
import type { AuthStore } from './auth-store.js';

/*
 * What the password step of a sign-in hands the store and reads back, in two atomic calls:
 * {@link AuthStore.startSignIn} (the attempt recorded, the user and the lockout read) and
 * {@link AuthStore.finishSignIn} (the session, the attempt's success, the activity written).
 */

/** What {@link AuthStore.startSignIn} records and looks up. */
export interface SignInStart {
  /** The attempt, recorded as failed before anything is read; the store sets its user to the user with its email, if any. */
  readonly attempt: Omit<LoginAttempt, 'userId' | 'success'>;
  /** Start of the lockout window: older failures do not count. */
  readonly windowStart: Date;
  /** Failures of the email allowed in the window (counted since the user's last sign-in, when later). */
  readonly maxFailures: number;
  /** Failures of the attempt's address allowed in the window. */
  readonly maxFailuresPerIp: number;
  /** The SHA-256 (hex) of the client's device key, looked up among the user's known devices; `null` when not asked. */
  readonly deviceHash: string | null;
}

/** What a sign-in reads once its attempt is recorded: the user and whether the lockout lets it check the password. */
export interface SignInState {
  /** The user with the attempt's email, or `null`. */
  readonly user: UserRecord | null;
  /**
   * The `maxFailures + 1`-th newest failure of the email at or after the later of the window's
   * start and the user's last sign-in (this attempt among them), or `null` when there are no more than `maxFailures`.
   */
  readonly accountLockedBy: Date | null;
  /** The same for the attempt's address and `maxFailuresPerIp`; `null` also when the attempt has no address. */
  readonly ipLockedBy: Date | null;
  /** Whether the user has two-factor authentication turned on (`false` when the store keeps no two-factor records). */
  readonly twoFactorEnabled: boolean;
  /** Whether the user signed in from the device of `deviceHash` before. */
  readonly deviceKnown: boolean;
  /** Whether the user has any known device at all. */
  readonly anyDeviceKnown: boolean;
}

/** What {@link AuthStore.finishSignIn} writes, as one atomic step. */
export interface SignInFinish {
  /** The user as {@link AuthStore.startSignIn} read them. */
  readonly user: UserRecord;
  /** The new `lastLoginAt` (and `updatedAt`) of the user. */
  readonly at: Date;
  /** The session to insert, with its token's SHA-256 (the token itself is never stored). */
  readonly session: SessionRecord;
  /** The attempt to mark succeeded. */
  readonly attemptId: string;
  /** The `login.succeeded` entry. */
  readonly activity: Activity;
  /** The device to remember for the user, or `null`. */
  readonly deviceHash: string | null;
}
