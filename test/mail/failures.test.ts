import { describe, expect, it } from 'vitest';
import { createAuth, isAuthError, type Activity } from 'gatehouse';
import { MemoryAuthStore } from 'gatehouse/memory';
import { createSmtpMailer } from 'gatehouse/smtp';
import { fastHasher, PASSWORD, uniqueEmail } from '../support/harness.js';
import { firstHref, parseMail } from './mime.js';
import { useSmtpSink } from './smtp-sink.js';

const smtp = useSmtpSink();

function smtpAuth() {
  const store = new MemoryAuthStore();
  const mailer = createSmtpMailer({ url: smtp.sink.url }, { from: 'no-reply@shop.example', retries: 1, retryDelay: 1 });
  smtp.track(mailer);
  const errors: { error: unknown; operation: string }[] = [];
  const auth = createAuth({ store, mailer, hasher: fastHasher(), baseUrl: 'https://shop.example', onError: (error, { operation }) => errors.push({ error, operation }) });
  return { auth, store, errors };
}

const REFUSE = { code: 550, message: 'Mailbox unavailable' } as const;
const keyIn = (raw: string): string => new URL(firstHref(parseMail(raw).html!)!).searchParams.get('key')!;

async function mailFailures(store: MemoryAuthStore, userId: string): Promise<Activity[]> {
  return (await store.listActivities({ subjectId: userId, action: 'mail.failed', offset: 0, limit: 10 })).items;
}

describe('when the SMTP server refuses a message', () => {
  it('the registration stands, the failure is in the activity log, and a resent key activates the account', async () => {
    const { auth, store, errors } = smtpAuth();
    const email = uniqueEmail('refused');
    smtp.sink.answer = () => REFUSE;

    const { user } = await auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    expect(smtp.sink.attempts).toHaveLength(1); // a 5xx refusal is not retried
    expect(smtp.sink.received).toHaveLength(0);
    expect(await store.findUserByEmail(email)).toMatchObject({ id: user.id, emailVerifiedAt: null });
    const [failure] = await mailFailures(store, user.id);
    expect(failure).toMatchObject({ action: 'mail.failed', subjectId: user.id, metadata: { kind: 'activation' } });
    expect(String(failure!.metadata['error'])).toContain('550');
    expect(errors.map((e) => e.operation)).toEqual(['mail activation']);

    smtp.sink.answer = () => undefined;
    await auth.accounts.resendActivation({ email });
    await auth.drain();
    expect(smtp.sink.received).toHaveLength(1);
    const resent = parseMail(smtp.sink.received[0]!.raw);
    expect(resent.to).toBe(email);
    await auth.accounts.activate({ key: keyIn(smtp.sink.received[0]!.raw) });
    expect((await store.findUserByEmail(email))!.emailVerifiedAt).not.toBeNull();
  });

  it('the key of the refused mail stays valid: a failed send does not undo or void anything', async () => {
    const { auth, store } = smtpAuth();
    const email = uniqueEmail('kept');
    smtp.sink.answer = () => REFUSE;
    await auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    // The server read the message before refusing it, so the test can see the key it carried.
    const key = keyIn(smtp.sink.attempts[0]!.raw);
    await auth.accounts.activate({ key });
    expect((await store.findUserByEmail(email))!.emailVerifiedAt).not.toBeNull();
  });

  it('forgot-password answers exactly the same whether the mail fails, is sent, or the email is unknown (Django CVE-2024-45231)', async () => {
    const { auth, store, errors } = smtpAuth();
    const known = uniqueEmail('known');
    await auth.accounts.register({ email: known, password: PASSWORD, name: 'Ana' });
    const user = (await store.findUserByEmail(known))!;
    smtp.sink.reset();

    // The server holds every answer until released: the call must not be waiting for it.
    let release!: () => void;
    smtp.sink.gate = new Promise((resolve) => (release = resolve));
    smtp.sink.answer = () => REFUSE;
    const failing = await settle(auth.passwords.requestReset({ email: known }));
    const unknown = await settle(auth.passwords.requestReset({ email: uniqueEmail('nobody') }));
    release();
    await auth.drain();
    expect(smtp.sink.attempts).toHaveLength(1);

    smtp.sink.reset();
    const succeeding = await settle(auth.passwords.requestReset({ email: known }));
    await auth.drain();
    expect(smtp.sink.received).toHaveLength(1);

    expect(failing).toEqual({ ok: true, value: undefined });
    expect(unknown).toEqual(failing);
    expect(succeeding).toEqual(failing);
    // The failure is recorded for the operators, not told to the caller.
    expect(await mailFailures(store, user.id)).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ kind: 'password-reset' }) })]);
    expect(errors.map((e) => e.operation)).toEqual(['mail password-reset']);
  });

  it('a password change stands when its notice cannot be sent', async () => {
    const { auth, store } = smtpAuth();
    const email = uniqueEmail('change');
    await auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    await auth.accounts.activate({ key: keyIn(smtp.sink.received[0]!.raw) });
    const { token } = await auth.sessions.login({ email, password: PASSWORD });
    const context = await auth.sessions.validate(token);
    smtp.sink.answer = () => REFUSE;
    await auth.passwords.change(context, { currentPassword: PASSWORD, newPassword: 'another long passphrase' });
    const user = (await store.findUserByEmail(email))!;
    expect(await mailFailures(store, user.id)).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ kind: 'password-changed' }) })]);
    await expect(auth.sessions.login({ email, password: 'another long passphrase' })).resolves.toBeDefined();
    const old = await auth.sessions.login({ email, password: PASSWORD }).catch((e: unknown) => e);
    expect(isAuthError(old, 'INVALID_CREDENTIALS')).toBe(true);
  });
});

async function settle(promise: Promise<unknown>): Promise<{ ok: boolean; value: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, value: error };
  }
}
