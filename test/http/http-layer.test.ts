import { parseCookie } from 'cookie';
import { describe, expect, it, vi } from 'vitest';
import { AuthError, FixedWindowRateLimiter, isAuthError } from 'gatehouse';
import {
  HttpAuth,
  isCrossOriginRequest,
  normalizeOrigins,
  preferredLocale,
  safeRedirect,
  securityHeaders,
  SessionCookie,
  toErrorResponse,
} from 'gatehouse/http';
import { activeUser, harness, fullReadHarness, PASSWORD } from '../support/harness.js';

describe('the framework-free HTTP layer', () => {
  it('safeRedirect() keeps same-origin paths and allowed origins, and falls back for everything else', () => {
    const allowedOrigins = normalizeOrigins(['https://shop.example'], 'test');
    const cases: [unknown, string][] = [
      ['/a/b?c=d#e', '/a/b?c=d#e'],
      ['/../../etc/passwd', '/etc/passwd'],
      ['https://shop.example/x?y=1', 'https://shop.example/x?y=1'],
      ['https://shop.example.evil.example/', '/'],
      ['http://shop.example/', '/'],
      ['//shop.example', '/'],
      ['///evil.example', '/'],
      ['/\\evil.example', '/'],
      ['\\\\evil.example', '/'],
      ['/\nevil', '/'],
      ['javascript:alert(1)', '/'],
      ['data:text/html,x', '/'],
      ['relative/path', '/'],
      ['', '/'],
      [42, '/'],
      [['/a'], '/'],
      [`/${'a'.repeat(3000)}`, '/'],
    ];
    for (const [target, expected] of cases) expect(safeRedirect(target, { allowedOrigins }), String(target)).toBe(expected);
    expect(safeRedirect('https://evil.example', { fallback: '/home' })).toBe('/home');
  });

  it('isCrossOriginRequest() follows Sec-Fetch-Site, then Origin against Host, and lets safe methods through', () => {
    const trusted = normalizeOrigins(['https://shop.example'], 'test');
    const check = (method: string, headers: Record<string, string>, host = 'app.example') => isCrossOriginRequest({ method, headers, host }, trusted);
    expect(check('GET', { 'sec-fetch-site': 'cross-site' })).toBe(false);
    expect(check('HEAD', { origin: 'https://evil.example' })).toBe(false);
    expect(check('POST', {})).toBe(false);
    expect(check('POST', { 'sec-fetch-site': 'same-origin' })).toBe(false);
    expect(check('POST', { 'sec-fetch-site': 'none' })).toBe(false);
    expect(check('POST', { 'sec-fetch-site': 'same-site' })).toBe(true);
    expect(check('DELETE', { 'sec-fetch-site': 'cross-site' })).toBe(true);
    expect(check('PUT', { 'sec-fetch-site': 'cross-site', origin: 'https://shop.example' })).toBe(false);
    expect(check('POST', { origin: 'https://app.example' })).toBe(false);
    expect(check('POST', { origin: 'https://APP.example' })).toBe(false);
    expect(check('POST', { origin: 'https://app.example:8443' })).toBe(true);
    expect(check('POST', { origin: 'https://evil.example' })).toBe(true);
    expect(check('POST', { origin: 'null' })).toBe(true);
    expect(check('patch', { origin: 'not a url' })).toBe(true);
    expect(() => normalizeOrigins(['https://shop.example/path'], 'trustedOrigins')).toThrow(TypeError);
    expect(() => normalizeOrigins(['ftp://shop.example'], 'trustedOrigins')).toThrow(TypeError);
    expect([...normalizeOrigins(['https://Shop.Example:443/'], 'trustedOrigins')]).toEqual(['https://shop.example']);
  });

  it('isCrossOriginRequest() compares the Origin with the request’s scheme, host and port, not the host alone', () => {
    const check = (origin: string, protocol: string | undefined, host = 'app.example') => isCrossOriginRequest({ method: 'POST', headers: { origin }, host, protocol }, new Set());
    expect(check('http://app.example', 'http')).toBe(false);
    expect(check('https://app.example', 'https')).toBe(false);
    expect(check('https://app.example', undefined)).toBe(false); // https unless told otherwise
    expect(check('http://app.example', 'https')).toBe(true);
    expect(check('https://app.example', 'http')).toBe(true);
    expect(check('http://app.example', undefined)).toBe(true);
    expect(check('https://app.example:8443', 'https')).toBe(true);
    expect(check('https://app.example', 'https', 'app.example:8443')).toBe(true);
    expect(check('https://app.example:8443', 'https', 'app.example:8443')).toBe(false);
    expect(check('https://app.example:443', 'https')).toBe(false); // the default port is no other origin
    expect(check('http://app.example', 'http', 'app.example:80')).toBe(false);
    expect(check('HTTPS://App.Example', 'https', 'APP.example')).toBe(false);
    expect(check('https://app.example', 'https', 'app.example/x')).toBe(true);
    expect(check('https://app.example', 'https', 'user@app.example')).toBe(true);
    expect(check('https://app.example/path', 'https')).toBe(true);
    expect(check('ftp://app.example', 'ftp')).toBe(true);
  });

  it('securityHeaders() defaults to no-referrer, no framing and nosniff; each can be changed or left out, and bad options fail at once', () => {
    expect(securityHeaders()).toEqual({
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Content-Security-Policy': "frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
    });
    expect(securityHeaders({ referrerPolicy: 'strict-origin', frameAncestors: 'self', noSniff: false })).toEqual({
      'Referrer-Policy': 'strict-origin',
      'X-Frame-Options': 'SAMEORIGIN',
      'Content-Security-Policy': "frame-ancestors 'self'",
    });
    expect(securityHeaders({ referrerPolicy: false, frameAncestors: false })).toEqual({ 'X-Content-Type-Options': 'nosniff' });
    expect(() => securityHeaders({ referrerPolicy: 'no-referrer\r\nX-Evil: 1' as never })).toThrow(TypeError);
    expect(() => securityHeaders({ frameAncestors: 'https://shop.example' as never })).toThrow(TypeError);
    expect(() => securityHeaders({ noSniff: 'yes' as never })).toThrow(TypeError);
  });

  it('FixedWindowRateLimiter counts per key and window, and forgets the oldest keys past its bound', () => {
    let now = 0;
    const limiter = new FixedWindowRateLimiter({ limit: 2, window: 60, now: () => now, maxKeys: 3 });
    expect(limiter.hit('a')).toEqual({ allowed: true, retryAfter: 60, remaining: 1 });
    now = 10_000;
    expect(limiter.hit('a').allowed).toBe(true);
    const refused = limiter.hit('a');
    expect(refused).toEqual({ allowed: false, retryAfter: 50, remaining: 0 });
    expect(limiter.hit('b').allowed).toBe(true);
    const error = (() => {
      try {
        limiter.consume('a');
      } catch (e) {
        return e;
      }
    })();
    expect(isAuthError(error, 'RATE_LIMITED') && error.retryAfter).toBe(50);
    now = 60_000;
    expect(limiter.hit('a').allowed).toBe(true); // a new window
    for (const key of ['c', 'd', 'e']) limiter.hit(key);
    expect(limiter.hit('a').remaining).toBe(1); // 'a' was forgotten to stay within 3 keys
    expect(() => new FixedWindowRateLimiter({ limit: 1.5, window: 60 })).toThrow(TypeError);
  });

  it('preferredLocale() picks the highest-q language and skips garbage', () => {
    expect(preferredLocale({ 'accept-language': 'es-VE,es;q=0.9,en;q=0.8' })).toBe('es-VE');
    expect(preferredLocale({ 'accept-language': 'en;q=0.5, es;q=0.9' })).toBe('es');
    expect(preferredLocale({ 'accept-language': '*;q=1, <script>, fr;q=0' })).toBeUndefined();
    expect(preferredLocale({})).toBeUndefined();
  });

  it('toErrorResponse() keeps AuthError codes, maps framework client errors, and hides everything else', () => {
    expect(toErrorResponse(new AuthError('RATE_LIMITED', { retryAfter: 1.2 }))).toEqual({
      status: 429,
      headers: { 'Retry-After': '2' },
      body: { error: { code: 'RATE_LIMITED', message: 'Too many attempts; try again later.' } },
    });
    expect(toErrorResponse(new AuthError('RATE_LIMITED')).headers).toEqual({ 'Retry-After': '60' });
    const stored = toErrorResponse(new AuthError('STORAGE_FAILED', { cause: new Error('password=hunter2') }));
    expect(JSON.stringify(stored)).not.toContain('hunter2');
    expect(toErrorResponse(Object.assign(new SyntaxError('Unexpected token } in JSON at position 9'), { status: 400, type: 'entity.parse.failed' }))).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', message: 'The request could not be read.' } },
    });
    expect(toErrorResponse({ statusCode: 415, message: 'Unsupported Media Type: text/xml' })).toMatchObject({ status: 415, body: { error: { code: 'BAD_REQUEST' } } });
    for (const thrown of [new Error('db down at 10.0.0.5'), 'a string', null, { status: 503 }, { statusCode: 302 }]) {
      expect(toErrorResponse(thrown)).toEqual({ status: 500, headers: {}, body: { error: { code: 'INTERNAL_ERROR', message: 'Something went wrong; try again later.' } } });
    }
    expect(toErrorResponse(new AuthError('FORBIDDEN'), { locale: 'es', translate: (code, locale) => (locale === 'es' ? `es:${code}` : undefined) }).body.error.message).toBe('es:FORBIDDEN');
  });

  it('SessionCookie reads its cookie from any header as the cookie package parses it', () => {
    const cookie = new SessionCookie({ secure: true });
    const name = '__Host-gatehouse_session';
    expect(cookie.name).toBe(name);
    const fixed = [
      '', ';', '=', `${name}`, `${name}=`, `${name}=;`, ` ${name} = tok ; a=b`, `\t${name}\t=\ttok\t`, `a=1;${name}=tok`, `a=1 ;  ${name}=tok;`,
      `a ${name}=tok`, `a=x ${name}=tok`, `a=${name}=tok`, `x${name}=tok`, `${name}x=tok`, `${name}=a=b`, `${name}="quoted"`, `${name}=%41%42`,
      `${name}=%E0%A4%A`, `${name}=;${name}=second`, `flag; ${name}=tok`, `${name}=tok;;`, `;;${name}=tok`, `${name};${name}=tok`, `${name} ; =x; ${name}=tok`,
    ];
    // Headers made of the pieces a cookie header is made of, in every order a seeded generator picks.
    const pieces = [name, `${name}x`, `x${name}`, '=', ';', ' ', '\t', 'tok', '%41', '%', '"', 'a', 'b=c'];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const generated = Array.from({ length: 3000 }, () => Array.from({ length: 1 + (next() % 9) }, () => pieces[next() % pieces.length]).join(''));
    for (const header of [...fixed, ...generated]) {
      const expected = parseCookie(header)[name];
      expect({ header, value: cookie.read(header) }).toEqual({ header, value: expected === undefined || expected === '' ? null : expected });
    }
  });

  it('SessionCookie reads its own cookie only and never throws on malformed headers', () => {
    const cookie = new SessionCookie({ secure: true, hostPrefix: false });
    expect(cookie.read('other=1; gatehouse_session=abc; x=y')).toBe('abc');
    expect(cookie.read('gatehouse_session_x=abc')).toBeNull();
    expect(cookie.read(['a=1', 'gatehouse_session=two'])).toBe('two');
    expect(cookie.read(undefined)).toBeNull();
    expect(cookie.read('gatehouse_session=%ZZ')).toBe('%ZZ');
    expect(cookie.read('x=gatehouse_session=abc; gatehouse_session=real')).toBe('real');
    expect(cookie.read('gatehouse_session=first; gatehouse_session=second')).toBe('first');
    expect(cookie.serialize('tok', new Date('2030-01-01T00:30:00Z'))).toBe('gatehouse_session=tok; Path=/; Expires=Tue, 01 Jan 2030 00:30:00 GMT; HttpOnly; Secure; SameSite=Lax');
    expect(new SessionCookie({ secure: false, sameSite: 'strict' }).clear()).toBe('gatehouse_session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict');
    expect(() => new SessionCookie({ sameSite: 'none' as never })).toThrow(TypeError);
    expect(() => new SessionCookie({ path: 'a;b' })).toThrow(TypeError);
  });
});

