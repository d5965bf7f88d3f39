import type { JsonObject, Role, RoleGrant, SessionBundle, SessionRecord, UserRecord, UserRole } from 'gatehouse';
import { clone } from './copy.js';

/**
 * The memory store's session bundle (`findSessionByTokenHash()`), the read behind every first
 * validation of a session, made cheap. It still hands out nothing whose mutation changes what
 * the store holds (the store's contract):
 *
 * - each record is copied by a literal of its own shape, `Date`s as new instances: the generic
 *   copy of `copy.ts` runs on every kind of record, and on this path its spreads and keyed
 *   stores were megamorphic (V8's slow paths, an object grown a property at a time);
 * - a role's active permission codes are worked out (looked up, filtered, sorted) once while
 *   the grant tables stand still, and handed out as one frozen array (see
 *   {@link ActivePermissions}): strings cannot be changed, and a frozen array cannot either.
 */
export function sessionBundleOf(session: SessionRecord, user: UserRecord, grants: RoleGrant[], revision: number): SessionBundle {
  return { session: copySession(session), user: copyUser(user), grants: sortGrants(grants), revision };
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

/** A user's grant: copies of the assignment and the role, with the role's active permission codes (shared, frozen). */
export function grantOf(assignment: UserRole, role: Role, permissions: readonly string[]): RoleGrant {
  const grant: Required<RoleGrant> = {
    userId: assignment.userId,
    roleCode: assignment.roleCode,
    assignedAt: new Date(assignment.assignedAt.getTime()),
    assignedBy: assignment.assignedBy,
    expiresAt: dateOrNull(assignment.expiresAt),
    role: copyRole(role),
    permissions,
  };
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

// `Required<…>` below: a field added to a record's type is a compile error here until it is copied.

function copySession(s: SessionRecord): SessionRecord {
  const out: Required<SessionRecord> = {
    id: s.id,
    userId: s.userId,
    tokenHash: s.tokenHash,
    ip: s.ip,
    userAgent: s.userAgent,
    rememberMe: s.rememberMe,
    createdAt: new Date(s.createdAt.getTime()),
    lastActiveAt: new Date(s.lastActiveAt.getTime()),
    expiresAt: new Date(s.expiresAt.getTime()),
    revokedAt: dateOrNull(s.revokedAt),
  };
  return out;
}

function copyUser(u: UserRecord): UserRecord {
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
    attributes: clone(u.attributes) as JsonObject,
    lastLoginAt: dateOrNull(u.lastLoginAt),
    createdAt: new Date(u.createdAt.getTime()),
    updatedAt: new Date(u.updatedAt.getTime()),
  };
  return out;
}

function copyRole(r: Role): Role {
  const out: Required<Role> = {
    code: r.code,
    name: r.name,
    description: r.description,
    level: r.level,
    active: r.active,
    createdAt: new Date(r.createdAt.getTime()),
    updatedAt: new Date(r.updatedAt.getTime()),
  };
  return out;
}

function dateOrNull(date: Date | null): Date | null {
  return date === null ? null : new Date(date.getTime());
}
