import { z } from 'zod';
import { isRehashable } from '../crypto/legacy-hashes.js';
import { hashToken } from '../crypto/tokens.js';
import type { Activity } from '../domain/activity.js';
import { normalizeClient, rateLimitKey, type ClientInfo, type NormalizedClient } from '../domain/client.js';
import { deviceKey, isNewDevice, type DeviceTrace } from '../domain/device.js';
import { sessionDeadline, toSession, type Session, type SessionRecord } from '../domain/session.js';
import { effectiveStatus, toUser, type User, type UserRecord } from '../domain/user.js';
import { AuthError, isAuthError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import { hasSignInSteps, type AuthStore, type SignInStore } from '../ports/auth-store.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import { parseInput, tokenSchema } from '../validation/schemas.js';
import { parseLoginInput } from '../validation/login-input.js';
import { storableJson } from '../validation/text.js';
import type { BackgroundWork, ErrorReport } from './background.js';
import { sessionSeed, type SessionSeed } from './hash-shadow.js';
import type { LegacyAccounts } from './legacy-accounts.js';
import type { LoginThrottle } from './login-throttle.js';
import type { MailDelivery } from './mail-delivery.js';
import type { Stamps } from './stamps.js';
import type { SecondFactor, TwoFactorService } from './two-factor-service.js';
import type { UnitOfWork, UnitsOfWork } from './unit-of-work.js';

/** What {@link SignInService.login} takes. */
export interface LoginInput {
  /** The address the account was registered with (any case). */
  email: string;
  /** The password in clear. */
  password: string;
  /**
   * Keep the session for the remember-me lifetime instead of the idle/absolute lifetimes.
   * @default false
   */
  rememberMe?: boolean | undefined;
}

/** A successful sign-in. */
export interface LoginResult {
  /** The session token: give it to the client (cookie or bearer) and never store it. */
  readonly token: string;
  /** The new session (without its token). */
  readonly session: Session;
  /** The signed-in user. */
  readonly user: User;
  /** The user must change their password before doing anything else. */
  readonly mustChangePassword: boolean;
}

/** Why an account whose password or code matched may not sign in. */
type SignInRefusal = 'ACCOUNT_BLOCKED' | 'ACCOUNT_SUSPENDED' | 'ACCOUNT_INACTIVE' | 'ACCOUNT_NOT_ACTIVATED' | 'ACCOUNT_PENDING';

/** The SHA-256 of a client's device key: what the store remembers of the devices a user signed in from. */
const deviceHash = (trace: DeviceTrace): string => hashToken(deviceKey(trace));

/** How many recent sign-ins a new one is compared with for the new-device notice (after a two-factor step). */
const RECENT_SIGN_INS = 50;

/** What {@link SignInService.verifyTwoFactor} takes. */
export interface TwoFactorStepInput {
  /** The challenge of the password step's `TWO_FACTOR_REQUIRED`. */
  challenge: string;
  /** A code from the authenticator app, or a recovery code. */
  code: string;
  /** Keep the session `rememberMeLifetime` from sign-in. @default false */
  rememberMe?: boolean | undefined;
}

const twoFactorSchema = z.object({
  challenge: tokenSchema,
  code: z.string().min(1, { error: 'Enter the code.' }).max(64),
  rememberMe: z.boolean().default(false),
});



/** What the sign-in service works with. */
export interface SignInServiceDeps {
  readonly store: AuthStore;
  readonly hasher: PasswordHasher;
  readonly options: Pick<ResolvedOptions, 'mail' | 'registration' | 'sessions' | 'lockout'>;
  readonly stamps: Stamps;
  readonly units: Pick<UnitsOfWork, 'transact'>;
  readonly work: Pick<BackgroundWork, 'background'>;
  readonly report: ErrorReport;
  readonly mail: Pick<MailDelivery, 'deliver'>;
  /** Counts each password or code attempt toward the lockout. */
  readonly throttle: Pick<LoginThrottle, 'attemptPassword' | 'reserveAttempt' | 'checkPassword' | 'windowStart' | 'retryAfter' | 'recordFailure' | 'recentLock'>;
  /** Lazy migration: brings an unknown address's user over from the legacy system, if any. */
  readonly legacy: Pick<LegacyAccounts, 'enabled' | 'bringOver'>;
}

/**
 * Signing in: the password step (counted by the login throttle), the two-step step, and the
 * start of a fresh session. `auth.sessions.login()` and `auth.sessions.verifyTwoFactor()` call it.
 */
export class SignInService {
  constructor(
    private readonly deps: SignInServiceDeps,
    private readonly twoFactor: TwoFactorService,
  ) {}

  /**
   * Signs a user in and starts a fresh session; a token presented before is never reused.
   * An unknown email and a wrong password fail alike, with the same hashing work. The
   * account's status is checked only after the password matched. When none of the user's
   * recent sign-ins came from this device, mails a `new-sign-in` notice in the background
   * (`mail.notifyNewSignIn`; never on the first sign-in).
   *
   * @throws {AuthError} VALIDATION_FAILED — malformed input.
   * @throws {AuthError} RATE_LIMITED — too many recent failures for the account or the client (`retryAfter` set).
   * @throws {AuthError} INVALID_CREDENTIALS — unknown email or wrong password.
   * @throws {AuthError} ACCOUNT_PENDING | ACCOUNT_NOT_ACTIVATED | ACCOUNT_INACTIVE | ACCOUNT_BLOCKED | ACCOUNT_SUSPENDED
   * @throws {AuthError} TWO_FACTOR_REQUIRED — the password was right and the user has two-factor on: the error's
   *   `challenge` goes to {@link verifyTwoFactor} with a code.
   */
  async login(input: LoginInput, client?: ClientInfo): Promise<LoginResult> {
    const { email, password, rememberMe } = parseLoginInput(input);
    const deps = this.deps;
    const who = normalizeClient(client);
    // Refused as locked less than a minute ago: refused again without a row written.
    const quiet = deps.throttle.recentLock(email, who);
    if (quiet !== null) throw new AuthError('RATE_LIMITED', { retryAfter: quiet });
    // Lazy migration: an address gatehouse does not know may still be the legacy system's, brought over before the sign-in reads it.
    if (deps.legacy.enabled && (await deps.store.findUserByEmail(email)) === null) await deps.legacy.bringOver(email);
    const store = deps.store;
    const notify = deps.options.mail.notifyNewSignIn;
    const device = notify ? deviceHash(who) : null;
    let user: UserRecord;
    let attemptId: string;
    /** Whether the notice is due once the sign-in succeeded; `null`: not known from the sign-in's read. */
    let newDevice: boolean | null = null;
    let twoFactor: boolean | null = null;
    /** The new session's token and ids, made while the password was verified. */
    let seed: SessionSeed | null = null;
    if (hasSignInSteps(store)) {
      // On SQL, two statements besides the hash: the attempt and the read in one now, one write at the end.
      const now = deps.stamps.now();
      attemptId = deps.stamps.newId();
      const { maxFailures, maxFailuresPerIp } = deps.options.lockout;
      const state = await store.startSignIn({
        attempt: { id: attemptId, email, ip: rateLimitKey(who.ip), createdAt: now },
        windowStart: deps.throttle.windowStart(now),
        maxFailures,
        maxFailuresPerIp,
        deviceHash: device,
      });
      const retryAfter = deps.throttle.retryAfter([state.accountLockedBy, state.ipLockedBy], now);
      const accountLocked = deps.throttle.retryAfter([state.accountLockedBy], now) !== null;
      ({ user, made: seed } = await deps.throttle.checkPassword(
        { email, user: state.user, password, client: who, action: 'login', actorId: null, attemptId, retryAfter, accountLocked },
        () => sessionSeed(deps.stamps),
      ));
      // Never on a first sign-in, nor before any device was remembered (a store migrated from an older version).
      newDevice = notify && user.lastLoginAt !== null && state.anyDeviceKnown && !state.deviceKnown;
      twoFactor = this.twoFactor.available && state.twoFactorEnabled;
    } else {
      const found = await store.findUserByEmail(email);
      ({ user, attemptId } = await deps.throttle.attemptPassword({ email, user: found, password, client: who, action: 'login', actorId: null }));
    }
    await this.#assertAdmissible(user, who, attemptId);
    const rehashed = deps.hasher.needsRehash(user.passwordHash!) && isRehashable(user.passwordHash!, password) ? await deps.hasher.hash(password) : null;

    if (twoFactor ?? (await this.twoFactor.isEnabled(user.id))) {
      // The password was right: hand out a short-lived challenge instead of a session.
      const challenge = await deps.units.transact(who, async (uow) => {
        await uow.tx.markLoginAttemptSucceeded(attemptId);
        // The rehash replaces only the hash it was made from, never a password changed meanwhile.
        if (rehashed !== null && (await uow.tx.lockUser(user.id))?.passwordHash === user.passwordHash) {
          await uow.tx.updateUser(user.id, { passwordHash: rehashed, updatedAt: deps.stamps.now() });
        }
        const key = await uow.issueKey(toUser(user), 'two-factor-challenge', user.email);
        await uow.log({ action: 'login.two_factor_required', subjectId: user.id, actorId: user.id, details: 'Password accepted; waiting for the second step.', metadata: { email } });
        return key;
      });
      throw new AuthError('TWO_FACTOR_REQUIRED', { challenge });
    }
    const started = rehashed === null && seed !== null && hasSignInSteps(store) ? await this.#finishSignIn(store, user, { attemptId, rememberMe, who, device, seed }) : null;
    if (started !== null) {
      if (newDevice === true) this.#noticeNewDevice(started.updated, started.session, who, Promise.resolve(true));
      return started.result;
    }
    // A rehash, a status to lift, or a user changed since the read: the full transaction judges again under the user's lock.
    return this.#startSession(user, { attemptId, rememberMe, who, rehashed, method: 'password', device, newDevice });
  }

  /**
   * The sign-in's end in one store call, when nothing but `lastLoginAt` changes on the user;
   * `null` when the full transaction must run (a block to lift, or the user changed since read).
   */
  async #finishSignIn(
    store: SignInStore,
    user: UserRecord,
    options: { attemptId: string; rememberMe: boolean; who: NormalizedClient; device: string | null; seed: SessionSeed },
  ): Promise<{ result: LoginResult; updated: UserRecord; session: SessionRecord } | null> {
    const deps = this.deps;
    const now = deps.stamps.now();
    if (effectiveStatus(user, now) !== user.status) return null;
    const { session, token } = this.#newSession(user, options.who, options.rememberMe, now, options.seed);
    const activity: Activity = {
      id: options.seed.activityId,
      subjectId: user.id,
      actorId: user.id,
      action: 'login.succeeded',
      details: 'Signed in.',
      ip: options.who.ip,
      userAgent: options.who.userAgent,
      metadata: storableJson({ email: user.email, sessionId: session.id, rememberMe: options.rememberMe }),
      createdAt: now,
    };
    const updated = await store.finishSignIn({ user, at: now, session, attemptId: options.attemptId, activity, deviceHash: options.device });
    if (updated === null) return null;
    return { result: { token, session: toSession(session), user: toUser(updated), mustChangePassword: updated.mustChangePassword }, updated, session };
  }

  /** A new session of `user` from `who`, and its token (the seed's, when one was made during the hash). */
  #newSession(user: UserRecord, who: NormalizedClient, rememberMe: boolean, now: Date, seed: SessionSeed = sessionSeed(this.deps.stamps)): { session: SessionRecord; token: string } {
    const deps = this.deps;
    const { token } = seed;
    const session: SessionRecord = {
      id: seed.sessionId,
      userId: user.id,
      tokenHash: seed.tokenHash,
      ip: who.ip,
      userAgent: who.userAgent,
      rememberMe,
      createdAt: now,
      lastActiveAt: now,
      expiresAt: sessionDeadline({ createdAt: now, rememberMe }, now, deps.options.sessions),
      revokedAt: null,
    };
    return { session, token };
  }

  /**
   * The second step of a sign-in with two-factor on: the challenge from
   * {@link login}'s `TWO_FACTOR_REQUIRED` and a code from the authenticator app (or a
   * recovery code). A code works once; failures count toward the same lockout as passwords.
   * @throws {AuthError} VALIDATION_FAILED — malformed input.
   * @throws {AuthError} KEY_INVALID | KEY_EXPIRED — the challenge is unknown, used, or too old: sign in again.
   * @throws {AuthError} RATE_LIMITED — too many recent failures for the account or the client.
   * @throws {AuthError} TWO_FACTOR_INVALID — a wrong, replayed or spent code.
   * @throws {AuthError} ACCOUNT_BLOCKED | … — the account was blocked meanwhile.
   */
  async verifyTwoFactor(input: TwoFactorStepInput, client?: ClientInfo): Promise<LoginResult> {
    const { challenge, code, rememberMe } = parseInput(twoFactorSchema, input);
    const deps = this.deps;
    const who = normalizeClient(client);
    const pending = await deps.store.findOneTimeKey(hashToken(challenge));
    const now = deps.stamps.now();
    if (pending === null || pending.purpose !== 'two-factor-challenge' || pending.usedAt !== null || pending.voidedAt !== null) throw new AuthError('KEY_INVALID');
    if (pending.expiresAt <= now) throw new AuthError('KEY_EXPIRED');
    const user = await deps.store.findUserById(pending.userId);
    if (user === null) throw new AuthError('KEY_INVALID');
    const failure = { email: user.email, userId: user.id, client: who, action: 'login.two_factor', actorId: null };
    // The same lockout as the password step, counted before the code is checked: no path to a session skips it.
    const quiet = deps.throttle.recentLock(user.email, who);
    if (quiet !== null) throw new AuthError('RATE_LIMITED', { retryAfter: quiet });
    const { attemptId, retryAfter, accountLocked } = await deps.throttle.reserveAttempt({ email: user.email, userId: user.id, lastLoginAt: user.lastLoginAt, client: who });
    if (retryAfter !== null) {
      await deps.throttle.recordFailure({ ...failure, reason: 'locked', lock: { retryAfter, accountLocked: accountLocked ?? true } });
      throw new AuthError('RATE_LIMITED', { retryAfter });
    }
    await this.#assertAdmissible(user, who, attemptId);
    try {
      return await this.#startSession(user, {
        attemptId,
        rememberMe,
        who,
        rehashed: null,
        method: 'two-factor',
        device: deps.options.mail.notifyNewSignIn ? deviceHash(who) : null,
        newDevice: null,
        // Spent in the session's own transaction: the challenge and the code are used up only if a session starts.
        inTransaction: async (uow) => {
          await uow.consumeKey(challenge, 'two-factor-challenge');
          const method = await this.twoFactor.verifyCode(uow.tx, user, code, who.ip);
          if (method === null) throw new AuthError('TWO_FACTOR_INVALID');
          return method;
        },
      });
    } catch (error) {
      if (isAuthError(error, 'TWO_FACTOR_INVALID')) await deps.throttle.recordFailure({ ...failure, reason: 'wrong_code' });
      throw error;
    }
  }

  /**
   * Refuses a user whose password or code matched but whose account may not sign in (as read
   * before the sign-in's transaction, which judges it again under the user's lock).
   * @throws {AuthError} ACCOUNT_* — the account may not sign in; the refusal is logged.
   */
  async #assertAdmissible(user: UserRecord, who: NormalizedClient, attemptId: string): Promise<void> {
    const refusal = this.#refusalFor(user, effectiveStatus(user, this.deps.stamps.now()));
    if (refusal === null) return;
    await this.deps.units.transact(who, (uow) => this.#logRefusal(uow, user, refusal, attemptId));
    throw new AuthError(refusal);
  }

  /** Logs a refused sign-in. Its attempt is marked succeeded: the account's status refused it, not a wrong password or code. */
  async #logRefusal(uow: UnitOfWork, user: UserRecord, refusal: SignInRefusal, attemptId: string): Promise<void> {
    await uow.tx.markLoginAttemptSucceeded(attemptId);
    await uow.log({ action: 'login.refused', subjectId: user.id, actorId: user.id, details: `Sign-in refused: ${refusal}.`, metadata: { email: user.email, reason: refusal } });
  }

  /** Starts a fresh session for a user who proved who they are. */
  async #startSession(
    user: UserRecord,
    options: {
      /** The lockout's attempt, marked succeeded with the sign-in. */
      attemptId: string;
      rememberMe: boolean;
      who: NormalizedClient;
      rehashed: string | null;
      method: 'password' | 'two-factor';
      inTransaction?: (uow: UnitOfWork) => Promise<SecondFactor>;
      /** The device to remember (the store's `rememberDevice`), or `null`. */
      device: string | null;
      /** Whether the new-device notice is due, as the sign-in's read found; `null`: judged from the user's recent sign-ins. */
      newDevice: boolean | null;
    },
  ): Promise<LoginResult> {
    const deps = this.deps;
    const { attemptId, rememberMe, who, rehashed, device } = options;
    const now = deps.stamps.now();
    const { session, token } = this.#newSession(user, who, rememberMe, now);
    // Read concurrently with the sign-in below: the notice costs the login path no waiting.
    const isNew = options.newDevice !== null ? Promise.resolve(options.newDevice) : this.#isNewDevice(user, who, session.id);
    const outcome = await deps.units.transact(who, async (uow): Promise<{ refusal: SignInRefusal } | { updated: UserRecord }> => {
      // The user's row before the session's: every writer locks users before sessions. Under
      // the lock the status is judged again: a block committed since the read above refuses
      // the sign-in, and no session row is written for it.
      const current = await uow.tx.lockUser(user.id);
      // Gone, or a password step whose password is no longer the account's (changed meanwhile).
      const sameHash = current?.passwordHash === user.passwordHash;
      if (current === null || (options.method === 'password' && !sameHash)) throw new AuthError('INVALID_CREDENTIALS');
      const status = effectiveStatus(current, now);
      const refusal = this.#refusalFor(current, status);
      if (refusal !== null) {
        await this.#logRefusal(uow, current, refusal, attemptId);
        return { refusal };
      }
      const secondFactor = options.inTransaction === undefined ? undefined : await options.inTransaction(uow);
      const patch = {
        lastLoginAt: now,
        updatedAt: now,
        ...(rehashed === null || !sameHash ? {} : { passwordHash: rehashed }),
        // A block or suspension whose end date passed is lifted at the next sign-in: the row,
        // read under its lock, still holds that very block.
        ...(status !== current.status ? { status, statusReason: null, statusUntil: null } : {}),
      };
      const next = (await uow.tx.updateUser(user.id, patch)) ?? current;
      await uow.tx.insertSession(session);
      await uow.tx.markLoginAttemptSucceeded(attemptId);
      if (device !== null) await uow.tx.rememberDevice?.(user.id, device, now);
      await uow.log({
        action: 'login.succeeded',
        subjectId: user.id,
        actorId: user.id,
        details: 'Signed in.',
        metadata: {
          email: user.email,
          sessionId: session.id,
          rememberMe,
          ...(rehashed === null ? {} : { rehashed: true }),
          ...(secondFactor === undefined ? {} : { secondFactor }),
        },
      });
      return { updated: next };
    });
    if ('refusal' in outcome) throw new AuthError(outcome.refusal);
    const { updated } = outcome;
    this.#noticeNewDevice(updated, session, who, isNew);
    return { token, session: toSession(session), user: toUser(updated), mustChangePassword: updated.mustChangePassword };
  }

  /**
   * Whether none of the user's recent successful sign-ins came from `who` (one store query), for
   * the two-factor step; `false` when no notice can be due: notices are off, or this is the
   * user's first sign-in. Never rejects.
   */
  #isNewDevice(user: UserRecord, who: NormalizedClient, sessionId: string): Promise<boolean> {
    const deps = this.deps;
    if (!deps.options.mail.notifyNewSignIn || user.lastLoginAt === null) return Promise.resolve(false);
    return deps.store.listActivities({ subjectId: user.id, action: 'login.succeeded', offset: 0, limit: RECENT_SIGN_INS }).then(
      // The read may run after this sign-in's own entry was committed: leave that one out.
      (page) => isNewDevice(who, page.items.filter((activity) => activity.metadata['sessionId'] !== sessionId)),
      (error: unknown) => {
        deps.report(error, 'new sign-in check');
        return false;
      },
    );
  }

  /** Mails a new sign-in notice, in the background, when `isNew` resolves true. */
  #noticeNewDevice(user: UserRecord, session: SessionRecord, who: NormalizedClient, isNew: Promise<boolean>): void {
    const deps = this.deps;
    deps.work.background('mail new-sign-in', async () => {
      if (!(await isNew)) return;
      const data = { ip: who.ip ?? undefined, userAgent: who.userAgent ?? undefined, at: session.createdAt };
      await deps.mail.deliver({ kind: 'new-sign-in', user: toUser(user), data }, who);
    });
  }

  #refusalFor(user: UserRecord, status: User['status']): SignInRefusal | null {
    if (status === 'blocked') return 'ACCOUNT_BLOCKED' as const;
    if (status === 'suspended') return 'ACCOUNT_SUSPENDED' as const;
    if (status === 'inactive') return 'ACCOUNT_INACTIVE' as const;
    if (this.deps.options.registration.requireEmailVerification && user.emailVerifiedAt === null) return 'ACCOUNT_NOT_ACTIVATED' as const;
    if (status === 'pending') return 'ACCOUNT_PENDING' as const;
    return null;
  }

}
