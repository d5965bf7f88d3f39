import { LruCache } from '../cache/lru-cache.js';
import type { RoleGrant } from '../domain/role.js';
import type { AuthStore } from '../ports/auth-store.js';
import { regrant, viewsOf, type BundleViews } from './bundle-views.js';
import { GrantViewsMemo } from './grant-views.js';

/**
 * What a validation derived from a session as the store last answered it. Not the bundle
 * itself: an entry lives until evicted, so what it holds is promoted by the garbage collector
 * and marked until then, and the store's copies of the session, the user and each grant (with
 * their `Date`s) were most of a first validation's cost. The grants stay only while one of them
 * expires, to derive the views again at that instant.
 */
export interface CachedSession {
  /** The bundle's revision, `undefined` from a store without revisions. */
  readonly revision: number | undefined;
  /** The public user and session, and what the grants give, derived at some instant before {@link BundleViews.until}. */
  views: BundleViews;
  /** The user's grants when a live one expires ({@link BundleViews.until} is finite), else `null`. */
  readonly grants: readonly RoleGrant[] | null;
  /** Until when (epoch ms) the entry is reused without asking the store: `sessions.cacheTtl` after it was last read or checked. */
  trustedUntil: number;
  /** The cache's generation when the entry was last read or checked: a commit in this process starts a new one. */
  generation: number;
}

/**
 * The one session cache of the core: what recently validated sessions gave, by token hash,
 * each with its revision (on the SQL stores, the session's `stamp`).
 *
 * - With a store that has revisions ({@link AuthStore.findSessionRevision}), a session
 *   validated again costs one small read, of its revision; while it matches, its views are
 *   reused. Every write that changes a bundle changes its revision in the
 *   writing transaction, whichever process writes, so a revocation, a block or a role change
 *   applies on the very next request.
 * - With `sessions.cacheTtl`, an entry is reused without even that read for up to that many
 *   seconds after it was last read or checked; a commit through this process ends that trust
 *   at once (a new generation), so its own changes still apply on the next request.
 * - Otherwise every validation reads the bundle in full.
 *
 * Bounded by `sessions.cacheSize`: the least recently used entries go first ({@link LruCache}).
 */
export class SessionCache {
  readonly #entries: LruCache<string, CachedSession>;
  readonly #revisions: boolean;
  /** What grants give, shared by the sessions of users with the same live grants. */
  readonly #grants = new GrantViewsMemo();
  #generation = 0;

  constructor(
    private readonly store: AuthStore,
    capacity: number,
    private readonly ttlMs: number,
  ) {
    this.#entries = new LruCache(capacity);
    this.#revisions = typeof store.findSessionRevision === 'function';
  }

  /**
   * The session with this token hash, from the cache when its revision still matches, else
   * from the store, handed to `use` (`null` when the store has none); resolves what `use`
   * answers. A continuation rather than a promise of the session, and promise chains rather
   * than async functions: this runs on every request, and each turn of the microtask queue
   * costs more than the check itself.
   */
  find<R>(tokenHash: string, now: Date, use: (found: CachedSession | null) => R | PromiseLike<R>): Promise<R> {
    const nowMs = now.getTime();
    const entry = this.#entries.get(tokenHash);
    const generation = this.#generation;
    if (entry !== undefined) {
      if (entry.generation === generation && nowMs < entry.trustedUntil) return Promise.resolve(entry).then(use);
      if (entry.revision !== undefined) {
        return this.store.findSessionRevision!(tokenHash).then((revision) => {
          if (revision !== entry.revision) return revision === null ? use(this.#gone(tokenHash)) : this.#load(tokenHash, now, generation, use);
          if (this.ttlMs > 0) {
            entry.trustedUntil = nowMs + this.ttlMs;
            entry.generation = generation;
          }
          return use(entry);
        });
      }
    }
    return this.#load(tokenHash, now, generation, use);
  }

  /** Reads the session in full, and keeps it when its revision (or `sessions.cacheTtl`) lets it be reused. */
  #load<R>(tokenHash: string, now: Date, generation: number, use: (found: CachedSession | null) => R | PromiseLike<R>): Promise<R> {
    return this.store.findSessionByTokenHash(tokenHash).then((bundle) => {
      // The store found the row by this hash; comparing again guards a lax store (a case-insensitive
      // collation, say). Not in constant time, deliberately: these are SHA-256 digests the store's
      // own lookup already compared, and learning how a digest begins tells nothing of the token.
      if (bundle === null || bundle.session.tokenHash !== tokenHash || bundle.session.userId !== bundle.user.id) return use(this.#gone(tokenHash));
      const revision = this.#revisions ? bundle.revision : undefined;
      // The validation's own instant (a `new Date()` here cost as much as the rest of the entry).
      const views = viewsOf(bundle, now, this.#grants);
      const grants = views.until === Number.POSITIVE_INFINITY ? null : bundle.grants;
      const loaded: CachedSession = { revision, views, grants, trustedUntil: now.getTime() + this.ttlMs, generation };
      // Keyed by the store's string (equal, checked above), not the one just hashed: a memory store holds it already, so the entry keeps no string of its own.
      if (revision !== undefined || this.ttlMs > 0) this.#entries.set(bundle.session.tokenHash, loaded);
      return use(loaded);
    });
  }

  /** The views of a found session at `now`: the remembered ones until the next of its grants expires. */
  viewsAt(found: CachedSession, now: Date): BundleViews {
    if (now.getTime() < found.views.until) return found.views;
    // `until` is finite only when the grants were kept.
    return (found.views = regrant(found.views, found.grants!, now, this.#grants));
  }

  /** Drops the entry of a session this process just changed (a renewal). */
  forget(tokenHash: string): void {
    this.#entries.delete(tokenHash);
  }

  /** A commit in this process: no entry is reused again without checking its revision (or reading it in full). */
  distrust(): void {
    this.#generation += 1;
  }

  #gone(tokenHash: string): null {
    this.#entries.delete(tokenHash);
    return null;
  }
}
