import { PermissionSet } from '../domain/permission.js';
import type { RoleGrant } from '../domain/role.js';
import { toSession } from '../domain/session.js';
import { toUser } from '../domain/user.js';
import type { SessionBundle } from '../ports/auth-store.js';
import type { ContextViews } from '../domain/principal.js';
import { grantViews, type GrantViewsMemo } from './grant-views.js';

/**
 * What a validation derives from a session bundle: the public user and session, and what the
 * user's grants give. The session cache (`session-cache.ts`) keeps them in place of the bundle
 * and reuses them until the next of its grants expires.
 */
export interface BundleViews extends ContextViews {
  /** The instant (epoch ms) these views stop holding: when the next live grant expires. */
  readonly until: number;
}

/** The views of `bundle` at `now`; what its grants give comes from `memo` when one is given (see {@link GrantViewsMemo}). */
export function viewsOf(bundle: SessionBundle, now: Date, memo?: GrantViewsMemo): BundleViews {
  return withGrants(Object.freeze(toUser(bundle.user)), Object.freeze(toSession(bundle.session)), bundle.grants, now, memo);
}

/** The views of `views`' user and session with what `grants` give at `now`: for a cached session whose grant just expired. */
export function regrant(views: BundleViews, grants: readonly RoleGrant[], now: Date, memo?: GrantViewsMemo): BundleViews {
  return withGrants(views.user, views.session, grants, now, memo);
}

function withGrants(user: BundleViews['user'], session: BundleViews['session'], grants: readonly RoleGrant[], now: Date, memo: GrantViewsMemo | undefined): BundleViews {
  const { roles, permissions, level, compiled, until } = memo === undefined ? grantViews(grants, now) : memo.of(grants, now);
  return { user, session, roles, permissions, level, permissionSet: new PermissionSet(compiled, user.id), until };
}
