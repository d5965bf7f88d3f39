import { randomBytes } from 'node:crypto';

/** The time port, injectable so tests control expiry. */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

/** The randomness port, injectable for tests. Production code MUST use a CSPRNG. */
export interface RandomSource {
  /** `size` cryptographically secure random bytes. */
  bytes(size: number): Uint8Array;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };

/** Node's CSPRNG (`crypto.randomBytes`). */
export const cryptoRandom: RandomSource = { bytes: (size) => randomBytes(size) };
