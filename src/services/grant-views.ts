import { LruCache } from '../cache/lru-cache.js';
import { CompiledPermissions } from '../domain/permission.js';
import { isGrantLive, livePermissions, liveRoles, principalLevel, type ActiveRole, type RoleGrant } from '../domain/role.js';

/** What a user's role grants give at an instant. */
export interface GrantViews {
  /** Live roles, highest level first, frozen. */
  readonly roles: readonly ActiveRole[];
  /** Effective permission codes, sorted, frozen. */
  readonly permissions: readonly string[];
  /** The level of the principal role, 0 without roles. */
  readonly level: number;
  /** {@link permissions}, compiled for checks. */
  readonly compiled: CompiledPermissions;
  /** The instant (epoch ms) these views stop holding: when the next live grant expires. */
  readonly until: number;
}

/** How many distinct sets of grants a {@link GrantViewsMemo} keeps: an application has a handful of role combinations. */
const MEMO_CAPACITY = 512;

/**
 * The views of role grants, shared by every session whose user holds the same live grants:
 * a thousand customers signing in compile their permissions once, and their cached sessions
 * hold one set between them instead of one each (what a first validation allocated and kept
 * was most of its cost, in the garbage collector).
 *
 * The key is what the views are made of — each live grant's role code, name, level and
 * active permission codes, as the store just answered them — so an answer is never stale:
 * a role revoked or deactivated, a permission removed or deactivated, a role renamed or
 * re-levelled gives other grants and so another key. Grants with a live assignment that
 * expires are not shared: their views hold only until that instant and carry its `Date`.
 */
export class GrantViewsMemo {
  readonly #views = new LruCache<string, GrantViews>(MEMO_CAPACITY);

  /** The views of `grants` at `now`: remembered ones when the same live grants were seen before. */
  of(grants: readonly RoleGrant[], now: Date): GrantViews {
    const key = sharedKey(grants, now);
    if (key === null) return grantViews(grants, now);
    let views = this.#views.get(key);
    if (views === undefined) this.#views.set(key, (views = grantViews(grants, now)));
    return views;
  }

  /** How many sets of grants are remembered. */
  get size(): number {
    return this.#views.size;
  }
}

/** The views of `grants` at `now`, computed afresh. */
export function grantViews(grants: readonly RoleGrant[], now: Date): GrantViews {
  const at = now.getTime();
  const roles = Object.freeze(liveRoles(grants, now).map((role) => Object.freeze(role)));
  const permissions = Object.freeze(livePermissions(grants, now));
  let until = Number.POSITIVE_INFINITY;
  for (const grant of grants) {
    const expires = grant.expiresAt?.getTime();
    if (grant.role.active && expires !== undefined && expires > at) until = Math.min(until, expires);
  }
  return { roles, permissions, level: principalLevel(roles), compiled: new CompiledPermissions(permissions), until };
}

/**
 * What the views of `grants` at `now` are made of, as one string, or `null` when a live
 * grant expires (such views are not shared). Strings are length-prefixed and numbers end in
 * `:`, so two different sets of grants never give the same key, whatever a role's name holds.
 */
function sharedKey(grants: readonly RoleGrant[], now: Date): string | null {
  let key = '';
  for (const grant of grants) {
    if (!isGrantLive(grant, now)) continue;
    if (grant.expiresAt !== null) return null;
    const { code, name, level } = grant.role;
    key += `${code.length}:${code}${name.length}:${name}${level}:${grant.permissions.length}:`;
    for (const permission of grant.permissions) key += `${permission.length}:${permission}`;
  }
  return key;
}
