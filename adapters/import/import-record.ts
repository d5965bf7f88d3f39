import type { JsonObject, Preset, PresetPermission, PresetRole, UserStatus } from 'gatehouse';

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

/** A legacy user the mapping could not turn into a record: reported by name, never dropped in silence. */
export interface ImportRefusal {
  readonly source: string;
  /** The legacy email, as it was. */
  readonly email: string;
  /** `email` (gatehouse cannot take the address) or `two_factor_secret` (2FA is on with a secret no authenticator can use). */
  readonly reason: 'email' | 'two_factor_secret';
  readonly message: string;
}

/** Something the mapping changed or left behind for a record that is still imported. */
export interface ImportNotice {
  readonly source: string;
  readonly email: string;
  /**
   * `assignment_switched_off` (a role assignment with `activo = 0`, dropped),
   * `verified_because_active` (imported as verified although the legacy flag was off),
   * `locale_dropped` (a language the tag rule refuses), `id_generated` (no usable UUID).
   */
  readonly kind: 'assignment_switched_off' | 'verified_because_active' | 'locale_dropped' | 'id_generated';
  readonly message: string;
}

/** One batch of legacy users, read and mapped. */
export interface ImportBatch {
  readonly records: readonly ImportRecord[];
  readonly refusals: readonly ImportRefusal[];
  readonly notices: readonly ImportNotice[];
}

/** A role of the legacy system, in gatehouse's terms, for `auth.roles.seed()`. */
export interface ImportRole extends PresetRole {
  /** A switched-off role is imported switched off: it grants nothing. */
  readonly active: boolean;
  /** Its code in the legacy system. */
  readonly legacyCode: string;
}

/** A permission of the legacy system, in gatehouse's terms. */
export interface ImportPermission extends PresetPermission {
  /** A switched-off permission is granted by no role. */
  readonly active: boolean;
  readonly legacyCode: string;
}

/** The legacy roles and permissions with their grants: a {@link Preset} (with `active` flags) for `auth.roles.seed()`. */
export interface ImportRoleSet extends Preset {
  readonly roles: readonly ImportRole[];
  readonly permissions: readonly ImportPermission[];
}
