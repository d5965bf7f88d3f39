/** The rules of text that reaches a store, shared by every input schema. */

/**
 * Characters no stored text may hold: NUL (PostgreSQL refuses it in `text` and `jsonb`) and
 * lone surrogates (not encodable as UTF-8: PostgreSQL refuses them, and so does MariaDB's
 * JSON check). The `u` flag makes `\p{Cs}` match a surrogate only when it is unpaired.
 */
const UNSTORABLE = /[\u0000\p{Cs}]/u;

/** Whether a string can be stored as is by every store: no NUL, no lone surrogate. */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/**
 * Characters a one-line field (a name, a reason, a filter) may not hold: control characters
 * (CR and LF would forge lines in logs and mails, NUL breaks PostgreSQL), line and paragraph
 * separators, and lone surrogates.
 */
const NOT_ONE_LINE = /[\p{Cc}\p{Cs}\u2028\u2029]/u;

/** Whether a string is one line of storable text (see {@link NOT_ONE_LINE}). */
export function isSingleLineText(value: string): boolean {
  return !NOT_ONE_LINE.test(value);
}

/** What free text that may span lines may not hold: control characters other than tab and line breaks, lone surrogates. */
const NOT_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cs}]/u;

/** Whether a string is free text that may span lines: tabs and line breaks, no other control character, no lone surrogate. */
export function isMultiLineText(value: string): boolean {
  return !NOT_TEXT.test(value);
}

/** NUL and lone surrogates, everywhere in a string. */
const UNSTORABLE_ALL = /[\u0000\p{Cs}]/gu;
/** Control characters, line separators and lone surrogates, everywhere in a string. */
const NOT_ONE_LINE_ALL = /[\p{Cc}\p{Cs}\u2028\u2029]/gu;

/**
 * One line of text sent by a client (a user agent), made storable: every control character,
 * line separator and lone surrogate becomes U+FFFD. What the client sends is sanitised; what
 * the user types is refused.
 */
export function sanitizeSingleLine(value: string): string {
  return value.replace(NOT_ONE_LINE_ALL, '\uFFFD');
}

/**
 * A JSON value made storable by every store: NUL and lone surrogates in its strings (keys
 * included) become U+FFFD. For text gatehouse writes that did not come through validation
 * (a mailer's error message in the activity log).
 */
export function storableJson<T>(value: T): T {
  if (typeof value === 'string') return (isStorableText(value) ? value : value.replace(UNSTORABLE_ALL, '\uFFFD')) as T;
  if (Array.isArray(value)) return value.map(storableJson) as T;
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [storableJson(key), storableJson(item)])) as T;
  }
  return value;
}
