import type { Cluster, Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AuthError, type RateLimitDecision, type RateLimitHit, type RateLimitStore } from 'gatehouse';

/** Options of a {@link RedisRateLimitStore}. */
export interface RedisRateLimitStoreOptions {
  /**
   * An `ioredis` client, or cluster client, connected by the application: the store sends its
   * commands through it and never closes it. The store defines one Lua command on it (`rlflxIncr`).
   */
  readonly client: Redis | Cluster;
  /**
   * Starts the name of every key the store writes (`<keyPrefix>:<key>`), keeping them apart
   * from the application's own keys; give each application sharing a Redis its own.
   * @default 'gatehouse:rate'
   */
  readonly keyPrefix?: string | undefined;
}

/** Limiters kept at most, one per (limit, window) pair: an application uses a handful. */
const MAX_LIMITERS = 100;

/**
 * A {@link RateLimitStore} on Redis, for limits that several instances of an application
 * share at high rates. Each hit is one atomic Lua script (`rate-limiter-flexible`'s
 * `RateLimiterRedis`): it increments the key's count and starts its window with an expiry,
 * so windows are measured by Redis's clock and end by themselves.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createAuth } from 'gatehouse';
 * import { createRedisRateLimitStore } from 'gatehouse/redis';
 *
 * const redis = new Redis(process.env.REDIS_URL!);
 * const auth = createAuth({ store, mailer, rateLimits: { store: createRedisRateLimitStore({ client: redis }) } });
 * ```
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: Redis | Cluster;
  readonly #keyPrefix: string;
  readonly #limiters = new Map<string, RateLimiterRedis>();

  /** @throws {TypeError} — when the client is not an ioredis client or the prefix is not a non-empty string. */
  constructor(options: RedisRateLimitStoreOptions) {
    const client = options?.client as Partial<Redis> | undefined;
    if (typeof client?.defineCommand !== 'function' || typeof client.multi !== 'function') {
      throw new TypeError('gatehouse/redis: { client } must be an ioredis Redis or Cluster client');
    }
    const keyPrefix = options.keyPrefix ?? 'gatehouse:rate';
    if (typeof keyPrefix !== 'string' || keyPrefix.length === 0) throw new TypeError('gatehouse/redis: keyPrefix must be a non-empty string');
    this.#client = options.client;
    this.#keyPrefix = keyPrefix;
  }

  /**
   * Counts one hit on `key` in Redis. The window is measured by Redis (the hit's `at` is not used).
   * @throws {AuthError} STORAGE_FAILED — Redis did not answer or refused the command (`cause` says why).
   */
  async hitRateLimit(key: string, hit: RateLimitHit): Promise<RateLimitDecision> {
    let result: RateLimiterRes;
    let allowed = true;
    try {
      result = await this.#limiter(hit.limit, hit.window).consume(key);
    } catch (error) {
      // The library rejects with its result when the limit is exceeded, with an Error when Redis failed.
      if (!(error instanceof RateLimiterRes)) throw new AuthError('STORAGE_FAILED', { cause: error });
      result = error;
      allowed = false;
    }
    return { allowed, remaining: result.remainingPoints, retryAfter: Math.max(1, Math.ceil(result.msBeforeNext / 1000)) };
  }

  #limiter(limit: number, window: number): RateLimiterRedis {
    const id = `${limit}/${window}`;
    let limiter = this.#limiters.get(id);
    if (limiter === undefined) {
      if (this.#limiters.size >= MAX_LIMITERS) this.#limiters.delete(this.#limiters.keys().next().value!);
      limiter = new RateLimiterRedis({ storeClient: this.#client, keyPrefix: this.#keyPrefix, points: limit, duration: window });
      this.#limiters.set(id, limiter);
    }
    return limiter;
  }
}
