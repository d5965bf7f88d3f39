import { z } from 'zod';
import { isPromise, type Awaitable } from '../awaitable.js';
import { generateToken, hashToken, TOKEN_LENGTH } from '../crypto/tokens.js';
import type { Activity } from '../domain/activity.js';
import { normalizeClient, type ClientInfo, type NormalizedClient } from '../domain/client.js';
import { isNewDevice } from '../domain/device.js';
import { isSessionLive, sessionDeadline, toSession, type Session, type SessionRecord } from '../domain/session.js';
import { effectiveStatus, toUser, type User, type UserRecord } from '../domain/user.js';
import { AuthError, isAuthError } from '../errors.js';
import { isRehashable } from '../crypto/legacy-hashes.js';
import { emailSchema, givenPasswordSchema, idSchema, parseInput, tokenSchema } from '../validation/schemas.js';
import { viewsOf, type BundleViews } from './bundle-views.js';
import { createContext, requireContext, type AuthContext } from './context.js';
import type { SessionBundle } from '../ports/auth-store.js';
import type { Kernel, UnitOfWork } from './kernel.js';
import type { SecondFactor, TwoFactorService } from './two-factor-service.js';

// validateSession() below; set by SessionService's static block, the one place that may call its private #validateNow.
let validateNow: (sessions: Pick<SessionService, 'validate'>, token: unknown, client: ClientInfo | undefined) => Awaitable<AuthContext | null>;

/** What {@link SessionService.login} takes. */
export interface LoginInput {
  email: string;
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
  readonly session: Session;
  readonly user: User;
  /** The user must change their password before doing anything else. */
  readonly mustChangePassword: boolean;
}

/** A session in a user's list of their own sessions. */
export interface SessionListItem extends Session {
  /** Whether this is the session of the request that asked. */
  readonly current: boolean;
}

/** Why an account whose password or code matched may not sign in. */
type SignInRefusal = 'ACCOUNT_BLOCKED' | 'ACCOUNT_SUSPENDED' | 'ACCOUNT_INACTIVE' | 'ACCOUNT_NOT_ACTIVATED' | 'ACCOUNT_PENDING';

/** How many recent sign-ins a new one is compared with for the new-device notice. */
const RECENT_SIGN_INS = 50;

const loginSchema = z.object({
  email: emailSchema,
  password: givenPasswordSchema,
  rememberMe: z.boolean().default(false),
});

const twoFactorSchema = z.object({
  challenge: tokenSchema,
  code: z.string().min(1, { error: 'Enter the code.' }).max(64),
  rememberMe: z.boolean().default(false),
});

/** Signing in, validating requests, and managing one's sessions. */
export class SessionService {
  readonly #cache: BundleCache | undefined;

  constructor(
    readonly kernel: Kernel,
    private readonly twoFactor: TwoFactorService,
  ) {
    const ttl = kernel.options.sessions.cacheTtl;
    if (ttl > 0) {
      const cache = new BundleCache((hash) => kernel.store.findSessionByTokenHash(hash), ttl * 1000);
      kernel.onCommit(() => cache.clear());
      this.#cache = cache;
    }
  }

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
    const { email, password, rememberMe } = parseInput(loginSchema, input);
    const kernel = this.kernel;
    const who = normalizeClient(client);
    // Lazy migration: an address gatehouse does not know may still be the legacy system's.
    const found = (await kernel.store.findUserByEmail(email)) ?? (await kernel.legacy.bringOver(email));
    const { user, attemptId } = await kernel.attemptPassword({ email, user: found, password, client: who, action: 'login', actorId: null });
    await this.#assertAdmissible(user, who, attemptId);
    const rehashed = kernel.hasher.needsRehash(user.passwordHash!) && isRehashable(user.passwordHash!, password) ? await kernel.hasher.hash(password) : null;

