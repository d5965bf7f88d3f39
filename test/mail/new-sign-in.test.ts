import { describe, expect, it } from 'vitest';
import { AUTH_STORE_METHODS, SIGN_IN_STORE_METHODS, type AuthStore, type ClientInfo } from 'gatehouse';
import { activeUser, harness, PASSWORD, type Harness } from '../support/harness.js';

const LAPTOP: ClientInfo = { ip: '203.0.113.10', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' };

async function signInAs(h: Harness, email: string, client: ClientInfo): Promise<void> {
  await h.auth.sessions.login({ email, password: PASSWORD }, client);
  await h.auth.drain();
  h.clock.advance(60);
}

const notices = (h: Harness, to: string) => h.mailer.outbox.filter((m) => m.to === to && m.kind === 'new-sign-in');

describe('new sign-in notices', () => {
  it('are not sent on the first sign-in, nor again from a device seen before, even after logging out', async () => {
    const h = harness();
    const user = await activeUser(h);
    await signInAs(h, user.email, LAPTOP);
    expect(notices(h, user.email)).toHaveLength(0);

    const { token } = await h.auth.sessions.login({ email: user.email, password: PASSWORD }, LAPTOP);
    await h.auth.sessions.logout(await h.auth.sessions.validate(token, LAPTOP));
    await signInAs(h, user.email, LAPTOP);
    expect(notices(h, user.email)).toHaveLength(0);
  });

  it('are sent, with the address, browser and time, for a sign-in from an unknown device', async () => {
    const h = harness();
    const user = await activeUser(h);
    await signInAs(h, user.email, LAPTOP);
    const phone = { ip: '198.51.100.7', userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1' };
    const at = h.clock.now();
    await signInAs(h, user.email, phone);

    const [notice, ...more] = notices(h, user.email);
    expect(more).toHaveLength(0);
    expect(notice).toMatchObject({ subject: 'New sign-in to your gatehouse account', locale: 'en' });
    expect(notice!.text).toContain('Address: 198.51.100.7.');
    expect(notice!.text).toContain(phone.userAgent);
    expect(notice!.text).toContain(at.toISOString().replace('T', ' ').slice(0, 16));
    expect(notice!.html).toContain('iPhone');

    // The phone is known from now on.
    await signInAs(h, user.email, phone);
    expect(notices(h, user.email)).toHaveLength(1);
  });

  it('treat another IPv6 address in the same /64 and a newer browser version as the same device', async () => {
    const h = harness();
    const user = await activeUser(h);
    await signInAs(h, user.email, { ip: '2001:db8:1:2::10', userAgent: 'Mozilla/5.0 Chrome/126.0.6478.126 Safari/537.36' });
    await signInAs(h, user.email, { ip: '2001:db8:1:2:aaaa:bbbb:cccc:dddd', userAgent: 'Mozilla/5.0 Chrome/127.0.6533.72 Safari/537.36' });
    expect(notices(h, user.email)).toHaveLength(0);

    await signInAs(h, user.email, { ip: '2001:db8:1:3::10', userAgent: 'Mozilla/5.0 Chrome/127.0.6533.72 Safari/537.36' });
    expect(notices(h, user.email)).toHaveLength(1);
    await signInAs(h, user.email, { ip: '2001:db8:1:3::10', userAgent: 'Mozilla/5.0 Firefox/128.0' });
    expect(notices(h, user.email)).toHaveLength(2);
  });

  it('treat a known browser on a new IPv4 address as a new device', async () => {
    const h = harness();
    const user = await activeUser(h);
    await signInAs(h, user.email, LAPTOP);
    await signInAs(h, user.email, { ...LAPTOP, ip: '203.0.113.11' });
    expect(notices(h, user.email)).toHaveLength(1);
  });

  it('are in the user’s language', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { token } = await h.auth.sessions.login({ email: user.email, password: PASSWORD }, LAPTOP);
    await h.auth.accounts.updateProfile(await h.auth.sessions.validate(token, LAPTOP), { locale: 'es' });
    await signInAs(h, user.email, { ip: '198.51.100.7', userAgent: 'Otro/1.0' });
    const [notice] = notices(h, user.email);
    expect(notice).toMatchObject({ locale: 'es', subject: 'Nuevo inicio de sesión en tu cuenta de gatehouse' });
    expect(notice!.text).toContain('Dirección: 198.51.100.7.');
  });

  it('can be switched off with mail.notifyNewSignIn: false', async () => {
    const h = harness({ mail: { notifyNewSignIn: false } });
    const user = await activeUser(h);
    await signInAs(h, user.email, LAPTOP);
    await signInAs(h, user.email, { ip: '198.51.100.7', userAgent: 'Other/1.0' });
    expect(notices(h, user.email)).toHaveLength(0);
  });

  it('cost a sign-in no store call more: the device is looked up by the sign-in’s own read, and remembered by its write', async () => {
    const calls = async (notifyNewSignIn: boolean): Promise<number[]> => {
      const h = harness({ mail: { notifyNewSignIn } });
      const user = await activeUser(h);
      const counted = countStoreCalls(h.store);
      const perLogin: number[] = [];
      for (const client of [LAPTOP, LAPTOP, { ip: '198.51.100.7', userAgent: 'Other/1.0' }]) {
        const before = counted();
        await signInAs(h, user.email, client);
        perLogin.push(counted() - before);
      }
      return perLogin;
    };
    const off = await calls(false);
    const on = await calls(true);
    // The third sends a mail, which itself writes nothing to the store.
    expect(on).toEqual(off);
    expect(on).toEqual([2, 2, 2]);
  });

  it('do not hold up or fail the sign-in when the mail cannot be sent', async () => {
    const errors: string[] = [];
    const h = harness({ onError: (_error, { operation }) => errors.push(operation) });
    const user = await activeUser(h);
    await signInAs(h, user.email, LAPTOP);
    h.mailer.send = () => Promise.reject(new Error('SMTP down'));
    const result = await h.auth.sessions.login({ email: user.email, password: PASSWORD }, { ip: '198.51.100.7', userAgent: 'Other/1.0' });
    expect(result.token).toBeTypeOf('string');
    await h.auth.drain();
    expect(errors).toEqual(['mail new-sign-in']);
    const failures = await h.store.listActivities({ subjectId: user.id, action: 'mail.failed', offset: 0, limit: 5 });
    expect(failures.items).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ kind: 'new-sign-in' }) })]);
  });
});

/** Counts calls of every store method from now on. */
function countStoreCalls(store: AuthStore): () => number {
  let count = 0;
  const methods = store as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of [...AUTH_STORE_METHODS, ...SIGN_IN_STORE_METHODS]) {
    const original = methods[name]!.bind(store);
    methods[name] = (...args: unknown[]) => {
      count += 1;
      return original(...args);
    };
  }
  return () => count;
}
