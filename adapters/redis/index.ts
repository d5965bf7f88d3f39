/**
 * `gatehouse/redis` — rate limits counted in Redis, shared by every instance of an
 * application: give `createRedisRateLimitStore()` to `createAuth({ rateLimits: { store } })`.
 * Needs the optional peer dependency `ioredis`.
 * @packageDocumentation
 */
import { RedisRateLimitStore, type RedisRateLimitStoreOptions } from './redis-rate-limit-store.js';

export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from './redis-rate-limit-store.js';

/**
 * Creates a rate-limit store on an ioredis client.
 * @throws {TypeError} — when the client is not an ioredis client.
 * @example
 * ```ts
 * const auth = createAuth({ store, mailer, rateLimits: { store: createRedisRateLimitStore({ client: new Redis(url) }) } });
 * ```
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RedisRateLimitStore {
  return new RedisRateLimitStore(options);
}
