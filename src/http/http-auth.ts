import type { Auth } from '../create-auth.js';
import { rateLimitKey } from '../domain/client.js';
import { PERMISSION_CODE } from '../domain/permission.js';
import { authErrorMessage } from '../error-messages.js';
import { AuthError, isAuthError, type AuthErrorCode, type FieldIssue } from '../errors.js';
import type { AccessTokens } from '../ports/access-tokens.js';
import type { Refusal } from '../services/audit-service.js';
import type { AuthContext } from '../domain/principal.js';
import type { OwnedResource } from '../domain/permission.js';
import { MESSAGE_LOCALES, negotiateLocale } from './accept-language.js';
import { fieldIssueMessage } from '../validation/issue-messages.js';
import { authenticateRequest, rawClient, startSession, type ClientRequest } from './authentication.js';
import { toErrorResponse, type ErrorResponse } from './error-response.js';
import type { Authentication, AuthRoute, HttpRateLimits, HttpRequest, HttpResult, RequestAuth } from './http-types.js';
import { isCrossOriginRequest, normalizeOrigins, type OriginCheckRequest } from './origin-check.js';
import { checkRateLimit, type RateLimit } from '../ports/rate-limit-store.js';
import { requestClient } from './request-client.js';
import { headerValue, type RequestHeaders } from './request-headers.js';
import { authRoutes } from './routes/auth-routes.js';
import { fieldsOf } from './routes/route-kit.js';
import { safeRedirect } from './safe-redirect.js';
import { SessionCookie, type SessionCookieOptions } from './session-cookie.js';

export type { Authentication, AuthRoute, HttpRateLimits, HttpRequest, HttpResult, RequestAuth } from './http-types.js';

/** Options shared by `gatehouse/express` and `gatehouse/fastify`. */
export interface HttpAuthOptions {
  /** The session cookie's name and scope. */
  cookie?: SessionCookieOptions;
  /**
   * Other origins allowed to make cookie-authenticated state-changing requests (a front end
   * on another host), e.g. `['https://shop.example']`. The app's own origin is always allowed.
   * @default []
   */
  trustedOrigins?: readonly string[];
  /** Where the auth routes may redirect after login, logout, activation or reset (`redirect` field or query). */
  redirects?: {
    /**
     * Origins a redirect may leave to, besides same-origin paths.
     * @default trustedOrigins
     */
    allowedOrigins?: readonly string[];
    /**
     * Where to go when the requested target is not allowed.
     * @default '/'
     */
    fallback?: string;
  };
  /**
   * Enables JWT access tokens: `Authorization: Bearer <jwt>` is verified without a store
   * round trip, `POST /token` issues one from the session, and the JWKS handler serves the keys.
   * @default none — JWT is off
   */
  accessTokens?: AccessTokens | undefined;
  /**
   * Per-IP rate limits of the public routes, counted in the rate-limit store of `createAuth`:
   * shared by every instance on the same database (PostgreSQL, MySQL) or Redis, per process
   * with the memory store.
   */
  rateLimits?: HttpRateLimits;
  /**
   * Refuse every guarded request of a user who must change their password (403
   * `PASSWORD_CHANGE_REQUIRED`), except `me`, `change-password`, `sessions` and `logout`.
   * @default true
   */
  enforcePasswordChange?: boolean;
  /**
   * Words error messages for a locale (from `Accept-Language`); return `undefined` to keep
   * the error's own message.
   * @default Spanish for `es`, otherwise the error's own English message
   */
  translate?: (code: AuthErrorCode, locale: string | undefined) => string | undefined;
  /**
   * Words the message of each field issue of an error (`VALIDATION_FAILED`, `WEAK_PASSWORD`,
   * `PASSWORD_REUSED`) for a locale; return `undefined` to keep the issue's own message.
   * Codes and paths stay as they are.
   * @default Spanish for `es` ({@link fieldIssueMessage}), otherwise the issue's own English message
   */
  translateIssue?: (issue: FieldIssue, locale: string | undefined) => string | undefined;
  /**
   * The locales a request's messages may be in, the first the default: `Accept-Language` is
   * negotiated over them by its q-values ({@link negotiateLocale}), and the winner is handed
   * to `translate` and `translateIssue` (`undefined` when the client accepts none of them).
   * @default ['en', 'es']
   */
  locales?: readonly string[];
  /**
   * Receives errors answered with a 5xx status (their details never reach the client).
   * @default logs to `console.error`
   */
  onError?: (error: unknown) => void;
}

const DEFAULT_LIMITS: Required<{ [K in keyof HttpRateLimits]: RateLimit }> = {
  register: { limit: 100, window: 900 },
  checkEmail: { limit: 300, window: 900 },
  forgotPassword: { limit: 100, window: 900 },
  resendActivation: { limit: 100, window: 900 },
};

