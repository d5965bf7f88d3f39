import { normalizeEmail } from 'gatehouse';

/** What becomes of a legacy address: the address gatehouse stores, or why it cannot take it. */
export type EmailVerdict =
  | {
      /** Gatehouse can take the address. */
      readonly ok: true;
      /** The address as gatehouse stores it (`normalizeEmail()`): lower-cased, local part in NFC, domain in `xn--` form. */
      readonly email: string;
    }
  | {
      /** Gatehouse cannot take the address. */
      readonly ok: false;
      /** Why, in words for a report: `not an email address`, or which part gatehouse does not accept. */
      readonly reason: string;
    };

/**
 * Turns a legacy address into the one gatehouse stores, exactly as sign-in reads what a
 * person types (`normalizeEmail`): the domain in its ASCII (`xn--`) form, the local part in
 * NFC, everything lower-cased. An address gatehouse would refuse is never adjusted into
 * another one: its verdict says why, so that the import reports it by name.
 */
export function importableEmail(raw: string): EmailVerdict {
  const text = raw.trim();
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return { ok: false, reason: 'not an email address' };
  const email = normalizeEmail(text);
  if (email !== null) return { ok: true, email };
  if (normalizeEmail(`a@${text.slice(at + 1)}`) === null) return { ok: false, reason: 'the domain is not a domain name gatehouse accepts' };
  return { ok: false, reason: 'the part before @ is not one gatehouse accepts (quotes, spaces, or a look-alike or invisible character)' };
}
