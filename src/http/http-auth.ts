import { isPromise, type Awaitable } from '../awaitable.js';
import type { Auth } from '../create-auth.js';
import { rateLimitKey, type ClientInfo } from '../domain/client.js';
import { PERMISSION_CODE } from '../domain/permission.js';
import { authErrorMessage } from '../error-messages.js';
import { AuthError, isAuthError, type AuthErrorCode, type FieldIssue } from '../errors.js';
import type { AccessTokens } from '../ports/access-tokens.js';
import type { RegisterInput } from '../services/account-service.js';
import type { Refusal } from '../services/audit-service.js';
import { validateSession } from '../services/session-service.js';
import type { LoginResult } from '../services/sign-in-service.js';
import type { AccessTokenPrincipal, AuthContext } from '../domain/principal.js';
import type { OwnedResource } from '../domain/permission.js';
import { MESSAGE_LOCALES, negotiateLocale } from './accept-language.js';
import { fieldIssueMessage } from '../validation/issue-messages.js';
import { toErrorResponse, type ErrorResponse } from './error-response.js';
import { isCrossOriginRequest, normalizeOrigins, type OriginCheckRequest } from './origin-check.js';
import { checkRateLimit, type RateLimit } from '../ports/rate-limit-store.js';
import { requestClient } from './request-client.js';
import { headerValue, isBlank, trimmedSlice, type RequestHeaders } from './request-headers.js';
import { safeRedirect } from './safe-redirect.js';
import { SessionCookie, type SessionCookieOptions } from './session-cookie.js';

/** Who a request is authenticated as: a validated session, or a verified access token. */
export type RequestAuth = AuthContext | AccessTokenPrincipal;

/**
 * A request as the framework-free layer sees it. An Express or Fastify request is one as it
 * is: fields are read only when needed (a framework computes `ip` and `host` on each read).
 */
export interface HttpRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Node.js request headers (lower-case names). */
  readonly headers: RequestHeaders;
  /** The client address as the framework determined it, honouring its trust-proxy setting. */
  readonly ip?: string | undefined;
  /** The host the request was addressed to (`host:port`), as the framework determined it. */
  readonly host?: string | undefined;
  /**
   * `http` or `https`, as the framework determined it (honouring its trust-proxy setting);
   * the cross-origin check compares it with the `Origin`.
   * @default 'https'
   */
  readonly protocol?: string | undefined;
  /** The parsed body (JSON or form). */
  readonly body?: unknown;
  /** The parsed query string. */
  readonly query?: unknown;
  /** Route parameters, e.g. `{ id }`. */
  readonly params?: unknown;
}

/** A response as the framework-free layer produces it. */
export interface HttpResult {
  /** The HTTP status. */
  readonly status: number;
  /** The JSON body; `undefined` for none. */
  readonly body?: unknown;
  /** Headers to set, e.g. `Cache-Control` or `Location`. */
  readonly headers: Readonly<Record<string, string>>;
  /** `Set-Cookie` values. */
  readonly cookies: readonly string[];
}

/** The outcome of authenticating a request. */
export interface Authentication {
  /** Who is acting, or `null` for an anonymous request or one whose credentials did not hold. */
  readonly auth: RequestAuth | null;
  /** Where the credentials came from, or `null` when the request carried none. */
  readonly via: 'cookie' | 'bearer' | null;
  /** `Set-Cookie` values to send with the response: the renewed session cookie, or its removal. */
  readonly cookies: readonly string[];
}

/** One route of the auth HTTP contract, relative to where it is mounted (usually `/api/auth`). */
export interface AuthRoute {
  /** The HTTP method. */
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Express/Fastify path syntax, e.g. `/sessions/:id`. */
  readonly path: string;
  /** Whether the handler needs the request authenticated first. */
  readonly authenticated: boolean;
  /** Handles the request; failures are thrown as `AuthError`. */
  handle(request: HttpRequest, authentication: Authentication): Promise<HttpResult>;
}

/**
 * Per-IP limits of the public routes that create rows or send mail; `false` turns one off.
 * They are counted in the rate-limit store of `createAuth` (`rateLimits.store`), so every
 * instance of the app that counts in the same store shares them.
 */
export interface HttpRateLimits {
  /** @default { limit: 100, window: 900 } */
  register?: RateLimit | false;
  /** @default { limit: 300, window: 900 } */
  checkEmail?: RateLimit | false;
  /** @default { limit: 100, window: 900 } */
  forgotPassword?: RateLimit | false;
  /** @default { limit: 100, window: 900 } */
  resendActivation?: RateLimit | false;
}

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
const NO_STORE = { 'Cache-Control': 'no-store' } as const;
const NO_COOKIES: readonly string[] = Object.freeze([]);
const ANONYMOUS: Authentication = Object.freeze({ auth: null, via: null, cookies: NO_COOKIES });
const ANONYMOUS_BEARER: Authentication = Object.freeze({ auth: null, via: 'bearer', cookies: NO_COOKIES });
const bearerAuthentication = (auth: RequestAuth | null): Authentication => ({ auth, via: 'bearer', cookies: NO_COOKIES });

