import { AuthError } from '../errors.js';
import { checkRateLimit, type RateLimit, type RateLimitDecision } from '../ports/rate-limit-store.js';
import type { RateLimitStore } from '../ports/rate-limit-store.js';
import type { Stamps } from './stamps.js';


/** What the rate-limit service works with. */
export interface RateLimitServiceDeps {
  /** Where rate limits are counted. */
  readonly rateLimits: RateLimitStore;
  readonly stamps: Stamps;
}
/**
 * Rate limits counted in the rate-limit store (`rateLimits.store` of `createAuth`), so that
 * every instance counting in the same store shares them: the HTTP layer's per-IP limits and
 * the per-address mail limits count here, and so may the application's own limits. Name
 * keys by what they limit (`app:export:<userId>`); gatehouse's own start with `http:` and `mail:`.
 */
export class RateLimitService {
  constructor(private readonly deps: RateLimitServiceDeps) {}

  /**
   * Counts one hit on `key` against `limit` and says whether it is allowed.
   * @throws {TypeError} — when `limit` is not whole positive numbers of hits and seconds.
   * @throws {AuthError} STORAGE_FAILED — the store could not count.
   */
  hit(key: string, limit: RateLimit): Promise<RateLimitDecision> {
    checkRateLimit(limit);
    if (typeof key !== 'string' || key.length === 0) throw new TypeError('rate limit: key must be a non-empty string');
    return this.deps.rateLimits.hitRateLimit(key, { limit: limit.limit, window: limit.window, at: this.deps.stamps.now() });
  }

  /**
   * Counts one hit on `key` and refuses it past the limit.
   * @throws {AuthError} RATE_LIMITED — over the limit, with `retryAfter` (seconds).
   * @throws {AuthError} STORAGE_FAILED — the store could not count.
   */
  async consume(key: string, limit: RateLimit): Promise<void> {
    const decision = await this.hit(key, limit);
    if (!decision.allowed) throw new AuthError('RATE_LIMITED', { retryAfter: decision.retryAfter });
  }
}
