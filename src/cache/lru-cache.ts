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

  /** @param capacity How many entries are kept; `0` keeps none. */
  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new TypeError('LruCache: capacity must be a whole number ≥ 0');
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
    if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value as K);
    this.#entries.set(key, value);
    this.#newest = key;
  }

  delete(key: K): boolean {
    if (key === this.#newest) this.#newest = undefined;
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#newest = undefined;
  }

  get size(): number {
    return this.#entries.size;
  }
}