/** What the layer refused, by the error it threw, for {@link HttpAuth.logRefusal}. Only refusals are kept, and only while their error lives. */
const REFUSALS = new WeakMap<AuthError, Omit<Refusal, 'route'>>();

/** A `FORBIDDEN` error that remembers what it refused. */
function refused(refusal: Omit<Refusal, 'route'>, message?: string): AuthError {
  const error = new AuthError('FORBIDDEN', message === undefined ? {} : { message });
  REFUSALS.set(error, refusal);
  return error;
}

/**
 * The credentials of an `Authorization: Bearer` header: `undefined` for another scheme (or
 * none), `''` for a bearer header without a single token. Scanned by hand rather than by a
 * regular expression: a JWT is several hundred characters, read on every request.
 */
function bearerToken(header: string): string | undefined {
  // 'bearer' in any case: every letter's lower-case form.
  if (header.length < 6 || (header.charCodeAt(0) | 0x20) !== 0x62 || (header.charCodeAt(1) | 0x20) !== 0x65 || (header.charCodeAt(2) | 0x20) !== 0x61) return undefined;
  if ((header.charCodeAt(3) | 0x20) !== 0x72 || (header.charCodeAt(4) | 0x20) !== 0x65 || (header.charCodeAt(5) | 0x20) !== 0x72) return undefined;
  if (header.length === 6) return '';
  // 'Bearerx …' is another scheme; 'Bearer' and a line break or other white space is a malformed bearer header.
  if (!isBlank(header.charCodeAt(6))) return /^\s/.test(header.slice(6, 7)) ? '' : undefined;
  const token = trimmedSlice(header, 7, header.length);
  // One token: anything with a space or tab inside is not a bearer credential.
  return token.includes(' ') || token.includes('\t') ? '' : token;
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

// The services normalise the client themselves; normalising here too would do the work twice per request.
/** The request's client, read when first needed (a framework may compute `ip` on each access). */
const rawClient = (request: ClientRequest): ClientInfo => new RequestClient(request);

/** What the client of a request is read from: its address and headers. */
export type ClientRequest = Pick<HttpRequest, 'ip' | 'headers'>;

class RequestClient implements ClientInfo {
  constructor(readonly request: ClientRequest) {}
  get ip(): string | undefined {
    return this.request.ip;
  }
  get userAgent(): string | undefined {
    return headerValue(this.request.headers, 'user-agent');
  }
}

const fieldsOf = (body: unknown): Record<string, unknown> =>
  typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};

