import { AuthError } from '../errors.js';
import { COMMON_PASSWORDS } from './common-passwords.js';
import type { z } from 'zod';
import { newPasswordSchema } from './schemas.js';

/** Who the password is for, so it cannot simply repeat their own details. */
export interface PasswordOwner {
  readonly email: string;
  readonly name?: string | undefined;
}

/**
 * The password policy: length bounds (checked as input validation) and a blocklist of
 * common passwords plus the owner's own email and name (checked as weakness).
 */
export class PasswordPolicy {
  readonly #blocked: ReadonlySet<string>;
  /** The schema of a new password's length, for input schemas. */
  readonly schema: z.ZodString;

  constructor(minLength: number, maxLength: number, blocklist: readonly string[]) {
    this.#blocked = new Set([...COMMON_PASSWORDS, ...blocklist].map(fold));
    this.schema = newPasswordSchema(minLength, maxLength);
  }

  /**
   * Refuses a guessable new password (its length was checked by {@link schema}).
   * @throws {AuthError} WEAK_PASSWORD — a common password, or the owner's email or name.
   */
  assertNotGuessable(password: string, owner: PasswordOwner, field: string): void {
    const folded = fold(password);
    const personal = [owner.email, owner.email.split('@')[0] ?? '', owner.name ?? ''].map(fold).filter((s) => s.length > 0);
    if (this.#blocked.has(folded) || personal.includes(folded)) {
      throw new AuthError('WEAK_PASSWORD', {
        issues: [{ path: [field], code: 'common_password', message: 'This password is too common or too easy to guess.' }],
      });
    }
  }
}

function fold(value: string): string {
  return value.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
}