    if (await this.twoFactor.isEnabled(user.id)) {
      // The password was right: hand out a short-lived challenge instead of a session.
      const challenge = await kernel.transact(who, async (uow) => {
        await uow.tx.markLoginAttemptSucceeded(attemptId);
        // The rehash replaces only the hash it was made from, never a password changed meanwhile.
        if (rehashed !== null && (await uow.tx.lockUser(user.id))?.passwordHash === user.passwordHash) {
          await uow.tx.updateUser(user.id, { passwordHash: rehashed, updatedAt: kernel.now() });
        }
        const key = await uow.issueKey(toUser(user), 'two-factor-challenge', user.email);
        await uow.log({ action: 'login.two_factor_required', subjectId: user.id, actorId: user.id, details: 'Password accepted; waiting for the second step.', metadata: { email } });
        return key;
      });
      throw new AuthError('TWO_FACTOR_REQUIRED', { challenge });
    }
    return this.#startSession(user, { attemptId, rememberMe, who, rehashed, method: 'password' });
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
  async verifyTwoFactor(input: { challenge: string; code: string; rememberMe?: boolean | undefined }, client?: ClientInfo): Promise<LoginResult> {
    const { challenge, code, rememberMe } = parseInput(twoFactorSchema, input);
    const kernel = this.kernel;
    const who = normalizeClient(client);
    const pending = await kernel.store.findOneTimeKey(hashToken(challenge));
    const now = kernel.now();
    if (pending === null || pending.purpose !== 'two-factor-challenge' || pending.usedAt !== null || pending.voidedAt !== null) throw new AuthError('KEY_INVALID');
    if (pending.expiresAt <= now) throw new AuthError('KEY_EXPIRED');
    const user = await kernel.store.findUserById(pending.userId);
    if (user === null) throw new AuthError('KEY_INVALID');
    const failure = { email: user.email, userId: user.id, client: who, action: 'login.two_factor', actorId: null };
    // The same lockout as the password step, counted before the code is checked: no path to a session skips it.
    const { attemptId, retryAfter } = await kernel.reserveAttempt({ email: user.email, userId: user.id, lastLoginAt: user.lastLoginAt, client: who });
    if (retryAfter !== null) {
      await kernel.recordFailure({ ...failure, reason: 'locked' });
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
        // Spent in the session's own transaction: the challenge and the code are used up only if a session starts.
        inTransaction: async (uow) => {
          await uow.consumeKey(challenge, 'two-factor-challenge');
          const method = await this.twoFactor.verifyCode(uow.tx, user, code, who.ip);
          if (method === null) throw new AuthError('TWO_FACTOR_INVALID');
          return method;
        },
      });
    } catch (error) {
      if (isAuthError(error, 'TWO_FACTOR_INVALID')) await kernel.recordFailure({ ...failure, reason: 'wrong_code' });
      throw error;
    }
  }

  /**
   * Refuses a user whose password or code matched but whose account may not sign in (as read
   * before the sign-in's transaction, which judges it again under the user's lock).
   * @throws {AuthError} ACCOUNT_* — the account may not sign in; the refusal is logged.
   */
  async #assertAdmissible(user: UserRecord, who: NormalizedClient, attemptId: string): Promise<void> {
    const refusal = this.#refusalFor(user, effectiveStatus(user, this.kernel.now()));
    if (refusal === null) return;
    await this.kernel.transact(who, (uow) => this.#logRefusal(uow, user, refusal, attemptId));
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
    },
  ): Promise<LoginResult> {
    const kernel = this.kernel;
    const { attemptId, rememberMe, who, rehashed } = options;
    const now = kernel.now();
    // Read concurrently with the sign-in below: the notice costs the login path no waiting.
    const earlierSignIns = this.#earlierSignIns(user);
    const token = generateToken(kernel.random);
    const session: SessionRecord = {
      id: kernel.newId(),
      userId: user.id,
      tokenHash: hashToken(token),
      ip: who.ip,
      userAgent: who.userAgent,
      rememberMe,
      createdAt: now,
      lastActiveAt: now,
      expiresAt: sessionDeadline({ createdAt: now, rememberMe }, now, kernel.options.sessions),
      revokedAt: null,
    };
    const outcome = await kernel.transact(who, async (uow): Promise<{ refusal: SignInRefusal } | { updated: UserRecord }> => {
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
    this.#noticeNewDevice(updated, session, who, earlierSignIns);
    return { token, session: toSession(session), user: toUser(updated), mustChangePassword: updated.mustChangePassword };
  }

  /**
   * The user's recent successful sign-ins (one store query), or `null` when no new-device
   * notice can be due: notices are off, or this is the user's first sign-in. Never rejects.
   */
  #earlierSignIns(user: UserRecord): Promise<readonly Activity[] | null> {
    const kernel = this.kernel;
    if (!kernel.options.mail.notifyNewSignIn || user.lastLoginAt === null) return Promise.resolve(null);
    return kernel.store.listActivities({ subjectId: user.id, action: 'login.succeeded', offset: 0, limit: RECENT_SIGN_INS }).then(
      (page) => page.items,
      (error: unknown) => {
        kernel.report(error, 'new sign-in check');
        return null;
      },
    );
  }

  /** Mails a new sign-in notice, in the background, when none of the earlier sign-ins came from this device. */
  #noticeNewDevice(user: UserRecord, session: SessionRecord, who: NormalizedClient, earlierSignIns: Promise<readonly Activity[] | null>): void {
    const kernel = this.kernel;
    kernel.background('mail new-sign-in', async () => {
      const earlier = await earlierSignIns;
      if (earlier === null) return;
      // The read may run after this sign-in's own entry was committed: leave that one out.
      if (!isNewDevice(who, earlier.filter((activity) => activity.metadata['sessionId'] !== session.id))) return;
      const data = { ip: who.ip ?? undefined, userAgent: who.userAgent ?? undefined, at: session.createdAt };
      await kernel.deliver({ kind: 'new-sign-in', user: toUser(user), data }, who);
    });
  }

  #refusalFor(user: UserRecord, status: User['status']): SignInRefusal | null {
    if (status === 'blocked') return 'ACCOUNT_BLOCKED' as const;
    if (status === 'suspended') return 'ACCOUNT_SUSPENDED' as const;
    if (status === 'inactive') return 'ACCOUNT_INACTIVE' as const;
    if (this.kernel.options.registration.requireEmailVerification && user.emailVerifiedAt === null) return 'ACCOUNT_NOT_ACTIVATED' as const;
    if (status === 'pending') return 'ACCOUNT_PENDING' as const;
    return null;
  }

  /**
   * Resolves the context of a request from its session token, or `null` when the token is
   * malformed, unknown, revoked, expired, or its user may no longer sign in. Loads the
   * session, the user, and the user's roles and permissions in one store round trip, and
   * writes the session's new expiry at most once per renewal interval.
   */
  validate(token: unknown, client?: ClientInfo): Promise<AuthContext | null> {
    try {
      // Promise.resolve() hands a promise back as it is: no extra turn when the answer is one.
      return Promise.resolve(this.#validateNow(token, client));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * {@link validate}, answering at once when the store did (the memory store, the session
   * cache): no promise, so the HTTP layer passes a request on without a turn of the microtask
   * queue. May throw where `validate` rejects.
   */
  #validateNow(token: unknown, client: ClientInfo | undefined): Awaitable<AuthContext | null> {
    // The length bounds the hashing; the characters need no check: only hashes of tokens we made are stored, so no other string is found.
    if (typeof token !== 'string' || token.length !== TOKEN_LENGTH) return null;
    const kernel = this.kernel;
    const tokenHash = hashToken(token);
    const found = this.#cache === undefined ? kernel.store.findSessionByTokenHash(tokenHash) : this.#cache.get(tokenHash, kernel.now().getTime());
    if (!isPromise(found)) return this.#contextOf(found, tokenHash, client);
    // A store's thenable becomes a promise here, so that what the HTTP layer hands on is one.
    return Promise.resolve(found).then((bundle) => this.#contextOf(bundle, tokenHash, client));
  }

  static {
    validateNow = (sessions, token, client) => (#validateNow in sessions ? sessions.#validateNow(token, client) : sessions.validate(token, client));
  }

  /** The context of the session the store found for `tokenHash`, or `null`; renews the session when its interval has passed. */
  #contextOf(bundle: SessionBundle | null, tokenHash: string, client: ClientInfo | undefined): AuthContext | null | Promise<AuthContext | null> {
    // The store found the row by this hash; comparing again guards a lax store (a case-insensitive
    // collation, say). Not in constant time, deliberately: these are SHA-256 digests the store's
    // own lookup already compared, and learning how a digest begins tells nothing of the token.
    if (bundle === null || bundle.session.tokenHash !== tokenHash) return null;
    const kernel = this.kernel;
    const { user, session } = bundle;
    const now = kernel.now();
    const times = kernel.options.sessions;
    if (session.userId !== user.id || !isSessionLive(session, now, times)) return null;
    if (effectiveStatus(user, now) !== 'active') return null;
    if (kernel.options.registration.requireEmailVerification && user.emailVerifiedAt === null) return null;
    const views = viewsOf(bundle, now);
    if (now.getTime() - session.lastActiveAt.getTime() < times.renewInterval * 1000) return createContext(views, false, client);
    return this.#renew(bundle, views, now, tokenHash, client);
  }

  /** Writes the session's new activity and expiry, and gives the context with them. */
  async #renew(bundle: SessionBundle, views: BundleViews, now: Date, tokenHash: string, client: ClientInfo | undefined): Promise<AuthContext> {
    const { session } = bundle;
    const kernel = this.kernel;
    const expiresAt = sessionDeadline(session, now, kernel.options.sessions);
    await kernel.store.touchSession(session.id, { lastActiveAt: now, expiresAt });
    this.#cache?.forget(tokenHash);
    const renewed = Object.freeze(toSession({ ...session, lastActiveAt: now, expiresAt }));
    return createContext({ ...views, session: renewed }, expiresAt.getTime() !== session.expiresAt.getTime(), client);
  }

  /** The signed-in user's live sessions, most recently active first, marking the current one. */
  async list(context: AuthContext | null): Promise<SessionListItem[]> {
    const ctx = requireContext(context);
    const sessions = await this.kernel.store.listUserSessions(ctx.user.id, this.kernel.now());
    const times = this.kernel.options.sessions;
    const now = this.kernel.now();
    return sessions
      .filter((session) => isSessionLive(session, now, times))
      .map((session) => ({ ...toSession(session), current: session.id === ctx.session.id }));
  }

  /**
   * Revokes one of the signed-in user's own sessions.
   * @throws {AuthError} NOT_FOUND — no such session of this user (another user's session is not found either).
   */
  async revoke(context: AuthContext | null, sessionId: string): Promise<void> {
    const ctx = requireContext(context);
    const id = parseInput(idSchema, sessionId);
    const session = await this.kernel.store.findSessionById(id);
    if (session === null || session.userId !== ctx.user.id || session.revokedAt !== null) throw new AuthError('NOT_FOUND');
    await this.kernel.transact(ctx.client, async (uow) => {
      if (!(await uow.tx.revokeSession(id, this.kernel.now()))) throw new AuthError('NOT_FOUND');
      await uow.log({ action: 'session.revoked', subjectId: ctx.user.id, actorId: ctx.user.id, details: 'Signed out a session.', metadata: { sessionId: id } });
    });
  }

  /** Revokes every session of the signed-in user but the current one; resolves how many. */
  async revokeOthers(context: AuthContext | null): Promise<number> {
    const ctx = requireContext(context);
    return this.kernel.transact(ctx.client, async (uow) => {
      const count = await uow.tx.revokeUserSessions(ctx.user.id, { at: this.kernel.now(), exceptId: ctx.session.id });
      await uow.log({ action: 'session.others_revoked', subjectId: ctx.user.id, actorId: ctx.user.id, details: `Signed out ${count} other sessions.`, metadata: { count } });
      return count;
    });
  }

  /** Ends the current session. Logging out twice is harmless. */
  async logout(context: AuthContext | null): Promise<void> {
    const ctx = requireContext(context);
    await this.kernel.transact(ctx.client, async (uow) => {
      if (await uow.tx.revokeSession(ctx.session.id, this.kernel.now())) {
        await uow.log({ action: 'logout', subjectId: ctx.user.id, actorId: ctx.user.id, details: 'Signed out.', metadata: { sessionId: ctx.session.id } });
      }
    });
  }

  /**
   * Ends the session a token belongs to, whoever's it is and whether or not it would still
   * validate: for a sign-in that replaces the session a browser held (the HTTP layer calls it
   * with the cookie a login request carried), so that the old session does not live on
   * server-side. Logged as `session.replaced`. Resolves whether a session was ended; a
   * malformed, unknown or already ended token resolves `false`.
   */
  async revokeToken(token: unknown, client?: ClientInfo): Promise<boolean> {
    if (typeof token !== 'string' || token.length !== TOKEN_LENGTH) return false;
    const found = await this.kernel.store.findSessionByTokenHash(hashToken(token));
    if (found === null || found.session.revokedAt !== null) return false;
    const { session } = found;
    return this.kernel.transact(client, async (uow) => {
      if (!(await uow.tx.revokeSession(session.id, this.kernel.now()))) return false;
      await uow.log({
        action: 'session.replaced',
        subjectId: session.userId,
        actorId: null,
        details: 'Signed out: a new sign-in in the same browser replaced this session.',
        metadata: { sessionId: session.id },
      });
      return true;
    });
  }

  /**
   * Deletes sessions that ended (expired or revoked), login attempts older than the lockout
   * window, and rate-limit windows that ended (where the rate-limit store keeps them); run it
   * periodically. Resolves how many rows went.
   */
  async cleanup(): Promise<{ sessions: number; loginAttempts: number; rateLimits: number }> {
    const now = this.kernel.now();
    const window = this.kernel.options.lockout.window * 1000;
    const [sessions, loginAttempts, rateLimits] = await Promise.all([
      this.kernel.store.deleteSessionsBefore(now),
      this.kernel.store.deleteLoginAttemptsBefore(new Date(now.getTime() - window)),
      this.kernel.rateLimits.deleteRateLimitsBefore?.(now) ?? 0,
    ]);
    return { sessions, loginAttempts, rateLimits };
  }
}

