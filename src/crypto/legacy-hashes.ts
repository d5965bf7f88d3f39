import type { PasswordHasher } from '../ports/password-hasher.js';

/**
 * Verifies a password against a hash of another scheme than gatehouse's own (bcrypt,
 * argon2id, argon2i), e.g. a salted SHA-1 of an old PHP module: resolves whether they match.
 * It must compare in constant time, and answer `false` (never throw) for a malformed hash.
 */
export type PasswordVerifier = (hash: string, password: string) => boolean | Promise<boolean>;

/** How a hash of a plugged-in scheme is stored: `$legacy$<scheme>$<the hash as it was>`. */
const LEGACY_PREFIX = /^\$legacy\$([a-zA-Z][a-zA-Z0-9_-]{0,31})\$/;

/** The stored form of a hash of a plugged-in scheme (see {@link withPasswordVerifiers}). */
export function legacyHash(scheme: string, hash: string): string {
  return `$legacy$${scheme}$${hash}`;
}

/** Whether a scheme name can be plugged in: a letter, then letters, digits, `_` or `-`, at most 32. */
export function isVerifierScheme(scheme: string): boolean {
  return LEGACY_PREFIX.test(`$legacy$${scheme}$`);
}

/**
 * Wraps a hasher so that hashes imported under a plugged-in scheme verify through their
 * verifier and always need a rehash: the first sign-in replaces them with argon2id. Any
 * other hash goes to the hasher as before.
 */
export function withPasswordVerifiers(hasher: PasswordHasher, verifiers: Readonly<Record<string, PasswordVerifier>>): PasswordHasher {
  if (Object.keys(verifiers).length === 0) return hasher;
  return {
    hash: (password) => hasher.hash(password),
    async verify(hash, password) {
      const legacy = LEGACY_PREFIX.exec(hash);
      if (legacy === null) return hasher.verify(hash, password);
      const verifier = Object.hasOwn(verifiers, legacy[1]!) ? verifiers[legacy[1]!] : undefined;
      if (verifier === undefined) return false;
      try {
        return (await verifier(hash.slice(legacy[0].length), password)) === true;
      } catch {
        return false;
      }
    },
    needsRehash: (hash) => LEGACY_PREFIX.test(hash) || hasher.needsRehash(hash),
  };
}

/**
 * Whether a password that just verified may replace its hash. Not a bcrypt hash with a
 * password longer than 72 bytes: bcrypt ignored the rest, so this password may be another
 * one than the user's own (a variant sharing the first 72 bytes), and hashing it would lock
 * the user out of their real password. Such a hash stays bcrypt until the password changes.
 */
export function isRehashable(hash: string, password: string): boolean {
  return !(/^\$2[aby]\$/.test(hash) && Buffer.byteLength(password, 'utf8') > 72);
}
