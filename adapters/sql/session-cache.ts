import type { SessionBundle } from 'gatehouse';
import { freezeBundle } from '../shared/frozen-bundle.js';

/** A session's bundle as the database last answered it, with the session's stamp at that moment. */
export interface StampedBundle {
  readonly bundle: SessionBundle;
  readonly stamp: number;
}

/**
 * The bundles of recently validated sessions, by token hash, so that validating a session
 * again reads only the session's stamp. Every write that changes the session (its renewal,
 * its revocation) or its user, the user's roles or their permissions bumps the stamp in the
 * writing transaction, so a bundle whose stamp still matches is exactly what the full query
 * would answer — whichever process wrote.
 *
 * Bounded: beyond `capacity` entries the least recently used is dropped (a hit moves its entry
 * to the young end, as the core's `LruCache` does). Entries are frozen (see
 * {@link freezeBundle}), as they are handed out to every caller.
 */
export class SessionCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, StampedBundle>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(tokenHash: string): StampedBundle | undefined {
    const entry = this.#entries.get(tokenHash);
    if (entry !== undefined) {
      this.#entries.delete(tokenHash);
      this.#entries.set(tokenHash, entry);
    }
    return entry;
  }

  set(tokenHash: string, entry: StampedBundle): void {
    if (this.#capacity === 0) return;
    this.#entries.delete(tokenHash);
    if (this.#entries.size >= this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
    const bundle = freezeBundle(entry.bundle);
    this.#entries.set(tokenHash, Object.freeze({ bundle, stamp: entry.stamp }));
  }

  delete(tokenHash: string): void {
    this.#entries.delete(tokenHash);
  }
}
