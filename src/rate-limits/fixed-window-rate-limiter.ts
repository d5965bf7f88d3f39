import { AuthError } from '../errors.js';
import { checkRateLimit, type RateLimit, type RateLimitDecision } from '../ports/rate-limit-store.js';
import { FixedWindows } from './memory-rate-limit-store.js';

export type { RateLimit, RateLimitDecision } from '../ports/rate-limit-store.js';

/**
 * A small in-memory fixed-window rate limiter: at most `limit` hits per key in each window
 * of `window` seconds, counted from the key's first hit. It lives in one process: several
 * instances behind a load balancer each apply the limit. Limits that every instance shares
 * are counted in a `RateLimitStore` instead, through `auth.rateLimits`.
 *
 * @example
 * ```ts
 * const limiter = new FixedWindowRateLimiter({ limit: 100, window: 900 });
 * limiter.consume(rateLimitKey(ip)); // throws AuthError RATE_LIMITED with retryAfter on the 101st hit
 * ```
 */
export class FixedWindowRateLimiter {
  /** Hits allowed per window. */
  readonly limit: number;
  /** The window, in seconds. */
  readonly window: number;
  readonly #now: () => number;
  readonly #windows: FixedWindows;

  /** @throws {TypeError} — when `limit` or `window` is not a positive integer. */
  constructor(options: RateLimit & { now?: () => number; maxKeys?: number }) {
    const { limit, window } = checkRateLimit(options);
    this.limit = limit;
    this.window = window;
    this.#now = options.now ?? Date.now;
    this.#windows = new FixedWindows(options.maxKeys);
  }

  /** Counts a hit for `key` (`null`, an unknown client, shares one key) and says whether it is allowed. */
  hit(key: string | null): RateLimitDecision {
    return this.#windows.hit(key ?? '?', this.limit, this.window * 1000, this.#now());
  }

  /**
   * Counts a hit and throws when it is over the limit.
   * @throws {AuthError} RATE_LIMITED — with `retryAfter`.
   */
  consume(key: string | null): void {
    const decision = this.hit(key);
    if (!decision.allowed) throw new AuthError('RATE_LIMITED', { retryAfter: decision.retryAfter });
  }

  /** Forgets every count. */
  reset(): void {
    this.#windows.clear();
  }
}
