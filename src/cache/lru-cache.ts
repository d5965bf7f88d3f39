/**
 * A bounded map that evicts the least recently used entry: a hit moves its entry to the
 * young end (a `Map` keeps insertion order, so delete and set again), and beyond `capacity`
 * the oldest entry goes. A working set that fits stays cached however many one-off keys
 * pass through, where evicting the oldest *added* would drop the busiest entries first.
 * Every operation is O(1).
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();
  /** The key most recently used while it is in the map: a hit on it moves nothing (one session's requests in a row, say). */
  #newest: K | undefined;
  /**
   * The map's keys, oldest first, walked by one iterator kept from eviction to eviction. A
   * `Map` leaves a hole where an entry was deleted until its table is next compacted, and a
   * fresh iterator steps over every hole at the front: a full cache of 10,000 entries took
   * ~35 µs an eviction that way, more than the rest of a first validation. A kept iterator
   * steps over each hole once (a map's iterators live on through its deletions, insertions and
   * compactions). Every key it passed was evicted, so the next it yields is the oldest.
   */
  #oldest: IterableIterator<K>;

  /** @param capacity How many entries are kept; `0` keeps none. */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new TypeError('LruCache: capacity must be a whole number ≥ 0');
    this.#oldest = this.#entries.keys();
  }

  /** The entry for `key`, now the most recently used, or `undefined`. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined || key === this.#newest) return value;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#newest = key;
    return value;
  }

  /** The entry for `key` without counting a use, or `undefined`. */
  peek(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** Adds or replaces the entry for `key` as the most recently used, evicting the least recently used beyond capacity. */
  set(key: K, value: V): void {
    if (this.capacity === 0) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.capacity) this.#entries.delete(this.#evictee());
    this.#entries.set(key, value);
    this.#newest = key;
  }

  /** The least recently used key; the map is not empty. */
  #evictee(): K {
    let next = this.#oldest.next();
    // Not expected (only an empty map ends the walk), but an ended iterator stays ended.
    if (next.done === true) next = (this.#oldest = this.#entries.keys()).next();
    return next.value as K;
  }

  delete(key: K): boolean {
    if (key === this.#newest) this.#newest = undefined;
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#newest = undefined;
    this.#oldest = this.#entries.keys();
  }

  get size(): number {
    return this.#entries.size;
  }
}
