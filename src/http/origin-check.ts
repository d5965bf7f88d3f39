import { headerValue, type RequestHeaders } from './request-headers.js';

/** Methods that must not change state, so need no cross-origin protection. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What the cross-origin check looks at. */
export interface OriginCheckRequest {
  /** The upper-case HTTP method: only unsafe methods are checked. */
  readonly method: string;
  /** The request's headers (`origin`, `sec-fetch-site`, `host`). */
  readonly headers: RequestHeaders;
  /** The host the request was addressed to (`host:port`), as the framework determined it. */
  readonly host?: string | undefined;
  /**
   * The scheme the request came in with (`http` or `https`), as the framework determined it
   * (Express `req.protocol`, Fastify `request.protocol`, which honour their trust-proxy setting).
   * @default 'https'
   */
  readonly protocol?: string | undefined;
}

/**
 * Normalises a list of trusted origins to `scheme://host[:port]`.
 * @throws {TypeError} — for an entry that is not an http(s) origin (a path, `*`, `null`).
 */
export function normalizeOrigins(origins: Iterable<string>, option: string): ReadonlySet<string> {
  const result = new Set<string>();
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new TypeError(`${option}: '${origin}' is not an origin such as https://app.example`);
    }
    const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !bare) {
      throw new TypeError(`${option}: '${origin}' is not an origin such as https://app.example`);
    }
    result.add(url.origin);
  }
  return result;
}

/**
 * Whether a request must be refused as a cross-origin state change (CSRF). Safe methods
 * always pass. For the others, in order:
 *
 * 1. an `Origin` in `trusted` passes;
 * 2. `Sec-Fetch-Site` (sent by every current browser) decides when present: `same-origin`
 *    and `none` (the user's own navigation) pass, `same-site` and `cross-site` are refused;
 * 3. without it, a request with no `Origin` passes (not a browser, or a very old one), and an
 *    `Origin` passes only when it is the request's own origin: the same scheme, host and port
 *    (`http://app.example` is another origin than `https://app.example`, and so is
 *    `https://app.example:8443`).
 *
 * This is the algorithm of Go's `http.CrossOriginProtection`; it needs no token in forms.
 */
export function isCrossOriginRequest(request: OriginCheckRequest, trusted: ReadonlySet<string>): boolean {
  const method = request.method;
  // Node.js gives the method upper-case: the usual GET passes without making a string.
  if (method === 'GET' || SAFE_METHODS.has(method.toUpperCase())) return false;
  const origin = headerValue(request.headers, 'origin');
  if (origin !== undefined && trusted.has(origin)) return false;
  const site = headerValue(request.headers, 'sec-fetch-site');
  if (site !== undefined && site !== '') return site !== 'same-origin' && site !== 'none';
  if (origin === undefined) return false;
  const host = request.host ?? headerValue(request.headers, 'host');
  if (host === undefined) return true;
  const own = originOf(`${request.protocol ?? 'https'}://${host}`);
  return own === null || originOf(origin) !== own;
}

/** `scheme://host[:port]` as a browser serialises it (lower case, no default port), or `null` for garbage and `null`. */
function originOf(text: string): string | null {
  try {
    const url = new URL(text);
    // Only an http(s) origin can be ours; `new URL()` of one with a path, query or credentials is not an origin either.
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') return null;
    return url.origin;
  } catch {
    return null;
  }
}
