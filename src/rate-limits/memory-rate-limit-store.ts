import { rateLimitDecision, type RateLimitDecision, type RateLimitHit, type RateLimitStore } from '../ports/rate-limit-store.js';

/** Keys tracked at most; beyond this the oldest windows are forgotten first, so memory stays bounded. */
export const DEFAULT_MAX_KEYS = 100_000;

/**
 * Fixed windows of hits per key, in memory, bounded in size: what {@link MemoryRateLimitStore}
 * and `FixedWindowRateLimiter` count with.
 */
export class FixedWindows {
  readonly #windows = new Map<string, { hits: number; resetAt: number }>();
  #sweepAt = 0;

  constructor(private readonly maxKeys: number = DEFAULT_MAX_KEYS) {}

  /** Counts a hit on `key` at `now` (epoch milliseconds) against `limit` hits per `windowMs`. */
  hit(key: string, limit: number, windowMs: number, now: number): RateLimitDecision {
    // Ended windows go once per window length, so idle keys do not accumulate.
    if (now >= this.#sweepAt) {
      this.#sweepAt = now + windowMs;
      this.deleteBefore(now);
    }
    let entry = this.#windows.get(key);
    if (entry === undefined || entry.resetAt <= now) {
      if (entry !== undefined) this.#windows.delete(key);
      else if (this.#windows.size >= this.maxKeys) this.#windows.delete(this.#windows.keys().next().value!);
      entry = { hits: 0, resetAt: now + windowMs };
      this.#windows.set(key, entry);
    }
    entry.hits += 1;
    return rateLimitDecision(entry.hits, limit, new Date(entry.resetAt), new Date(now));
  }

  /** Forgets windows that ended at or before `now`; returns how many. */
  deleteBefore(now: number): number {
    let count = 0;
    for (const [key, entry] of this.#windows) {
      if (entry.resetAt <= now) {
        this.#windows.delete(key);
        count += 1;
      }
    }
    return count;
  }

  /** Forgets every window. */
  clear(): void {
    this.#windows.clear();
  }
}

/**
 * A {@link RateLimitStore} in this process's memory: for tests, and for an application that
 * runs one instance. Several instances each count on their own (multiply the limits by their
 * number): give them a store they share instead, such as their PostgreSQL or MySQL store, or
 * `RedisRateLimitStore` from `gatehouse/redis`. At most 100,000 keys are tracked; the oldest
 * windows are forgotten first.
 *
 * @example
 * ```ts
 * const auth = createAuth({ store, mailer, rateLimits: { store: new MemoryRateLimitStore() } });
 * ```
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows: FixedWindows;

  constructor(options: { maxKeys?: number } = {}) {
    this.#windows = new FixedWindows(options.maxKeys);
  }

  hitRateLimit(key: string, hit: RateLimitHit): Promise<RateLimitDecision> {
    return Promise.resolve(this.#windows.hit(key, hit.limit, hit.window * 1000, hit.at.getTime()));
  }

  deleteRateLimitsBefore(before: Date): Promise<number> {
    return Promise.resolve(this.#windows.deleteBefore(before.getTime()));
  }
}
