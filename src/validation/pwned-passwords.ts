import { createHash } from 'node:crypto';
import type { PasswordCheck } from './password-policy.js';

/** Options of {@link pwnedPasswordsCheck}. */
export interface PwnedPasswordsOptions {
  /**
   * The range endpoint; the first five hex characters of the password's SHA-1 are appended.
   * @default 'https://api.pwnedpasswords.com/range/'
   */
  url?: string;
  /**
   * How many times a password must appear in breaches to be refused.
   * @default 1
   */
  minOccurrences?: number;
}

/**
 * A `passwords.check` that refuses passwords found in Have I Been Pwned's Pwned Passwords,
 * through its k-anonymity range API: only the first five hex characters of the password's
 * SHA-1 leave the process, and the answer (every suffix of that range, padded) is searched
 * locally. A failed request rejects, and gatehouse then accepts the password (see
 * `passwords.check`: the check fails open).
 *
 * @example
 * ```ts
 * import { createAuth, pwnedPasswordsCheck } from 'gatehouse';
 * const auth = createAuth({ store, mailer, passwords: { check: pwnedPasswordsCheck() } });
 * ```
 */
export function pwnedPasswordsCheck(options: PwnedPasswordsOptions = {}): PasswordCheck {
  const url = options.url ?? 'https://api.pwnedpasswords.com/range/';
  const minOccurrences = options.minOccurrences ?? 1;
  if (!/^https?:\/\//.test(url)) throw new TypeError('pwnedPasswordsCheck: url must be an http(s) URL');
  if (!Number.isInteger(minOccurrences) || minOccurrences < 1) throw new TypeError('pwnedPasswordsCheck: minOccurrences must be a positive integer');
  return async (password, { signal }) => {
    // SHA-1 here is the service's lookup key, not a password hash: only its 5-character prefix is sent.
    const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const response = await fetch(`${url}${digest.slice(0, 5)}`, { signal, headers: { 'Add-Padding': 'true' } });
    if (!response.ok) throw new Error(`Pwned Passwords answered ${response.status}`);
    const suffix = digest.slice(5);
    for (const line of (await response.text()).split('\n')) {
      const [candidate, count] = line.trim().split(':');
      if (candidate === suffix) return Number(count) < minOccurrences;
    }
    return true;
  };
}
