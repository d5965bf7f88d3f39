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

  it('a session’s revision moves with its own row, its user and the grants, not with other sessions or other users', async () => {
    const store = new MemoryAuthStore();
    const [owner, other] = [user(), user()];
    await store.insertUser(owner);
    await store.insertUser(other);
    const s = session(owner.id);
    await store.insertSession(s);
    const revision = async (): Promise<number | null> => (await store.findSessionRevision(s.tokenHash)) ?? null;
    const start = await revision();

    // Another sign-in of the same user, another user's sign-in and change: the cached bundle stays valid.
    await store.insertSession(session(owner.id));
    await store.insertSession(session(other.id));
    await store.updateUser(other.id, { name: 'Someone else', updatedAt: new Date() });
    expect(await revision()).toBe(start);

    // Its own renewal, its user's change, a change to the grants: each a revision never seen.
    const seen = new Set([start]);
    const moves = [
      () => store.touchSession(s.id, { lastActiveAt: new Date(), expiresAt: new Date(Date.now() + 3600_000) }),
      () => store.updateUser(owner.id, { name: 'Renamed', updatedAt: new Date() }),
      () => store.upsertRole({ code: 'clerk', name: 'Clerk', description: '', level: 5, active: true, createdAt: new Date(), updatedAt: new Date() }),
    ];
    for (const move of moves) {
      await move();
      const now = await revision();
      expect(seen.has(now)).toBe(false);
      seen.add(now);
    }
    // A rolled-back write moves it too (the row was written, then put back): never to an old value.
    await store.transaction(async (tx) => {
      await tx.updateUser(owner.id, { name: 'Not kept', updatedAt: new Date() });
      throw new Error('roll back');
    }).catch(() => undefined);
    const after = await revision();
    expect(seen.has(after)).toBe(false);
    expect((await store.findSessionByTokenHash(s.tokenHash))?.user.name).toBe('Renamed');
    expect((await store.findSessionByTokenHash(s.tokenHash))?.revision).toBe(after);
  });
});