/**
 * Validates a session token for the HTTP layer, answering at once when the store did (see
 * {@link SessionService.validate}). A `sessions` that is not a SessionService (a test double,
 * a wrapper) is asked through its `validate`. Not exported from the package.
 */
export function validateSession(sessions: SessionService, token: unknown, client: ClientInfo | undefined): Awaitable<AuthContext | null> {
  return validateNow(sessions, token, client);
}

/**
 * Recently loaded session bundles by token hash, for `sessions.cacheTtl`. Bounded: the
 * oldest entries go first. Concurrent misses for one token share one store call.
 */
class BundleCache {
  static readonly MAX_ENTRIES = 10_000;
  readonly #entries = new Map<string, { bundle: Awaitable<SessionBundle | null>; readonly until: number }>();

  constructor(
    private readonly load: (tokenHash: string) => Awaitable<SessionBundle | null>,
    private readonly ttlMs: number,
  ) {}

  get(tokenHash: string, nowMs: number): Awaitable<SessionBundle | null> {
    const hit = this.#entries.get(tokenHash);
    if (hit !== undefined && hit.until > nowMs) return hit.bundle;
    if (hit !== undefined) this.#entries.delete(tokenHash);
    const bundle = this.load(tokenHash);
    const entry = { bundle, until: nowMs + this.ttlMs };
    if (isPromise(bundle)) {
      // Once loaded, the bundle itself answers later hits, without a promise. A failed load is not remembered.
      bundle.then(
        (loaded) => void (entry.bundle = loaded),
        () => void (this.#entries.get(tokenHash) === entry && this.#entries.delete(tokenHash)),
      );
    }
    if (this.#entries.size >= BundleCache.MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(tokenHash, entry);
    return bundle;
  }

  forget(tokenHash: string): void {
    this.#entries.delete(tokenHash);
  }

  clear(): void {
    this.#entries.clear();
  }
}
