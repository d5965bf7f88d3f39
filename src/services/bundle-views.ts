import { deepFreeze, immutableDate, immutableDateOrNull } from '../domain/immutable.js';
import { PermissionSet } from '../domain/permission.js';
import type { RoleGrant } from '../domain/role.js';
import type { Session, SessionRecord } from '../domain/session.js';
import type { User, UserRecord } from '../domain/user.js';
import type { SessionBundle } from '../ports/auth-store.js';
import type { ContextViews } from '../domain/principal.js';
import { grantViews, type GrantViewsMemo } from './grant-views.js';

/**
 * What a validation derives from a session bundle: the public user and session, and what the
 * user's grants give. The session cache (`session-cache.ts`) keeps them in place of the bundle
 * and reuses them until the next of its grants expires.
 *
 * Every request of the session is handed these very objects, so nothing in them can be
 * changed: the user and session are frozen, their `Date`s are {@link ImmutableDate}s (a store
 * that hands them out already, as the memory store does, has them taken as they are, not
 * copied), the user's `attributes` are frozen throughout.
 */
export interface BundleViews extends ContextViews {
  /** The instant (epoch ms) these views stop holding: when the next live grant expires. */
  readonly until: number;
}

/** The views of `bundle` at `now`; what its grants give comes from `memo` when one is given (see {@link GrantViewsMemo}). */
export function viewsOf(bundle: SessionBundle, now: Date, memo?: GrantViewsMemo): BundleViews {
  return withGrants(contextUser(bundle.user), contextSession(bundle.session), bundle.grants, now, memo);
}

/** The views of `views`' user and session with what `grants` give at `now`: for a cached session whose grant just expired. */
export function regrant(views: BundleViews, grants: readonly RoleGrant[], now: Date, memo?: GrantViewsMemo): BundleViews {
  return withGrants(views.user, views.session, grants, now, memo);
}

function withGrants(user: BundleViews['user'], session: BundleViews['session'], grants: readonly RoleGrant[], now: Date, memo: GrantViewsMemo | undefined): BundleViews {
  const { roles, permissions, level, compiled, until } = memo === undefined ? grantViews(grants, now) : memo.of(grants, now);
  return { user, session, roles, permissions, level, permissionSet: new PermissionSet(compiled, user.id), until };
}

/**
 * The user of a context: the record without its password hash, frozen, with immutable `Date`s
 * and frozen attributes. The store's bundle is a read of its own (or, from the memory store,
 * frozen already), so its attributes are frozen in place.
 */
function contextUser(record: UserRecord): User {
  return Object.freeze<User>({
    id: record.id,
    email: record.email,
    name: record.name,
    status: record.status,
    statusReason: record.statusReason,
    statusUntil: immutableDateOrNull(record.statusUntil),
    emailVerifiedAt: immutableDateOrNull(record.emailVerifiedAt),
    mustChangePassword: record.mustChangePassword,
    locale: record.locale,
    attributes: deepFreeze(record.attributes),
    lastLoginAt: immutableDateOrNull(record.lastLoginAt),
    createdAt: immutableDate(record.createdAt),
    updatedAt: immutableDate(record.updatedAt),
  });
}

/** The session of a context: the record without its token hash, frozen, with immutable `Date`s. */
function contextSession(record: SessionRecord): Session {
  return Object.freeze<Session>({
    id: record.id,
    userId: record.userId,
    ip: record.ip,
    userAgent: record.userAgent,
    rememberMe: record.rememberMe,
    createdAt: immutableDate(record.createdAt),
    lastActiveAt: immutableDate(record.lastActiveAt),
    expiresAt: immutableDate(record.expiresAt),
    revokedAt: immutableDateOrNull(record.revokedAt),
  });
}
