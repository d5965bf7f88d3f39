import { AuthError } from '../errors.js';

/** A limit of `limit` requests per `window` seconds. */
export interface RateLimit {
  readonly limit: number;
  /** Seconds. */
  readonly window: number;
}

/** What {@link FixedWindowRateLimiter.hit} answers. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Seconds until the current window ends (when a refused client may try again). */
  readonly retryAfter: number;
  /** Requests left in the current window. */
  readonly remaining: number;
}

/** Keys tracked at most; beyond this the oldest windows are forgotten first, so memory stays bounded. */
const DEFAULT_MAX_KEYS = 100_000;

/**
 * A small in-memory fixed-window rate limiter: at most `limit` hits per key in each window
 * of `window` seconds, counted from the key's first hit. It lives in one process: several
 * instances behind a load balancer each apply the limit (multiply it by their number), which
 * is the intended use for the generous per-IP limits of registration and reset requests.
 *
 * @example
 * ```ts
 * const limiter = new FixedWindowRateLimiter({ limit: 100, window: 900 });
 * limiter.consume(rateLimitKey(ip)); // throws AuthError RATE_LIMITED with retryAfter on the 101st hit
 * ```
 */
export class FixedWindowRateLimiter {
  readonly limit: number;
  readonly window: number;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #windows = new Map<string, { count: number; resetAt: number }>();
  #sweepAt = 0;

  /** @throws {TypeError} — when `limit` or `window` is not a positive integer. */
  constructor(options: RateLimit & { now?: () => number; maxKeys?: number }) {
    const { limit, window } = options;
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError('rate limit: limit must be a positive integer');
    if (!Number.isInteger(window) || window < 1) throw new TypeError('rate limit: window must be a positive integer (seconds)');
    this.limit = limit;
    this.window = window;
    this.#now = options.now ?? Date.now;
    this.#maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  }

  /** Counts a hit for `key` (`null`, an unknown client, shares one key) and says whether it is allowed. */
  hit(key: string | null): RateLimitDecision {
    const now = this.#now();
    this.#sweep(now);
    const id = key ?? '?';
    let entry = this.#windows.get(id);
    if (entry === undefined || entry.resetAt <= now) {
      if (entry !== undefined) this.#windows.delete(id);
      else if (this.#windows.size >= this.#maxKeys) this.#windows.delete(this.#windows.keys().next().value!);
      entry = { count: 0, resetAt: now + this.window * 1000 };
      this.#windows.set(id, entry);
    }
    entry.count += 1;
    const retryAfter = Math.max(1, Math.ceil((entry.resetAt - now) / 1000));
    return { allowed: entry.count <= this.limit, retryAfter, remaining: Math.max(0, this.limit - entry.count) };
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

  // Drops ended windows once per window length, so idle keys do not accumulate.
  #sweep(now: number): void {
    if (now < this.#sweepAt) return;
    this.#sweepAt = now + this.window * 1000;
    for (const [id, entry] of this.#windows) if (entry.resetAt <= now) this.#windows.delete(id);
  }
}
