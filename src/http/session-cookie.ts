import { stringifySetCookie } from 'cookie';
import { isBlank, trimmedSlice } from './request-headers.js';

/** How the session cookie is named and scoped. */
export interface SessionCookieOptions {
  /**
   * The cookie's name, before the `__Host-` prefix (see `hostPrefix`).
   * @default 'gatehouse_session'
   */
  name?: string;
  /**
   * Name the cookie `__Host-<name>`: browsers then accept it only when it is Secure, has
   * `Path=/` and no `Domain`, so neither a subdomain nor a plain-HTTP page can set or
   * overwrite it (session fixation from `evil.shop.example`). Only the prefixed name is read.
   * @default true when the cookie is Secure, its path is `/` and it has no domain (so
   *   `gatehouse_session` in development over plain HTTP, `__Host-gatehouse_session` elsewhere)
   */
  hostPrefix?: boolean;
  /**
   * Send the cookie over HTTPS only.
   * @default true, except when `NODE_ENV` is `development`
   */
  secure?: boolean;
  /**
   * `lax` lets top-level navigations from other sites carry the cookie (a link to the app
   * keeps the user signed in); `strict` does not.
   * @default 'lax'
   */
  sameSite?: 'lax' | 'strict';
  /** @default '/' */
  path?: string;
  /** @default none — the host that set it, without subdomains */
  domain?: string | undefined;
}

const EPOCH = new Date(0);
const HOST_PREFIX = '__Host-';

/**
 * The value of the first cookie called `name` in a `Cookie` header, read as the `cookie`
 * package's `parse` reads it (pairs split at `;`, names and values trimmed of spaces and
 * tabs, values URL-decoded when they hold a `%`), without parsing every other cookie: a
 * browser's header usually carries a dozen, and this runs on every request.
 */
function cookieValue(header: string, name: string): string | undefined {
  for (let at = header.indexOf(name); at !== -1; at = header.indexOf(name, at + 1)) {
    let before = at - 1;
    while (before >= 0 && isBlank(header.charCodeAt(before))) before -= 1;
    if (before >= 0 && header.charCodeAt(before) !== 0x3b /* ; */) continue;
    let equals = at + name.length;
    while (equals < header.length && isBlank(header.charCodeAt(equals))) equals += 1;
    if (header.charCodeAt(equals) !== 0x3d /* = */) continue;
    const end = header.indexOf(';', equals + 1);
    const value = trimmedSlice(header, equals + 1, end === -1 ? header.length : end);
    if (!value.includes('%')) return value;
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}

/**
 * The session cookie: HttpOnly (scripts cannot read the token), SameSite=Lax, Secure
 * outside development — and then named with the `__Host-` prefix — expiring with the session.
 *
 * @example
 * ```ts
 * const cookie = new SessionCookie({ secure: true });
 * res.setHeader('Set-Cookie', cookie.serialize(login.token, login.session.expiresAt));
 * const token = cookie.read(req.headers.cookie);
 * ```
 */
export class SessionCookie {
  /** The cookie's name as sent: with the `__Host-` prefix when it applies. */
  readonly name: string;
  readonly #attributes: { httpOnly: true; secure: boolean; sameSite: 'lax' | 'strict'; path: string; domain?: string };

  /** @throws {TypeError} — when the name, path or domain cannot be used in a cookie, or `hostPrefix` is asked for where it cannot apply. */
  constructor(options: SessionCookieOptions = {}) {
    const sameSite = options.sameSite ?? 'lax';
    if (sameSite !== 'lax' && sameSite !== 'strict') throw new TypeError("cookie.sameSite must be 'lax' or 'strict'");
    this.#attributes = {
      httpOnly: true,
      secure: options.secure ?? process.env.NODE_ENV !== 'development',
      sameSite,
      path: options.path ?? '/',
      ...(options.domain === undefined ? {} : { domain: options.domain }),
    };
    const name = options.name ?? 'gatehouse_session';
    if (typeof name !== 'string') throw new TypeError('cookie.name must be a string');
    // What browsers demand of a __Host- cookie; a name given with the prefix gets no second one.
    const eligible = this.#attributes.secure && this.#attributes.path === '/' && options.domain === undefined;
    const prefixed = name.startsWith(HOST_PREFIX) || (options.hostPrefix ?? eligible);
    if (prefixed && !eligible) throw new TypeError('cookie: a __Host- cookie must be Secure, with path / and no domain');
    this.name = prefixed && !name.startsWith(HOST_PREFIX) ? `${HOST_PREFIX}${name}` : name;
    // The cookie library checks the name, path and domain; fail now rather than on the first login.
    this.clear();
  }

  /** Whether the cookie is sent with the `Secure` attribute. */
  get secure(): boolean {
    return this.#attributes.secure;
  }

  /** The session token from a `Cookie` header, or `null` when absent. Never throws on malformed headers. */
  read(header: string | readonly string[] | undefined): string | null {
    const text = Array.isArray(header) ? header.join('; ') : header;
    if (typeof text !== 'string') return null;
    const value = cookieValue(text, this.name);
    return value === undefined || value.length === 0 ? null : value;
  }

  /** A `Set-Cookie` value carrying the token until the session's expiry. */
  serialize(token: string, expiresAt: Date): string {
    return stringifySetCookie(this.name, token, { ...this.#attributes, expires: expiresAt });
  }

  /** A `Set-Cookie` value that removes the cookie. */
  clear(): string {
    return stringifySetCookie(this.name, '', { ...this.#attributes, expires: EPOCH, maxAge: 0 });
  }
}
