/*
 * The address of nearly every sign-in is plain ASCII. For such an address the checks of
 * `normalizeEmail()` that concern other scripts cannot fail and its mappings change nothing but
 * the case: NFC leaves ASCII as it is, ASCII letters are all Latin (no script can mix), and the
 * WHATWG host parser behind `url.domainToASCII()` only lower-cases a domain of letters, digits,
 * dots and hyphens whose labels are not punycode (`xn--`) — or refuses it when its last label is
 * a number, which the checks here refuse too. Answering those from the string itself spares each
 * sign-in the ICU calls and the Unicode script expressions: run right after a 19 MiB argon2id
 * hash has pushed them out of the caches, they were the largest part of a memory-store
 * sign-in's work outside the hash (~0.15 ms of ~0.5 ms; docs/performance.md, issue 21, branch
 * signin-c1). `test/unit/ascii-email.test.ts` checks that the answers are the full path's.
 */

/** Only what RFC 5322's dot-atom allows in a local part: letters, digits, `.` and `!#$%&'*+/=?^_\`{|}~-`. */
const ASCII_LOCAL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+$/;
/** Only letters, digits, dots and hyphens. */
const ASCII_DOMAIN = /^[a-zA-Z0-9.-]+$/;
/** One label of an ASCII domain: letters, digits and inner hyphens, at most 63. */
export const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** A last label the WHATWG host parser reads as an IPv4 part (`ends in a number`): decimal, or `0x` hex. */
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/;

/**
 * A local part made only of dot-atom ASCII characters, as `normalizeEmail()` stores it
 * (lower-cased), `null` when it refuses it, or `undefined` when it holds anything else (the
 * full path decides).
 */
export function asciiLocalPart(raw: string): string | null | undefined {
  if (!ASCII_LOCAL.test(raw)) return undefined;
  if (raw.startsWith('.') || raw.endsWith('.') || raw.includes('..') || raw.length > 64) return null;
  return raw.toLowerCase();
}

/**
 * A domain of ASCII letters, digits, dots and hyphens, none of its labels punycode, as
 * `normalizeEmail()` stores it (lower-cased), `null` when it refuses it, or `undefined` when it
 * holds anything else (the full path decides).
 */
export function asciiDomain(raw: string): string | null | undefined {
  if (!ASCII_DOMAIN.test(raw)) return undefined;
  const domain = raw.toLowerCase();
  const labels = domain.split('.');
  if (labels.some((label) => label.startsWith('xn--'))) return undefined;
  if (labels.length < 2 || domain.length > 253) return null;
  if (!labels.every((label) => ASCII_LABEL.test(label)) || NUMERIC_LABEL.test(labels[labels.length - 1]!)) return null;
  return domain;
}
