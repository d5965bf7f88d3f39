import { LruCache } from '../cache/lru-cache.js';
import type { AuthStore, SessionBundle } from '../ports/auth-store.js';
import { viewsOf, type BundleViews } from './bundle-views.js';
import { GrantViewsMemo } from './grant-views.js';

/** A session as the store last answered it, with what a validation derived from it. */
export interface CachedSession {
  /** The session, its user and the user's grants. */
  readonly bundle: SessionBundle;
  /** The bundle's revision, `undefined` from a store without revisions. */
  readonly revision: number | undefined;
  /** What the bundle gives, derived at some instant before {@link BundleViews.until}. */
  views: BundleViews;
  /** Until when (epoch ms) the entry is reused without asking the store: `sessions.cacheTtl` after it was last read or checked. */
  trustedUntil: number;
  /** The cache's generation when the entry was last read or checked: a commit in this process starts a new one. */
  generation: number;
}

/**
 * The one session cache of the core: the bundles of recently validated sessions by token
 * hash, each with its revision (on the SQL stores, the session's `stamp`) and its views.
 *
 * - With a store that has revisions ({@link AuthStore.findSessionRevision}), a session
 *   validated again costs one small read, of its revision; while it matches, the bundle and
 *   its views are reused. Every write that changes a bundle changes its revision in the
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
  find<R>(tokenHash: string, nowMs: number, use: (found: CachedSession | null) => R | PromiseLike<R>): Promise<R> {
    const entry = this.#entries.get(tokenHash);
    const generation = this.#generation;
    if (entry !== undefined) {
      if (entry.generation === generation && nowMs < entry.trustedUntil) return Promise.resolve(entry).then(use);
      if (entry.revision !== undefined) {
        return this.store.findSessionRevision!(tokenHash).then((revision) => {
          if (revision !== entry.revision) return revision === null ? use(this.#gone(tokenHash)) : this.#load(tokenHash, nowMs, generation, use);
          if (this.ttlMs > 0) {
            entry.trustedUntil = nowMs + this.ttlMs;
            entry.generation = generation;
          }
          return use(entry);
        });
      }
    }
    return this.#load(tokenHash, nowMs, generation, use);
  }

  /** Reads the session in full, and keeps it when its revision (or `sessions.cacheTtl`) lets it be reused. */
  #load<R>(tokenHash: string, nowMs: number, generation: number, use: (found: CachedSession | null) => R | PromiseLike<R>): Promise<R> {
    return this.store.findSessionByTokenHash(tokenHash).then((bundle) => {
      if (bundle === null) return use(this.#gone(tokenHash));
      const revision = this.#revisions ? bundle.revision : undefined;
      const loaded: CachedSession = { bundle, revision, views: viewsOf(bundle, new Date(nowMs), this.#grants), trustedUntil: nowMs + this.ttlMs, generation };
      if (revision !== undefined || this.ttlMs > 0) this.#entries.set(tokenHash, loaded);
      return use(loaded);
    });
  }

  /** The views of a found session at `now`: the remembered ones until the next of its grants expires. */
  viewsAt(found: CachedSession, now: Date): BundleViews {
    if (now.getTime() < found.views.until) return found.views;
    return (found.views = viewsOf(found.bundle, now, this.#grants));
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
