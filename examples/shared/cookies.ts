import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { parse, serialize } from 'cookie';

/**
 * The pages' own cookies besides gatehouse's session: the language chosen with the switch
 * (plain), and sealed ones (AES-256-GCM: a browser can neither read nor forge them) that
 * carry what a page shows after a redirect — the flash message and a form's values and
 * errors, the challenge of a two-step sign-in, an enrolment's secret. Outside development
 * they are Secure with the `__Host-` prefix, like the session cookie.
 */
export class PageCookies {
  readonly #key: Buffer;
  readonly #secure: boolean;

  /**
   * @param secret - 32 bytes or more; instances behind one load balancer need the same one (`COOKIE_SECRET`).
   * @param secure - Secure and `__Host-` cookies (everywhere but plain-HTTP development).
   */
  constructor(secret: Uint8Array, secure: boolean) {
    if (secret.length < 32) throw new TypeError('The cookie secret must have at least 32 bytes');
    this.#key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'gatehouse-shop page cookies', 32));
    this.#secure = secure;
  }

  /** The cookie's name as the browser holds it. */
  name(base: string): string {
    return this.#secure ? `__Host-${base}` : base;
  }

  /** The value of a plain cookie, or `undefined`. */
  read(header: string | undefined, base: string): string | undefined {
    if (header === undefined || header.length > 8192) return undefined;
    return parse(header)[this.name(base)];
  }

  /** `Set-Cookie` for a plain cookie. */
  write(base: string, value: string, maxAge: number): string {
    return serialize(this.name(base), value, { path: '/', httpOnly: true, sameSite: 'lax', secure: this.#secure, maxAge });
  }

  /** `Set-Cookie` that removes a cookie. */
  clear(base: string): string {
    return serialize(this.name(base), '', { path: '/', httpOnly: true, sameSite: 'lax', secure: this.#secure, maxAge: 0 });
  }

  /** What a sealed cookie holds, or `undefined` when it is absent, expired, forged or sealed with another secret. */
  open<T>(header: string | undefined, base: string): T | undefined {
    const sealed = this.read(header, base);
    if (sealed === undefined) return undefined;
    try {
      const bytes = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(base)); // a value sealed for one cookie does not open as another
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      const text = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
      const { until, value } = JSON.parse(text) as { until: number; value: T };
      return Date.now() < until ? value : undefined;
    } catch {
      return undefined;
    }
  }

  /** `Set-Cookie` for a sealed cookie that holds `value` for `maxAge` seconds. */
  seal(base: string, value: unknown, maxAge: number): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(base));
    const body = Buffer.concat([cipher.update(JSON.stringify({ until: Date.now() + maxAge * 1000, value }), 'utf8'), cipher.final()]);
    return this.write(base, Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url'), maxAge);
  }
}
