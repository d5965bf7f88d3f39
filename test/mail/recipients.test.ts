import { describe, expect, it } from 'vitest';
import { createAuth, isAuthError, isValidEmail } from 'gatehouse';
import { MemoryAuthStore } from 'gatehouse/memory';
import { createSmtpMailer, SmtpMailerError } from 'gatehouse/smtp';
import { fastHasher, PASSWORD, uniqueEmail } from '../support/harness.js';
import { firstHref, parseMail } from './mime.js';
import { useSmtpSink } from './smtp-sink.js';

/**
 * Recipients that mail libraries have parsed into another address than the one validated
 * (next-auth GHSA-5jpx-9hw9-2fx4 and GHSA-7rqj-j65f-68wh, nodemailer's address parser), or
 * that only look like an address of the victim's domain.
 */
const HOSTILE_RECIPIENTS: readonly [string, string][] = [
  ['quoted local part holding an address', '"a@evil.example"@victim.example'],
  ['quoted local part with a display-name trick', '"victim@victim.example" <a@evil.example>'],
  ['full-width commercial at U+FF20', 'attacker\uff20evil.example'],
  ['small commercial at U+FE6B', 'attacker\ufe6bevil.example'],
  ['Cyrillic а in the local part', '\u0430dmin@victim.example'],
  ['Cyrillic і in the domain', 'admin@v\u0456ctim.example'],
  ['full-width letters', '\uff41dmin@victim.example'],
  ['ligature ﬁ', 'o\ufb01ce@victim.example'],
  ['Kelvin sign', '\u212Aate@victim.example'],
  ['two at signs', 'a@evil.example@victim.example'],
  ['a list of two', 'a@evil.example,b@victim.example'],
  ['a list with a semicolon', 'a@evil.example;b@victim.example'],
  ['a display name', 'Victim <a@evil.example>'],
  ['angle brackets only', '<a@evil.example>'],
  ['a header injection', 'a@victim.example\r\nBcc: b@evil.example'],
  ['a zero-width space', 'a\u200b@victim.example'],
  ['a right-to-left override', 'a\u202e@victim.example'],
  ['an IP literal', 'a@[127.0.0.1]'],
  ['a comment', 'a(comment)@victim.example'],
  ['a source route', '@evil.example:a@victim.example'],
];

const smtp = useSmtpSink();

function smtpAuth() {
  const store = new MemoryAuthStore();
  const mailer = createSmtpMailer({ url: smtp.sink.url }, { from: 'no-reply@shop.example', retryDelay: 1 });
  smtp.track(mailer);
  const auth = createAuth({ store, mailer, hasher: fastHasher(), onError: () => undefined });
  return { auth, store, mailer };
}

const codeOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isAuthError(error) ? error.code : `not an AuthError: ${String(error)}`),
  );

describe('recipients that mailers mis-parse', () => {
  it('are refused at validation by every public entry that takes an email, and never reach the SMTP server', async () => {
    const { auth, store } = smtpAuth();
    for (const [label, address] of HOSTILE_RECIPIENTS) {
      expect(await codeOf(auth.accounts.register({ email: address, password: PASSWORD, name: 'Eve' })), label).toBe('VALIDATION_FAILED');
      expect(await codeOf(auth.passwords.requestReset({ email: address })), label).toBe('VALIDATION_FAILED');
      expect(await codeOf(auth.accounts.resendActivation({ email: address })), label).toBe('VALIDATION_FAILED');
      expect(await codeOf(auth.accounts.isEmailAvailable(address)), label).toBe('VALIDATION_FAILED');
    }
    await auth.drain();
    expect((await store.listUsers({ offset: 0, limit: 10, now: new Date() })).total).toBe(0);
    expect(smtp.sink.connections).toBe(0);
  });

  it('cannot be the target of an email change', async () => {
    const { auth } = smtpAuth();
    const email = uniqueEmail('owner');
    await auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    await auth.accounts.activate({ key: new URL(firstHref(parseMail(smtp.sink.received[0]!.raw).html!)!).searchParams.get('key')! });
    const { token } = await auth.sessions.login({ email, password: PASSWORD });
    const context = await auth.sessions.validate(token);
    smtp.sink.reset();
    for (const [label, address] of HOSTILE_RECIPIENTS) {
      expect(await codeOf(auth.accounts.requestEmailChange(context, { newEmail: address, currentPassword: PASSWORD })), label).toBe('VALIDATION_FAILED');
    }
    expect(smtp.sink.connections).toBe(0);
  });

  it('are refused by isValidEmail(), which accepts plain and punycode addresses', () => {
    for (const [label, address] of HOSTILE_RECIPIENTS) expect(isValidEmail(address), label).toBe(false);
    expect(isValidEmail('ana.maria+shop@example.com')).toBe(true);
    expect(isValidEmail('o\'brien@example.co.uk')).toBe(true);
    expect(isValidEmail('ana@xn--jgeva-dua.ee')).toBe(true);
    expect(isValidEmail(' ana@example.com')).toBe(false);
    expect(isValidEmail(42)).toBe(false);
  });

  it('are refused by SmtpMailer.send() before anything reaches the transport', async () => {
    const { mailer } = smtpAuth();
    for (const [label, address] of HOSTILE_RECIPIENTS) {
      const error = await mailer
        .send({ to: address, subject: 'Reset', text: 'key', html: '<p>key</p>', kind: 'password-reset', locale: 'en', key: 'k' })
        .catch((e: unknown) => e);
      expect(error, label).toBeInstanceOf(SmtpMailerError);
      expect((error as SmtpMailerError).code, label).toBe('INVALID_RECIPIENT');
    }
    expect(smtp.sink.connections).toBe(0);
  });

  it('are refused by the core before the mailer when a stored address is corrupt, and the refusal is logged', async () => {
    const { auth, store } = smtpAuth();
    const email = uniqueEmail('corrupt');
    const { user } = await auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    await auth.accounts.activate({ key: new URL(firstHref(parseMail(smtp.sink.received[0]!.raw).html!)!).searchParams.get('key')! });
    const { token } = await auth.sessions.login({ email, password: PASSWORD });
    const context = await auth.sessions.validate(token);
    // As if an import or a direct SQL write had stored an address no validation would accept.
    await store.updateUser(user.id, { email: '"a@evil.example"@victim.example', updatedAt: new Date() });
    smtp.sink.reset();

    await auth.passwords.change(context, { currentPassword: PASSWORD, newPassword: 'another long passphrase' });
    expect(smtp.sink.connections).toBe(0);
    const failures = await store.listActivities({ subjectId: user.id, action: 'mail.failed', offset: 0, limit: 5 });
    expect(failures.items).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ kind: 'password-changed' }) })]);
  });
});
