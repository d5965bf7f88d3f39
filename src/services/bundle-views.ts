import { PermissionSet } from '../domain/permission.js';
import { livePermissions, liveRoles, principalLevel } from '../domain/role.js';
import { toSession } from '../domain/session.js';
import { toUser } from '../domain/user.js';
import type { SessionBundle } from '../ports/auth-store.js';
import type { ContextViews } from '../domain/principal.js';

/**
 * What a validation derives from a session bundle: the public user and session, and what the
 * user's grants give. A store that hands out the same bundle again (the memory store while
 * nothing changed, the SQL stores' session cache) freezes it; the views of a frozen bundle
 * are derived once and reused until the next of its grants expires. A bundle that is not
 * frozen may change under us, so its views are never remembered.
 */
export interface BundleViews extends ContextViews {
  /** The instant (epoch ms) these views stop holding: when the next live grant expires. */
  readonly until: number;
}

const remembered = new WeakMap<SessionBundle, BundleViews>();

/** The views of `bundle` at `now`. */
export function viewsOf(bundle: SessionBundle, now: Date): BundleViews {
  const at = now.getTime();
  const known = remembered.get(bundle);
  if (known !== undefined && at < known.until) return known;
  const { user, session, grants } = bundle;
  const roles = Object.freeze(liveRoles(grants, now).map((role) => Object.freeze(role)));
  const permissions = Object.freeze(livePermissions(grants, now));
  let until = Number.POSITIVE_INFINITY;
  for (const grant of grants) {
    const expires = grant.expiresAt?.getTime();
    if (grant.role.active && expires !== undefined && expires > at) until = Math.min(until, expires);
  }
  const views: BundleViews = {
    user: Object.freeze(toUser(user)),
    session: Object.freeze(toSession(session)),
    roles,
    permissions,
    level: principalLevel(roles),
    permissionSet: new PermissionSet(permissions, user.id),
    until,
  };
  // Frozen is for good: a bundle found in the map is still frozen, so only a miss asks.
  if (Object.isFrozen(bundle)) remembered.set(bundle, views);
  return views;
}
