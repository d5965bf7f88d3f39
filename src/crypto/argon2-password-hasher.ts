import { hash as argon2Hash, parseOptions, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import type { PasswordHasher } from '../ports/password-hasher.js';

/** Parameters of {@link Argon2PasswordHasher}; lower than OWASP's are refused. */
export interface Argon2Options {
  /**
   * Memory in KiB; at least 19456.
   * @default 19456 (19 MiB, OWASP's recommendation)
   */
  memoryCost?: number;
  /**
   * Passes over memory; at least 2.
   * @default 2
   */
  timeCost?: number;
  /**
   * Lanes.
   * @default 1
   */
  parallelism?: number;
}

// `Algorithm.Argon2id` of @node-rs/argon2 is a const enum, which isolated modules cannot inline.
const ARGON2ID = 2;
const LEGACY_BCRYPT = /^\$2[aby]\$\d\d\$/;

/** The least argon2id parameters accepted: OWASP's recommendation (19 MiB, two passes). */
const ARGON2_FLOOR = { memoryCost: 19456, timeCost: 2 } as const;

/**
 * The default {@link PasswordHasher}: argon2id at OWASP's parameters. It also verifies
 * legacy bcrypt hashes (`$2a$`, `$2b$`, PHP's `$2y$`) and reports them as needing a rehash,
 * so accounts imported from older systems move to argon2id at their next login.
 *
 * Passwords are NFKC-normalised before argon2id hashing, so the same password typed on
 * different keyboards (composed or decomposed accents) verifies.
 */
export class Argon2PasswordHasher implements PasswordHasher {
  readonly #options: Required<Argon2Options>;

  /** @throws {TypeError} — a parameter that is not a positive integer, or below OWASP's floor (m=19456, t=2). */
  constructor(options: Argon2Options = {}) {
    this.#options = {
      memoryCost: options.memoryCost ?? 19456,
      timeCost: options.timeCost ?? 2,
      parallelism: options.parallelism ?? 1,
    };
    for (const [name, value] of Object.entries(this.#options)) {
      if (!Number.isInteger(value) || value < 1) throw new TypeError(`Argon2PasswordHasher: ${name} must be a positive integer`);
    }
    // OWASP's floor for argon2id. Tests that need speed use a PasswordHasher of their own, not weaker settings here.
    if (this.#options.memoryCost < ARGON2_FLOOR.memoryCost) throw new TypeError(`Argon2PasswordHasher: memoryCost must be at least ${ARGON2_FLOOR.memoryCost} KiB (OWASP)`);
    if (this.#options.timeCost < ARGON2_FLOOR.timeCost) throw new TypeError(`Argon2PasswordHasher: timeCost must be at least ${ARGON2_FLOOR.timeCost} (OWASP)`);
  }

  hash(password: string): Promise<string> {
    return argon2Hash(password.normalize('NFKC'), { ...this.#options, algorithm: ARGON2ID });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      // bcrypt hashes come from older systems that hashed the raw string: verify it as they did.
      if (LEGACY_BCRYPT.test(hash)) return await bcrypt.compare(password, hash);
      if (hash.startsWith('$argon2')) return await argon2Verify(hash, password.normalize('NFKC'));
      return false;
    } catch {
      return false; // a malformed hash verifies nothing
    }
  }

  needsRehash(hash: string): boolean {
    if (!hash.startsWith('$argon2id$')) return true;
    try {
      const used = parseOptions(hash);
      return (
        used.memoryCost !== this.#options.memoryCost ||
        used.timeCost !== this.#options.timeCost ||
        used.parallelism !== this.#options.parallelism
      );
    } catch {
      return true;
    }
  }
}
