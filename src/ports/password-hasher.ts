/** The password hashing port. */
export interface PasswordHasher {
  /** Hashes a password for storage. */
  hash(password: string): Promise<string>;
  /** Whether `password` matches `hash`; `false` (never an exception) for a malformed or unknown hash. */
  verify(hash: string, password: string): Promise<boolean>;
  /** Whether a hash that just verified should be replaced by a fresh one (legacy algorithm or old parameters). */
  needsRehash(hash: string): boolean;
}
