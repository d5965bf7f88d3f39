import type { ActiveRole, UserRole } from '../domain/role.js';
import type { User, UserStatus } from '../domain/user.js';

/** Filters and paging of {@link UserAdminService.list}; `page` is 1-based. */
export interface UserListQuery {
  /** Only users in this status. */
  status?: UserStatus | undefined;
  /** Only holders of this role (an unexpired assignment). */
  role?: string | undefined;
  /**
   * A search: every word of it begins a word of the name or the email, without case or
   * accents (`gom` finds "Ana Gómez"); a text holding `@` begins the email
   * (`ana@shop` finds ana@shop.example).
   */
  q?: string | undefined;
  /**
   * `'newest'` (the default) or `'oldest'` first. The last page of one order is the first page
   * of the other: read the oldest users with `order: 'oldest'`, not with a deep `page` number.
   * @default 'newest'
   */
  order?: 'newest' | 'oldest' | undefined;
  /** The `nextCursor` of the previous page of the same order: the page after it (`page` is then ignored). */
  cursor?: string | undefined;
  /** @default 1 */
  page?: number | string | undefined;
  /** @default 20 */
  pageSize?: number | string | undefined;
}

/** A role to give a user, optionally until a date. */
export interface RoleAssignmentInput {
  /** The role's code. */
  code: string;
  /** After this instant the assignment grants nothing. */
  expiresAt?: Date | string | null | undefined;
}

/** What {@link UserAdminService.create} takes, plus the application's own fields. */
export interface AdminCreateUserInput {
  /** The new user's address. */
  email: string;
  /** The new user's display name. */
  name: string;
  /** A first password, checked against the password policy. */
  password: string;
  /** @default the registration default role, if any */
  roles?: readonly RoleAssignmentInput[] | undefined;
  /** A preferred language such as `es`. */
  locale?: string | undefined;
  /** Ask the user to choose their own password at first sign-in. @default true */
  mustChangePassword?: boolean | undefined;
  /** Treat the address as proven; otherwise an activation key is mailed. @default false */
  emailVerified?: boolean | undefined;
  [field: string]: unknown;
}

/** What {@link UserAdminService.edit} takes: any of these, plus the application's own fields. */
export interface AdminEditUserInput {
  /** A new display name. */
  name?: string | undefined;
  /** A new address is unverified until its owner uses the activation key mailed to it. */
  email?: string | undefined;
  /** A new password; the user must change it at next sign-in and their sessions end. */
  password?: string | undefined;
  /** A preferred language, or `null` for the application's default. */
  locale?: string | null | undefined;
  [field: string]: unknown;
}

/** A block or suspension. */
export interface BlockInput {
  /** Why: shown to administrators and written to the activity log. */
  reason: string;
  /** When it lifts by itself; omitted or `null` for until an administrator lifts it. */
  until?: Date | string | null | undefined;
}

/** One user as an administrator sees them. */
export interface UserDetails {
  /** The user. */
  readonly user: User;
  /** Live roles, highest level first. */
  readonly roles: readonly ActiveRole[];
  /** Every assignment, expired ones and those of inactive roles included. */
  readonly assignments: readonly UserRole[];
  /** Effective permission codes. */
  readonly permissions: readonly string[];
  /** The level of the principal role, 0 without roles. */
  readonly level: number;
}

/** How active a user has been. */
export interface UserSummary {
  /** The user. */
  readonly user: User;
  /** Unrevoked, unexpired sessions. */
  readonly activeSessions: number;
  /** The last successful sign-in, or `null` for never. */
  readonly lastLoginAt: Date | null;
  /** The newest activity-log entry about the user. */
  readonly lastActivityAt: Date | null;
  /** Whole days since the last sign-in, session use or activity (since creation without any). */
  readonly daysInactive: number;
}
