import { describe, expect, it } from 'vitest';
import { isAuthError } from 'gatehouse';
import { activeUser, harness, PASSWORD, signIn, uniqueEmail, type Harness } from '../support/harness.js';

const NEW_PASSWORD = 'a new and better secret';

const codeOf = (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (error: unknown) => (isAuthError(error) ? error.code : `not an AuthError: ${String(error)}`),
  );

async function resetKeyFor(h: Harness, email: string): Promise<string> {
  await h.auth.passwords.requestReset({ email });
  await h.auth.drain();
  const key = h.mailer.last({ kind: 'password-reset' })?.key;
  if (key === undefined) throw new Error('no reset mail');
  return key;
}

describe('passwords.requestReset()', () => {
  it('answers the same, with nothing to tell them apart, whether or not the email exists', async () => {
    const h = harness();
    const user = await activeUser(h);
    h.mailer.clear();
    const known = await h.auth.passwords.requestReset({ email: user.email });
    const unknown = await h.auth.passwords.requestReset({ email: 'nobody@example.com' });
    expect(known).toBeUndefined();
    expect(unknown).toBeUndefined();
    await h.auth.drain();
    expect(h.mailer.outbox.map((m) => [m.to, m.kind])).toEqual([[user.email, 'password-reset']]);
  });

  it('does its lookup and writes only after answering', async () => {
    const h = harness();
    const user = await activeUser(h);
    h.mailer.clear();
    await h.auth.passwords.requestReset({ email: user.email });
    expect(h.mailer.outbox).toHaveLength(0);
    await h.auth.drain();
    expect(h.mailer.outbox).toHaveLength(1);
  });

  it('mails the key to the stored address, never to the submitted string (Django CVE-2019-19844)', async () => {
    const h = harness();
    const user = await activeUser(h, { email: 'mike@example.org' });
    h.mailer.clear();
    await h.auth.passwords.requestReset({ email: '  MIKE@Example.ORG ' });
    await h.auth.drain();
    expect(h.mailer.outbox.map((m) => m.to)).toEqual([user.email]);
  });

  it('emails that differ only by Unicode case folding do not match another account (Django CVE-2019-19844)', async () => {
    const h = harness();
    await activeUser(h, { email: 'mike@example.org' });
    await activeUser(h, { email: 'kate@example.org' });
    h.mailer.clear();
    // Dotless ı upper-cases to I; the Kelvin sign K and the long ſ case-fold to k and s.
    for (const lookalike of ['mıke@example.org', 'MİKE@example.org', '\u212Aate@example.org', 'ſam@example.org']) {
      expect(await codeOf(h.auth.passwords.requestReset({ email: lookalike })), lookalike).toBe('VALIDATION_FAILED');
      expect(await codeOf(h.auth.sessions.login({ email: lookalike, password: PASSWORD })), lookalike).toBe('VALIDATION_FAILED');
      expect(await codeOf(h.auth.accounts.register({ email: lookalike, password: PASSWORD, name: 'Eve' })), lookalike).toBe('VALIDATION_FAILED');
    }
    await h.auth.drain();
    expect(h.mailer.outbox).toHaveLength(0);
  });

  it('a new key voids the older ones', async () => {
    const h = harness();
    const user = await activeUser(h);
    const first = await resetKeyFor(h, user.email);
    const second = await resetKeyFor(h, user.email);
    expect(await codeOf(h.auth.passwords.reset({ key: first, password: NEW_PASSWORD }))).toBe('KEY_INVALID');
    await h.auth.passwords.reset({ key: second, password: NEW_PASSWORD });
  });
});

