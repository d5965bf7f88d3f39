import { describe, expect, it } from 'vitest';
import { isAuthError, normalizeEmail } from 'gatehouse';
import { harness, PASSWORD } from '../support/harness.js';

const codeOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isAuthError(error) ? error.code : `not an AuthError: ${String(error)}`),
  );

describe('normalizeEmail()', () => {
  it('turns an internationalised domain into its xn-- form (UTS #46) and lower-cases the address', () => {
    expect(normalizeEmail(' Diego@Peñalara.COM.co ')).toBe('diego@xn--pealara-5za.com.co');
    expect(normalizeEmail('diego@xn--pealara-5za.com.co')).toBe('diego@xn--pealara-5za.com.co');
    expect(normalizeEmail('юлия@пример.рф')).toBe('юлия@xn--e1afmkfd.xn--p1ai');
  });

  it('keeps a local part beyond ASCII, composed (NFC) however it was typed, and lower-cased', () => {
    expect(normalizeEmail('María.López@example.com')).toBe('maría.lópez@example.com');
    expect(normalizeEmail('Mari\u0301a.Lo\u0301pez@example.com')).toBe('maría.lópez@example.com');
  });

  it('refuses look-alikes rather than mapping them: the Kelvin sign, full-width letters, ligatures, mixed scripts, punycode of mixed scripts', () => {
    for (const address of [
      '\u212Aate@example.com',
      'm\u0131ke@example.com',
      'M\u0130KE@example.com',
      '\u017Fam@example.com',
      'stra\u00DFe@example.com',
      '\uff4bate@example.com',
      'o\ufb01ce@example.com',
      'p\u0430ypal@example.com',
      'admin@v\u0456ctim.example',
      `admin@${new URL('http://v\u0456ctim.example').hostname}`,
      'a\u200b@example.com',
      'a\u202e@example.com',
      'a..b@example.com',
      '.a@example.com',
      'a@localhost',
      'a@1.2.3.4',
      `${'a'.repeat(65)}@example.com`,
      `${'ñ'.repeat(33)}@example.com`,
    ]) {
      expect(normalizeEmail(address), address).toBeNull();
    }
  });
});

describe('addresses as people type them', () => {
  it('registration, sign-in and password reset take an internationalised domain as its xn-- form', async () => {
    const h = harness();
    const { user } = await h.auth.accounts.register({ email: 'Diego@Peñalara.com.co', password: PASSWORD, name: 'Diego' });
    expect(user.email).toBe('diego@xn--pealara-5za.com.co');
    await h.auth.accounts.activate({ key: h.mailer.last({ to: user.email, kind: 'activation' })!.key! });
    expect((await h.auth.sessions.login({ email: 'diego@xn--pealara-5za.com.co', password: PASSWORD })).user.id).toBe(user.id);
    expect((await h.auth.sessions.login({ email: 'DIEGO@PEÑALARA.COM.CO', password: PASSWORD })).user.id).toBe(user.id);
    expect(await codeOf(h.auth.accounts.register({ email: 'diego@xn--pealara-5za.com.co', password: PASSWORD, name: 'Other' }))).toBe('EMAIL_TAKEN');
    await h.auth.passwords.requestReset({ email: 'diego@peñalara.com.co' });
    await h.auth.drain();
    expect(h.mailer.last({ to: 'diego@xn--pealara-5za.com.co', kind: 'password-reset' })).toBeDefined();
  });

  it('a local part beyond ASCII signs in typed composed or decomposed, in any case', async () => {
    const h = harness();
    const { user } = await h.auth.accounts.register({ email: 'maría.lópez@example.com', password: PASSWORD, name: 'María' });
    await h.auth.accounts.activate({ key: h.mailer.last({ to: user.email, kind: 'activation' })!.key! });
    for (const typed of ['maría.lópez@example.com', 'MARÍA.LÓPEZ@EXAMPLE.COM', 'mari\u0301a.lo\u0301pez@example.com']) {
      expect((await h.auth.sessions.login({ email: typed, password: PASSWORD })).user.id, typed).toBe(user.id);
    }
    expect(await codeOf(h.auth.sessions.login({ email: 'maria.lopez@example.com', password: PASSWORD }))).toBe('INVALID_CREDENTIALS');
  });
});
