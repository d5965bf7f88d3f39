import { PermissionSet } from '../domain/permission.js';
import { toSession } from '../domain/session.js';
import { toUser } from '../domain/user.js';
import type { SessionBundle } from '../ports/auth-store.js';
import type { ContextViews } from '../domain/principal.js';
import { grantViews, type GrantViewsMemo } from './grant-views.js';

/**
 * What a validation derives from a session bundle: the public user and session, and what the
 * user's grants give. The session cache (`session-cache.ts`) keeps them with the bundle and
 * reuses them until the next of its grants expires.
 */
export interface BundleViews extends ContextViews {
  /** The instant (epoch ms) these views stop holding: when the next live grant expires. */
  readonly until: number;
}

/** The views of `bundle` at `now`; what its grants give comes from `memo` when one is given (see {@link GrantViewsMemo}). */
export function viewsOf(bundle: SessionBundle, now: Date, memo?: GrantViewsMemo): BundleViews {
  const { user, session, grants } = bundle;
  const { roles, permissions, level, compiled, until } = memo === undefined ? grantViews(grants, now) : memo.of(grants, now);
  return {
    user: Object.freeze(toUser(user)),
    session: Object.freeze(toSession(session)),
    roles,
    permissions,
    level,
    permissionSet: new PermissionSet(compiled, user.id),
    until,
  };
}
