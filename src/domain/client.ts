import { isIP } from 'node:net';
import { sanitizeSingleLine } from '../validation/text.js';

/** What gatehouse records about the client of a call, for the activity log and rate limits. */
export interface ClientInfo {
  /** The client's address as the application determined it (honouring its proxy settings). */
  readonly ip?: string | null | undefined;
  /** The client's `User-Agent` header. */
  readonly userAgent?: string | null | undefined;
}

/** A client as stored: a valid address or `null`, and a user agent cut to 512 characters. */
export interface NormalizedClient {
  /** A valid IP address (without a zone id), or `null`. */
  readonly ip: string | null;
  /** At most 512 characters of the `User-Agent`, control characters replaced, or `null`. */
  readonly userAgent: string | null;
}

/**
 * Keeps a valid IP address (dropping a zone id) and at most 512 characters of user agent, in
 * which control characters and lone surrogates become U+FFFD: a client's header must never
 * break a store (PostgreSQL refuses NUL) nor forge lines in a log.
 */
export function normalizeClient(client: ClientInfo | undefined): NormalizedClient {
  const rawIp = typeof client?.ip === 'string' ? client.ip.trim().replace(/%.*$/, '') : '';
  const userAgent = typeof client?.userAgent === 'string' && client.userAgent.length > 0 ? sanitizeSingleLine(client.userAgent.slice(0, 512)) : null;
  return { ip: isIP(rawIp) === 0 ? null : rawIp.toLowerCase(), userAgent };
}

/**
 * The key under which an address is rate-limited: an IPv4 address as is (also when
 * written IPv4-mapped, `::ffff:1.2.3.4`), an IPv6 address by its /64 network, because
 * one IPv6 client typically controls a whole /64.
 */
export function rateLimitKey(ip: string | null): string | null {
  if (ip === null) return null;
  if (isIP(ip) === 4) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped !== null) return mapped[1]!;
  const groups = expandIpv6(ip);
  return groups === null ? ip : `${groups.slice(0, 4).join(':')}::/64`;
}

function expandIpv6(ip: string): string[] | null {
  // An embedded IPv4 tail (::1.2.3.4 forms other than ::ffff:) only affects the last 32 bits.
  const withoutV4 = ip.replace(/(\d+\.\d+\.\d+\.\d+)$/, '0:0');
  const [head = '', tail] = withoutV4.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  const groups = [...left, ...fill, ...right];
  if (groups.length !== 8) return null;
  return groups.map((group) => Number.parseInt(group, 16).toString(16));
}
