import type { AuthErrorCode } from '../errors.js';
import type { JsonObject, UserStatus } from './user.js';

/**
 * How a password hash was made: `bcrypt` (`$2a$`, `$2b$`, PHP's `$2y$`), `argon2id`,
 * `argon2i`, or the name of another scheme an application verifies with its own verifier.
 */
export type PasswordScheme = 'bcrypt' | 'argon2id' | 'argon2i' | (string & {});

/** A password hash carried over as it is, to be verified as its scheme says and upgraded at the first sign-in. */
export interface ImportPassword {
  /**
   * The hash exactly as the other system stored it: for `bcrypt` the 60-character `$2y$…`
   * string, for `argon2id`/`argon2i` the PHC form (`$argon2id$v=19$m=…`), for another
   * scheme one line of at most 200 characters that its verifier understands.
   */
  readonly hash: string;
  /**
   * How to verify it. `bcrypt`, `argon2id` and `argon2i` are built in; any other name must
   * be a scheme of `createAuth({ passwordVerifiers })`, or the record is refused `VALIDATION_FAILED`.
   */
  readonly scheme: PasswordScheme;
}

/** A role assignment of an imported user. */
export interface ImportRoleAssignment {
  /** The gatehouse role code (already translated). */
  readonly code: string;
  /** When the role was given in the other system; kept as the assignment's `assignedAt`. */
  readonly assignedAt: Date;
  /** When it stops granting; `null`: never. An assignment whose date has passed is kept, and grants nothing. */
  readonly expiresAt: Date | null;
}

/** A password the user had before, for the reuse check. */
export interface ImportPasswordHistoryEntry {
  /** The hash of that password, in the same form as {@link ImportPassword.hash}. */
  readonly hash: string;
  /** How to verify it, as {@link ImportPassword.scheme}: a scheme no verifier handles refuses the record. */
  readonly scheme: PasswordScheme;
  /** When the user started using it. */
  readonly changedAt: Date;
  /** `registered` (the first one), `changed`, or `admin` (an administrator made the user change it). */
  readonly reason: 'registered' | 'changed' | 'admin';
  /** Whether an administrator required the change (the user did not choose it). */
  readonly forced: boolean;
}

/** A reference to another imported user, by one of their identifiers (e.g. the administrator who acted). */
export interface ImportUserReference {
  /**
   * The identifier's name, e.g. `legacyId`. The user is looked up among the records of the
   * same batch, then among stored users; when none holds it, the activity keeps the reference
   * in its metadata (`metadata.actor`) and names no actor.
   */
  readonly identifier: string;
  /** The identifier's value, e.g. `'7'` (the legacy primary key of the administrator). */
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
  /** When it happened in the other system: the activity's `createdAt`, so the log keeps its order. */
  readonly at: Date;
  /** A short human-readable sentence. */
  readonly details: string;
  /** The client address the other system recorded (one line of at most 255 characters), or `null` when it recorded none. */
  readonly ip: string | null;
  /** The client's `User-Agent` as the other system recorded it (one line of at most 255 characters), or `null`. */
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
  /** The display name, validated as `users.create` validates names; stored trimmed. */
  readonly name: string;
  /** The hash as it is; `null` for a user without a password. */
  readonly password: ImportPassword | null;
  /** Named external identifiers, unique per name: `legacyId`, `documentNumber`, … */
  readonly identifiers: Readonly<Record<string, string>>;
  /** The gatehouse status: `pending`, `active`, `inactive`, `blocked` or `suspended`; only `active` users sign in. */
  readonly status: UserStatus;
  /** Why the user is in that status (one line of at most 500 characters, stored trimmed); `null`: no reason known. */
  readonly statusReason: string | null;
  /** When a `blocked` or `suspended` status ends by itself; `null`: until an administrator lifts it. */
  readonly statusUntil: Date | null;
  /**
   * When the address was proven; `null`: not verified. On a later run, an address verified
   * in gatehouse meanwhile stays verified whatever the record says.
   */
  readonly emailVerifiedAt: Date | null;
  /** When the account was created in the other system; kept as the user's `createdAt`, which a later run never changes. */
  readonly createdAt: Date;
  /**
   * The last successful sign-in in the other system; `null`: never. A later run never moves
   * it back before a sign-in gatehouse saw.
   */
  readonly lastLoginAt: Date | null;
  /** A language tag such as `es` or `es-CO`, or `null`. */
  readonly locale: string | null;
  /** The application's own fields. */
  readonly attributes: JsonObject;
  /**
   * The user's role assignments: each names a role that exists (seed the role set first)
   * and that the actor may grant, at most once. A later run replaces the user's assignments with these.
   */
  readonly roles: readonly ImportRoleAssignment[];
  /** Oldest first. */
  readonly passwordHistory: readonly ImportPasswordHistoryEntry[];
  /**
   * A TOTP second factor, switched on as of the import (the next sign-in asks for a code) and
   * sealed with `twoFactor.encryptionKey`: a record with one is refused when two-factor is not
   * configured. `null`: none.
   */
  readonly twoFactor: ImportTwoFactor | null;
  /** Oldest first. */
  readonly activities: readonly ImportActivity[];
}

/** What became of one record of an import. */
export interface ImportOutcome {
  /** The record's `source`. */
  readonly source: string;
  /** The record's `email`. */
  readonly email: string;
  /**
   * `imported` (a new user), `updated` (a user imported before, whose record changed),
   * `skipped` (imported before, nothing changed) or `refused` (nothing written; `code` says why).
   */
  readonly result: 'imported' | 'updated' | 'skipped' | 'refused';
  /** The gatehouse user; `null` when refused. */
  readonly userId: string | null;
  /**
   * For `refused`: `VALIDATION_FAILED`, `EMAIL_TAKEN`, `IDENTIFIER_TAKEN`, or `NOT_FOUND`
   * (the matched user was erased while the import ran); `null` otherwise.
   */
  readonly code: AuthErrorCode | null;
  /** For `refused`: what was wrong, naming the field; `null` otherwise. */
  readonly message: string | null;
}

/** A refused record, as {@link ImportResult.refused} lists it. */
export interface ImportRefused {
  /** The record's `source`, e.g. `usuarios.id 42`. */
  readonly source: string;
  /** The record's `email`, as given. */
  readonly email: string;
  /** Why: `VALIDATION_FAILED`, `EMAIL_TAKEN`, `IDENTIFIER_TAKEN` or `NOT_FOUND`, as {@link ImportOutcome.code}. */
  readonly code: AuthErrorCode;
  /** What was wrong, naming each field at fault, e.g. `name is not an acceptable name; roles[0] names the role "x", which does not exist`. */
  readonly message: string;
}

/** What `users.import()` did: counts, the refused records, and every record's outcome. */
export interface ImportResult {
  /** Records that made a new user (in a dry run: would have). */
  readonly imported: number;
  /** Records that matched a user of a previous run and changed them. */
  readonly updated: number;
  /** Records that matched a user of a previous run and had not changed since: nothing was written. */
  readonly skipped: number;
  /** The refused records, in input order: nothing of theirs was written, and they failed no other record. */
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
