import { PermissionSet } from '../domain/permission.js';
import { livePermissions, liveRoles, principalLevel, type ActiveRole, type RoleGrant } from '../domain/role.js';
import { toSession, type Session, type SessionRecord } from '../domain/session.js';
import { toUser, type User, type UserRecord } from '../domain/user.js';

/**
 * What a validation derives from a session bundle, computed once per bundle a store hands
 * out again. A store that caches bundles (the SQL stores) returns the same frozen records
 * for every request of a session; these views of them are then reused instead of rebuilt.
 * Records that are not frozen may change under us and are never remembered.
 */

/** What a user's grants give at a moment. */
export interface Access {
  /** Live roles, highest level first. */
  readonly roles: readonly ActiveRole[];
  /** Effective permission codes, sorted. */
  readonly permissions: readonly string[];
  readonly level: number;
  readonly permissionSet: PermissionSet;
}

/** An {@link Access} and the instant (epoch ms) it stops holding: when the next live grant expires. */
interface RememberedAccess extends Access {
  readonly until: number;
}

const accesses = new WeakMap<readonly RoleGrant[], RememberedAccess>();
const users = new WeakMap<UserRecord, User>();
const sessions = new WeakMap<SessionRecord, Session>();

/** The live roles and effective permissions of `userId`'s grants at `now`. */
export function accessOf(grants: readonly RoleGrant[], userId: string, now: Date): Access {
  const at = now.getTime();
  const known = accesses.get(grants);
  if (known !== undefined && at < known.until && known.permissionSet.userId === userId) return known;
  const roles = Object.freeze(liveRoles(grants, now).map((role) => Object.freeze(role)));
  const permissions = Object.freeze(livePermissions(grants, now));
  let until = Number.POSITIVE_INFINITY;
  for (const grant of grants) {
    const expires = grant.expiresAt?.getTime();
    if (grant.role.active && expires !== undefined && expires > at) until = Math.min(until, expires);
  }
  const access = { roles, permissions, level: principalLevel(roles), permissionSet: new PermissionSet(permissions, userId), until };
  if (Object.isFrozen(grants)) accesses.set(grants, access);
  return access;
}

/** `view(record)`, frozen and remembered when the record is frozen. */
function remembered<R extends object, V extends object>(views: WeakMap<R, V>, view: (record: R) => V, record: R): V {
  if (!Object.isFrozen(record)) return view(record);
  let known = views.get(record);
  if (known === undefined) {
    known = Object.freeze(view(record));
    views.set(record, known);
  }
  return known;
}

/** The public view of a user record (without the password hash). */
export const userOf = (record: UserRecord): User => remembered(users, toUser, record);

/** The public view of a session record (without the token hash). */
export const sessionOf = (record: SessionRecord): Session => remembered(sessions, toSession, record);
