import { uuidv7Generator } from '../crypto/tokens.js';
import type { Clock, RandomSource } from '../ports/clock.js';

/** The time and the ids stamped on every record: one clock, one random source, time-ordered ids. */
export class Stamps {
  readonly #nextId: () => string;

  constructor(
    readonly clock: Clock,
    readonly random: RandomSource,
  ) {
    this.#nextId = uuidv7Generator(clock, random);
  }

  now(): Date {
    return this.clock.now();
  }

  /** A new UUIDv7. */
  newId(): string {
    return this.#nextId();
  }
}
