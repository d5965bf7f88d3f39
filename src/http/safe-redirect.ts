/** Where redirects may go. */
export interface RedirectOptions {
  /** Origins (besides the app's own paths) a redirect may go to, e.g. `https://shop.example`. */
  allowedOrigins?: ReadonlySet<string> | undefined;
  /**
   * Where to go when the target is missing or not allowed.
   * @default '/'
   */
  fallback?: string | undefined;
}

const BASE = 'http://gatehouse.invalid';
// Browsers read `\` as `/` (so `/\evil.example` is `//evil.example`) and drop tabs and newlines.
const UNSAFE = /[\\\u0000-\u001f\u007f]/;
// An encoded slash or backslash in the path: some servers and proxies decode it before routing or redirecting again.
const ENCODED_SEPARATOR = /%(?:2f|5c)/i;

/** The path part of a target: before its query and fragment. */
const pathOf = (target: string): string => target.split(/[?#]/, 1)[0]!;

/**
 * Whether a browser reads `location` as a path of the current origin: one slash, then
 * anything but another slash or a backslash, and reading it again changes nothing.
 */
function isOwnPath(location: string): boolean {
  if (location.charCodeAt(0) !== 0x2f /* / */ || location.charCodeAt(1) === 0x2f || location.charCodeAt(1) === 0x5c || UNSAFE.test(location)) return false;
  const again = new URL(location, BASE);
  return again.origin === BASE && `${again.pathname}${again.search}${again.hash}` === location;
}

/**
 * The redirect target to use for a requested one: a same-origin path (`/orders?page=2`),
 * normalised, an absolute http(s) URL only when its origin is allowed, and `fallback` for
 * anything else (`//evil.example`, `/\evil.example`, `/.//evil.example`, `/%2e//evil.example`,
 * encoded slashes or backslashes in the path, control characters, `javascript:`, other
 * origins) — so a link can never turn the app into an open redirect. The value returned is
 * what is judged: a path that normalises to `//evil.example` is refused.
 *
 * @example
 * ```ts
 * safeRedirect(req.query.next, { allowedOrigins: new Set(['https://shop.example']) }); // '/' unless allowed
 * ```
 */
export function safeRedirect(target: unknown, options: RedirectOptions = {}): string {
  const fallback = options.fallback ?? '/';
  if (typeof target !== 'string' || target.length === 0 || target.length > 2048 || UNSAFE.test(target) || ENCODED_SEPARATOR.test(pathOf(target))) return fallback;
  let url: URL;
  try {
    url = new URL(target, BASE);
  } catch {
    return fallback;
  }
  if (target.startsWith('/')) {
    const location = `${url.pathname}${url.search}${url.hash}`;
    return url.origin === BASE && isOwnPath(location) ? location : fallback;
  }
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && options.allowedOrigins?.has(url.origin) === true) {
    return url.href;
  }
  return fallback;
}
