import { normalizeClient, type ClientInfo } from '../domain/client.js';
import { headerValue, type RequestHeaders } from './request-headers.js';

/**
 * The client of a request for the activity log and rate limits: the address the framework
 * determined (Express `req.ip`, Fastify `request.ip`, which honour their trust-proxy setting,
 * so an `X-Forwarded-For` from an untrusted peer is ignored) and the `User-Agent`.
 */
export function requestClient(ip: string | undefined, headers: RequestHeaders): ClientInfo {
  return normalizeClient({ ip, userAgent: headerValue(headers, 'user-agent') });
}