describe('passwords.reset()', () => {
  it('sets the new password, consumes the key, revokes every session, and mails a notice', async () => {
    const h = harness();
    const user = await activeUser(h);
    const a = await signIn(h, user.email);
    const b = await signIn(h, user.email);
    const key = await resetKeyFor(h, user.email);
    await h.auth.passwords.reset({ key, password: NEW_PASSWORD }, { ip: '198.51.100.8' });
    for (const s of [a, b]) expect(await h.auth.sessions.validate(s.token)).toBeNull();
    expect(await codeOf(h.auth.sessions.login({ email: user.email, password: PASSWORD }))).toBe('INVALID_CREDENTIALS');
    await h.auth.sessions.login({ email: user.email, password: NEW_PASSWORD });
    expect(await codeOf(h.auth.passwords.reset({ key, password: 'yet another secret 9' }))).toBe('KEY_INVALID');
    expect(h.mailer.last()?.kind).toBe('password-changed');
    const { createHash } = await import('node:crypto');
    const stored = await h.store.findOneTimeKey(createHash('sha256').update(key).digest('hex'));
    expect(stored?.usedIp).toBe('198.51.100.8');
  });

  it('the resetKey works until resetDate + 30 minutes and is KEY_EXPIRED from then on, without being consumed', async () => {
    const h = harness();
    const user = await activeUser(h);
    const key = await resetKeyFor(h, user.email);
    h.clock.advance(30 * 60 - 0.001);
    const other = await activeUser(h);
    const otherKey = await resetKeyFor(h, other.email);
    await h.auth.passwords.reset({ key: otherKey, password: NEW_PASSWORD }); // inside its own window
    h.clock.advance(0.001);
    expect(await codeOf(h.auth.passwords.reset({ key, password: NEW_PASSWORD }))).toBe('KEY_EXPIRED');
    await h.auth.sessions.login({ email: user.email, password: PASSWORD });
  });

  it('the resetKey at 29:59.999 still works', async () => {
    const h = harness();
    const user = await activeUser(h);
    const key = await resetKeyFor(h, user.email);
    h.clock.advance(30 * 60 - 0.001);
    await h.auth.passwords.reset({ key, password: NEW_PASSWORD });
  });

  it('10 parallel uses of one reset key make exactly one password change', async () => {
    const h = harness();
    const user = await activeUser(h);
    const key = await resetKeyFor(h, user.email);
    const passwords = Array.from({ length: 10 }, (_, i) => `parallel secret number ${i}`);
    const results = await Promise.allSettled(passwords.map((password) => h.auth.passwords.reset({ key, password })));
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [passwords[i]!] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(isAuthError(r.reason, 'KEY_INVALID')).toBe(true);
    const history = await h.store.listPasswordHistory(user.id, 20);
    expect(history.filter((entry) => entry.reason === 'reset')).toHaveLength(1);
    await h.auth.sessions.login({ email: user.email, password: winners[0]! });
  });

  it('a blank, whitespace or missing key never resets (Devise CVE-2019-16109)', async () => {
    const h = harness();
    const user = await activeUser(h);
    await resetKeyFor(h, user.email);
    for (const key of ['', ' ', '\n', undefined, null, 0, false]) {
      expect(await codeOf(h.auth.passwords.reset({ key, password: NEW_PASSWORD } as never)), String(key)).toBe('VALIDATION_FAILED');
    }
    expect(await codeOf(h.auth.passwords.reset({ password: NEW_PASSWORD } as never))).toBe('VALIDATION_FAILED');
    await h.auth.sessions.login({ email: user.email, password: PASSWORD });
  });

  it('refuses a weak or recently used password without consuming the key', async () => {
    const h = harness();
    const user = await activeUser(h);
    const key = await resetKeyFor(h, user.email);
    expect(await codeOf(h.auth.passwords.reset({ key, password: 'password1' }))).toBe('WEAK_PASSWORD');
    expect(await codeOf(h.auth.passwords.reset({ key, password: PASSWORD }))).toBe('PASSWORD_REUSED');
    await h.auth.passwords.reset({ key, password: NEW_PASSWORD });
  });

  it('an account registered but never activated gets its sessions revoked and its password replaced when the real owner resets it', async () => {
    // Without mandatory verification the squatter could sign in; the owner, who receives the mail, takes the account back.
    const h = harness({ registration: { requireEmailVerification: false } });
    const email = uniqueEmail('victim');
    await h.auth.accounts.register({ email, password: 'squatter password 1', name: 'Squatter' });
    const squatter = await signIn(h, email, 'squatter password 1');
    const key = await resetKeyFor(h, email);
    await h.auth.passwords.reset({ key, password: NEW_PASSWORD });
    expect(await h.auth.sessions.validate(squatter.token)).toBeNull();
    expect(await codeOf(h.auth.sessions.login({ email, password: 'squatter password 1' }))).toBe('INVALID_CREDENTIALS');
    const owner = await h.auth.sessions.login({ email, password: NEW_PASSWORD });
    expect(owner.user.emailVerifiedAt).not.toBeNull();
  });

  it('the reset proves the address: an unverified account becomes verified', async () => {
    const h = harness();
    const email = uniqueEmail();
    await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    const key = await resetKeyFor(h, email);
    await h.auth.passwords.reset({ key, password: NEW_PASSWORD });
    await h.auth.sessions.login({ email, password: NEW_PASSWORD });
  });
});

