import type { ImmutableDate } from '../domain/immutable.js';
import type { AuthStore } from './auth-store.js';
import type { RoleGrant } from '../domain/role.js';
import type { SessionRecord } from '../domain/session.js';
import type { UserRecord } from '../domain/user.js';

/** A session found by its token, with everything needed to authorise the request; its records may be frozen, with {@link ImmutableDate}s (see {@link AuthStore}). */
export interface SessionBundle {
  /** The session. */
  readonly session: SessionRecord;
  /** The session's user. */
  readonly user: UserRecord;
  /** Every role assignment of the user, live or not, with each role's active permissions. */
  readonly grants: readonly RoleGrant[];
  /** The session's revision when the bundle was read (see {@link AuthStore.findSessionRevision}); only from a store that has revisions. */
  readonly revision?: number | undefined;
  /**
   * `true` when {@link session} and {@link user} are sealed: frozen, every `Date` in them an
   * {@link ImmutableDate}, the user's `attributes` frozen throughout. The core then builds the
   * request's context from their values as they are, without looking at each `Date` (on a
   * session never validated before, in a store of many, those objects are out of the
   * processor's caches). A store MUST NOT say so of records that are not sealed; leaving it
   * out is always correct.
   */
  readonly sealed?: boolean | undefined;
}
