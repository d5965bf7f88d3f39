import { describe, expect, it } from 'vitest';
import { AUTH_ERROR_CODES, AuthError, createAuth, isAuthError, type RandomSource } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { ManualClock } from 'gatehouse/testing';
import { safeEqual, uuidv7Generator } from '../../src/crypto/tokens.js';
import { normalizeClient, rateLimitKey } from '../../src/domain/client.js';

describe('AuthError', () => {
  it('carries the code, the status of its table entry, issues and retryAfter; toJSON() shows no stack or cause', () => {
    const error = new AuthError('RATE_LIMITED', { retryAfter: 30, cause: new Error('db said no') });
    expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfter: 30, name: 'AuthError' });
    expect(error.message).toBe(AUTH_ERROR_CODES.RATE_LIMITED.message);
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'RATE_LIMITED', message: AUTH_ERROR_CODES.RATE_LIMITED.message });
    const invalid = new AuthError('VALIDATION_FAILED', { issues: [{ path: ['email'], code: 'invalid_format', message: 'bad' }] });
    expect(invalid.toJSON().issues).toEqual([{ path: ['email'], code: 'invalid_format', message: 'bad' }]);
  });

  it('isAuthError() recognises the brand across copies of the class, and checks a code', () => {
    const foreign = Object.assign(new Error('x'), { code: 'FORBIDDEN' });
    Object.defineProperty(foreign, Symbol.for('gatehouse.AuthError'), { value: true });
    expect(isAuthError(foreign)).toBe(true);
    expect(isAuthError(foreign, 'FORBIDDEN')).toBe(true);
    expect(isAuthError(foreign, 'NOT_FOUND')).toBe(false);
    expect(isAuthError(Object.assign(new Error('x'), { code: 'FORBIDDEN' }))).toBe(false);
    expect(isAuthError(null)).toBe(false);
    expect(isAuthError('FORBIDDEN')).toBe(false);
  });

  it('maps every code to a 4xx or 5xx status', () => {
    for (const [code, entry] of Object.entries(AUTH_ERROR_CODES)) {
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.status, code).toBeLessThan(600);
      expect(entry.message.length, code).toBeGreaterThan(0);
    }
  });
});

describe('createAuth() options', () => {
  const base = () => ({ store: new MemoryAuthStore(), mailer: new MemoryMailer() });

  it('throws a TypeError naming what is wrong', () => {
    expect(() => createAuth({ ...base(), store: {} as never })).toThrow(/store must implement transaction, insertUser/);
    const incomplete = Object.assign(Object.create(null) as object, { ...Object.fromEntries(Object.getOwnPropertyNames(MemoryAuthStore.prototype).map((n) => [n, () => undefined])) });
    delete (incomplete as Record<string, unknown>)['consumeOneTimeKey'];
    expect(() => createAuth({ ...base(), store: incomplete as never })).toThrow(/store must implement consumeOneTimeKey$/m);
    expect(() => createAuth({ ...base(), mailer: undefined as never })).toThrow(TypeError);
    expect(() => createAuth({ ...base(), sessions: { idleTimeout: -5 } })).toThrow(/idleTimeout/);
    expect(() => createAuth({ ...base(), sessions: { idleTimeout: 1.5 } })).toThrow(TypeError);
    expect(() => createAuth({ ...base(), passwords: { minLength: 20, maxLength: 10 } })).toThrow(/minLength/);
    expect(() => createAuth({ ...base(), baseUrl: 'javascript:alert(1)' })).toThrow(/baseUrl/);
    expect(() => createAuth({ ...base(), registration: { fields: { phone: 'not a schema' as never } } })).toThrow(/fields/);
    expect(() => createAuth({ ...base(), registration: { onRegister: 'nope' as never } })).toThrow(/onRegister/);
  });

  it('fills documented defaults: 30 min idle, 12 h absolute, 30 d remember-me, 24 h activation, 30 min reset', async () => {
    const clock = new ManualClock();
    const mailer = new MemoryMailer();
    const auth = createAuth({ store: new MemoryAuthStore(), mailer, clock });
    await auth.accounts.register({ email: 'ana@example.com', password: 'correct horse battery staple', name: 'Ana' });
    expect(mailer.last()?.text).toContain('24 hours');
    await auth.passwords.requestReset({ email: 'ana@example.com' });
    await auth.drain();
    expect(mailer.last()?.text).toContain('30 minutes');
  });
});

describe('safeEqual', () => {
  it('is true only for the same characters, whichever position differs', () => {
    const hash = 'a3f1'.repeat(16);
    expect(safeEqual(hash, `${hash}`)).toBe(true);
    for (const i of [0, 31, 63]) expect(safeEqual(hash, `${hash.slice(0, i)}0${hash.slice(i + 1)}`)).toBe(false);
    expect(safeEqual(hash, hash.slice(0, 63))).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('ñandú', 'ñandú')).toBe(true);
    expect(safeEqual('ñandú', 'ñandu')).toBe(false);
  });
});

describe('ids', () => {
  it('uuidv7Generator() makes RFC 9562 version 7 UUIDs that sort in creation order, within one millisecond too', () => {
    const clock = new ManualClock();
    let n = 0;
    // A random source that returns descending bytes, so ordering cannot come from randomness.
    const random: RandomSource = { bytes: (size) => new Uint8Array(size).fill(255 - (n++ % 200)) };
    const next = uuidv7Generator(clock, random);
    const ids = Array.from({ length: 5000 }, (_, i) => {
      if (i % 1000 === 999) clock.advance(0.001);
      return next();
    });
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Number.parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16)).toBe(clock.now().getTime() - 5);
  });
});

describe('client addresses', () => {
  it('keeps valid addresses only, without zone ids, and cuts long user agents', () => {
    expect(normalizeClient({ ip: ' 203.0.113.9 ', userAgent: 'UA' })).toEqual({ ip: '203.0.113.9', userAgent: 'UA' });
    expect(normalizeClient({ ip: 'FE80::1%eth0' }).ip).toBe('fe80::1');
    expect(normalizeClient({ ip: "1.2.3.4'; DROP TABLE x" }).ip).toBeNull();
    expect(normalizeClient({ ip: 'unknown' }).ip).toBeNull();
    expect(normalizeClient(undefined)).toEqual({ ip: null, userAgent: null });
    expect(normalizeClient({ userAgent: 'u'.repeat(5000) }).userAgent).toHaveLength(512);
  });

  it('rate-limits IPv4 by address and IPv6 by /64', () => {
    expect(rateLimitKey('192.0.2.1')).toBe('192.0.2.1');
    expect(rateLimitKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(rateLimitKey('2001:db8:a:b:1:2:3:4')).toBe('2001:db8:a:b::/64');
    expect(rateLimitKey('2001:db8:a:b::9')).toBe('2001:db8:a:b::/64');
    expect(rateLimitKey('2001:0DB8:000a:000b::')).toBe('2001:db8:a:b::/64');
    expect(rateLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitKey('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(rateLimitKey(null)).toBeNull();
  });
});
