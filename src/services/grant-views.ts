import { LruCache } from '../cache/lru-cache.js';
import { immutableDateOrNull } from '../domain/immutable.js';
import { CompiledPermissions } from '../domain/permission.js';
import { livePermissions, liveRoles, principalLevel, type ActiveRole, type RoleGrant } from '../domain/role.js';

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
/** How many of the sets of grants seen last a {@link GrantViewsMemo} matches field by field before it builds a key. */
const RECENT = 8;

/** What a set of live grants that expire nowhere is made of, flat: per grant its role's code, name, level and active permission codes. */
type Signature = readonly (string | number | readonly string[])[];

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
  /**
   * The sets of grants seen last, most recent first, matched field by field (a store that
   * hands out the same frozen array of a role's codes, as the memory store does, matches
   * them by identity): most first validations are of users holding a combination seen a
   * moment before, and are answered without building, flattening and hashing a key.
   */
  readonly #recent: { readonly signature: Signature; readonly views: GrantViews }[] = [];

  /** The views of `grants` at `now`: remembered ones when the same live grants were seen before. */
  of(grants: readonly RoleGrant[], now: Date): GrantViews {
    const at = now.getTime();
    if (!shareable(grants, at)) return grantViews(grants, now);
    const recent = this.#recent;
    for (let i = 0; i < recent.length; i += 1) {
      const seen = recent[i]!;
      if (!matches(seen.signature, grants, at)) continue;
      if (i > 0) recent.copyWithin(1, 0, i)[0] = seen;
      return seen.views;
    }
    const key = sharedKey(grants, at);
    let views = this.#views.get(key);
    if (views === undefined) this.#views.set(key, (views = grantViews(grants, now)));
    recent.unshift({ signature: signatureOf(grants, at), views });
    if (recent.length > RECENT) recent.pop();
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
  // Frozen, and each expiry an immutable `Date`: every request of every session holding these grants is handed these objects.
  const roles = Object.freeze(liveRoles(grants, now).map((role) => Object.freeze({ ...role, expiresAt: immutableDateOrNull(role.expiresAt) })));
  const permissions = Object.freeze(livePermissions(grants, now));
  let until = Number.POSITIVE_INFINITY;
  for (const grant of grants) {
    const expires = grant.expiresAt?.getTime();
    if (grant.role.active && expires !== undefined && expires > at) until = Math.min(until, expires);
  }
  return { roles, permissions, level: principalLevel(roles), compiled: new CompiledPermissions(permissions), until };
}

/** Whether a grant gives anything at `at` (epoch ms): `isGrantLive()` of the domain, without a `Date`. */
function live(grant: RoleGrant, at: number): boolean {
  return grant.role.active && (grant.expiresAt === null || grant.expiresAt.getTime() > at);
}

/** Whether the views of `grants` at `at` may be shared: no live grant expires (such views hold only until it). */
function shareable(grants: readonly RoleGrant[], at: number): boolean {
  for (const grant of grants) if (grant.expiresAt !== null && live(grant, at)) return false;
  return true;
}

/**
 * What the views of shareable `grants` at `at` are made of, as one string. Strings are
 * length-prefixed and numbers end in `:`, so two different sets of grants never give the
 * same key, whatever a role's name holds.
 */
function sharedKey(grants: readonly RoleGrant[], at: number): string {
  let key = '';
  for (const grant of grants) {
    if (!live(grant, at)) continue;
    const { code, name, level } = grant.role;
    key += `${code.length}:${code}${name.length}:${name}${level}:${grant.permissions.length}:`;
    for (const permission of grant.permissions) key += `${permission.length}:${permission}`;
  }
  return key;
}

/** The {@link Signature} of shareable `grants` at `at`. */
function signatureOf(grants: readonly RoleGrant[], at: number): Signature {
  const signature: (string | number | readonly string[])[] = [];
  for (const grant of grants) {
    if (live(grant, at)) signature.push(grant.role.code, grant.role.name, grant.role.level, Object.isFrozen(grant.permissions) ? grant.permissions : Object.freeze([...grant.permissions]));
  }
  return signature;
}

/** Whether shareable `grants` at `at` are made of what `signature` says, in the same order. */
function matches(signature: Signature, grants: readonly RoleGrant[], at: number): boolean {
  let i = 0;
  for (const grant of grants) {
    if (!live(grant, at)) continue;
    if (i + 4 > signature.length) return false;
    const role = grant.role;
    if (signature[i] !== role.code || signature[i + 1] !== role.name || signature[i + 2] !== role.level) return false;
    if (!sameCodes(signature[i + 3] as readonly string[], grant.permissions)) return false;
    i += 4;
  }
  return i === signature.length;
}

function sameCodes(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
