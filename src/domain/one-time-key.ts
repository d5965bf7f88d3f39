/** What a one-time key is for. */
export type KeyPurpose =
  | 'activation'
  | 'password-reset'
  | 'email-change'
  /** The short-lived proof that the password step of a two-factor sign-in passed. */
  | 'two-factor-challenge'
  /** A two-factor recovery code: single use, voided when the codes are regenerated. */
  | 'recovery-code';

/**
 * A single-use key sent by mail (the `activationKey` and `resetKey` of older systems).
 * Only its SHA-256 hash is stored; `createdAt` is the `resetDate`.
 */
export interface OneTimeKey {
  /** UUID. */
  readonly id: string;
  /** The user the key acts for. */
  readonly userId: string;
  /** What the key may be used for. */
  readonly purpose: KeyPurpose;
  /** Hex SHA-256 of the key. */
  readonly keyHash: string;
  /** The address the key was mailed to (for an email change, the new address). */
  readonly sentTo: string;
  /** When the key was issued (a reset key's `resetDate`). */
  readonly createdAt: Date;
  /** After this instant the key is refused as `KEY_EXPIRED`. */
  readonly expiresAt: Date;
  /** When the key was consumed, or `null` while unused. */
  readonly usedAt: Date | null;
  /** The client address that consumed it, when known. */
  readonly usedIp: string | null;
  /** Set when a newer key of the same purpose replaced this one. */
  readonly voidedAt: Date | null;
}
