import type { Auth } from '../../create-auth.js';
import type { ClientInfo } from '../../domain/client.js';
import type { AuthContext } from '../../domain/principal.js';
import type { AccessTokens } from '../../ports/access-tokens.js';
import type { OriginCheckRequest } from '../origin-check.js';
import type { SessionCookie } from '../session-cookie.js';
import type { Authentication, HttpRateLimits, HttpRequest, HttpResult } from '../http-types.js';

/** What the auth routes are built from: the assembled `Auth` and the HTTP layer's helpers. */
export interface RouteKit {
  readonly auth: Auth;
  readonly cookie: SessionCookie;
  /** The access-token service, when JWT is on. */
  readonly accessTokens: AccessTokens | undefined;
  /** The request's client, normalised. */
  client(request: HttpRequest): ClientInfo;
  /** The request's session; a verified access token is not one. */
  session(authentication: Authentication): AuthContext;
  /** The request's session, of a user who need not change their password first. */
  activeSession(authentication: Authentication): AuthContext;
  /** Counts a request against its route's per-IP limit. */
  limit(name: keyof HttpRateLimits, request: HttpRequest): Promise<void>;
  /** A 303 to the requested target when the request asked for a redirect, otherwise `result`. */
  maybeRedirect(request: HttpRequest, result: HttpResult): HttpResult;
  /** Refuses a state-changing request from another origin. */
  assertSameOrigin(request: OriginCheckRequest): void;
  /** The `Set-Cookie` value of a new sign-in's session. */
  startSession(request: HttpRequest, login: { readonly token: string; readonly session: { readonly expiresAt: Date } }): Promise<string>;
}

const NO_STORE = { 'Cache-Control': 'no-store' } as const;

/** A JSON answer that no cache keeps. */
export const json = (status: number, body?: unknown, cookies: readonly string[] = []): HttpResult => ({ status, body, headers: NO_STORE, cookies });

/** The fields of a body or query: an object's own, otherwise none. */
export const fieldsOf = (body: unknown): Record<string, unknown> =>
  typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};

// HTML forms send checkboxes as strings; JSON sends booleans. Anything else is left for validation to refuse.
export const flag = (value: unknown): unknown => {
  if (value === 'on' || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0' || value === '') return false;
  return value;
};
