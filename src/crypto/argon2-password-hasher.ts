import { hash as argon2Hash, parseOptions, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import type { PasswordHasher } from '../ports/password-hasher.js';

/** Parameters of {@link Argon2PasswordHasher}. */
export interface Argon2Options {
  /**
   * Memory in KiB.
   * @default 19456 (19 MiB, OWASP's recommendation)
   */
  memoryCost?: number;
  /**
   * Passes over memory.
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

  constructor(options: Argon2Options = {}) {
    this.#options = {
      memoryCost: options.memoryCost ?? 19456,
      timeCost: options.timeCost ?? 2,
      parallelism: options.parallelism ?? 1,
    };
    for (const [name, value] of Object.entries(this.#options)) {
      if (!Number.isInteger(value) || value < 1) throw new TypeError(`Argon2PasswordHasher: ${name} must be a positive integer`);
    }
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
