import type { AuthErrorCode } from '../errors.js';
import type { JsonObject, UserStatus } from './user.js';

/**
 * How a password hash was made: `bcrypt` (`$2a$`, `$2b$`, PHP's `$2y$`), `argon2id`,
 * `argon2i`, or the name of another scheme an application verifies with its own verifier.
 */
export type PasswordScheme = 'bcrypt' | 'argon2id' | 'argon2i' | (string & {});

/** A password hash carried over as it is, to be verified as its scheme says and upgraded at the first sign-in. */
export interface ImportPassword {
  readonly hash: string;
  readonly scheme: PasswordScheme;
}

/** A role assignment of an imported user. */
export interface ImportRoleAssignment {
  /** The gatehouse role code (already translated). */
  readonly code: string;
  readonly assignedAt: Date;
  /** When it stops granting; `null`: never. An assignment whose date has passed is kept, and grants nothing. */
  readonly expiresAt: Date | null;
}

/** A password the user had before, for the reuse check. */
export interface ImportPasswordHistoryEntry {
  readonly hash: string;
  readonly scheme: PasswordScheme;
  /** When the user started using it. */
  readonly changedAt: Date;
  /** `registered` (the first one), `changed`, or `admin` (an administrator made the user change it). */
  readonly reason: 'registered' | 'changed' | 'admin';
  readonly forced: boolean;
}

/** A reference to another imported user, by one of their identifiers (e.g. the administrator who acted). */
export interface ImportUserReference {
  readonly identifier: string;
  readonly value: string;
}

/** A past event of the user's, kept as an activity with its own time and marked as imported. */
export interface ImportActivity {
  /**
   * The legacy row it came from (`historial_acceso.id 17`), so that a second run can tell
   * it was imported already; `null` when the mapping names no key column for the table.
   */
  readonly sourceKey: string | null;
  /** A dotted action name: `login.succeeded`, `login.failed`, or `legacy.<table>.<operation>` for audit entries. */
  readonly action: string;
  readonly at: Date;
  /** A short human-readable sentence. */
  readonly details: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** Who acted, when someone else than the user did (an administrator), by identifier. */
  readonly actor: ImportUserReference | null;
  /** What the legacy row said, plus `imported: true` and the `source` table. */
  readonly metadata: JsonObject;
}

/** A TOTP second factor carried over. */
export interface ImportTwoFactor {
  /** The shared secret in RFC 4648 base32, upper case, without spaces or padding. */
  readonly secret: string;
}

/**
 * One user as a legacy system had them, in gatehouse's terms: what `auth.users.import()`
 * takes. Plain data: no gatehouse state, nothing validated beyond what the mapping itself
 * needed (the core validates each record as `users.create` does, except the password policy).
 */
export interface ImportRecord {
  /** Where it came from, for reports, e.g. `usuarios.id 42`. */
  readonly source: string;
  /** The gatehouse id (a UUID, lower-cased); `null`: gatehouse generates one. */
  readonly id: string | null;
  /** The address gatehouse stores: lower-cased, its domain in ASCII (`xn--`) form. */
  readonly email: string;
  /** The address exactly as the legacy system had it, when it differs. */
  readonly legacyEmail: string | null;
  readonly name: string;
  /** The hash as it is; `null` for a user without a password. */
  readonly password: ImportPassword | null;
  /** Named external identifiers, unique per name: `legacyId`, `documentNumber`, … */
  readonly identifiers: Readonly<Record<string, string>>;
  readonly status: UserStatus;
  readonly statusReason: string | null;
  readonly statusUntil: Date | null;
  readonly emailVerifiedAt: Date | null;
  readonly createdAt: Date;
  readonly lastLoginAt: Date | null;
  /** A language tag such as `es` or `es-CO`, or `null`. */
  readonly locale: string | null;
  /** The application's own fields. */
  readonly attributes: JsonObject;
  readonly roles: readonly ImportRoleAssignment[];
  /** Oldest first. */
  readonly passwordHistory: readonly ImportPasswordHistoryEntry[];
  readonly twoFactor: ImportTwoFactor | null;
  /** Oldest first. */
  readonly activities: readonly ImportActivity[];
}

/** What became of one record of an import. */
export interface ImportOutcome {
  /** The record's `source`. */
  readonly source: string;
  readonly email: string;
  /**
   * `imported` (a new user), `updated` (a user imported before, whose record changed),
   * `skipped` (imported before, nothing changed) or `refused` (nothing written; `code` says why).
   */
  readonly result: 'imported' | 'updated' | 'skipped' | 'refused';
  /** The gatehouse user; `null` when refused. */
  readonly userId: string | null;
  /** For `refused`: `VALIDATION_FAILED`, `EMAIL_TAKEN` or `IDENTIFIER_TAKEN`. */
  readonly code: AuthErrorCode | null;
  /** For `refused`: what was wrong, naming the field. */
  readonly message: string | null;
}

/** A refused record, as {@link ImportResult.refused} lists it. */
export interface ImportRefused {
  readonly source: string;
  readonly email: string;
  readonly code: AuthErrorCode;
  readonly message: string;
}

/** What `users.import()` did: counts, the refused records, and every record's outcome. */
export interface ImportResult {
  readonly imported: number;
  readonly updated: number;
  readonly skipped: number;
  readonly refused: readonly ImportRefused[];
  /** One per record, in input order. */
  readonly outcomes: readonly ImportOutcome[];
}

/** Options of `users.import()`. */
export interface ImportOptions {
  /**
   * Records written per transaction.
   * @default 500
   */
  readonly batchSize?: number | undefined;
  /**
   * How a record finds the user a previous run made: by the first of these identifier
   * names the record has, then by `id`, then — only when `email` is listed — by email.
   * An email held by a user not matched this way refuses the record `EMAIL_TAKEN`.
   * @default ['legacyId']
   */
  readonly matchBy?: readonly string[] | undefined;
  /** Validate and match inside transactions that are rolled back: the result says what would happen, nothing is written. @default false */
  readonly dryRun?: boolean | undefined;
  /** Called after each batch with its own result (a progress bar, a log line). */
  readonly onBatch?: ((batch: ImportResult) => void) | undefined;
}
