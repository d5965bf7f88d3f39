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

/** The parameters of a PHC argon2id string: `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`. */
const ARGON2ID_PARAMETERS = /^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/;

/** What the hasher calls of `@node-rs/argon2`. */
type Argon2Binding = Pick<typeof import('@node-rs/argon2'), 'hash' | 'verify'>;

let binding: Promise<Argon2Binding> | undefined;
/** The binding once loaded: a verify then starts at the call, not a microtask later (see `services/hash-shadow.ts`). */
let loaded: Argon2Binding | undefined;

/**
 * `@node-rs/argon2`, loaded when the default hasher is first used rather than when gatehouse
 * is imported: an application with a hasher of its own runs where the native binary is
 * missing (a lockfile made on another platform). A missing binary fails with what fixes it.
 */
function argon2(): Promise<Argon2Binding> {
  binding ??= import('@node-rs/argon2').then(
    (module) => (loaded = module),
    (error: unknown) => {
      binding = undefined;
      throw new Error(
        `gatehouse: the argon2 binding (@node-rs/argon2) for ${process.platform}-${process.arch} could not be loaded. ` +
          'Reinstall @node-rs/argon2 for this platform: run `npm rebuild @node-rs/argon2`, or `npm install --force` ' +
          '(a package-lock.json made on another OS or CPU lacks this platform\'s binary); ' +
          'or pass a hasher of your own: createAuth({ hasher }).',
        { cause: error },
      );
    },
  );
  return binding;
}

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

  /** @throws {Error} when the argon2 binding cannot be loaded on this platform; the message says how to fix it. */
  async hash(password: string): Promise<string> {
    const { hash } = await argon2();
    return hash(password.normalize('NFKC'), { ...this.#options, algorithm: ARGON2ID });
  }

  /** @throws {Error} for an argon2 hash when the argon2 binding cannot be loaded on this platform (never a silent `false`). */
  async verify(hash: string, password: string): Promise<boolean> {
    // bcrypt hashes come from older systems that hashed the raw string: verify it as they did.
    const legacy = LEGACY_BCRYPT.test(hash);
    if (!legacy && !hash.startsWith('$argon2')) return false;
    // Outside the try: a missing binding is a broken install to report, not a wrong password.
    const verifyArgon2 = legacy ? null : (loaded ?? (await argon2())).verify;
    try {
      return verifyArgon2 === null ? await bcrypt.compare(password, hash) : await verifyArgon2(hash, password.normalize('NFKC'));
    } catch {
      return false; // a malformed hash verifies nothing
    }
  }

  needsRehash(hash: string): boolean {
    // Read from the hash itself, so that this synchronous answer never needs the binding.
    const used = ARGON2ID_PARAMETERS.exec(hash);
    if (used === null) return true;
    return Number(used[1]) !== this.#options.memoryCost || Number(used[2]) !== this.#options.timeCost || Number(used[3]) !== this.#options.parallelism;
  }
}
