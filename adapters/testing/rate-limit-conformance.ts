import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { RateLimitStore } from 'gatehouse';
import type { ConformanceCase } from './conformance.js';
import { at } from './fixtures.js';

/**
 * One named, independent check of the {@link RateLimitStore} contract. Cases that move the
 * clock by `at` are named `clock: …`; each uses keys of its own, so one store may serve them all.
 */
export type RateLimitConformanceCase = ConformanceCase<RateLimitStore>;

const cases: RateLimitConformanceCase[] = [];
const check = (name: string, run: (store: RateLimitStore) => Promise<void>): void => {
  cases.push({ name, run });
};

/** A key no other run uses. */
const fresh = (name: string): string => `conformance:${name}:${randomUUID()}`;

check('hitRateLimit() allows limit hits in a window and refuses the rest, with the hits remaining and the seconds left', async (store) => {
  const key = fresh('count');
  const rule = { limit: 3, window: 60 };
  assert.deepEqual(await store.hitRateLimit(key, { ...rule, at: at(0) }), { allowed: true, remaining: 2, retryAfter: 60 });
  assert.deepEqual(await store.hitRateLimit(key, { ...rule, at: at(0) }), { allowed: true, remaining: 1, retryAfter: 60 });
  assert.deepEqual(await store.hitRateLimit(key, { ...rule, at: at(0) }), { allowed: true, remaining: 0, retryAfter: 60 });
  const refused = await store.hitRateLimit(key, { ...rule, at: at(0) });
  assert.equal(refused.allowed, false);
  assert.equal(refused.remaining, 0);
  assert.ok(refused.retryAfter >= 1 && refused.retryAfter <= 60, `retryAfter ${refused.retryAfter}`);
});

check('hitRateLimit() allows exactly limit of 30 concurrent hits on one key', async (store) => {
  const key = fresh('crowd');
  const decisions = await Promise.all(Array.from({ length: 30 }, () => store.hitRateLimit(key, { limit: 7, window: 60, at: at(0) })));
  assert.equal(decisions.filter((d) => d.allowed).length, 7);
  assert.deepEqual(
    decisions.map((d) => d.remaining).sort((a, b) => b - a),
    [6, 5, 4, 3, 2, 1, ...Array<number>(24).fill(0)],
  );
});

check('hitRateLimit() keeps keys apart, whatever they hold (addresses, any characters, long keys)', async (store) => {
  const base = fresh('apart');
  const keys = [`${base}:ana@example.com`, `${base}:ANA@example.com`, `${base}:2001:db8::/64`, `${base}:'; drop table x; --`, `${base}:${'x'.repeat(500)}`, `${base}:ñ\u00a0✓`];
  for (const key of keys) assert.equal((await store.hitRateLimit(key, { limit: 1, window: 60, at: at(0) })).allowed, true, key);
  for (const key of keys) assert.equal((await store.hitRateLimit(key, { limit: 1, window: 60, at: at(0) })).allowed, false, key);
});

check('clock: hitRateLimit() counts the window from its first hit, and starts a new one with the first hit at or after its end', async (store) => {
  const key = fresh('window');
  const rule = { limit: 2, window: 60 };
  await store.hitRateLimit(key, { ...rule, at: at(100) });
  assert.deepEqual(await store.hitRateLimit(key, { ...rule, at: at(130) }), { allowed: true, remaining: 0, retryAfter: 30 });
  assert.deepEqual(await store.hitRateLimit(key, { ...rule, at: at(159.5) }), { allowed: false, remaining: 0, retryAfter: 1 });
  assert.deepEqual(await store.hitRateLimit(key, { ...rule, at: at(160) }), { allowed: true, remaining: 1, retryAfter: 60 });
});

check('clock: deleteRateLimitsBefore(), where the store has it, deletes the windows that ended and counts them; a deleted key starts afresh', async (store) => {
  if (store.deleteRateLimitsBefore === undefined) return;
  const [ended, running] = [fresh('ended'), fresh('running')];
  await store.hitRateLimit(ended, { limit: 1, window: 10, at: at(1_000_000) });
  await store.hitRateLimit(running, { limit: 1, window: 100, at: at(1_000_000) });
  // Windows of other runs may end too: at least this one went, and the running one stayed.
  assert.ok((await store.deleteRateLimitsBefore(at(1_000_010))) >= 1);
  assert.equal((await store.hitRateLimit(running, { limit: 1, window: 100, at: at(1_000_010) })).allowed, false);
  assert.equal((await store.hitRateLimit(ended, { limit: 1, window: 10, at: at(1_000_010) })).remaining, 0);
});

/**
 * The rate-limit store conformance suite: every MUST of the {@link RateLimitStore} contract
 * as a named case. Cases named `clock:` move time through `at`; a store that measures windows
 * by its own clock (Redis) leaves them out and checks expiry its own way.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { rateLimitConformanceCases } from 'gatehouse/testing';
 *
 * describe('MyRateLimitStore', () => {
 *   for (const c of rateLimitConformanceCases) it(c.name, () => c.run(store));
 * });
 * ```
 */
export const rateLimitConformanceCases: readonly RateLimitConformanceCase[] = Object.freeze(cases);
