import { describe, expect, it } from 'vitest';
import { MemoryAuthStore, MemoryRateLimitStore } from 'gatehouse/memory';
import { rateLimitConformanceCases, storeConformanceCases } from 'gatehouse/testing';
import { session, user } from '../../adapters/testing/fixtures.js';

describe('MemoryAuthStore conformance', () => {
  for (const c of storeConformanceCases) it(c.name, () => c.run(new MemoryAuthStore()));
  for (const c of rateLimitConformanceCases) it(`rate limits: ${c.name}`, () => c.run(new MemoryAuthStore()));
});

describe('MemoryRateLimitStore conformance', () => {
  for (const c of rateLimitConformanceCases) it(c.name, () => c.run(new MemoryRateLimitStore()));
});

describe('MemoryAuthStore', () => {
  it('answers the session lookup with a promise; while a transaction holds the store, after it, with what it wrote', async () => {
    const store = new MemoryAuthStore();
    const owner = user();
    await store.insertUser(owner);
    const s = session(owner.id);
    await store.insertSession(s);
    const first = store.findSessionByTokenHash(s.tokenHash);
    expect(first).toBeInstanceOf(Promise);
    expect((await first)?.session.id).toBe(s.id);

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = store.transaction(async (tx) => {
      await tx.revokeSession(s.id, new Date());
      await held;
    });
    let answered = false;
    const waiting = store.findSessionByTokenHash(s.tokenHash).then((bundle) => ((answered = true), bundle));
    const revision = store.findSessionRevision(s.tokenHash);
    for (let turn = 0; turn < 10; turn += 1) await Promise.resolve();
    expect(answered).toBe(false);
    release();
    await transaction;
    expect((await waiting)?.session.revokedAt).toBeInstanceOf(Date);
    expect((await store.findSessionByTokenHash(s.tokenHash))?.session.revokedAt).toBeInstanceOf(Date);
    expect(await revision).toBe((await store.findSessionByTokenHash(s.tokenHash))?.revision);
  });
});
