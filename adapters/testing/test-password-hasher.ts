import { Argon2PasswordHasher, type PasswordHasher } from 'gatehouse';

/** The test hasher's argon2id parameters: about a thousandth of the default cost. */
const TEST_PARAMETERS = { memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;
const ARGON2ID = 2;

/**
 * A {@link PasswordHasher} for test suites only: argon2id at a tiny cost (1 MiB, one pass),
 * so a suite that registers hundreds of users stays fast. It is a hasher of its own rather
 * than weak settings of `Argon2PasswordHasher`, which refuses anything below OWASP's floor.
 * NEVER use it in production: a stolen database would be cracked a thousand times faster.
 * It verifies what the default hasher verifies (argon2 at any cost, legacy bcrypt), and asks
 * for a rehash of every hash not made with its own parameters.
 *
 * @example
 * ```ts
 * const auth = createAuth({ store, mailer, hasher: new TestPasswordHasher() }); // tests only
 * ```
 */
export class TestPasswordHasher implements PasswordHasher {
  readonly #verifier = new Argon2PasswordHasher();

  async hash(password: string): Promise<string> {
    const { hash } = await import('@node-rs/argon2');
    return hash(password.normalize('NFKC'), { ...TEST_PARAMETERS, algorithm: ARGON2ID });
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.#verifier.verify(hash, password);
  }

  needsRehash(hash: string): boolean {
    const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(hash);
    return match === null || Number(match[1]) !== TEST_PARAMETERS.memoryCost || Number(match[2]) !== TEST_PARAMETERS.timeCost || Number(match[3]) !== TEST_PARAMETERS.parallelism;
  }
}
