import { PermissionSet } from '../domain/permission.js';
import { livePermissions, liveRoles, principalLevel } from '../domain/role.js';
import { toSession } from '../domain/session.js';
import { toUser } from '../domain/user.js';
import type { SessionBundle } from '../ports/auth-store.js';
import type { ContextViews } from '../domain/principal.js';

/**
 * What a validation derives from a session bundle: the public user and session, and what the
 * user's grants give. The session cache (`session-cache.ts`) keeps them with the bundle and
 * reuses them until the next of its grants expires.
 */
export interface BundleViews extends ContextViews {
  /** The instant (epoch ms) these views stop holding: when the next live grant expires. */
  readonly until: number;
}

/** The views of `bundle` at `now`. */
export function viewsOf(bundle: SessionBundle, now: Date): BundleViews {
  const at = now.getTime();
  const { user, session, grants } = bundle;
  const roles = Object.freeze(liveRoles(grants, now).map((role) => Object.freeze(role)));
  const permissions = Object.freeze(livePermissions(grants, now));
  let until = Number.POSITIVE_INFINITY;
  for (const grant of grants) {
    const expires = grant.expiresAt?.getTime();
    if (grant.role.active && expires !== undefined && expires > at) until = Math.min(until, expires);
  }
  return {
    user: Object.freeze(toUser(user)),
    session: Object.freeze(toSession(session)),
    roles,
    permissions,
    level: principalLevel(roles),
    permissionSet: new PermissionSet(permissions, user.id),
    until,
  };
}
