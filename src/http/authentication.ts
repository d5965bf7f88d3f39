import type { Auth } from '../create-auth.js';
import type { ClientInfo } from '../domain/client.js';
import type { AuthContext } from '../domain/principal.js';
import type { AccessTokens } from '../ports/access-tokens.js';
import type { OriginCheckRequest } from './origin-check.js';
import { headerValue, isBlank } from './request-headers.js';
import type { SessionCookie } from './session-cookie.js';
import type { Authentication, HttpRequest, RequestAuth } from './http-types.js';

/*
 * Authenticating a request: the bearer token or the session cookie, and where the session
 * cookie is set (a new sign-in, {@link startSession}) and refreshed (a renewed session,
 * {@link authenticateRequest}). The `Set-Cookie` values themselves are `session-cookie.ts`'s.
 */

/** What authenticating a request needs of the HTTP layer (`HttpAuth` is one). */
export interface Authenticator {
  readonly auth: Auth;
  readonly cookie: SessionCookie;
  readonly accessTokens: AccessTokens | undefined;
  /** Refuses a state-changing request from another origin. */
  assertSameOrigin(request: OriginCheckRequest): void;
}

/** What the client of a request is read from: its address and headers. */
export type ClientRequest = Pick<HttpRequest, 'ip' | 'headers'>;

const NO_COOKIES: readonly string[] = Object.freeze([]);
const ANONYMOUS: Authentication = Object.freeze({ auth: null, via: null, cookies: NO_COOKIES });
const ANONYMOUS_BEARER: Authentication = Object.freeze({ auth: null, via: 'bearer', cookies: NO_COOKIES });
const bearerAuthentication = (auth: RequestAuth | null): Authentication => ({ auth, via: 'bearer', cookies: NO_COOKIES });

/** `Bearer` in any case, alone or followed by white space and the rest of the header. */
const BEARER = /^bearer(?:$|(\s)([^]*)$)/i;

/**
 * The credentials of an `Authorization: Bearer` header: `undefined` for another scheme (or
 * none), `''` for a bearer header without a single token.
 */
function bearerToken(header: string): string | undefined {
  const match = BEARER.exec(header);
  if (match === null) return undefined;
  const [, separator, rest = ''] = match;
  // 'Bearer' alone, or followed by a line break rather than a space or tab, is malformed.
  if (separator === undefined || !isBlank(separator.charCodeAt(0))) return '';
  const token = rest.replace(/^[ \t]+|[ \t]+$/g, '');
  // One token: anything with a space or tab inside is not a bearer credential.
  return /[ \t]/.test(token) ? '' : token;
}

// The services normalise the client themselves; normalising here too would do the work twice per request.
/** The request's client, read when first needed (a framework may compute `ip` on each access). */
export const rawClient = (request: ClientRequest): ClientInfo => new RequestClient(request);

class RequestClient implements ClientInfo {
  constructor(readonly request: ClientRequest) {}
  get ip(): string | undefined {
    return this.request.ip;
  }
  get userAgent(): string | undefined {
    return headerValue(this.request.headers, 'user-agent');
  }
}

/** See `HttpAuth.authenticate()`: the bearer token wins; the session cookie is refreshed when its session was renewed. */
export function authenticateRequest(http: Authenticator, request: HttpRequest): Promise<Authentication> {
  // A promise chain rather than an async function: this runs on every request.
  try {
    const authorization = headerValue(request.headers, 'authorization');
    const token = authorization === undefined ? undefined : bearerToken(authorization);
    if (token !== undefined) {
      if (token.length === 0 || token.length > 8192) return Promise.resolve(ANONYMOUS_BEARER);
      const client = rawClient(request);
      // A session token is base64url without dots; a JWT always has two.
      const found: Promise<RequestAuth | null> = http.accessTokens !== undefined && token.includes('.') ? http.accessTokens.verify(token, client) : http.auth.sessions.validate(token, client);
      return found.then(bearerAuthentication);
    }
    const cookie = http.cookie.read(request.headers.cookie);
    if (cookie === null) return Promise.resolve(ANONYMOUS);
    http.assertSameOrigin(request);
    return http.auth.sessions.validate(cookie, rawClient(request)).then((context) => cookieAuthentication(http.cookie, cookie, context));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A cookie's authentication: a cookie that no longer validates is removed, a renewed session's is re-sent with its new expiry. */
function cookieAuthentication(sessionCookie: SessionCookie, cookie: string, context: AuthContext | null): Authentication {
  if (context === null) return { auth: null, via: 'cookie', cookies: [sessionCookie.clear()] };
  return { auth: context, via: 'cookie', cookies: context.renewed ? [sessionCookie.serialize(cookie, context.session.expiresAt)] : NO_COOKIES };
}

/** See `HttpAuth.startSession()`: the session cookie of a new sign-in, once the session the request still carried has ended. */
export async function startSession(
  http: Pick<Authenticator, 'auth' | 'cookie'>,
  request: ClientRequest,
  login: { readonly token: string; readonly session: { readonly expiresAt: Date } },
): Promise<string> {
  const previous = http.cookie.read(request.headers.cookie);
  if (previous !== null && previous !== login.token) await http.auth.sessions.revokeToken(previous, rawClient(request));
  return http.cookie.serialize(login.token, login.session.expiresAt);
}
