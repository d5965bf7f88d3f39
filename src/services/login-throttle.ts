import { generateToken } from '../crypto/tokens.js';
import { rateLimitKey, type NormalizedClient } from '../domain/client.js';
import type { UserRecord } from '../domain/user.js';
import { AuthError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import type { AuthStore } from '../ports/auth-store.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import type { Stamps } from './stamps.js';
import type { UnitsOfWork } from './unit-of-work.js';

/** A password or code attempt counted by the lockout before its check (see {@link LoginThrottle.reserveAttempt}). */
export interface ReservedAttempt {
  /** The attempt's row: a failure until marked succeeded. */
  readonly attemptId: string;
  /** Seconds until the account or client may try again when the attempt is refused, `null` when it may be checked. */
  readonly retryAfter: number | null;
}

/** A password that matched, with its attempt, still counted as a failure until the caller marks it succeeded. */
export interface MatchedPassword {
  readonly user: UserRecord;
  readonly attemptId: string;
}

/** What the login throttle works with. */
export interface LoginThrottleDeps {
  readonly store: AuthStore;
  readonly hasher: PasswordHasher;
  readonly options: Pick<ResolvedOptions, 'lockout'>;
  readonly stamps: Stamps;
  /** Logs refused attempts in the activity log. */
  readonly units: Pick<UnitsOfWork, 'transact'>;
}

/** The fields of {@link LoginThrottle.attemptPassword}. */
export interface PasswordAttempt {
  email: string;
  user: UserRecord | null;
  password: string;
  client: NormalizedClient;
  /** Activity action prefix: `login` or `password.confirm`. */
  action: string;
  actorId: string | null;
}

/**
 * The lockout of password and code attempts: every attempt is counted (as a failure until it
 * succeeds) before it is checked, per account and per client address, in the store, so every
 * instance shares the count; a password is verified against the dummy hash when there is no
 * user, so that timing does not tell whether an email is registered.
 */
export class LoginThrottle {
  #dummyHash: Promise<string> | undefined;

  constructor(private readonly deps: LoginThrottleDeps) {}

  /** A hash of a random password, computed once, verified when there is no real hash so that timing does not tell. */
  dummyHash(): Promise<string> {
    this.#dummyHash ??= this.deps.hasher.hash(generateToken(this.deps.stamps.random));
    return this.#dummyHash;
  }

  /**
   * Counts an attempt at a password or code before it is checked, and says whether it may be
   * checked. The attempt is recorded as a failure and committed first, then the failures in
   * the window are counted, this one included: of any number of concurrent attempts (in any
   * number of processes on one store), the k-th to commit counts at least k, so at most the
   * limit are ever checked in a window. The caller marks the attempt succeeded when it matched.
   * Failures before the account's last successful login do not count against it.
   */
  async reserveAttempt(args: { email: string; userId: string | null; lastLoginAt: Date | null; client: NormalizedClient }): Promise<ReservedAttempt> {
    const { store, stamps } = this.deps;
    const now = stamps.now();
    const ipKey = rateLimitKey(args.client.ip);
    const attemptId = stamps.newId();
    await store.insertLoginAttempt({ id: attemptId, email: args.email, userId: args.userId, ip: ipKey, success: false, createdAt: now });
    const { maxFailures, maxFailuresPerIp } = this.deps.options.lockout;
    const windowStart = this.windowStart(now);
    const accountSince = new Date(Math.max(windowStart.getTime(), args.lastLoginAt?.getTime() ?? 0));
    const [byAccount, byIp] = await Promise.all([
      store.listLoginFailures({ email: args.email }, { since: accountSince, limit: maxFailures + 1 }),
      ipKey === null ? Promise.resolve([]) : store.listLoginFailures({ ip: ipKey }, { since: windowStart, limit: maxFailuresPerIp + 1 }),
    ]);
    return { attemptId, retryAfter: this.retryAfter([byAccount[maxFailures] ?? null, byIp[maxFailuresPerIp] ?? null], now) };
  }

  /** Where the lockout's window starts at `now`. */
  windowStart(now: Date): Date {
    return new Date(now.getTime() - this.deps.options.lockout.window * 1000);
  }

  /**
   * Seconds until the account and the client may try again, `null` when they may now: past a
   * limit, locked until the failure that passed it — the oldest of the newest `max + 1`, this
   * attempt among them — leaves the window.
   */
  retryAfter(lockedBy: readonly (Date | null)[], now: Date): number | null {
    const window = this.deps.options.lockout.window * 1000;
    const unlockAt = Math.max(0, ...lockedBy.map((failure) => (failure === null ? 0 : failure.getTime() + window)));
    return unlockAt > now.getTime() ? Math.ceil((unlockAt - now.getTime()) / 1000) : null;
  }

  /**
   * Checks a password against a user with the lockout applied ({@link reserveAttempt}), doing
   * the same work whether or not the user exists, and logs a failure. Resolves the user and
   * the attempt when the password matched; the attempt counts as a failure until the caller
   * marks it succeeded, in the transaction that ends the sign-in.
   * @throws {AuthError} RATE_LIMITED — too many recent failures for the account or the client.
   * @throws {AuthError} INVALID_CREDENTIALS — unknown email or wrong password, indistinguishably.
   */
  async attemptPassword(args: PasswordAttempt): Promise<MatchedPassword> {
    const { email, user, client } = args;
    const reserved = await this.reserveAttempt({ email, userId: user?.id ?? null, lastLoginAt: user?.lastLoginAt ?? null, client });
    return this.checkPassword({ ...args, ...reserved });
  }

  /**
   * {@link attemptPassword} once its attempt is counted: checks the password when the lockout
   * lets it (`retryAfter` null), doing the same work whether or not the user exists.
   * @throws {AuthError} RATE_LIMITED | INVALID_CREDENTIALS — as {@link attemptPassword}.
   */
  async checkPassword(args: PasswordAttempt & ReservedAttempt): Promise<MatchedPassword> {
    const { email, user, client, attemptId, retryAfter } = args;
    // Awaited on every path so that the first call for an unknown email is not the slow one.
    const dummy = await this.dummyHash();
    let failure: string | null = null;
    if (retryAfter === null) {
      const matched = await this.deps.hasher.verify(user?.passwordHash ?? dummy, args.password);
      if (user === null) failure = 'unknown_email';
      else if (user.passwordHash === null) failure = 'no_password';
      else if (!matched) failure = 'wrong_password';
    } else {
      failure = 'locked';
    }
    if (failure === null && user !== null) return { user, attemptId };
    await this.recordFailure({ email, userId: user?.id ?? null, client, action: args.action, actorId: args.actorId, reason: failure ?? 'unknown' });
    if (retryAfter !== null) throw new AuthError('RATE_LIMITED', { retryAfter });
    throw new AuthError('INVALID_CREDENTIALS');
  }

  /**
   * Confirms the password of a user who is acting already (a password change, an email
   * change, turning two-factor off), under the same lockout as sign-ins.
   * @throws {AuthError} RATE_LIMITED — too many recent failures for the account or the client.
   * @throws {AuthError} INVALID_CREDENTIALS — wrong password.
   */
  async verifyPassword(args: PasswordAttempt): Promise<UserRecord> {
    const { user, attemptId } = await this.attemptPassword(args);
    await this.deps.store.markLoginAttemptSucceeded(attemptId);
    return user;
  }

  /**
   * Logs a refused sign-in step in the activity log; its attempt was counted as a failure
   * when it was reserved ({@link reserveAttempt}).
   */
  async recordFailure(args: { email: string; userId: string | null; client: NormalizedClient; action: string; actorId: string | null; reason: string }): Promise<void> {
    const locked = args.reason === 'locked';
    await this.deps.units.transact(args.client, (uow) =>
      uow.log({
        action: locked ? `${args.action}.locked` : `${args.action}.failed`,
        subjectId: args.userId,
        actorId: args.actorId,
        details: locked ? 'Refused: too many failed attempts.' : args.reason === 'wrong_code' ? 'Wrong verification code.' : 'Wrong email or password.',
        metadata: { email: args.email, reason: args.reason },
      }),
    );
  }
}
