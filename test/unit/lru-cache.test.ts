import { describe, expect, it, vi } from 'vitest';
import { LruCache } from '../../src/cache/lru-cache.js';

/** How many of `keys` a cache answers, reading each once in order. */
const hits = <V>(cache: LruCache<number, V>, keys: Iterable<number>): number => {
  let found = 0;
  for (const key of keys) if (cache.get(key) !== undefined) found += 1;
  return found;
};

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('LruCache', () => {
  it('evicts the least recently used entry, not the oldest added: 12,000 sessions over 10,000 places keep the 8,000 in use cached', () => {
    const cache = new LruCache<number, string>(10_000);
    // 10,000 sessions validated once; 8,000 of them validated again (the users still at work)…
    for (const key of range(0, 10_000)) cache.set(key, `bundle ${key}`);
    expect(hits(cache, range(0, 8_000))).toBe(8_000);
    // …then 2,000 new sign-ins: the 2,000 sessions nobody used since go, the busy ones stay.
    for (const key of range(10_000, 12_000)) cache.set(key, `bundle ${key}`);
    expect(cache.size).toBe(10_000);
    // Evicting by insertion order would have dropped sessions 0–1,999, busy ones, and kept 8,000–9,999.
    expect(hits(cache, range(0, 8_000))).toBe(8_000);
    expect(hits(cache, range(8_000, 10_000))).toBe(0);
    expect(hits(cache, range(10_000, 12_000))).toBe(2_000);
  });

  it('refreshes an entry on a hit and on a replacing set; delete(), clear() and capacity 0 keep nothing', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
    cache.set('a', 10);
    cache.set('d', 4);
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([10, undefined, 4]);
    expect(cache.delete('a')).toBe(true);
    cache.clear();
    expect(cache.size).toBe(0);
    const none = new LruCache<string, number>(0);
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
    expect(() => new LruCache(-1)).toThrow(TypeError);
  });

  it('evicts by one walk of the keys kept from eviction to eviction, not a new walk from the front each time (which steps over every deleted entry there)', () => {
    const cache = new LruCache<number, number>(1_000);
    // The same uses on a plain list, least recently used first: what the cache must keep.
    let model: number[] = [];
    const use = (key: number, set: boolean): void => {
      const index = model.indexOf(key);
      if (index >= 0) model.splice(index, 1);
      else if (!set) return;
      model.push(key);
      if (model.length > 1_000) model = model.slice(1);
    };
    for (const key of range(0, 1_000)) {
      cache.set(key, key);
      use(key, true);
    }
    const walks = vi.spyOn(Map.prototype, 'keys');
    try {
      // 5,000 new keys through a full cache, with hits and deletions among them: thousands of evictions.
      for (const key of range(1_000, 6_000)) {
        cache.set(key, key);
        use(key, true);
        if (key % 3 === 0 && cache.get(key - 500) !== undefined) use(key - 500, false);
        if (key % 7 === 0 && cache.delete(key - 200)) model.splice(model.indexOf(key - 200), 1);
      }
      expect(walks).not.toHaveBeenCalled();
    } finally {
      walks.mockRestore();
    }
    // And the walk still yielded the least recently used key each time.
    expect(cache.size).toBe(model.length);
    expect(hits(cache, model)).toBe(model.length);
    cache.clear();
    for (const key of range(0, 1_500)) cache.set(key, key);
    expect(hits(cache, range(500, 1_500))).toBe(1_000);
    expect(hits(cache, range(0, 500))).toBe(0);
  });
});
