/**
 * `gatehouse/http`: the framework-free HTTP layer that `gatehouse/express` and
 * `gatehouse/fastify` wrap: {@link HttpAuth} (authentication from the session cookie or a
 * bearer token, guards, the `/api/auth/*` routes, error responses), the session cookie,
 * the origin check, safe redirects, security headers and locale negotiation. Wrap it to
 * serve another framework.
 * @packageDocumentation
 */
export { toErrorResponse, type ErrorBody, type ErrorResponse, type ErrorResponseOptions } from './error-response.js';
export { SessionCookie, type SessionCookieOptions } from './session-cookie.js';
export { isCrossOriginRequest, normalizeOrigins, type OriginCheckRequest } from './origin-check.js';
export { safeRedirect, type RedirectOptions } from './safe-redirect.js';
export { securityHeaders, type ReferrerPolicy, type SecurityHeadersOptions } from './security-headers.js';
export { requestClient } from './request-client.js';
export { negotiateLocale, preferredLocale } from './accept-language.js';
export type { ClientRequest } from './authentication.js';
export type { RequestHeaders } from './request-headers.js';
export {
  HttpAuth,
  type AuthRoute,
  type Authentication,
  type HttpAuthOptions,
  type HttpRateLimits,
  type HttpRequest,
  type HttpResult,
  type RequestAuth,
} from './http-auth.js';
