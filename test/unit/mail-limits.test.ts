import { describe, expect, it } from 'vitest';
import { createAuth, MemoryRateLimitStore, type RateLimitStore } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { activeUser, harness, uniqueEmail, type Harness } from '../support/harness.js';

const MINUTE = 60;

/** Asks `times` times, answers collected, then waits for the background work; resolves the answers and the mails of that kind sent. */
async function ask(h: Harness, times: number, request: () => Promise<unknown>, kind: 'password-reset' | 'activation') {
  const before = h.mailer.outbox.filter((m) => m.kind === kind).length;
  const answers: unknown[] = [];
  for (let i = 0; i < times; i += 1) answers.push(await request());
  await h.auth.drain();
  return { answers, mails: h.mailer.outbox.filter((m) => m.kind === kind).length - before };
}

/** A user who registered and has not activated yet. */
async function pendingUser(h: Harness): Promise<string> {
  const email = uniqueEmail('pending');
  await h.auth.accounts.register({ email, password: 'correct horse battery staple', name: 'Pending' });
  return email;
}

describe('per-address mail limits', () => {
  it('20 reset requests for one address send 3 mails in 15 minutes, every request answered alike; then the window reopens', async () => {
    const h = harness();
    const { email } = await activeUser(h);
    const first = await ask(h, 20, () => h.auth.passwords.requestReset({ email }), 'password-reset');
    expect(first).toEqual({ answers: Array(20).fill(undefined), mails: 3 });
    h.clock.advance(15 * MINUTE - 1);
    expect((await ask(h, 1, () => h.auth.passwords.requestReset({ email }), 'password-reset')).mails).toBe(0);
    h.clock.advance(1);
    expect((await ask(h, 5, () => h.auth.passwords.requestReset({ email }), 'password-reset')).mails).toBe(3);
  });

  it('the last reset key mailed stays the one that works: refused requests void nothing', async () => {
    const h = harness();
    const { email } = await activeUser(h);
    await ask(h, 3, () => h.auth.passwords.requestReset({ email }), 'password-reset');
    const key = h.mailer.last({ kind: 'password-reset' })!.key!;
    await ask(h, 10, () => h.auth.passwords.requestReset({ email }), 'password-reset');
    await h.auth.passwords.reset({ key, password: 'a brand new passphrase' });
  });

  it('20 activation re-sends for one address send 3 mails in 15 minutes, every request answered alike', async () => {
    const h = harness();
    const email = await pendingUser(h);
    expect(await ask(h, 20, () => h.auth.accounts.resendActivation({ email }), 'activation')).toEqual({ answers: Array(20).fill(undefined), mails: 3 });
  });

  it('counts each address apart, whatever the case it is written in', async () => {
    const h = harness();
    const [a, b] = [await activeUser(h), await activeUser(h)];
    const asked = await ask(h, 8, async () => {
      await h.auth.passwords.requestReset({ email: a.email.toUpperCase() });
      await h.auth.passwords.requestReset({ email: b.email });
    }, 'password-reset');
    expect(asked.mails).toBe(6);
  });

  it('are configurable, and off with false', async () => {
    const h = harness({ rateLimits: { passwordResetMails: { limit: 1, window: 60 }, activationMails: false } });
    const { email } = await activeUser(h);
    expect((await ask(h, 5, () => h.auth.passwords.requestReset({ email }), 'password-reset')).mails).toBe(1);
    const pending = await pendingUser(h);
    expect((await ask(h, 10, () => h.auth.accounts.resendActivation({ email: pending }), 'activation')).mails).toBe(10);
  });

  it('are decided in the background: a request is answered before the rate-limit store is even asked', async () => {
    let asked = 0;
    const never: RateLimitStore = { hitRateLimit: () => ((asked += 1), new Promise(() => undefined)) };
    const h = harness({ rateLimits: { store: never } });
    const { email } = await activeUser(h);
    await expect(h.auth.passwords.requestReset({ email })).resolves.toBeUndefined();
    await expect(h.auth.accounts.resendActivation({ email: await pendingUser(h) })).resolves.toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked).toBe(2);
  });

  it('are counted in the rate-limit store: two gatehouses on separate stores sharing one rate-limit store share the count', async () => {
    const mailer = new MemoryMailer();
    const limits = new MemoryRateLimitStore();
    const instances = [new MemoryAuthStore(), new MemoryAuthStore()].map((store) => createAuth({ store, mailer, rateLimits: { store: limits } }));
    for (const auth of instances) await auth.accounts.register({ email: 'twice@example.com', password: 'correct horse battery staple', name: 'Twice' });
    for (let i = 0; i < 6; i += 1) await instances[i % 2]!.passwords.requestReset({ email: 'twice@example.com' });
    for (const auth of instances) await auth.drain();
    expect(mailer.outbox.filter((m) => m.kind === 'password-reset')).toHaveLength(3);
  });
});

describe('auth.rateLimits', () => {
  it('counts the application’s own limits in the same store: consume() refuses past the limit with RATE_LIMITED and retryAfter', async () => {
    const h = harness();
    const limit = { limit: 2, window: 60 };
    expect(await h.auth.rateLimits.hit('app:export:ana', limit)).toEqual({ allowed: true, remaining: 1, retryAfter: 60 });
    await h.auth.rateLimits.consume('app:export:ana', limit);
    h.clock.advance(20);
    await expect(h.auth.rateLimits.consume('app:export:ana', limit)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfter: 40 });
    await h.auth.rateLimits.consume('app:export:bob', limit);
    // The memory store counts them itself: a second gatehouse on it shares them.
    const other = createAuth({ store: h.store, mailer: h.mailer, clock: h.clock });
    await expect(other.rateLimits.consume('app:export:ana', limit)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('refuses a malformed limit or key with a TypeError, and a rate-limit store without hitRateLimit at construction', async () => {
    const h = harness();
    expect(() => h.auth.rateLimits.hit('app:x', { limit: 0, window: 60 })).toThrow(TypeError);
    expect(() => h.auth.rateLimits.hit('app:x', { limit: 1, window: 0.5 })).toThrow(TypeError);
    expect(() => h.auth.rateLimits.hit('', { limit: 1, window: 60 })).toThrow(TypeError);
    expect(() => harness({ rateLimits: { store: {} as RateLimitStore } })).toThrow(/rateLimits\.store/);
    expect(() => harness({ rateLimits: { passwordResetMails: { limit: -1, window: 60 } } })).toThrow(TypeError);
  });
});
