import { expect, it } from 'vitest';
import { createAuth, isAuthError, type Auth, type AuthOptions, type AuthStore, type RateLimitStore } from 'gatehouse';
import { HttpAuth, type HttpRequest } from 'gatehouse/http';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { createRedisRateLimitStore } from 'gatehouse/redis';
import { ManualClock } from 'gatehouse/testing';
import { user as userRow } from '../../adapters/testing/fixtures.js';
import { fastHasher } from '../support/harness.js';
import { describeRedis } from '../support/redis.js';
import { describeEveryStore } from '../support/stores.js';

/** Two instances of one app: each its own gatehouse and HTTP layer, on stores that may share their data. */
function twoInstances(stores: readonly [AuthStore, AuthStore], rateLimitStores?: readonly [RateLimitStore, RateLimitStore]) {
  const mailer = new MemoryMailer();
  const clock = new ManualClock();
  const limit = { limit: 2, window: 900 };
  const instances = stores.map((store, i) => {
    const options: AuthOptions = { store, mailer, clock, hasher: fastHasher(), ...(rateLimitStores === undefined ? {} : { rateLimits: { store: rateLimitStores[i]! } }) };
    const auth = createAuth(options);
    const http = new HttpAuth(auth, { rateLimits: { register: limit, checkEmail: limit, forgotPassword: limit, resendActivation: limit } });
    return { auth, http };
  });
  return { instances, mailer };
}

const ANONYMOUS = { auth: null, via: null, cookies: [] } as const;
const ROUTES = [
  { path: '/register', request: { method: 'POST', body: {} } },
  { path: '/check-email', request: { method: 'GET', query: { email: 'someone@example.com' } } },
  { path: '/forgot-password', request: { method: 'POST', body: { email: 'someone@example.com' } } },
  { path: '/resend-activation', request: { method: 'POST', body: { email: 'someone@example.com' } } },
] as const;

/** Sends a route's request from one client address, alternating between the instances; resolves the status or error code of each. */
async function alternate(instances: readonly { http: HttpAuth }[], route: (typeof ROUTES)[number], times: number): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < times; i += 1) {
    const { http } = instances[i % instances.length]!;
    const handler = http.routes().find((r) => r.path === route.path)!;
    const request: HttpRequest = { ...route.request, headers: { host: 'shop.example' }, ip: '203.0.113.9' };
    outcomes.push(await handler.handle(request, ANONYMOUS).then((result) => String(result.status), (error: unknown) => (isAuthError(error) ? error.code : String(error))));
  }
  return outcomes;
}

/** An account waiting for activation, written to each of these stores. */
async function pendingUser(stores: readonly AuthStore[], email: string): Promise<void> {
  const record = userRow({ email });
  for (const store of stores) await store.insertUser(record);
}

/** Asks for reset and activation mails through both instances in turn; resolves how many of each went out. */
async function mailsAfterAsking(instances: readonly { auth: Auth }[], mailer: MemoryMailer, email: string): Promise<{ answers: unknown[]; reset: number; activation: number }> {
  const answers: unknown[] = [];
  for (let i = 0; i < 10; i += 1) {
    const { auth } = instances[i % 2]!;
    answers.push(await auth.passwords.requestReset({ email }));
    answers.push(await auth.accounts.resendActivation({ email }));
  }
  for (const { auth } of instances) await auth.drain();
  return { answers, reset: mailer.outbox.filter((m) => m.kind === 'password-reset').length, activation: mailer.outbox.filter((m) => m.kind === 'activation').length };
}

await describeEveryStore('two instances share every limit through the store', (fresh) => {
  it('the per-IP limits of register, check-email, forgot-password and resend-activation: the third request from one address is refused, whichever instance gets it', async () => {
    const { store, twin } = await fresh();
    const { instances } = twoInstances([store, twin]);
    for (const route of ROUTES) {
      const outcomes = await alternate(instances, route, 3);
      expect(outcomes[2], route.path).toBe('RATE_LIMITED');
      expect(outcomes.slice(0, 2), route.path).not.toContain('RATE_LIMITED');
    }
    for (const { auth } of instances) await auth.drain();
  });

  it('the per-address mail limits: 10 reset requests and 10 activation requests through two instances send 3 mails of each, every request answered alike', async () => {
    const { store, twin } = await fresh();
    const { instances, mailer } = twoInstances([store, twin]);
    await pendingUser([store], 'busy@example.com');
    const { answers, reset, activation } = await mailsAfterAsking(instances, mailer, 'busy@example.com');
    expect(answers).toEqual(Array(20).fill(undefined));
    expect({ reset, activation }).toEqual({ reset: 3, activation: 3 });
  });
});

await describeRedis('two instances share every limit through Redis', (redis) => {
  // Separate memory stores: Redis is the only thing the two instances share.
  const stores = () => [new MemoryAuthStore(), new MemoryAuthStore()] as const;
  const limiter = (): RateLimitStore => createRedisRateLimitStore({ client: redis.client(), keyPrefix: redis.prefix });
  const limiters = () => [limiter(), limiter()] as const;

  it('the per-IP limits of register, check-email, forgot-password and resend-activation', async () => {
    const { instances } = twoInstances(stores(), limiters());
    for (const route of ROUTES) {
      const outcomes = await alternate(instances, route, 3);
      expect(outcomes, route.path).toEqual([expect.not.stringMatching(/RATE_LIMITED/), expect.not.stringMatching(/RATE_LIMITED/), 'RATE_LIMITED']);
    }
  });

  it('the per-address mail limits', async () => {
    const pair = stores();
    const { instances, mailer } = twoInstances(pair, limiters());
    await pendingUser(pair, 'redis@example.com');
    const { answers, reset, activation } = await mailsAfterAsking(instances, mailer, 'redis@example.com');
    expect(answers).toEqual(Array(20).fill(undefined));
    expect({ reset, activation }).toEqual({ reset: 3, activation: 3 });
  });
});
