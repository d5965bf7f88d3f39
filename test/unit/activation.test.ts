import { describe, expect, it } from 'vitest';
import { isAuthError } from 'gatehouse';
import { harness, PASSWORD, uniqueEmail } from '../support/harness.js';

async function registered(h: ReturnType<typeof harness>) {
  const email = uniqueEmail();
  const { user } = await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
  return { user, email, key: h.mailer.last({ to: email, kind: 'activation' })!.key! };
}

const codeOf = (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (error: unknown) => (isAuthError(error) ? error.code : `not an AuthError: ${String(error)}`),
  );

describe('accounts.activate()', () => {
  it('marks the email verified once; the same key is then KEY_INVALID', async () => {
    const h = harness();
    const { user, key } = await registered(h);
    const { user: activated } = await h.auth.accounts.activate({ key }, { ip: '203.0.113.9' });
    expect(activated.id).toBe(user.id);
    expect(activated.emailVerifiedAt).toEqual(h.clock.now());
    expect(await codeOf(h.auth.accounts.activate({ key }))).toBe('KEY_INVALID');
    const log = await h.store.listActivities({ subjectId: user.id, action: 'user.activated', offset: 0, limit: 5 });
    expect(log.items[0]?.ip).toBe('203.0.113.9');
  });

  it('works until the last millisecond of its 24 h lifetime and is KEY_EXPIRED from then on', async () => {
    const h = harness();
    const first = await registered(h);
    const second = await registered(h);
    h.clock.advance(24 * 3600 - 0.001);
    await h.auth.accounts.activate({ key: first.key });
    h.clock.advance(0.001);
    expect(await codeOf(h.auth.accounts.activate({ key: second.key }))).toBe('KEY_EXPIRED');
  });

  it('honours a configured lifetime', async () => {
    const h = harness({ keys: { activationLifetime: 60 } });
    const { key } = await registered(h);
    h.clock.advance(60);
    expect(await codeOf(h.auth.accounts.activate({ key }))).toBe('KEY_EXPIRED');
  });

  it('a blank, whitespace or missing key never activates (Devise CVE-2019-16109)', async () => {
    const h = harness();
    await registered(h);
    for (const input of [{ key: '' }, { key: '   ' }, { key: '\t\n' }, {}, { key: null }, { key: undefined }, { key: 0 }, { key: [] }, { key: {} }]) {
      expect(await codeOf(h.auth.accounts.activate(input as never)), JSON.stringify(input)).toBe('VALIDATION_FAILED');
    }
    expect((await h.store.listUsers({ offset: 0, limit: 5, now: h.clock.now() })).items.every((u) => u.emailVerifiedAt === null)).toBe(true);
  });

  it('an unknown well-formed key is KEY_INVALID', async () => {
    const h = harness();
    await registered(h);
    expect(await codeOf(h.auth.accounts.activate({ key: 'A'.repeat(43) }))).toBe('KEY_INVALID');
  });

  it('a reset key does not activate', async () => {
    const h = harness();
    const { email } = await registered(h);
    await h.auth.passwords.requestReset({ email });
    await h.auth.drain();
    const resetKey = h.mailer.last({ kind: 'password-reset' })!.key!;
    expect(await codeOf(h.auth.accounts.activate({ key: resetKey }))).toBe('KEY_INVALID');
  });
});

describe('accounts.resendActivation()', () => {
  it('mails a new key that works and voids the older one', async () => {
    const h = harness();
    const { email, key: oldKey } = await registered(h);
    await h.auth.accounts.resendActivation({ email: email.toUpperCase() });
    await h.auth.drain();
    const newKey = h.mailer.last({ to: email, kind: 'activation' })!.key!;
    expect(newKey).not.toBe(oldKey);
    expect(await codeOf(h.auth.accounts.activate({ key: oldKey }))).toBe('KEY_INVALID');
    await h.auth.accounts.activate({ key: newKey });
  });

  it('answers the same for an unknown, an activated and a pending email, and mails only the pending one', async () => {
    const h = harness();
    const pending = await registered(h);
    const done = await registered(h);
    await h.auth.accounts.activate({ key: done.key });
    h.mailer.clear();
    const answers = await Promise.all(
      [pending.email, done.email, 'nobody@example.com'].map((email) => h.auth.accounts.resendActivation({ email }).then((value) => ({ value }))),
    );
    expect(answers).toEqual([{ value: undefined }, { value: undefined }, { value: undefined }]);
    await h.auth.drain();
    expect(h.mailer.outbox.map((m) => m.to)).toEqual([pending.email]);
  });
});
