/** A user's TOTP second factor as the store holds it. */
export interface TwoFactorRecord {
  /** The user the second factor belongs to. */
  readonly userId: string;
  /** The TOTP secret, sealed with the application's key: never stored in clear. */
  readonly secret: string;
  /** When a first code confirmed the enrolment; `null` while it waits for one. */
  readonly enabledAt: Date | null;
  /** The last time step whose code was accepted; that step and older ones are refused (replay). */
  readonly lastStep: number;
  /** When the enrolment started. */
  readonly createdAt: Date;
  /** When the record last changed. */
  readonly updatedAt: Date;
}
