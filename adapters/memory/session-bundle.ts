import { immutableDate, type JsonObject, type Role, type RoleGrant, type SessionBundle, type SessionRecord, type UserRecord, type UserRole } from 'gatehouse';
import { frozenClone } from './copy.js';

/**
 * The memory store's session bundle (`findSessionByTokenHash()`), the read behind every first
 * validation of a session, made of the rows the store holds, not copies of them. The store keeps
 * every row frozen, with immutable `Date`s and frozen JSON (`sealUser()` and its siblings below,
 * and `frozenCopy()` of `copy.ts` for the other tables), and replaces a row on every write: a row
 * handed out can be changed by no one, so a first validation copies no record and no `Date`,
 * and what the session cache keeps of it points at the store's own `Date`s instead of copies.
 *
 * - the session and user rows are kept in one shape each (a literal per kind, below): the core
 *   reads their fields on every first validation, and rows in as many shapes as their writers
 *   used made those reads megamorphic (V8's slow paths);
 * - a role's active permission codes are worked out (looked up, filtered, sorted) once while
 *   the grant tables stand still, and handed out as one frozen array (see
 *   {@link ActivePermissions}).
 */
export function sessionBundleOf(session: SessionRecord, user: UserRecord, grants: RoleGrant[], revision: number): SessionBundle {
  return { session, user, grants: sortGrants(grants), revision, sealed: true };
}

/**
 * A role's active permission codes, sorted and frozen, remembered until the grant tables
 * (roles, permissions, their links, assignments) next change: `stamp` is the latest write
 * stamp of those tables, which every write and every undo moves to a value never seen, so a
 * remembered answer is never stale, in a transaction or after its rollback.
 */
export class ActivePermissions {
  readonly #codes = new Map<string, readonly string[]>();
  #stamp = -1;

  /** @param compute The role's active permission codes, sorted, read from the tables. */
  constructor(private readonly compute: (roleCode: string) => string[]) {}

  /** The active permission codes of `roleCode` while the grant tables are at `stamp`. */
  of(roleCode: string, stamp: number): readonly string[] {
    if (stamp !== this.#stamp) {
      this.#codes.clear();
      this.#stamp = stamp;
    }
    let codes = this.#codes.get(roleCode);
    if (codes === undefined) this.#codes.set(roleCode, (codes = Object.freeze(this.compute(roleCode))));
    return codes;
  }

  /** How many roles' codes are remembered. */
  get size(): number {
    return this.#codes.size;
  }
}

/** A user's grant: the assignment's fields and the role as the store holds them (frozen), with the role's active permission codes (shared, frozen). */
export function grantOf(assignment: UserRole, role: Role, permissions: readonly string[]): RoleGrant {
  const grant: Required<RoleGrant> = {
    userId: assignment.userId,
    roleCode: assignment.roleCode,
    assignedAt: assignment.assignedAt,
    assignedBy: assignment.assignedBy,
    expiresAt: assignment.expiresAt,
    role,
    permissions,
  };
  // Not frozen: a grant is made for this read, and what it points at (the role, the codes, the `Date`s) cannot be changed.
  return grant;
}

/** Highest level first, then by role code: the order the port asks for. An insertion sort: a user holds a handful of roles. */
export function sortGrants(grants: RoleGrant[]): RoleGrant[] {
  for (let i = 1; i < grants.length; i += 1) {
    const grant = grants[i]!;
    let j = i - 1;
    while (j >= 0 && before(grant, grants[j]!)) {
      grants[j + 1] = grants[j]!;
      j -= 1;
    }
    grants[j + 1] = grant;
  }
  return grants;
}

function before(a: RoleGrant, b: RoleGrant): boolean {
  return a.role.level > b.role.level || (a.role.level === b.role.level && a.roleCode < b.roleCode);
}

// The rows of the tables a bundle is made of, as the store keeps them: one literal per kind, frozen, `Date`s immutable.
// `Required<…>` below: a field added to a record's type is a compile error here until it is kept.

/** A session row as the store keeps it. */
export function sealSession(s: SessionRecord): SessionRecord {
  const out: Required<SessionRecord> = {
    id: s.id,
    userId: s.userId,
    tokenHash: s.tokenHash,
    ip: s.ip,
    userAgent: s.userAgent,
    rememberMe: s.rememberMe,
    createdAt: immutableDate(s.createdAt),
    lastActiveAt: immutableDate(s.lastActiveAt),
    expiresAt: immutableDate(s.expiresAt),
    revokedAt: dateOrNull(s.revokedAt),
  };
  return Object.freeze(out);
}

/** A user row as the store keeps it. */
export function sealUser(u: UserRecord): UserRecord {
  const out: Required<UserRecord> = {
    id: u.id,
    email: u.email,
    name: u.name,
    passwordHash: u.passwordHash,
    status: u.status,
    statusReason: u.statusReason,
    statusUntil: dateOrNull(u.statusUntil),
    emailVerifiedAt: dateOrNull(u.emailVerifiedAt),
    mustChangePassword: u.mustChangePassword,
    locale: u.locale,
    attributes: frozenClone(u.attributes) as JsonObject,
    lastLoginAt: dateOrNull(u.lastLoginAt),
    createdAt: immutableDate(u.createdAt),
    updatedAt: immutableDate(u.updatedAt),
  };
  return Object.freeze(out);
}

/** A role row as the store keeps it. */
export function sealRole(r: Role): Role {
  const out: Required<Role> = {
    code: r.code,
    name: r.name,
    description: r.description,
    level: r.level,
    active: r.active,
    createdAt: immutableDate(r.createdAt),
    updatedAt: immutableDate(r.updatedAt),
  };
  return Object.freeze(out);
}

/** A role assignment row as the store keeps it. */
export function sealUserRole(a: UserRole): UserRole {
  const out: Required<UserRole> = {
    userId: a.userId,
    roleCode: a.roleCode,
    assignedAt: immutableDate(a.assignedAt),
    assignedBy: a.assignedBy,
    expiresAt: dateOrNull(a.expiresAt),
  };
  return Object.freeze(out);
}

function dateOrNull(date: Date | null): Date | null {
  return date === null ? null : immutableDate(date);
}
