import { FixedWindowRateLimiter } from '../rate-limits/fixed-window-rate-limiter.js';

/** Entries per actor a minute, whatever they were refused: a client probing many routes writes no more. */
const PER_ACTOR = 10;
/** Actors and refusals remembered at most; beyond that the oldest are forgotten, so memory stays bounded. */
const MAX_KEYS = 10_000;

/**
 * Keeps refused requests from flooding the activity log: at most one entry per actor and
 * refusal (a permission, a role or a route) a minute, and at most ten per actor a minute.
 * In memory, per process: several instances each apply it.
 */
export class RefusalThrottle {
  readonly #perRefusal: FixedWindowRateLimiter;
  readonly #perActor: FixedWindowRateLimiter;

  /** @param now — milliseconds since the epoch, from the auth's clock. */
  constructor(now: () => number) {
    this.#perRefusal = new FixedWindowRateLimiter({ limit: 1, window: 60, now, maxKeys: MAX_KEYS });
    this.#perActor = new FixedWindowRateLimiter({ limit: PER_ACTOR, window: 60, now, maxKeys: MAX_KEYS });
  }

  /** Whether a refusal of `actor` (a user id, or a client address) for `refusal` is to be logged now. */
  admit(actor: string, refusal: string): boolean {
    // A repeat is dropped before it counts against the actor's budget.
    return this.#perRefusal.hit(`${actor}\n${refusal}`).allowed && this.#perActor.hit(actor).allowed;
  }
}
