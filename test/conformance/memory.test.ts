import { describe, expect, it } from 'vitest';
import type { SessionBundle } from 'gatehouse';
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
  it('answers the session lookup at once, unless a transaction holds the store: then after it, with what it wrote', async () => {
    const store = new MemoryAuthStore();
    const owner = user();
    await store.insertUser(owner);
    const s = session(owner.id);
    await store.insertSession(s);
    const atOnce = store.findSessionByTokenHash(s.tokenHash);
    expect(atOnce).not.toBeInstanceOf(Promise);
    expect((atOnce as SessionBundle).session.id).toBe(s.id);

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = store.transaction(async (tx) => {
      await tx.revokeSession(s.id, new Date());
      await held;
    });
    const waiting = store.findSessionByTokenHash(s.tokenHash);
    expect(waiting).toBeInstanceOf(Promise);
    release();
    await transaction;
    expect((await waiting)?.session.revokedAt).toBeInstanceOf(Date);
    expect((store.findSessionByTokenHash(s.tokenHash) as SessionBundle).session.revokedAt).toBeInstanceOf(Date);
  });
});