describe('SessionCookie with the __Host- prefix', () => {
  it('is named __Host-<name> where the cookie is Secure with path / and no domain, and keeps its name elsewhere', () => {
    const expires = new Date('2030-01-01T00:30:00Z');
    expect(new SessionCookie({ secure: true }).serialize('tok', expires)).toBe('__Host-gatehouse_session=tok; Path=/; Expires=Tue, 01 Jan 2030 00:30:00 GMT; HttpOnly; Secure; SameSite=Lax');
    expect(new SessionCookie({ secure: true, name: 'sid' }).name).toBe('__Host-sid');
    expect(new SessionCookie({ secure: true, name: '__Host-sid' }).name).toBe('__Host-sid');
    // Development over plain HTTP, a path or a domain: the current name.
    expect(new SessionCookie({ secure: false }).name).toBe('gatehouse_session');
    expect(new SessionCookie({ secure: true, path: '/app' }).name).toBe('gatehouse_session');
    expect(new SessionCookie({ secure: true, domain: 'shop.example' }).name).toBe('gatehouse_session');
    expect(new SessionCookie({ secure: true, hostPrefix: false }).name).toBe('gatehouse_session');
    // Asked for where browsers would refuse it: a mistake to report now.
    expect(() => new SessionCookie({ secure: false, hostPrefix: true })).toThrow(TypeError);
    expect(() => new SessionCookie({ secure: true, domain: 'shop.example', hostPrefix: true })).toThrow(TypeError);
    expect(() => new SessionCookie({ secure: false, name: '__Host-sid' })).toThrow(TypeError);
    expect(() => new SessionCookie({ name: 42 as never })).toThrow(TypeError);
  });

  it('reads and clears the prefixed cookie only: a cookie under the old name is not read (a subdomain could have set it)', () => {
    const cookie = new SessionCookie({ secure: true });
    expect(cookie.read('__Host-gatehouse_session=abc')).toBe('abc');
    expect(cookie.read('gatehouse_session=old')).toBeNull();
    expect(cookie.read('gatehouse_session=old; __Host-gatehouse_session=new')).toBe('new');
    expect(cookie.clear()).toBe('__Host-gatehouse_session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax');
    const plain = new SessionCookie({ secure: false });
    expect(plain.read('gatehouse_session=abc; __Host-gatehouse_session=other')).toBe('abc');
    expect(plain.clear()).toMatch(/^gatehouse_session=;/);
  });
});