const ROLE_CODE = /^[a-z][a-z0-9_-]{0,49}$/;

/** What the layer refused, by the error it threw, for {@link HttpAuth.logRefusal}. Only refusals are kept, and only while their error lives. */
const REFUSALS = new WeakMap<AuthError, Omit<Refusal, 'route'>>();

/** A `FORBIDDEN` error that remembers what it refused. */
function refused(refusal: Omit<Refusal, 'route'>, message?: string): AuthError {
  const error = new AuthError('FORBIDDEN', message === undefined ? {} : { message });
  REFUSALS.set(error, refusal);
  return error;
}

/** The `locales` option, checked: language tags, at least one. */
function checkLocales(locales: readonly string[]): readonly string[] {
  if (!Array.isArray(locales) || locales.length === 0 || !locales.every((tag) => typeof tag === 'string' && /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/.test(tag))) {
    throw new TypeError("locales must be a non-empty list of language tags such as ['en', 'es']");
  }
  return Object.freeze([...locales]);
}

/** English unless a real translation exists: a custom English message is more precise than the default one. */
function defaultTranslate(code: AuthErrorCode, locale: string | undefined): string | undefined {
  if (locale === undefined) return undefined;
  const translated = authErrorMessage(code, locale);
  return translated === authErrorMessage(code) ? undefined : translated;
}

/**
 * The framework-free HTTP layer of gatehouse that `gatehouse/express` and `gatehouse/fastify`
 * wrap: authenticating a request from the session cookie or a bearer token (with
 * cross-origin protection for the cookie), the guards, the auth routes of the HTTP contract,
 * and the mapping of errors to responses. Another framework's helper can wrap it the same way.
 *
 * @example
 * ```ts
 * const http = new HttpAuth(auth, { trustedOrigins: ['https://shop.example'] });
 * const { auth: who, cookies } = await http.authenticate({ method: req.method, headers: req.headers, ip });
 * http.requirePermission(who, 'orders:view');
 * ```
 */
export class HttpAuth {
  /** The session cookie. */
  readonly cookie: SessionCookie;
  /** The access-token service, when JWT is on. */
  readonly accessTokens: AccessTokens | undefined;
  readonly #trustedOrigins: ReadonlySet<string>;
  readonly #redirectOrigins: ReadonlySet<string>;
  readonly #redirectFallback: string;
  readonly #limits: { [K in keyof HttpRateLimits]-?: RateLimit | null };
  readonly #enforcePasswordChange: boolean;
  readonly #translate: (code: AuthErrorCode, locale: string | undefined) => string | undefined;
  readonly #translateIssue: (issue: FieldIssue, locale: string | undefined) => string | undefined;
  readonly #locales: readonly string[];
  readonly #onError: (error: unknown) => void;
  #routes: readonly AuthRoute[] | undefined;

