import { isPromise, type Awaitable } from '../awaitable.js';
import { hashToken, TOKEN_LENGTH } from '../crypto/tokens.js';
import type { ClientInfo } from '../domain/client.js';
import { createContext, requireContext, type AuthContext } from '../domain/principal.js';
import { isSessionLive, sessionDeadline, toSession, type Session } from '../domain/session.js';
import { effectiveStatus } from '../domain/user.js';
import { AuthError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import type { AuthStore, SessionBundle } from '../ports/auth-store.js';
import type { RateLimitStore } from '../ports/rate-limit-store.js';
import { idSchema, parseInput } from '../validation/schemas.js';
import { LruCache } from '../cache/lru-cache.js';
import { viewsOf, type BundleViews } from './bundle-views.js';
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
  readonly #cache: BundleCache | undefined;

  constructor(
    private readonly deps: SessionServiceDeps,
    private readonly signIn: SignInService,
  ) {
    const ttl = deps.options.sessions.cacheTtl;
    if (ttl > 0) {
      const cache = new BundleCache((hash) => deps.store.findSessionByTokenHash(hash), ttl * 1000);
      deps.units.onCommit(() => cache.clear());
      this.#cache = cache;
    }
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
   * queue. May throw where `validate` rejects; `await` its answer in any case. An object made
   * from a SessionService (a wrapper, a test double) is asked through its own `validate`.
   */
  validateNow(token: unknown, client?: ClientInfo): AuthContext | null | Promise<AuthContext | null> {
    return #cache in this ? this.#validateNow(token, client) : (this as SessionService).validate(token, client);
  }

  #validateNow(token: unknown, client: ClientInfo | undefined): AuthContext | null | Promise<AuthContext | null> {
    // The length bounds the hashing; the characters need no check: only hashes of tokens we made are stored, so no other string is found.
    if (typeof token !== 'string' || token.length !== TOKEN_LENGTH) return null;
    const deps = this.deps;
    const tokenHash = hashToken(token);
    const found = this.#cache === undefined ? deps.store.findSessionByTokenHash(tokenHash) : this.#cache.get(tokenHash, deps.stamps.now().getTime());
    if (!isPromise(found)) return this.#contextOf(found, tokenHash, client);
    // A store's thenable becomes a promise here, so that what the HTTP layer hands on is one.
    return Promise.resolve(found).then((bundle) => this.#contextOf(bundle, tokenHash, client));
  }

  /** The context of the session the store found for `tokenHash`, or `null`; renews the session when its interval has passed. */
  #contextOf(bundle: SessionBundle | null, tokenHash: string, client: ClientInfo | undefined): AuthContext | null | Promise<AuthContext | null> {
    // The store found the row by this hash; comparing again guards a lax store (a case-insensitive
    // collation, say). Not in constant time, deliberately: these are SHA-256 digests the store's
    // own lookup already compared, and learning how a digest begins tells nothing of the token.
    if (bundle === null || bundle.session.tokenHash !== tokenHash) return null;
    const deps = this.deps;
    const { user, session } = bundle;
    const now = deps.stamps.now();
    const times = deps.options.sessions;
    if (session.userId !== user.id || !isSessionLive(session, now, times)) return null;
    if (effectiveStatus(user, now) !== 'active') return null;
    if (deps.options.registration.requireEmailVerification && user.emailVerifiedAt === null) return null;
    const views = viewsOf(bundle, now);
    if (now.getTime() - session.lastActiveAt.getTime() < times.renewInterval * 1000) return createContext(views, false, client);
    return this.#renew(bundle, views, now, tokenHash, client);
  }

  /** Writes the session's new activity and expiry, and gives the context with them. */
  async #renew(bundle: SessionBundle, views: BundleViews, now: Date, tokenHash: string, client: ClientInfo | undefined): Promise<AuthContext> {
    const { session } = bundle;
    const deps = this.deps;
    const expiresAt = sessionDeadline(session, now, deps.options.sessions);
    await deps.store.touchSession(session.id, { lastActiveAt: now, expiresAt });
    this.#cache?.forget(tokenHash);
    const renewed = Object.freeze(toSession({ ...session, lastActiveAt: now, expiresAt }));
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

/**
 * Recently loaded session bundles by token hash, for `sessions.cacheTtl`. Bounded: the least
 * recently used entries go first ({@link LruCache}). Concurrent misses for one token share one store call.
 */
class BundleCache {
  static readonly MAX_ENTRIES = 10_000;
  readonly #entries = new LruCache<string, { bundle: Awaitable<SessionBundle | null>; readonly until: number }>(BundleCache.MAX_ENTRIES);

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
        () => void (this.#entries.peek(tokenHash) === entry && this.#entries.delete(tokenHash)),
      );
    }
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
