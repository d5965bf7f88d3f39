import { LruCache } from '../cache/lru-cache.js';
import { generateToken } from '../crypto/tokens.js';
import { rateLimitKey, type NormalizedClient } from '../domain/client.js';
import type { UserRecord } from '../domain/user.js';
import { AuthError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import type { AuthStore } from '../ports/auth-store.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import { whileVerifying } from './hash-shadow.js';
import type { Stamps } from './stamps.js';
import type { UnitsOfWork } from './unit-of-work.js';

/** A password or code attempt counted by the lockout before its check (see {@link LoginThrottle.reserveAttempt}). */
export interface ReservedAttempt {
  /** The attempt's row: a failure until marked succeeded. */
  readonly attemptId: string;
  /** Seconds until the account or client may try again when the attempt is refused, `null` when it may be checked. */
  readonly retryAfter: number | null;
  /** Whether the account itself is locked (not only the client's address). */
  readonly accountLocked?: boolean | undefined;
}

/** How long a refusal while locked stands for the next ones: at most one attempt and one activity row per account (or account and address) in it. */
const LOCKED_QUIET_MS = 60_000;
/** Accounts (or account and address pairs) whose lock is remembered; the least recently used go first. */
const LOCKED_REMEMBERED = 10_000;

/** A password that matched, with its attempt, still counted as a failure until the caller marks it succeeded. */
export interface MatchedPassword<T = undefined> {
  readonly user: UserRecord;
  readonly attemptId: string;
  /** What `meanwhile` made while the password was verified. */
  readonly made: T;
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
  /** Locks refused in the last minute, by `a <email>` (the account) or `i <address> <email>`: their refusals write nothing more. */
  readonly #quiet = new LruCache<string, { readonly unlockAt: number; readonly loggedAt: number }>(LOCKED_REMEMBERED);

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
    const accountLocked = this.retryAfter([byAccount[maxFailures] ?? null], now) !== null;
    return { attemptId, retryAfter: this.retryAfter([byAccount[maxFailures] ?? null, byIp[maxFailuresPerIp] ?? null], now), accountLocked };
  }

  /**
   * Seconds to wait when this account (or this account from this address) was refused as
   * locked, with its attempt and activity written, less than a minute ago and the lock still
   * holds: the refusal then writes nothing, so that a client hammering a locked account adds at
   * most one attempt row and one activity row per account and minute (in this process).
   * `null`: go on and count the attempt.
   */
  recentLock(email: string, client: NormalizedClient): number | null {
    const now = this.deps.stamps.now().getTime();
    const ipKey = rateLimitKey(client.ip);
    for (const key of [`a ${email}`, ...(ipKey === null ? [] : [`i ${ipKey} ${email}`])]) {
      const lock = this.#quiet.peek(key);
      if (lock === undefined) continue;
      if (lock.unlockAt > now && now - lock.loggedAt < LOCKED_QUIET_MS) return Math.ceil((lock.unlockAt - now) / 1000);
      this.#quiet.delete(key);
    }
    return null;
  }

  /** Remembers a refusal written while locked, for {@link recentLock}. */
  #rememberLock(email: string, client: NormalizedClient, retryAfter: number, accountLocked: boolean): void {
    const now = this.deps.stamps.now().getTime();
    const ipKey = rateLimitKey(client.ip);
    if (!accountLocked && ipKey === null) return;
    this.#quiet.set(accountLocked ? `a ${email}` : `i ${ipKey} ${email}`, { unlockAt: now + retryAfter * 1000, loggedAt: now });
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
    const quiet = this.recentLock(email, client);
    if (quiet !== null) throw new AuthError('RATE_LIMITED', { retryAfter: quiet });
    const reserved = await this.reserveAttempt({ email, userId: user?.id ?? null, lastLoginAt: user?.lastLoginAt ?? null, client });
    return this.checkPassword({ ...args, ...reserved });
  }

  /**
   * {@link attemptPassword} once its attempt is counted: checks the password when the lockout
   * lets it (`retryAfter` null), doing the same work whether or not the user exists. `meanwhile`
   * runs while the password is verified, whether or not the user exists (see `hash-shadow.ts`).
   * @throws {AuthError} RATE_LIMITED | INVALID_CREDENTIALS — as {@link attemptPassword}.
   */
  checkPassword(args: PasswordAttempt & ReservedAttempt): Promise<MatchedPassword>;
  checkPassword<T>(args: PasswordAttempt & ReservedAttempt, meanwhile: () => T): Promise<MatchedPassword<T>>;
  async checkPassword<T>(args: PasswordAttempt & ReservedAttempt, meanwhile?: () => T): Promise<MatchedPassword<T | undefined>> {
    const { email, user, client, attemptId, retryAfter } = args;
    // Awaited on every path so that the first call for an unknown email is not the slow one.
    const dummy = await this.dummyHash();
    let failure: string | null = null;
    let made: T | undefined;
    if (retryAfter === null) {
      let matched: boolean;
      ({ matched, made } = await whileVerifying(() => this.deps.hasher.verify(user?.passwordHash ?? dummy, args.password), meanwhile ?? (() => undefined)));
      if (user === null) failure = 'unknown_email';
      else if (user.passwordHash === null) failure = 'no_password';
      else if (!matched) failure = 'wrong_password';
    } else {
      failure = 'locked';
    }
    if (failure === null && user !== null) return { user, attemptId, made };
    await this.recordFailure({ email, userId: user?.id ?? null, client, action: args.action, actorId: args.actorId, reason: failure ?? 'unknown' });
    if (retryAfter !== null) {
      this.#rememberLock(email, client, retryAfter, args.accountLocked ?? true);
      throw new AuthError('RATE_LIMITED', { retryAfter });
    }
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
  async recordFailure(args: {
    email: string;
    userId: string | null;
    client: NormalizedClient;
    action: string;
    actorId: string | null;
    reason: string;
    /** For a `locked` refusal: how long, and whether the account itself is locked — remembered for {@link recentLock}. */
    lock?: { readonly retryAfter: number; readonly accountLocked: boolean } | undefined;
  }): Promise<void> {
    const locked = args.reason === 'locked';
    if (args.lock !== undefined) this.#rememberLock(args.email, args.client, args.lock.retryAfter, args.lock.accountLocked);
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
