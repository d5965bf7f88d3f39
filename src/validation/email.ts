import { domainToASCII, domainToUnicode } from 'node:url';
import { ASCII_LABEL, asciiDomain, asciiLocalPart } from './ascii-email.js';

/** What RFC 5322's dot-atom allows in a local part besides letters and digits (no quotes, no comments). */
const ASCII_ATEXT = /^[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]$/;
/** The scripts whose letters pass for each other (Latin a, Cyrillic а, Greek α): one text may use one of them. */
const CONFUSABLE_SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Cyrillic}/u, /\p{Script=Greek}/u] as const;

/** Whether a non-ASCII code point may stand in an address: a letter, mark or digit that is its own normal form and no ASCII letter's case twin. */
function isAcceptableUnicode(ch: string): boolean {
  // A character that normalisation changes on its own (Kelvin sign K → K, compatibility forms
  // such as full-width ａ or the ligature ﬁ) only looks like another one: refused, never mapped.
  if (!/^[\p{L}\p{M}\p{N}]$/u.test(ch) || ch.normalize('NFC') !== ch || ch.normalize('NFKC') !== ch) return false;
  // Nor one whose upper or lower case holds an ASCII letter (dotless ı → I, İ → i̇, long ſ → S,
  // ß → SS): case-insensitive matching elsewhere would make it another address's twin.
  return !/[\u0000-\u007f]/.test(ch.toUpperCase() + ch.toLowerCase());
}

/** Whether a text mixes Latin, Cyrillic and Greek letters (`pаypal` with a Cyrillic а). */
function mixesScripts(text: string): boolean {
  return CONFUSABLE_SCRIPTS.filter((script) => script.test(text)).length > 1;
}

/** A local part as it is stored (NFC, lower-cased), or `null` when gatehouse does not accept it. */
function normalizeLocalPart(raw: string): string | null {
  const ascii = asciiLocalPart(raw);
  if (ascii !== undefined) return ascii;
  for (const ch of raw) {
    if (ch !== '.' && !ASCII_ATEXT.test(ch) && (ch.charCodeAt(0) < 0x80 || !isAcceptableUnicode(ch))) return null;
  }
  const local = raw.normalize('NFC').toLowerCase().normalize('NFC');
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
  if (Buffer.byteLength(local, 'utf8') > 64 || mixesScripts(local)) return null;
  return local;
}

/** A domain in its ASCII form (IDNA, UTS #46: `peñalara.com.co` → `xn--pealara-zwa.com.co`), or `null`. */
function normalizeDomain(raw: string): string | null {
  const plain = asciiDomain(raw);
  if (plain !== undefined) return plain;
  for (const ch of raw) {
    if (ch.charCodeAt(0) < 0x80 ? !/^[a-zA-Z0-9.-]$/.test(ch) : !isAcceptableUnicode(ch)) return null;
  }
  const labels = raw.normalize('NFC').split('.');
  if (labels.length < 2 || labels.some((label) => label === '' || mixesScripts(label))) return null;
  const ascii = domainToASCII(labels.join('.'));
  if (ascii === '' || ascii.length > 253) return null;
  const asciiLabels = ascii.split('.');
  // An `xn--` label written in ASCII is checked as what it stands for.
  if (domainToUnicode(ascii).split('.').some(mixesScripts)) return null;
  if (!asciiLabels.every((label) => ASCII_LABEL.test(label)) || /^[0-9]+$/.test(asciiLabels[asciiLabels.length - 1]!)) return null;
  return ascii;
}

/**
 * An email address as gatehouse stores and compares it, or `null` when it is not one
 * gatehouse accepts. The domain is turned into its ASCII (`xn--`) form, as a browser or a
 * mail server resolves it, so `ana@peñalara.com.co` and `ana@xn--pealara-zwa.com.co` are
 * one address. The local part may hold letters of any script (RFC 6531) besides the ASCII
 * dot-atom characters; it is stored in NFC (composed accents, however it was typed) and
 * lower-cased like the rest.
 *
 * Refused rather than mapped: quoted local parts and comments, IP literals, control and
 * invisible characters, any character that normalisation alone changes (the Kelvin sign,
 * full-width letters, ligatures) or whose upper or lower case holds an ASCII letter (dotless
 * ı, İ, long ſ, ß) — look-alikes of other addresses, CVE-2019-19844 — and a local part or a
 * domain label that mixes Latin, Cyrillic and Greek letters.
 *
 * @example
 * ```ts
 * normalizeEmail(' Diego@Peñalara.com.co ');  // 'diego@xn--pealara-zwa.com.co'
 * normalizeEmail('María.López@example.com');  // 'maría.lópez@example.com'
 * normalizeEmail('\u212Aate@example.com');     // null (Kelvin sign)
 * ```
 */
export function normalizeEmail(input: string): string | null {
  const text = input.trim();
  if (text.length > 320) return null;
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return null;
  const local = normalizeLocalPart(text.slice(0, at));
  const domain = local === null ? null : normalizeDomain(text.slice(at + 1));
  if (local === null || domain === null) return null;
  const email = `${local}@${domain}`;
  return Buffer.byteLength(email, 'utf8') > 254 ? null : email;
}
