import type { AccessTokenPrincipal, AuthContext } from '../domain/principal.js';
import type { RateLimit } from '../ports/rate-limit-store.js';
import type { RequestHeaders } from './request-headers.js';

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
