import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { isAuthError } from 'gatehouse';
import { createRedisRateLimitStore, RedisRateLimitStore } from 'gatehouse/redis';
import { rateLimitConformanceCases } from 'gatehouse/testing';
import { describeRedis } from '../support/redis.js';

await describeRedis('RedisRateLimitStore on the real Redis', (redis) => {
  const store = (): RedisRateLimitStore => createRedisRateLimitStore({ client: redis.client(), keyPrefix: redis.prefix });

  // Windows here are measured by Redis's clock, not by the hit's `at`: the `clock:` cases do not apply.
  for (const c of rateLimitConformanceCases.filter((c) => !c.name.startsWith('clock:'))) it(c.name, () => c.run(store()));

  it('two stores on two connections share the counts: of 30 concurrent hits split between them, exactly the limit pass', async () => {
    const [one, two] = [store(), store()];
    const decisions = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? one : two).hitRateLimit('shared', { limit: 4, window: 60, at: new Date() })));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(4);
  });

  it('a window ends by itself in Redis: a refused key is allowed again once its window passed', async () => {
    const limited = store();
    const hit = () => limited.hitRateLimit('expiring', { limit: 1, window: 1, at: new Date() });
    expect((await hit()).allowed).toBe(true);
    const refused = await hit();
    expect(refused).toEqual({ allowed: false, remaining: 0, retryAfter: 1 });
    await sleep(1100);
    expect(await hit()).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('writes its keys under its prefix only', async () => {
    const client = redis.client();
    await createRedisRateLimitStore({ client, keyPrefix: `${redis.prefix}:app` }).hitRateLimit('http:register:203.0.113.9', { limit: 5, window: 60, at: new Date() });
    expect(await client.keys(`${redis.prefix}:app:*`)).toEqual([`${redis.prefix}:app:http:register:203.0.113.9`]);
  });

  it('answers STORAGE_FAILED, with the cause, when Redis cannot be reached', async () => {
    const down = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    const failing = createRedisRateLimitStore({ client: down });
    const error = await failing.hitRateLimit('any', { limit: 1, window: 60, at: new Date() }).catch((e: unknown) => e);
    expect(isAuthError(error, 'STORAGE_FAILED')).toBe(true);
    expect((error as Error).cause).toBeInstanceOf(Error);
    down.disconnect();
  });

  it('refuses a client that is not an ioredis client, or an empty prefix, at construction', () => {
    expect(() => createRedisRateLimitStore({} as never)).toThrow(TypeError);
    expect(() => createRedisRateLimitStore({ client: { get: () => null } } as never)).toThrow(TypeError);
    expect(() => createRedisRateLimitStore({ client: redis.client(), keyPrefix: '' })).toThrow(TypeError);
  });
});