  /** @throws {TypeError} — when an option is malformed (checked now, not on the first request). */
  constructor(
    /** The object `createAuth()` returned. */
    readonly auth: Auth,
    options: HttpAuthOptions = {},
  ) {
    if (typeof auth?.sessions?.validate !== 'function') throw new TypeError('Expected the object returned by createAuth()');
    this.cookie = new SessionCookie(options.cookie);
    this.#trustedOrigins = normalizeOrigins(options.trustedOrigins ?? [], 'trustedOrigins');
    this.#redirectOrigins = normalizeOrigins(options.redirects?.allowedOrigins ?? options.trustedOrigins ?? [], 'redirects.allowedOrigins');
    const fallback = options.redirects?.fallback ?? '/';
    if (safeRedirect(fallback, { fallback: '' }) !== fallback) throw new TypeError('redirects.fallback must be a same-origin path such as /');
    this.#redirectFallback = fallback;
    const tokens = options.accessTokens;
    if (tokens !== undefined && (typeof tokens.issue !== 'function' || typeof tokens.verify !== 'function' || typeof tokens.jwks !== 'function')) {
      throw new TypeError('accessTokens must come from createAccessTokens()');
    }
    this.accessTokens = tokens;
    const limit = (name: keyof HttpRateLimits): RateLimit | null => {
      const rule = options.rateLimits?.[name] ?? DEFAULT_LIMITS[name];
      return rule === false ? null : checkRateLimit(rule, `rateLimits.${name}`);
    };
    this.#limits = {
      register: limit('register'),
      checkEmail: limit('checkEmail'),
      forgotPassword: limit('forgotPassword'),
      resendActivation: limit('resendActivation'),
    };
    this.#enforcePasswordChange = options.enforcePasswordChange ?? true;
    this.#translate = options.translate ?? defaultTranslate;
    this.#translateIssue = options.translateIssue ?? fieldIssueMessage;
    this.#locales = checkLocales(options.locales ?? MESSAGE_LOCALES);
    this.#onError = options.onError ?? ((error) => console.error('[gatehouse] request failed:', error));
  }

  /**
   * Authenticates a request. An `Authorization: Bearer` header wins over the cookie: a JWT
   * (when access tokens are on) is verified locally, any other token is a session token. A
   * bearer request is exempt from cross-origin checks (a browser never adds the header by
   * itself). The cookie is read only after the request passed the cross-origin check; a
   * cookie that no longer validates is removed, a renewed session's cookie is re-sent with
   * its new expiry. Malformed headers and cookies make an anonymous request, never an error.
   *
   * @throws {AuthError} FORBIDDEN — a state-changing request from another origin carries the
   * session cookie (as a rejection).
   */
  authenticate(request: HttpRequest): Promise<Authentication> {
    return authenticateRequest(this, request);
  }

  /**
   * The `Set-Cookie` value of a new sign-in's session, once the session the request's cookie
   * still carried (if any) has ended: signing in over another session (another account on a
   * shared computer, a cookie planted earlier) must not leave that one alive server-side. The
   * login routes use it; a sign-in page of the app's own should too.
   * @throws {AuthError} STORAGE_FAILED — the old session could not be ended (no cookie is set then).
   * @example
   * ```ts
   * const login = await auth.sessions.login({ email, password }, requestClient(req.ip, req.headers));
   * res.append('Set-Cookie', await gate.http.startSession(req, login));
   * ```
   */
  startSession(request: ClientRequest, login: { readonly token: string; readonly session: { readonly expiresAt: Date } }): Promise<string> {
    return startSession(this, request, login);
  }

  /**
   * Refuses a state-changing request from another origin (see {@link isCrossOriginRequest}).
   * @throws {AuthError} FORBIDDEN
   */
  assertSameOrigin(request: OriginCheckRequest): void {
    if (isCrossOriginRequest(request, this.#trustedOrigins)) {
      const refusal = { kind: 'cross-origin', origin: headerValue(request.headers, 'origin'), site: headerValue(request.headers, 'sec-fetch-site') } as const;
      throw refused(refusal, 'Cross-origin requests cannot change anything here.');
    }
  }

  /**
   * Writes a refused request to the activity log through `auth.audit.recordRefusal()` (at
   * most one entry per actor, refusal and minute): a 403 `FORBIDDEN` — a guard's missing
   * permission or role, a service's refusal — or a cross-origin refusal. The error handlers
   * of `gatehouse/express` and `gatehouse/fastify` call it for every error they answer;
   * other errors are ignored. Never throws, never delays the answer (failures go to `onError`).
   *
   * @param context.auth - who the request was authenticated as, when it got that far.
   * @param context.route - the request refused, e.g. `POST /api/users/:id/block`.
   */
  logRefusal(error: unknown, request: ClientRequest, context: { auth?: RequestAuth | null | undefined; route: string }): void {
    if (!isAuthError(error, 'FORBIDDEN')) return;
    const refusal = REFUSALS.get(error) ?? { kind: 'forbidden' };
    try {
      this.auth.audit.recordRefusal(context.auth ?? null, { ...refusal, route: context.route }, rawClient(request));
    } catch (failure) {
      this.#onError(failure);
    }
  }

  /**
   * The request's principal, or a refusal.
   * @throws {AuthError} UNAUTHENTICATED — nobody is signed in.
   * @throws {AuthError} PASSWORD_CHANGE_REQUIRED — the user must change their password first.
   */
  requireAuth(auth: RequestAuth | null | undefined): RequestAuth {
    if (auth === null || auth === undefined) throw new AuthError('UNAUTHENTICATED');
    if (this.#enforcePasswordChange && auth.kind === 'session' && auth.user.mustChangePassword) throw new AuthError('PASSWORD_CHANGE_REQUIRED');
    return auth;
  }

  /**
   * The request's session (a verified access token is not one: acting on the account needs the session).
   * @throws {AuthError} UNAUTHENTICATED
   */
  requireSession(auth: RequestAuth | null | undefined): AuthContext {
    if (auth === null || auth === undefined || auth.kind !== 'session') throw new AuthError('UNAUTHENTICATED');
    return auth;
  }

  /**
   * The request's principal, when it holds `permission` (on `resource`, for `:own` grants).
   * @throws {AuthError} UNAUTHENTICATED | PASSWORD_CHANGE_REQUIRED | FORBIDDEN
   */
  requirePermission(auth: RequestAuth | null | undefined, permission: string, resource?: OwnedResource): RequestAuth {
    const who = this.requireAuth(auth);
    if (!this.auth.access.can(who, permission, resource)) throw refused({ kind: 'forbidden', permission });
    return who;
  }

  /**
   * The request's principal, when it holds the role `code` right now.
   * @throws {AuthError} UNAUTHENTICATED | PASSWORD_CHANGE_REQUIRED | FORBIDDEN
   */
  requireRole(auth: RequestAuth | null | undefined, code: string): RequestAuth {
    const who = this.requireAuth(auth);
    if (!this.auth.access.hasRole(who, code)) throw refused({ kind: 'forbidden', role: code });
    return who;
  }

  /**
   * Checks a permission code given to a guard factory, so a typo fails at start-up.
   * @throws {TypeError}
   */
  checkPermissionCode(code: string): void {
    if (typeof code !== 'string' || !PERMISSION_CODE.test(code) || code.includes('*')) {
      throw new TypeError(`requirePermission: '${String(code)}' is not a permission code such as orders:view or orders:view:own`);
    }
  }

  /**
   * Checks a role code given to a guard factory.
   * @throws {TypeError}
   */
  checkRoleCode(code: string): void {
    if (typeof code !== 'string' || !ROLE_CODE.test(code)) throw new TypeError(`requireRole: '${String(code)}' is not a role code such as admin`);
  }

  /** The locale of a request's messages: the best of `locales` for its `Accept-Language` (see {@link negotiateLocale}). */
  localeOf(headers: RequestHeaders): string | undefined {
    return negotiateLocale(headerValue(headers, 'accept-language'), this.#locales);
  }

  /** Maps an error to its response in the request's language, reporting 5xx errors to `onError`. */
  errorResponse(error: unknown, locale?: string): ErrorResponse {
    const response = toErrorResponse(error, { locale, translate: this.#translate, translateIssue: this.#translateIssue });
    if (response.status >= 500) {
      try {
        this.#onError(error);
      } catch {
        // a failing reporter must not turn a 5xx into a crash
      }
    }
    return response;
  }

  /** The JWKS response (public keys only), when access tokens are on. */
  jwks(): HttpResult {
    if (this.accessTokens === undefined) throw new AuthError('NOT_FOUND');
    return { status: 200, body: this.accessTokens.jwks(), headers: { 'Cache-Control': 'public, max-age=300' }, cookies: [] };
  }

  /**
   * The routes of the auth HTTP contract: register, check-email (unless
   * `registration.revealExistingEmail` is off), activate,
   * resend-activation, login (and `login/two-factor`, its second step when two-factor is
   * on), logout, me, profile, change-password, sessions, forgot-password, reset-password,
   * email (an email change, asked with the current password) and confirm-email (with the key
   * mailed to the new address), and `token` when access tokens are on.
   */
  routes(): readonly AuthRoute[] {
    this.#routes ??= this.#buildRoutes();
    return this.#routes;
  }

  /** Counts a request against its route's per-IP limit (an unknown client shares one key). */
  async #limit(name: keyof HttpRateLimits, request: HttpRequest): Promise<void> {
    const rule = this.#limits[name];
    if (rule === null) return;
    const ip = rateLimitKey(requestClient(request.ip, request.headers).ip ?? null) ?? '?';
    await this.auth.rateLimits.consume(`http:${name}:${ip}`, rule);
  }

  /** A 303 to the requested target when the request asked for a redirect, otherwise `result`. */
  #maybeRedirect(request: HttpRequest, result: HttpResult): HttpResult {
    const target = fieldsOf(request.body).redirect ?? fieldsOf(request.query).redirect;
    if (target === undefined) return result;
    const location = safeRedirect(target, { allowedOrigins: this.#redirectOrigins, fallback: this.#redirectFallback });
    return { status: 303, headers: { ...result.headers, Location: location }, cookies: result.cookies };
  }

  #buildRoutes(): readonly AuthRoute[] {
    return authRoutes({
      auth: this.auth,
      cookie: this.cookie,
      accessTokens: this.accessTokens,
      client: (request) => requestClient(request.ip, request.headers),
      session: (authentication) => this.requireSession(authentication.auth),
      activeSession: (authentication) => {
        const ctx = this.requireSession(authentication.auth);
        this.requireAuth(ctx);
        return ctx;
      },
      limit: (name, request) => this.#limit(name, request),
      maybeRedirect: (request, result) => this.#maybeRedirect(request, result),
      assertSameOrigin: (request) => this.assertSameOrigin(request),
      startSession: (request, login) => this.startSession(request, login),
    });
  }
}
