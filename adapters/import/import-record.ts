import type { Preset, PresetPermission, PresetRole, ImportRecord } from 'gatehouse';

export type {
  ImportRecord,
  ImportPassword,
  PasswordScheme,
  ImportRoleAssignment,
  ImportPasswordHistoryEntry,
  ImportActivity,
  ImportUserReference,
  ImportTwoFactor,
} from 'gatehouse';

/** A legacy user the mapping could not turn into a record: reported by name, never dropped in silence. */
export interface ImportRefusal {
  /** The legacy row, as the records' `source` names it: `usuarios.id 113`. */
  readonly source: string;
  /** The legacy email, as it was. */
  readonly email: string;
  /** `email` (gatehouse cannot take the address) or `two_factor_secret` (2FA is on with a secret no authenticator can use). */
  readonly reason: 'email' | 'two_factor_secret';
  /** A sentence for a report, starting with the legacy email: `ana@…: not an email address`. */
  readonly message: string;
}

/** Something the mapping changed or left behind for a record that is still imported. */
export interface ImportNotice {
  /** The legacy row, as the record's `source` names it: `usuarios.id 42`. */
  readonly source: string;
  /** The legacy email, as it was (the record's may differ: lower-cased, `xn--` domain). */
  readonly email: string;
  /**
   * `assignment_switched_off` (a role assignment with `activo = 0`, dropped),
   * `verified_because_active` (imported as verified although the legacy flag was off),
   * `locale_dropped` (a language the tag rule refuses), `id_generated` (no usable UUID).
   */
  readonly kind: 'assignment_switched_off' | 'verified_because_active' | 'locale_dropped' | 'id_generated';
  /** A sentence for a report, starting with the legacy email and naming what was changed or left behind. */
  readonly message: string;
}

/** One batch of legacy users, read and mapped. */
export interface ImportBatch {
  /** The users mapped, in the order of their legacy primary key: what `auth.users.import()` takes. */
  readonly records: readonly ImportRecord[];
  /** The users of the batch that could not be mapped, and are therefore not among `records`. */
  readonly refusals: readonly ImportRefusal[];
  /** What the mapping changed or dropped on the way, for users among `records`. */
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
  /** Its code in the legacy system (`PEDIDOS_VER_PROPIOS`); when two legacy codes translate into this one, the first one read. */
  readonly legacyCode: string;
}

/** The legacy roles and permissions with their grants: a {@link Preset} (with `active` flags) for `auth.roles.seed()`. */
export interface ImportRoleSet extends Preset {
  readonly roles: readonly ImportRole[];
  readonly permissions: readonly ImportPermission[];
}