describe('passwords.change()', () => {
  it('requires the current password, keeps the current session and revokes the others', async () => {
    const h = harness();
    const user = await activeUser(h);
    const other = await signIn(h, user.email);
    const current = await signIn(h, user.email);
    expect(await codeOf(h.auth.passwords.change(current.context, { currentPassword: 'not it at all', newPassword: NEW_PASSWORD }))).toBe('INVALID_CREDENTIALS');
    await h.auth.passwords.change(current.context, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(await h.auth.sessions.validate(current.token)).not.toBeNull();
    expect(await h.auth.sessions.validate(other.token)).toBeNull();
    await h.auth.sessions.login({ email: user.email, password: NEW_PASSWORD });
    const log = await h.store.listActivities({ subjectId: user.id, action: 'password.', offset: 0, limit: 10 });
    expect(log.items.map((a) => a.action)).toEqual(['password.changed', 'password.confirm.failed']);
  });

  it('wrong current passwords count toward the lockout', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { context } = await signIn(h, user.email);
    for (let i = 0; i < 5; i += 1) await codeOf(h.auth.passwords.change(context, { currentPassword: `guess number ${i}`, newPassword: NEW_PASSWORD }));
    expect(await codeOf(h.auth.passwords.change(context, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }))).toBe('RATE_LIMITED');
    expect(await codeOf(h.auth.sessions.login({ email: user.email, password: PASSWORD }))).toBe('RATE_LIMITED');
  });

  it('refuses the last 5 passwords and accepts the 6th oldest', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { context } = await signIn(h, user.email);
    const passwords = [PASSWORD, 'second secret phrase', 'third secret phrase', 'fourth secret phrase', 'fifth secret phrase', 'sixth secret phrase'];
    for (let i = 1; i < passwords.length; i += 1) {
      h.clock.advance(1);
      await h.auth.passwords.change(context, { currentPassword: passwords[i - 1]!, newPassword: passwords[i]! });
    }
    // The last five are the 2nd to the 6th (the current one); the 1st is six changes old.
    for (const reused of passwords.slice(1)) {
      const error = await h.auth.passwords.change(context, { currentPassword: passwords[5]!, newPassword: reused }).catch((e: unknown) => e);
      expect(isAuthError(error, 'PASSWORD_REUSED'), reused).toBe(true);
      expect((error as { issues: { path: string[] }[] }).issues[0]?.path).toEqual(['newPassword']);
    }
    await h.auth.passwords.change(context, { currentPassword: passwords[5]!, newPassword: PASSWORD });
  });

  it('clears a forced password change', async () => {
    const h = harness();
    const user = await activeUser(h);
    await h.store.updateUser(user.id, { mustChangePassword: true, updatedAt: h.clock.now() });
    const { context, mustChangePassword } = await signIn(h, user.email);
    expect(mustChangePassword).toBe(true);
    await h.auth.passwords.change(context, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect((await h.auth.sessions.login({ email: user.email, password: NEW_PASSWORD })).mustChangePassword).toBe(false);
    const history = await h.store.listPasswordHistory(user.id, 1);
    expect(history[0]).toMatchObject({ reason: 'changed', forced: true });
  });
});
