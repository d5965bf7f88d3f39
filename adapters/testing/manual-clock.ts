import type { Clock } from 'gatehouse';

/**
 * A {@link Clock} that only moves when told, for testing expiry.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * const auth = createAuth({ store, mailer, clock });
 * clock.advance(31 * 60); // past the idle timeout
 * ```
 */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: Date = new Date('2030-01-01T00:00:00.000Z')) {
    this.#now = start.getTime();
  }

  /** The clock's current instant (a fresh `Date` each call). */
  now(): Date {
    return new Date(this.#now);
  }

  /** Moves forward by `seconds` (fractions allowed). */
  advance(seconds: number): void {
    this.#now += Math.round(seconds * 1000);
  }

  /** Jumps to an instant. */
  set(instant: Date): void {
    this.#now = instant.getTime();
  }
}
