import { liveRoles, livePermissions, principalLevel, type RoleGrant } from '../domain/role.js';
import { toUser, type UserRecord } from '../domain/user.js';
import type { Actor } from '../domain/principal.js';
import { AuthError } from '../errors.js';
import type { AuthStore } from '../ports/auth-store.js';
import { assertMayActOn, type AdminAction } from './guards.js';
import type { Stamps } from './stamps.js';
import type { UserDetails } from './user-admin-types.js';

/**
 * Loads the target under its row lock, then its role assignments, inside the transaction,
 * and applies the guard rails. The lock holds until the change commits: concurrent changes
 * to one user (and sign-ins) run one after the other, each reading what the last one wrote.
 */
export async function lockTarget(tx: AuthStore, stamps: Stamps, actor: Actor, id: string, action: AdminAction): Promise<{ record: UserRecord; grants: RoleGrant[] }> {
  const record = await tx.lockUser(id);
  if (record === null) throw new AuthError('NOT_FOUND');
  const grants = await tx.listUserGrants(id);
  assertMayActOn(actor, { id, level: principalLevel(liveRoles(grants, stamps.now())) }, action);
  return { record, grants };
}

/** What an administrator sees of a user: the user, their live roles and assignments, their permissions and level. */
export function userDetails(stamps: Stamps, record: UserRecord, grants: readonly RoleGrant[]): UserDetails {
  const now = stamps.now();
  const roles = liveRoles(grants, now);
  return {
    user: toUser(record),
    roles,
    assignments: grants.map(({ role: _role, permissions: _permissions, ...assignment }) => assignment),
    permissions: livePermissions(grants, now),
    level: principalLevel(roles),
  };
}
