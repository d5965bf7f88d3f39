import { deepFreeze, immutableDate, immutableDateOrNull } from '../domain/immutable.js';
import { PermissionSet } from '../domain/permission.js';
import type { RoleGrant } from '../domain/role.js';
import type { Session, SessionRecord } from '../domain/session.js';
import type { JsonObject, User, UserRecord } from '../domain/user.js';
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
  const seal = bundle.sealed === true ? SEALED : UNSEALED;
  return withGrants(contextUser(bundle.user, seal), contextSession(bundle.session, seal), bundle.grants, now, memo);
}

/** How a record's `Date`s and JSON reach a context: taken as they are from a sealed bundle ({@link SessionBundle.sealed}), else made immutable. */
interface Seal {
  readonly date: (date: Date) => Date;
  readonly dateOrNull: (date: Date | null) => Date | null;
  readonly json: <T extends JsonObject>(value: T) => T;
}
const asIs = <T>(value: T): T => value;
const SEALED: Seal = { date: asIs, dateOrNull: asIs, json: asIs };
const UNSEALED: Seal = { date: immutableDate, dateOrNull: immutableDateOrNull, json: deepFreeze };

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
function contextUser(record: UserRecord, seal: Seal): User {
  return Object.freeze<User>({
    id: record.id,
    email: record.email,
    name: record.name,
    status: record.status,
    statusReason: record.statusReason,
    statusUntil: seal.dateOrNull(record.statusUntil),
    emailVerifiedAt: seal.dateOrNull(record.emailVerifiedAt),
    mustChangePassword: record.mustChangePassword,
    locale: record.locale,
    attributes: seal.json(record.attributes),
    lastLoginAt: seal.dateOrNull(record.lastLoginAt),
    createdAt: seal.date(record.createdAt),
    updatedAt: seal.date(record.updatedAt),
  });
}

/** The session of a context: the record without its token hash, frozen, with immutable `Date`s. */
function contextSession(record: SessionRecord, seal: Seal): Session {
  return Object.freeze<Session>({
    id: record.id,
    userId: record.userId,
    ip: record.ip,
    userAgent: record.userAgent,
    rememberMe: record.rememberMe,
    createdAt: seal.date(record.createdAt),
    lastActiveAt: seal.date(record.lastActiveAt),
    expiresAt: seal.date(record.expiresAt),
    revokedAt: seal.dateOrNull(record.revokedAt),
  });
}