// HTML forms send checkboxes as strings; JSON sends booleans. Anything else is left for validation to refuse.
const flag = (value: unknown): unknown => {
  if (value === 'on' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0' || value === '') return false;
  return value;
};

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
   * Answers at once, without a promise, when nothing had to be waited for (a session the
   * memory store or the session cache holds): framework hooks that take either pass the
   * request on without a turn of the microtask queue. `await` it in any case.
   *
   * @throws {AuthError} FORBIDDEN — a state-changing request from another origin carries the
   * session cookie (thrown at once, or as a rejection).
   */
  authenticate(request: HttpRequest): Authentication | Promise<Authentication> {
    const authorization = headerValue(request.headers, 'authorization');
    const token = authorization === undefined ? undefined : bearerToken(authorization);
    if (token !== undefined) {
      if (token.length === 0 || token.length > 8192) return ANONYMOUS_BEARER;
      const client = rawClient(request);
      // A session token is base64url without dots; a JWT always has two.
      const found: Awaitable<RequestAuth | null> = this.accessTokens !== undefined && token.includes('.') ? this.accessTokens.verify(token, client) : validateSession(this.auth.sessions, token, client);
      return isPromise(found) ? found.then(bearerAuthentication) : bearerAuthentication(found);
    }
    const cookie = this.cookie.read(request.headers.cookie);
    if (cookie === null) return ANONYMOUS;
    this.assertSameOrigin(request);
    const found = validateSession(this.auth.sessions, cookie, rawClient(request));
    return isPromise(found) ? found.then((context) => this.#cookieAuthentication(cookie, context)) : this.#cookieAuthentication(cookie, found);
  }

  /** A cookie's authentication: a cookie that no longer validates is removed, a renewed session's is re-sent with its new expiry. */
  #cookieAuthentication(cookie: string, context: AuthContext | null): Authentication {
    if (context === null) return { auth: null, via: 'cookie', cookies: [this.cookie.clear()] };
    return { auth: context, via: 'cookie', cookies: context.renewed ? [this.cookie.serialize(cookie, context.session.expiresAt)] : NO_COOKIES };
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
  async startSession(request: ClientRequest, login: { readonly token: string; readonly session: { readonly expiresAt: Date } }): Promise<string> {
    const previous = this.cookie.read(request.headers.cookie);
    if (previous !== null && previous !== login.token) await this.auth.sessions.revokeToken(previous, rawClient(request));
    return this.cookie.serialize(login.token, login.session.expiresAt);
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
    const { auth } = this;
    const json = (status: number, body?: unknown, cookies: readonly string[] = []): HttpResult => ({ status, body, headers: NO_STORE, cookies });
    const client = (request: HttpRequest) => requestClient(request.ip, request.headers);
    const session = (authentication: Authentication): AuthContext => this.requireSession(authentication.auth);
    const activeSession = (authentication: Authentication): AuthContext => {
      const ctx = session(authentication);
      this.requireAuth(ctx);
      return ctx;
    };

    /** Signs in (cookie or bearer mode) with the given step and answers with the session. */
    const signIn = async (request: HttpRequest, step: (body: Record<string, unknown>) => Promise<LoginResult>): Promise<HttpResult> => {
      const body = fieldsOf(request.body);
      const mode = body.mode ?? 'cookie';
      if (mode !== 'cookie' && mode !== 'bearer') {
        throw new AuthError('VALIDATION_FAILED', { issues: [{ path: ['mode'], code: 'invalid_value', message: "Use 'cookie' or 'bearer'." }] });
      }
      // Login CSRF: another site must not sign the browser into an account of its choosing.
      if (mode === 'cookie') this.assertSameOrigin(request);
      const login = await step(body);
      const summary = { user: login.user, session: { id: login.session.id, expiresAt: login.session.expiresAt } };
      if (mode === 'bearer') return json(200, { ...summary, token: login.token });
      return this.#maybeRedirect(request, json(200, summary, [await this.startSession(request, login)]));
    };

    const routes: AuthRoute[] = [
      {
        method: 'POST',
        path: '/register',
        authenticated: false,
        handle: async (request) => {
          await this.#limit('register', request);
          const { user } = await auth.accounts.register(fieldsOf(request.body) as RegisterInput, client(request));
          return json(201, { user });
        },
      },
      {
        method: 'GET',
        path: '/check-email',
        authenticated: false,
        handle: async (request) => {
          await this.#limit('checkEmail', request);
          const available = await auth.accounts.isEmailAvailable(fieldsOf(request.query).email as string);
          return json(200, { available });
        },
      },
      {
        method: 'POST',
        path: '/activate',
        authenticated: false,
        handle: async (request) => {
          const { user } = await auth.accounts.activate({ key: fieldsOf(request.body).key as string }, client(request));
          return this.#maybeRedirect(request, json(200, { user }));
        },
      },
      {
        method: 'POST',
        path: '/resend-activation',
        authenticated: false,
        handle: async (request) => {
          await this.#limit('resendActivation', request);
          await auth.accounts.resendActivation({ email: fieldsOf(request.body).email as string }, client(request));
          return json(202, {});
        },
      },
      {
        method: 'POST',
        path: '/login',
        authenticated: false,
        handle: (request) =>
          signIn(request, (body) =>
            auth.sessions.login({ email: body.email as string, password: body.password as string, rememberMe: flag(body.rememberMe) as boolean | undefined }, client(request)),
          ),
      },
      {
        // The second step when two-factor is on: the challenge of a 401 TWO_FACTOR_REQUIRED and a code.
        method: 'POST',
        path: '/login/two-factor',
        authenticated: false,
        handle: (request) =>
          signIn(request, (body) =>
            auth.sessions.verifyTwoFactor(
              { challenge: body.challenge as string, code: body.code as string, rememberMe: flag(body.rememberMe) as boolean | undefined },
              client(request),
            ),
          ),
      },
      {
        method: 'POST',
        path: '/logout',
        authenticated: true,
        handle: async (request, authentication) => {
          await auth.sessions.logout(session(authentication));
          return this.#maybeRedirect(request, json(204, undefined, authentication.via === 'cookie' ? [this.cookie.clear()] : []));
        },
      },
      {
        method: 'GET',
        path: '/me',
        authenticated: true,
        handle: async (_request, authentication) => {
          const ctx = session(authentication);
          return json(200, { user: ctx.user, roles: ctx.roles, permissions: ctx.permissions });
        },
      },
      {
        method: 'PATCH',
        path: '/profile',
        authenticated: true,
        handle: async (request, authentication) => {
          const user = await auth.accounts.updateProfile(activeSession(authentication), fieldsOf(request.body));
          return json(200, { user });
        },
      },
      {
        method: 'POST',
        path: '/change-password',
        authenticated: true,
        handle: async (request, authentication) => {
          const body = fieldsOf(request.body);
          await auth.passwords.change(session(authentication), { currentPassword: body.currentPassword as string, newPassword: body.newPassword as string });
          return json(204);
        },
      },
      {
        method: 'GET',
        path: '/sessions',
        authenticated: true,
        handle: async (_request, authentication) => {
          const items = await auth.sessions.list(session(authentication));
          return json(200, { items, total: items.length });
        },
      },
      {
        method: 'DELETE',
        path: '/sessions/:id',
        authenticated: true,
        handle: async (request, authentication) => {
          const ctx = session(authentication);
          const param = fieldsOf(request.params).id;
          const id = typeof param === 'string' ? param : '';
          await auth.sessions.revoke(ctx, id);
          const current = id === ctx.session.id && authentication.via === 'cookie';
          return json(204, undefined, current ? [this.cookie.clear()] : []);
        },
      },
      {
        method: 'GET',
        path: '/two-factor',
        authenticated: true,
        handle: async (_request, authentication) => json(200, await auth.twoFactor.status(activeSession(authentication))),
      },
      {
        // Starts the set-up, after the password: the secret as text and as an otpauth:// URI for a QR code.
        method: 'POST',
        path: '/two-factor/enrol',
        authenticated: true,
        handle: async (request, authentication) =>
          json(200, await auth.twoFactor.enrol(activeSession(authentication), { password: fieldsOf(request.body).password as string })),
      },
      {
        method: 'POST',
        path: '/two-factor/confirm',
        authenticated: true,
        handle: async (request, authentication) =>
          json(200, await auth.twoFactor.confirm(activeSession(authentication), { code: fieldsOf(request.body).code as string })),
      },
      {
        method: 'POST',
        path: '/two-factor/recovery-codes',
        authenticated: true,
        handle: async (request, authentication) =>
          json(200, await auth.twoFactor.regenerateRecoveryCodes(activeSession(authentication), { password: fieldsOf(request.body).password as string })),
      },
      {
        method: 'POST',
        path: '/two-factor/disable',
        authenticated: true,
        handle: async (request, authentication) => {
          await auth.twoFactor.disable(activeSession(authentication), { password: fieldsOf(request.body).password as string });
          return json(204);
        },
      },
      {
        method: 'POST',
        path: '/forgot-password',
        authenticated: false,
        handle: async (request) => {
          await this.#limit('forgotPassword', request);
          await auth.passwords.requestReset({ email: fieldsOf(request.body).email as string }, client(request));
          return json(202, {});
        },
      },
      {
        method: 'POST',
        path: '/reset-password',
        authenticated: false,
        handle: async (request) => {
          const body = fieldsOf(request.body);
          await auth.passwords.reset({ key: body.key as string, password: body.password as string }, client(request));
          return this.#maybeRedirect(request, json(200, {}));
        },
      },
      // Email change: the signed-in user asks with the current password, a key goes to the new address; the key confirms it.
      {
        method: 'POST',
        path: '/email',
        authenticated: true,
        handle: async (request, authentication) => {
          const body = fieldsOf(request.body);
          await auth.accounts.requestEmailChange(activeSession(authentication), { newEmail: body.newEmail as string, currentPassword: body.currentPassword as string });
          return json(202, {});
        },
      },
      {
        method: 'POST',
        path: '/confirm-email',
        authenticated: false,
        handle: async (request) => {
          const { user } = await auth.accounts.confirmEmailChange({ key: fieldsOf(request.body).key as string }, client(request));
          return this.#maybeRedirect(request, json(200, { user }));
        },
      },
    ];
    // With registration.revealExistingEmail off, nothing public says whether an address has an account.
    if (auth.accounts.revealsExistingEmail === false) routes.splice(routes.findIndex((route) => route.path === '/check-email'), 1);
    const tokens = this.accessTokens;
    if (tokens !== undefined) {
      routes.push({
        method: 'POST',
        path: '/token',
        authenticated: true,
        handle: async (_request, authentication) => {
          // Only a session issues tokens: a token that could renew itself would outlive a revoked session.
          const issued = await tokens.issue(activeSession(authentication));
          return json(200, { accessToken: issued.token, tokenType: 'Bearer', expiresAt: issued.expiresAt, expiresIn: issued.expiresIn });
        },
      });
    }
    return Object.freeze(routes);
  }
}
