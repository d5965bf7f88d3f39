import { domainToASCII } from 'node:url';
import { isValidEmail } from 'gatehouse';

/** What becomes of a legacy address: the address gatehouse stores, or why it cannot take it. */
export type EmailVerdict = { readonly ok: true; readonly email: string } | { readonly ok: false; readonly reason: string };

/**
 * Turns a legacy address into the one gatehouse stores: the domain in its ASCII (`xn--`)
 * form, everything lower-cased. An address gatehouse would refuse is never adjusted
 * into another one: its verdict says why, so that the import reports it by name.
 */
export function importableEmail(raw: string): EmailVerdict {
  const text = raw.trim();
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return { ok: false, reason: 'not an email address' };
  const local = text.slice(0, at);
  // Checked before lower-casing: 'K' (U+212A, Kelvin) lower-cases to an ASCII 'k' and would land on another person's address.
  if (!/^[\x21-\x7e]+$/.test(local)) return { ok: false, reason: 'the part before @ has characters outside ASCII, which gatehouse does not accept' };
  // IDNA (UTS #46), as a browser or a mail server resolves the domain: peñalara.com.co → xn--pealara-zwa.com.co.
  const domain = domainToASCII(text.slice(at + 1));
  if (domain === '') return { ok: false, reason: 'the domain is not a valid domain name' };
  const email = `${local.toLowerCase()}@${domain}`;
  return isValidEmail(email) ? { ok: true, email } : { ok: false, reason: 'not an address gatehouse accepts' };
}
