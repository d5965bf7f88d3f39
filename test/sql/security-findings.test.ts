/**
 * The findings of the adversarial review (issue 15) where the store matters, on PostgreSQL and
 * MariaDB: text the database refuses must be VALIDATION_FAILED (never STORAGE_FAILED, 503), as
 * on the memory store; the pre-account takeover sequence; and the fuzzing of every input.
 */
import { describe, expect, it } from 'vitest';
import { isAuthError, type AuthStore } from 'gatehouse';
import { base32Decode, hotp, totpStep } from '../../src/crypto/totp.js';
import { fuzzEveryInput } from '../support/fuzz-inputs.js';
import { activeUser, PASSWORD, signIn, uniqueEmail } from '../support/harness.js';
import { member, shop } from '../support/shop.js';
import { describeSql, SQL_KINDS } from '../support/sql-servers.js';

const KEY = '0123456789abcdef'.repeat(4);
const codeOf = async (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isAuthError(error) ? error.code : `threw ${String(error)}`),
  );

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: security findings`, (db) => {
    let store: AuthStore;
    // The harness's own `store` stays the memory one it made: read the SQL store through `store`.
    const world = async (overrides: Parameters<typeof shop>[0] = {}) => {
      store = (await db.freshStore()) as AuthStore;
      return shop({ store, ...overrides, registration: { defaultRole: 'customer', ...overrides.registration } });
    };

    it('finding 3: NUL and lone surrogates in names, reasons, filters and app fields are VALIDATION_FAILED, never STORAGE_FAILED', async () => {
      const note = { '~standard': { version: 1 as const, vendor: 'test', validate: (value: unknown) => ({ value }) } };
      const h = await world({ registration: { fields: { note } } });
      const admin = await member(h, ['admin']);
      const user = await activeUser(h);
      const calls: [string, () => Promise<unknown>][] = [
        ['register name', () => h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana \ud800' })],
        ['register app field', () => h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana', note: 'x\u0000' })],
        ['profile app field key', () => h.auth.accounts.updateProfile(admin.context, { note: { ['k\udc00']: 'v' } })],
        ['block reason NUL', () => h.auth.users.block(admin.context, user.id, { reason: 'fraud\u0000' })],
        ['block reason lone surrogate', () => h.auth.users.block(admin.context, user.id, { reason: 'fraud \ud800' })],
        ['list q NUL', () => h.auth.users.list(admin.context, { q: 'a\u0000' })],
        ['list q lone surrogate', () => h.auth.users.list(admin.context, { q: '\udfff' })],
        ['role description NUL', () => h.auth.roles.createRole(admin.context, { code: 'clerk', name: 'Clerk', description: '\u0000', level: 5 })],
      ];
      for (const [label, call] of calls) expect(await codeOf(call()), label).toBe('VALIDATION_FAILED');
      expect((await h.auth.users.get(admin.context, user.id)).user.status).toBe('active');
    });

    it('finding 3: a user agent with NUL and a lone surrogate does not break a login; it is stored sanitised', async () => {
      const h = await world();
      const user = await activeUser(h);
      const login = await h.auth.sessions.login({ email: user.email, password: PASSWORD }, { ip: '203.0.113.4', userAgent: 'Agent\u0000 \ud800' });
      expect((await store.findSessionById(login.session.id))?.userAgent).toBe('Agent\uFFFD \uFFFD');
      const failed = await codeOf(h.auth.sessions.login({ email: user.email, password: 'wrong one' }, { userAgent: 'x\u0000' }));
      expect(failed).toBe('INVALID_CREDENTIALS');
    });

    it('finding 5: the pre-account takeover sequence ends with the owner signing in alone', async () => {
      const h = await world({ twoFactor: { encryptionKey: KEY }, registration: { requireEmailVerification: false } });
      const victim = `victim-${kind}@example.com`;
      const attackerPassword = 'attacker knows this one';
      await h.auth.accounts.register({ email: victim, password: attackerPassword, name: 'Not the victim' });
      const attacker = await signIn(h, victim, attackerPassword);
      expect(await codeOf(h.auth.twoFactor.enrol(attacker.context, {} as never))).toBe('VALIDATION_FAILED');
      const { secret } = await h.auth.twoFactor.enrol(attacker.context, { password: attackerPassword });
      await h.auth.twoFactor.confirm(attacker.context, { code: hotp(base32Decode(secret)!, totpStep(h.clock.now())) });
      await h.auth.accounts.resendActivation({ email: victim });
      await h.auth.drain();
      await h.auth.accounts.activate({ key: h.mailer.last({ to: victim, kind: 'activation' })!.key! });
      expect(await h.auth.sessions.validate(attacker.token)).toBeNull();
      await h.auth.passwords.requestReset({ email: victim });
      await h.auth.drain();
      const resetKey = h.mailer.last({ to: victim, kind: 'password-reset' })!.key!;
      await h.auth.passwords.reset({ key: resetKey, password: PASSWORD });
      h.clock.advance(30);
      await expect(h.auth.sessions.login({ email: victim, password: PASSWORD })).resolves.toHaveProperty('token');
      expect(await codeOf(h.auth.sessions.login({ email: victim, password: attackerPassword }))).toBe('INVALID_CREDENTIALS');
    });

    it('finding 7: a reset key issued before a password change no longer resets', async () => {
      const h = await world();
      const m = await member(h, ['customer']);
      await h.auth.passwords.requestReset({ email: m.user.email });
      await h.auth.drain();
      const key = h.mailer.last({ to: m.user.email, kind: 'password-reset' })!.key!;
      await h.auth.passwords.change(m.context, { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' });
      expect(await codeOf(h.auth.passwords.reset({ key, password: 'what the thief wants' }))).toBe('KEY_INVALID');
    });
  });

  await describeSql(kind, `${kind}: every public input, fuzzed`, (db) => {
    describe('fast-check', () => fuzzEveryInput(() => db.freshStore(), { numRuns: 12 }));
  });
}
