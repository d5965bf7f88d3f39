/**
 * The example shop's own parts, without a server: seed 001's field rules, the pages'
 * language, times in the browser's zone, user agents, escaping, the sealed cookies, and the
 * two catalogs holding the same words.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PageCookies } from '../../examples/shared/cookies.js';
import { cedulaSchema, shopFields, venezuelanMobileSchema } from '../../examples/shared/fields.js';
import { describeUserAgent, Formats, isTimeZone } from '../../examples/shared/format.js';
import { html, raw } from '../../examples/shared/html.js';
import { en } from '../../examples/shared/i18n/en.js';
import { es } from '../../examples/shared/i18n/es.js';
import { pageLocale } from '../../examples/shared/i18n/index.js';

describe("seed 001's field rules", () => {
  it('ve_ci: V or E and 6 to 9 digits, written loosely, stored as V-12345678', () => {
    const accepted: [string, string][] = [
      ['V-12345678', 'V-12345678'],
      ['v12345678', 'V-12345678'],
      [' e 1.234.567 ', 'E-1234567'],
      ['V-123456789', 'V-123456789'],
    ];
    for (const [typed, stored] of accepted) expect(cedulaSchema.parse(typed), typed).toBe(stored);
    for (const refused of ['J-12345678', 'V-12345', 'V-1234567890', '12345678', 'V--123456', 'V-12a45678', '']) {
      expect(cedulaSchema.safeParse(refused).success, refused).toBe(false);
    }
  });

  it('ve_phone: the mobile prefixes 0412, 0414, 0416, 0424, 0426 with seven digits, +58 accepted, stored as +58 414 1234567', () => {
    const accepted: [string, string][] = [
      ['0414-1234567', '+58 414 1234567'],
      ['04121234567', '+58 412 1234567'],
      ['(0416) 123 45 67', '+58 416 1234567'],
      ['+58 424 1234567', '+58 424 1234567'],
      ['+584261234567', '+58 426 1234567'],
    ];
    for (const [typed, stored] of accepted) expect(venezuelanMobileSchema.parse(typed), typed).toBe(stored);
    for (const refused of ['0212-1234567', '0422-1234567', '0414-123456', '0414-12345678', '+1 414 1234567', '58 414 1234567', '+58 0414 1234567', 'call me']) {
      expect(venezuelanMobileSchema.safeParse(refused).success, refused).toBe(false);
    }
  });

  it('a phone is cleared by an empty value or null; absent, it is left alone', () => {
    const fields = z.object(shopFields);
    expect(fields.parse({ phone: '' })).toEqual({ phone: null });
    expect(fields.parse({ phone: '   ' })).toEqual({ phone: null });
    expect(fields.parse({ phone: null })).toEqual({ phone: null });
    expect(fields.parse({})).toEqual({});
    expect(fields.safeParse({ phone: 42 }).success).toBe(false);
  });
});

describe('the pages’ language', () => {
  it('is the switch’s, else the account’s, else the best of Accept-Language by q-value, else English', () => {
    expect(pageLocale({ chosen: 'es', user: 'en', acceptLanguage: 'en' })).toBe('es');
    expect(pageLocale({ chosen: 'fr', user: 'es-VE', acceptLanguage: 'en' })).toBe('es');
    expect(pageLocale({ user: null, acceptLanguage: 'fr, en;q=0.1, es;q=0.8' })).toBe('es');
    expect(pageLocale({ acceptLanguage: 'es;q=0.2, en-GB;q=0.3' })).toBe('en');
    expect(pageLocale({ acceptLanguage: 'es-VE' })).toBe('es');
    expect(pageLocale({ acceptLanguage: 'es;q=0' })).toBe('en');
    expect(pageLocale({ acceptLanguage: 'de-DE,de' })).toBe('en');
    expect(pageLocale({ acceptLanguage: `${'x'.repeat(600)},es` })).toBe('en');
    expect(pageLocale({})).toBe('en');
  });

  it('the Spanish catalog has a word for every key of the English one', () => {
    for (const key of ['labels', 'kinds'] as const) expect(Object.keys(es.activity[key]).sort(), key).toEqual(Object.keys(en.activity[key]).sort());
    expect(Object.keys(es.products).sort()).toEqual(Object.keys(en.products).sort());
    expect(Object.keys(es.roleNames).sort()).toEqual(Object.keys(en.roleNames).sort());
    expect(es.issue('Use at least 8 characters.')).toBe('Usa al menos 8 caracteres.');
    expect(es.issue('Use V-12345678 or E-12345678.')).toBe('Usa V-12345678 o E-12345678.');
    expect(es.issue('Something the catalog does not know.')).toBeUndefined();
  });
});

describe('times in the browser’s zone', () => {
  it('reads a datetime-local value in the zone, across daylight saving time, and writes it back', () => {
    const caracas = new Formats('es-VE', 'America/Caracas', 'USD');
    expect(caracas.fromLocalInput('2030-01-15T10:00')?.toISOString()).toBe('2030-01-15T14:00:00.000Z');
    const newYork = new Formats('en-GB', 'America/New_York', 'USD');
    expect(newYork.fromLocalInput('2026-01-15T10:00')?.toISOString()).toBe('2026-01-15T15:00:00.000Z');
    expect(newYork.fromLocalInput('2026-07-15T10:00')?.toISOString()).toBe('2026-07-15T14:00:00.000Z');
    expect(newYork.fromLocalInput('2026-03-08T03:30')?.toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(newYork.toLocalInput(new Date('2026-07-15T14:00:00.000Z'))).toBe('2026-07-15T10:00');
    expect(caracas.fromLocalInput('')).toBeNull();
    expect(caracas.fromLocalInput('tomorrow')).toBeUndefined();
    expect(caracas.fromLocalInput('2030-02-31T10:00')).toBeUndefined();
    expect(caracas.fromLocalInput('2030-01-15T24:00')).toBeUndefined();
  });

  it('shows a date in the zone and language, and money in the language', () => {
    const at = new Date('2026-12-03T02:30:00.000Z');
    expect(new Formats('en-GB', 'America/Caracas', 'USD').time(at).text).toBe('<time datetime="2026-12-03T02:30:00.000Z">2 Dec 2026, 22:30</time>');
    expect(new Formats('en-GB', 'UTC', 'USD').text(at)).toBe('3 Dec 2026, 02:30');
    expect(new Formats('es-VE', 'UTC', 'USD').money(2575)).toMatch(/25,75/);
  });

  it('takes only a time zone the runtime knows from the cookie', () => {
    expect(isTimeZone('America/Caracas')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    for (const bad of ['Mars/Olympus', '../etc/passwd', '<script>', 'x'.repeat(100), 42, undefined]) expect(isTimeZone(bad), String(bad)).toBe(false);
  });
});

describe('user agents', () => {
  const on = (browser: string, os: string): string => `${browser} on ${os}`;
  it('name the browser and the system', () => {
    expect(describeUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', on)).toBe('Chrome 124 on Windows 10');
    expect(describeUserAgent('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', on)).toBe('Safari 17 on iOS 17.5');
    expect(describeUserAgent('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', on)).toBe('Firefox 128 on Linux');
    expect(describeUserAgent('', on)).toBeUndefined();
    expect(describeUserAgent(null, on)).toBeUndefined();
  });
});

describe('html', () => {
  it('escapes every value but markup made by html itself', () => {
    const name = '<img src=x onerror=alert(1)> & "quotes"';
    expect(html`<p title="${name}">${name}</p>`.text).toBe('<p title="&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;">&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;</p>');
    expect(html`<ul>${['<a>', html`<li>ok</li>`, raw('<b>')]}</ul>`.text).toBe('<ul>&lt;a&gt;<li>ok</li><b></ul>');
    expect(html`${null}${undefined}${false}${0}`.text).toBe('0');
  });
});

describe('the sealed page cookies', () => {
  const secret = Buffer.alloc(32, 7);

  const valueOf = (setCookie: string): string => setCookie.split(';')[0]!;

  it('open what they sealed, for the cookie they were sealed for only', () => {
    const cookies = new PageCookies(secret, false);
    const sealed = valueOf(cookies.seal('shop_flash', { notice: 'Saved.' }, 60));
    expect(sealed.startsWith('shop_flash=')).toBe(true);
    expect(cookies.open(sealed, 'shop_flash')).toEqual({ notice: 'Saved.' });
    // The same value under another name is not a valid cookie of that name.
    expect(cookies.open(sealed.replace('shop_flash=', 'shop_signin='), 'shop_signin')).toBeUndefined();
    expect(new PageCookies(Buffer.alloc(32, 8), false).open(sealed, 'shop_flash')).toBeUndefined();
  });

  it('refuse a forged, tampered, expired or malformed cookie, without throwing', () => {
    const cookies = new PageCookies(secret, false);
    const sealed = valueOf(cookies.seal('shop_flash', { notice: 'Saved.' }, 60));
    const value = sealed.slice('shop_flash='.length);
    const flipped = `${value.slice(0, 20)}${value[20] === 'A' ? 'B' : 'A'}${value.slice(21)}`;
    for (const header of [`shop_flash=${flipped}`, 'shop_flash=AAAA', 'shop_flash=', 'shop_flash=%E0%A4%A', `shop_flash=${Buffer.from(JSON.stringify({ until: 9e15, value: { notice: 'forged' } })).toString('base64url')}`]) {
      expect(cookies.open(header, 'shop_flash'), header).toBeUndefined();
    }
    expect(cookies.open(valueOf(cookies.seal('shop_flash', { notice: 'old' }, 0)), 'shop_flash')).toBeUndefined();
  });

  it('are Secure with the __Host- prefix outside development, HttpOnly and SameSite=Lax everywhere', () => {
    const secure = new PageCookies(secret, true).seal('shop_flash', {}, 60);
    expect(secure).toMatch(/^__Host-shop_flash=[^;]+; Max-Age=60; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(new PageCookies(secret, false).write('shop_lang', 'es', 60)).toBe('shop_lang=es; Max-Age=60; Path=/; HttpOnly; SameSite=Lax');
    expect(() => new PageCookies(Buffer.alloc(16), false)).toThrow(TypeError);
  });
});
