/** A limit of `limit` hits per `window` seconds. */
export interface RateLimit {
  /** Hits allowed per window. */
  readonly limit: number;
  /** Seconds. */
  readonly window: number;
}

/** What a hit on a rate limit answers. */
export interface RateLimitDecision {
  /** Whether this hit is within the limit. */
  readonly allowed: boolean;
  /** Seconds until the current window ends (when a refused client may try again), at least 1. */
  readonly retryAfter: number;
  /** Hits left in the current window. */
  readonly remaining: number;
}

/** One hit on a rate limit: the limit, and the instant of the hit by gatehouse's clock. */
export interface RateLimitHit extends RateLimit {
  /** The instant of the hit, by gatehouse's clock. */
  readonly at: Date;
}

/**
 * Where rate limits are counted, in fixed windows: a key's window starts with its first hit
 * and lasts `window` seconds; the first hit at or after its end starts a new one. Every
 * instance of an application that counts in the same store shares the counts.
 *
 * Implementations: `MemoryRateLimitStore` (one process), the memory store and the
 * PostgreSQL and MySQL stores (which count in the database they already use, so the app's
 * instances share limits with no other service), and `RedisRateLimitStore` from
 * `gatehouse/redis`. The suite `rateLimitConformanceCases` of `gatehouse/testing` checks each MUST.
 */
export interface RateLimitStore {
  /**
   * Counts one hit on `key` and says whether it is within the limit.
   * - MUST count atomically: of any number of concurrent hits on one key in one window, from
   *   any process sharing the store, exactly `limit` are allowed.
   * - MUST answer `remaining`, the hits left in the window (0 once the limit is reached),
   *   and `retryAfter`, the whole seconds until the window ends, at least 1.
   * - MUST keep keys apart: hits on one key never count against another.
   * - MUST start a new window with the first hit at or after the end of the current one. A
   *   store that keeps time itself (Redis) MAY measure windows by its own clock instead of `at`.
   */
  hitRateLimit(key: string, hit: RateLimitHit): Promise<RateLimitDecision>;
  /**
   * Deletes windows that ended at or before `before`; resolves how many. Optional: a store
   * whose windows expire by themselves (Redis) has nothing to delete.
   */
  deleteRateLimitsBefore?(before: Date): Promise<number>;
}

/** The decision for a window holding `hits` hits (this one included) that ends at `resetAt`. */
export function rateLimitDecision(hits: number, limit: number, resetAt: Date, at: Date): RateLimitDecision {
  return {
    allowed: hits <= limit,
    retryAfter: Math.max(1, Math.ceil((resetAt.getTime() - at.getTime()) / 1000)),
    remaining: Math.max(0, limit - hits),
  };
}

/**
 * Checks a rate limit given as an option: whole numbers of hits and seconds, at least 1.
 * @throws {TypeError} — when `limit` or `window` is not a positive integer.
 */
export function checkRateLimit(rule: RateLimit, name = 'rate limit'): RateLimit {
  if (!Number.isInteger(rule?.limit) || rule.limit < 1) throw new TypeError(`${name}: limit must be a positive integer`);
  if (!Number.isInteger(rule.window) || rule.window < 1) throw new TypeError(`${name}: window must be a positive integer (seconds)`);
  return rule;
}
