/** The values of `Referrer-Policy`. */
export type ReferrerPolicy =
  | 'no-referrer'
  | 'no-referrer-when-downgrade'
  | 'origin'
  | 'origin-when-cross-origin'
  | 'same-origin'
  | 'strict-origin'
  | 'strict-origin-when-cross-origin'
  | 'unsafe-url';

const REFERRER_POLICIES: ReadonlySet<string> = new Set<ReferrerPolicy>([
  'no-referrer',
  'no-referrer-when-downgrade',
  'origin',
  'origin-when-cross-origin',
  'same-origin',
  'strict-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
]);

/** Which protective headers {@link securityHeaders} sends. */
export interface SecurityHeadersOptions {
  /**
   * `Referrer-Policy`. `no-referrer` keeps the key in an activation, reset or confirmation
   * link (`/reset-password?key=…`) from reaching other sites in the `Referer` of any request
   * the page makes (an image, a link followed); `false` sends no policy.
   * @default 'no-referrer'
   */
  referrerPolicy?: ReferrerPolicy | false;
  /**
   * Who may show the pages in a frame, against clickjacking: `'none'` sends
   * `X-Frame-Options: DENY` and `Content-Security-Policy: frame-ancestors 'none'`, `'self'`
   * sends `SAMEORIGIN` and `frame-ancestors 'self'`; `false` sends neither (say so in a
   * `Content-Security-Policy` of your own).
   * @default 'none'
   */
  frameAncestors?: 'none' | 'self' | false;
  /**
   * `X-Content-Type-Options: nosniff`: browsers take the declared content type, so a JSON
   * answer or an upload is never run as a script or styles.
   * @default true
   */
  noSniff?: boolean;
}

/**
 * The protective headers of pages and API answers, with safe defaults: `Referrer-Policy:
 * no-referrer`, `X-Frame-Options: DENY` with `Content-Security-Policy: frame-ancestors
 * 'none'`, and `X-Content-Type-Options: nosniff`. `gatehouse/express` and `gatehouse/fastify`
 * send them with their `securityHeaders()` middleware and hook.
 *
 * @throws {TypeError} — for an option that is not one of its values (checked now, not per request).
 * @example
 * ```ts
 * const headers = securityHeaders({ frameAncestors: 'self' });
 * for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
 * ```
 */
export function securityHeaders(options: SecurityHeadersOptions = {}): Readonly<Record<string, string>> {
  const { referrerPolicy = 'no-referrer', frameAncestors = 'none', noSniff = true } = options;
  if (referrerPolicy !== false && !REFERRER_POLICIES.has(referrerPolicy)) throw new TypeError(`securityHeaders: '${String(referrerPolicy)}' is not a Referrer-Policy`);
  if (frameAncestors !== false && frameAncestors !== 'none' && frameAncestors !== 'self') throw new TypeError("securityHeaders: frameAncestors must be 'none', 'self' or false");
  if (typeof noSniff !== 'boolean') throw new TypeError('securityHeaders: noSniff must be a boolean');
  const headers: Record<string, string> = {};
  if (referrerPolicy !== false) headers['Referrer-Policy'] = referrerPolicy;
  if (frameAncestors !== false) {
    headers['X-Frame-Options'] = frameAncestors === 'none' ? 'DENY' : 'SAMEORIGIN';
    headers['Content-Security-Policy'] = `frame-ancestors '${frameAncestors}'`;
  }
  if (noSniff) headers['X-Content-Type-Options'] = 'nosniff';
  return Object.freeze(headers);
}
