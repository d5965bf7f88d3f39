import { hashToken, TOKEN_LENGTH } from '../crypto/tokens.js';
import type { ClientInfo } from '../domain/client.js';
import { immutableDate } from '../domain/immutable.js';
import { createContext, requireContext, type AuthContext } from '../domain/principal.js';
import { isSessionLive, sessionDeadline, toSession, type Session } from '../domain/session.js';
import { effectiveStatus } from '../domain/user.js';
import { AuthError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import type { AuthStore } from '../ports/auth-store.js';
import type { RateLimitStore } from '../ports/rate-limit-store.js';
import { idSchema, parseInput } from '../validation/schemas.js';
import type { BundleViews } from './bundle-views.js';
import { SessionCache, type CachedSession } from './session-cache.js';
import type { LoginInput, LoginResult, SignInService, TwoFactorStepInput } from './sign-in-service.js';
import type { Stamps } from './stamps.js';
import type { UnitsOfWork } from './unit-of-work.js';

/** A session in a user's list of their own sessions. */
export interface SessionListItem extends Session {
  /** Whether this is the session of the request that asked. */
  readonly current: boolean;
}

/** What the session service works with. */
export interface SessionServiceDeps {
  readonly store: AuthStore;
  readonly options: Pick<ResolvedOptions, 'lockout' | 'registration' | 'sessions'>;
  /** Where rate limits are counted (cleaned up with the sessions). */
  readonly rateLimits: RateLimitStore;
  readonly stamps: Stamps;
  readonly units: Pick<UnitsOfWork, 'transact' | 'onCommit'>;
}
/** What {@link SessionService.cleanup} deleted. */
export interface CleanupReport {
  /** Sessions ended (expired or revoked) before the retention cut. */
  sessions: number;
  /** Sign-in attempts older than the lockout window. */
  loginAttempts: number;
  /** Rate-limit windows that have ended. */
  rateLimits: number;
}

/** Validating requests and managing one's sessions; signing in is the sign-in service's ({@link SignInService}). */
export class SessionService {
  readonly #cache: SessionCache;

  constructor(
    private readonly deps: SessionServiceDeps,
    private readonly signIn: SignInService,
  ) {
    const { cacheSize, cacheTtl } = deps.options.sessions;
    const cache = new SessionCache(deps.store, cacheSize, cacheTtl * 1000);
    if (cacheTtl > 0) deps.units.onCommit(() => cache.distrust());
    this.#cache = cache;
  }

  /** {@inheritDoc SignInService.login} */
  login(input: LoginInput, client?: ClientInfo): Promise<LoginResult> {
    return this.signIn.login(input, client);
  }

  /** {@inheritDoc SignInService.verifyTwoFactor} */
  verifyTwoFactor(input: TwoFactorStepInput, client?: ClientInfo): Promise<LoginResult> {
    return this.signIn.verifyTwoFactor(input, client);
  }

  /**
   * Resolves the context of a request from its session token, or `null` when the token is
   * malformed, unknown, revoked, expired, or its user may no longer sign in. Loads the
   * session, the user, and the user's roles and permissions in one store round trip (one
   * small read of the session's revision when the session cache holds it), and writes the
   * session's new expiry at most once per renewal interval.
   */
  validate(token: unknown, client?: ClientInfo): Promise<AuthContext | null> {
    // The length bounds the hashing; the characters need no check: only hashes of tokens we made are stored, so no other string is found.
    if (typeof token !== 'string' || token.length !== TOKEN_LENGTH) return Promise.resolve(null);
    try {
      const tokenHash = hashToken(token);
      // One instant for the whole validation: the session was live, or not, when the request came.
      const now = this.deps.stamps.now();
      return this.#cache.find(tokenHash, now, (found) => (found === null ? null : this.#contextOf(found, tokenHash, now, client)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The context of the session the store found for `tokenHash`, or `null`; renews the session when its interval has passed. */
  #contextOf(found: CachedSession, tokenHash: string, now: Date, client: ClientInfo | undefined): AuthContext | null | Promise<AuthContext> {
    // The cache checked that the store's session is the one of this hash and of this user.
    const { user, session } = found.views;
    const deps = this.deps;
    const times = deps.options.sessions;
    if (!isSessionLive(session, now, times)) return null;
    if (effectiveStatus(user, now) !== 'active') return null;
    if (deps.options.registration.requireEmailVerification && user.emailVerifiedAt === null) return null;
    const views = this.#cache.viewsAt(found, now);
    if (now.getTime() - session.lastActiveAt.getTime() < times.renewInterval * 1000) return createContext(views, false, client);
    return this.#renew(found, views, now, tokenHash, client);
  }

  /** Writes the session's new activity and expiry, and gives the context with them. */
  async #renew(found: CachedSession, views: BundleViews, now: Date, tokenHash: string, client: ClientInfo | undefined): Promise<AuthContext> {
    const { session } = found.views;
    const deps = this.deps;
    const expiresAt = sessionDeadline(session, now, deps.options.sessions);
    await deps.store.touchSession(session.id, { lastActiveAt: now, expiresAt });
    this.#cache.forget(tokenHash);
    const renewed: Session = Object.freeze({ ...session, lastActiveAt: immutableDate(now), expiresAt: immutableDate(expiresAt) });
    return createContext({ ...views, session: renewed }, expiresAt.getTime() !== session.expiresAt.getTime(), client);
  }

  /** The signed-in user's live sessions, most recently active first, marking the current one. */
  async list(context: AuthContext | null): Promise<SessionListItem[]> {
    const ctx = requireContext(context);
    const sessions = await this.deps.store.listUserSessions(ctx.user.id, this.deps.stamps.now());
    const times = this.deps.options.sessions;
    const now = this.deps.stamps.now();
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
    const session = await this.deps.store.findSessionById(id);
    if (session === null || session.userId !== ctx.user.id || session.revokedAt !== null) throw new AuthError('NOT_FOUND');
    await this.deps.units.transact(ctx.client, async (uow) => {
      if (!(await uow.tx.revokeSession(id, this.deps.stamps.now()))) throw new AuthError('NOT_FOUND');
      await uow.log({ action: 'session.revoked', subjectId: ctx.user.id, actorId: ctx.user.id, details: 'Signed out a session.', metadata: { sessionId: id } });
    });
  }

  /** Revokes every session of the signed-in user but the current one; resolves how many. */
  async revokeOthers(context: AuthContext | null): Promise<number> {
    const ctx = requireContext(context);
    return this.deps.units.transact(ctx.client, async (uow) => {
      const count = await uow.tx.revokeUserSessions(ctx.user.id, { at: this.deps.stamps.now(), exceptId: ctx.session.id });
      await uow.log({ action: 'session.others_revoked', subjectId: ctx.user.id, actorId: ctx.user.id, details: `Signed out ${count} other sessions.`, metadata: { count } });
      return count;
    });
  }

  /** Ends the current session. Logging out twice is harmless. */
  async logout(context: AuthContext | null): Promise<void> {
    const ctx = requireContext(context);
    await this.deps.units.transact(ctx.client, async (uow) => {
      if (await uow.tx.revokeSession(ctx.session.id, this.deps.stamps.now())) {
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
    const found = await this.deps.store.findSessionByTokenHash(hashToken(token));
    if (found === null || found.session.revokedAt !== null) return false;
    const { session } = found;
    return this.deps.units.transact(client, async (uow) => {
      if (!(await uow.tx.revokeSession(session.id, this.deps.stamps.now()))) return false;
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
  async cleanup(): Promise<CleanupReport> {
    const now = this.deps.stamps.now();
    const window = this.deps.options.lockout.window * 1000;
    const [sessions, loginAttempts, rateLimits] = await Promise.all([
      this.deps.store.deleteSessionsBefore(now),
      this.deps.store.deleteLoginAttemptsBefore(new Date(now.getTime() - window)),
      this.deps.rateLimits.deleteRateLimitsBefore?.(now) ?? 0,
    ]);
    return { sessions, loginAttempts, rateLimits };
  }
}