describe('HttpAuth.authenticate()', () => {
  const cookieRequest = (token: string, method = 'GET', headers: Record<string, string> = {}) => ({
    method,
    headers: { host: 'app.example', cookie: `__Host-gatehouse_session=${token}`, ...headers },
    ip: '203.0.113.7',
  });

  it('answers alike with a store that has session revisions and one without, always with a promise', async () => {
    for (const make of [harness, fullReadHarness]) {
      const h = make();
      const user = await activeUser(h);
      const { token } = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
      const http = new HttpAuth(h.auth);
      const byCookie = http.authenticate(cookieRequest(token));
      const byBearer = http.authenticate({ method: 'GET', headers: { authorization: `Bearer ${token}` } });
      expect([byCookie instanceof Promise, byBearer instanceof Promise]).toEqual([true, true]);
      for (const answer of [await byCookie, await byBearer]) expect(answer.auth?.user.id).toBe(user.id);
      expect((await byCookie).via).toBe('cookie');
      // Unknown tokens: anonymous either way, and the stale cookie is removed.
      const unknown = await http.authenticate(cookieRequest('A'.repeat(43)));
      expect(unknown).toMatchObject({ auth: null, via: 'cookie', cookies: [expect.stringMatching(/^__Host-gatehouse_session=;/)] });
      // The cross-origin check comes before any lookup: refused on either store.
      const lookups = vi.spyOn(h.store, 'findSessionByTokenHash');
      await expect(http.authenticate(cookieRequest(token, 'POST', { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }))).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(lookups).not.toHaveBeenCalled();
    }
  });

  it("asks a sessions object that is not gatehouse's own (a wrapper, a test double) through its validate()", async () => {
    const h = harness();
    const user = await activeUser(h);
    const { token } = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    const asked: unknown[] = [];
    const sessions = Object.create(h.auth.sessions, { validate: { value: (given: unknown) => (asked.push(given), h.auth.sessions.validate(given)) } }) as typeof h.auth.sessions;
    const http = new HttpAuth({ ...h.auth, sessions });
    expect((await http.authenticate(cookieRequest(token))).auth?.user.id).toBe(user.id);
    expect(asked).toEqual([token]);
  });

  it('answers from the session cache once a lookup has settled, without asking the store within cacheTtl', async () => {
    const h = fullReadHarness({ sessions: { cacheTtl: 5 } });
    const user = await activeUser(h);
    const { token } = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    const http = new HttpAuth(h.auth);
    h.clock.advance(6); // past anything signing in cached
    const lookups = vi.spyOn(h.store, 'findSessionByTokenHash');
    const first = http.authenticate(cookieRequest(token));
    const concurrent = http.authenticate(cookieRequest(token));
    expect((await first).auth?.user.id).toBe(user.id);
    expect((await concurrent).auth?.user.id).toBe(user.id);
    const asked = lookups.mock.calls.length;
    expect(asked).toBeGreaterThan(0);
    expect((await http.authenticate(cookieRequest(token))).auth?.user.id).toBe(user.id);
    expect(lookups.mock.calls.length).toBe(asked);
    // validate() answers with a promise, whatever the store did.
    expect(h.auth.sessions.validate(token)).toBeInstanceOf(Promise);
    expect(h.auth.sessions.validate('short')).toBeInstanceOf(Promise);
  });
});
