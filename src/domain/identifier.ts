/**
 * A named external identifier of a user: the id a previous system gave them (`legacyId`),
 * a document number (`documentNumber`), … Each (name, value) pair belongs to one user at
 * most; a user has at most one value per name.
 */
export interface UserIdentifier {
  /** The id (UUID) of the user who holds it. */
  readonly userId: string;
  /** The identifier's name, e.g. `legacyId`: a letter, then letters, digits or `_`, at most 64. */
  readonly name: string;
  /** The value, compared byte by byte: one line of at most 255 characters. */
  readonly value: string;
}

/** The rule for identifier names: a letter, then up to 63 letters, digits or `_`. */
export const IDENTIFIER_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,63}$/;

/** The longest identifier value, in characters. */
export const IDENTIFIER_VALUE_MAX = 255;

/** Whether a value can be an identifier's: non-empty, one line, at most {@link IDENTIFIER_VALUE_MAX} characters, no NUL or lone surrogate. */
export function isIdentifierValue(value: string): boolean {
  return value.length > 0 && value.length <= IDENTIFIER_VALUE_MAX && !/[\u0000-\u001f\u007f\u2028\u2029\p{Cs}]/u.test(value) && value.trim() === value;
}
