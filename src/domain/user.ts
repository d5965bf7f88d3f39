/** A JSON value, as stored in `attributes` and activity metadata. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** The states an account can be in. */
export const USER_STATUSES = ['pending', 'active', 'inactive', 'blocked', 'suspended'] as const;

/**
 * `pending` waits for an administrator's approval, `active` may sign in, `inactive` is
 * switched off or soft-deleted, `blocked` and `suspended` are refused with a reason and
 * optionally until a date.
 */
export type UserStatus = (typeof USER_STATUSES)[number];

/** A user account as the public API returns it: everything but the password hash. */
export interface User {
  /** UUID. */
  readonly id: string;
  /** The email address, lower-cased; unique. */
  readonly email: string;
  /** The display name. */
  readonly name: string;
  /** `pending`, `active`, `inactive`, `blocked` or `suspended`: only `active` users sign in. */
  readonly status: UserStatus;
  /** Why the account is blocked, suspended or inactive, when an administrator said so. */
  readonly statusReason: string | null;
  /** When a block or suspension ends by itself; `null` means until lifted. */
  readonly statusUntil: Date | null;
  /** When the owner proved the address by an activation key; `null` until then. */
  readonly emailVerifiedAt: Date | null;
  /** When set, the owner must change the password before doing anything else. */
  readonly mustChangePassword: boolean;
  /** Preferred language for messages (e.g. `es`), or `null` for the application default. */
  readonly locale: string | null;
  /** The application's own fields, validated by its schema. */
  readonly attributes: JsonObject;
  /** The last successful sign-in, or `null` for never. */
  readonly lastLoginAt: Date | null;
  /** When the account was created. */
  readonly createdAt: Date;
  /** When the account last changed. */
  readonly updatedAt: Date;
}

/** A user as the store holds it, with the password hash. */
export interface UserRecord extends User {
  /** An argon2id (or legacy bcrypt) hash, or `null` for an account without a password. */
  readonly passwordHash: string | null;
}

/** The fields of a user that can change after creation. */
export type UserPatch = Partial<Omit<UserRecord, 'id' | 'createdAt'>> & {
  /** The instant of the change: every patch sets it. */
  readonly updatedAt: Date;
};

/** A new account as it is first stored: no status reason, no sign-in yet, created now. */
export function newUserRecord(
  fields: Pick<UserRecord, 'id' | 'email' | 'name' | 'passwordHash' | 'status' | 'emailVerifiedAt' | 'mustChangePassword' | 'locale' | 'attributes'>,
  now: Date,
): UserRecord {
  return { ...fields, statusReason: null, statusUntil: null, lastLoginAt: null, createdAt: now, updatedAt: now };
}

/** A stored user without the password hash (and without any field a store added). */
export function toUser(record: UserRecord): User {
  return {
    id: record.id,
    email: record.email,
    name: record.name,
    status: record.status,
    statusReason: record.statusReason,
    statusUntil: record.statusUntil,
    emailVerifiedAt: record.emailVerifiedAt,
    mustChangePassword: record.mustChangePassword,
    locale: record.locale,
    attributes: record.attributes,
    lastLoginAt: record.lastLoginAt,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * The status that applies at `now`: a block or suspension whose end date has passed
 * counts as active again.
 */
export function effectiveStatus(user: User, now: Date): UserStatus {
  if ((user.status === 'blocked' || user.status === 'suspended') && user.statusUntil !== null && user.statusUntil <= now) {
    return 'active';
  }
  return user.status;
}
