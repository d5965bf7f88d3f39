import { describe, expect, it } from 'vitest';
import { ImmutableDate, type AuthStore, type RoleGrant, type SessionBundle } from 'gatehouse';
import { MemoryAuthStore } from 'gatehouse/memory';
import { session as fixtureSession, user as fixtureUser } from '../../adapters/testing/fixtures.js';
import { SessionCache } from '../../src/services/session-cache.js';
import { roleGrant } from '../support/role-grant.js';
import { member, shop } from '../support/shop.js';

/** A memory store that counts its reads of a session: in full (findSessionByTokenHash()) and of its revision alone. */
function countingStore(): { store: AuthStore; lookups: () => number; fullReads: () => number } {
  let full = 0;
  let revisions = 0;
  const inner = new MemoryAuthStore();
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (property === 'findSessionByTokenHash') full += 1;
        if (property === 'findSessionRevision') revisions += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as AuthStore;
  return { store, lookups: () => full + revisions, fullReads: () => full };
}

describe('the session cache', () => {
  it('checks a session validated again by its revision alone, and reads it in full when the revision moved', async () => {
    const { store, fullReads } = countingStore();
    const h = await shop({ store });
    const m = await member(h, ['customer']);
    await h.auth.sessions.validate(m.token);
    const before = fullReads();
    for (let i = 0; i < 3; i += 1) expect(await h.auth.sessions.validate(m.token)).not.toBeNull();
    expect(fullReads() - before).toBe(0);
    await store.assignRole({ userId: m.user.id, roleCode: 'seller', assignedAt: h.clock.now(), assignedBy: null, expiresAt: null }); // not through gatehouse
    expect((await h.auth.sessions.validate(m.token))?.roles.map((r) => r.code)).toContain('seller');
    expect(fullReads() - before).toBe(1);
  });

  it('sessions.cacheSize 0 reads in full every time; a size that is not a whole number ≥ 0 is refused', async () => {
    const { store, fullReads } = countingStore();
    const h = await shop({ store, sessions: { cacheSize: 0 } });
    const m = await member(h, ['customer']);
    const before = fullReads();
    for (let i = 0; i < 3; i += 1) await h.auth.sessions.validate(m.token);
    expect(fullReads() - before).toBe(3);
    for (const cacheSize of [-1, 1.5, Number.NaN]) await expect(shop({ sessions: { cacheSize } })).rejects.toThrow();
  });
});

/** Every object reachable from `root` through own properties and array items (not through Dates' insides). */
function reachable(root: unknown): Set<object> {
  const seen = new Set<object>();
  const walk = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (value instanceof Date) return;
    for (const key of Object.keys(value)) walk((value as Record<string, unknown>)[key]);
  };
  walk(root);
  return seen;
}

describe('what a cached session keeps', () => {
  const T0 = new Date('2030-01-01T00:00:00.000Z');
  /** A store of one session, answering `grants`; resolves the cache's entry for it and the bundle the store handed out. */
  async function cached(grants: RoleGrant[]) {
    const bundle: SessionBundle = { session: fixtureSession('u1', { tokenHash: 'h', createdAt: T0, lastActiveAt: T0 }), user: fixtureUser({ id: 'u1' }), grants, revision: 1 };
    const store = { findSessionByTokenHash: async () => bundle, findSessionRevision: async () => 1 } as unknown as AuthStore;
    const cache = new SessionCache(store, 10, 0);
    const entry = (await cache.find('h', T0, (found) => found))!;
    return { entry, bundle, cache };
  }

  it("keeps the views, not the store's bundle: none of the records or grants the store handed out stays reachable", async () => {
    const { entry, bundle } = await cached([roleGrant(T0, 'customer', ['orders:create'])]);
    expect(entry.views.user.id).toBe('u1');
    expect(entry.views.permissionSet.has('orders:create')).toBe(true);
    const kept = reachable(entry);
    for (const part of [bundle, bundle.session, bundle.user, bundle.grants, ...bundle.grants, ...bundle.grants.map((g) => g.role)]) expect(kept.has(part)).toBe(false);
    expect(entry.grants).toBeNull();
  });

  it('keeps the grants while one of them expires, and derives the views again from them at that instant', async () => {
    const expiring = roleGrant(T0, 'seller', ['products:edit'], { level: 20, expiresAt: new Date(T0.getTime() + 60_000) });
    const { entry, cache, bundle } = await cached([expiring, roleGrant(T0, 'customer', ['orders:create'])]);
    expect(entry.grants).toBe(bundle.grants);
    expect(cache.viewsAt(entry, T0).roles.map((r) => r.code)).toEqual(['seller', 'customer']);
    const later = cache.viewsAt(entry, new Date(T0.getTime() + 60_000));
    expect(later.roles.map((r) => r.code)).toEqual(['customer']);
    expect(later.user).toBe(entry.views.user);
    expect(later.permissionSet.has('products:edit')).toBe(false);
  });

  it("copies no Date of a store that hands out immutable ones (the memory store): the entry's user and session point at the store's own", async () => {
    const store = new MemoryAuthStore();
    const u = fixtureUser({ id: 'u1', emailVerifiedAt: T0, statusUntil: null, lastLoginAt: T0, attributes: { phone: '1' } });
    await store.insertUser(u);
    await store.insertSession(fixtureSession('u1', { tokenHash: 'h', createdAt: T0, lastActiveAt: T0 }));
    const held = (await store.findSessionByTokenHash('h'))!;
    const entry = (await new SessionCache(store, 10, 0).find('h', T0, (found) => found))!;
    const { user, session } = entry.views;
    for (const field of ['createdAt', 'updatedAt', 'emailVerifiedAt', 'lastLoginAt', 'attributes'] as const) expect(user[field], field).toBe(held.user[field]);
    for (const field of ['createdAt', 'lastActiveAt', 'expiresAt'] as const) expect(session[field], field).toBe(held.session[field]);
    expect(Object.isFrozen(user) && Object.isFrozen(session)).toBe(true);
  });

  it('keeps immutable copies of the Dates of a store that hands out plain records (the SQL stores), and freezes their attributes in place', async () => {
    const { entry, bundle } = await cached([roleGrant(T0, 'customer', ['orders:create'], { expiresAt: new Date(T0.getTime() + 60_000) })]);
    const { user, session, roles } = entry.views;
    for (const date of [user.createdAt, user.updatedAt, session.createdAt, session.lastActiveAt, session.expiresAt, roles[0]!.expiresAt!]) {
      expect(date).toBeInstanceOf(ImmutableDate);
      expect(Object.isFrozen(date)).toBe(true);
    }
    expect(user.createdAt).not.toBe(bundle.user.createdAt);
    expect(user.createdAt.getTime()).toBe(bundle.user.createdAt.getTime());
    expect(roles[0]!.expiresAt).not.toBe(bundle.grants[0]!.expiresAt);
    // The bundle is the core's own read: its attributes are frozen in place, not copied.
    expect(user.attributes).toBe(bundle.user.attributes);
    expect(Object.isFrozen(user.attributes)).toBe(true);
  });

  it('refuses a bundle whose session is not the one asked for (a lax store) or not of its user, and keeps nothing of it', async () => {
    for (const wrong of [{ tokenHash: 'H' }, { userId: 'u2' }]) {
      const bundle: SessionBundle = { session: fixtureSession('u1', { tokenHash: 'h', ...wrong }), user: fixtureUser({ id: 'u1' }), grants: [], revision: 1 };
      let reads = 0;
      const store = { findSessionByTokenHash: async () => ((reads += 1), bundle), findSessionRevision: async () => 1 } as unknown as AuthStore;
      const cache = new SessionCache(store, 10, 0);
      expect(await cache.find('h', T0, (found) => found)).toBeNull();
      expect(await cache.find('h', T0, (found) => found)).toBeNull();
      expect(reads).toBe(2);
    }
  });
});

describe('sessions.cacheTtl', () => {
  it('is off by default: every validation reads the store', async () => {
    const { store, lookups } = countingStore();
    const h = await shop({ store });
    const m = await member(h, ['customer']);
    const before = lookups();
    for (let i = 0; i < 3; i += 1) await h.auth.sessions.validate(m.token);
    expect(lookups() - before).toBe(3);
  });

  it('reuses a bundle within the TTL, then reads again', async () => {
    const { store, lookups } = countingStore();
    const h = await shop({ store, sessions: { cacheTtl: 5 } });
    const m = await member(h, ['customer']);
    h.clock.advance(6); // past what signing in cached
    const before = lookups();
    for (let i = 0; i < 5; i += 1) expect(await h.auth.sessions.validate(m.token)).not.toBeNull();
    expect(lookups() - before).toBe(1);
    h.clock.advance(6);
    await h.auth.sessions.validate(m.token);
    expect(lookups() - before).toBe(2);
  });

  it('any change made through gatehouse applies at once: logout, block, roles', async () => {
    const h = await shop({ sessions: { cacheTtl: 60 } });
    const a = await member(h, ['customer']);
    await h.auth.sessions.validate(a.token);
    await h.auth.users.setRoles(h.auth.system, a.user.id, [{ code: 'seller' }]);
    expect((await h.auth.sessions.validate(a.token))?.roles.map((r) => r.code)).toEqual(['seller']);
    await h.auth.users.block(h.auth.system, a.user.id, { reason: 'x' });
    expect(await h.auth.sessions.validate(a.token)).toBeNull();

    const b = await member(h, ['customer']);
    const ctx = await h.auth.sessions.validate(b.token);
    await h.auth.sessions.logout(ctx);
    expect(await h.auth.sessions.validate(b.token)).toBeNull();
  });

  it('still judges expiry on every request', async () => {
    const h = await shop({ sessions: { cacheTtl: 300, idleTimeout: 60, renewInterval: 120 } });
    const m = await member(h, ['customer']);
    expect(await h.auth.sessions.validate(m.token)).not.toBeNull();
    h.clock.advance(61);
    expect(await h.auth.sessions.validate(m.token)).toBeNull();
  });

  it('a change written by another instance (straight to the store) shows after the TTL, as documented', async () => {
    const h = await shop({ sessions: { cacheTtl: 5 } });
    const m = await member(h, ['customer']);
    const ctx = await h.auth.sessions.validate(m.token);
    await h.store.revokeSession(ctx!.session.id, h.clock.now()); // not through gatehouse
    expect(await h.auth.sessions.validate(m.token)).not.toBeNull();
    h.clock.advance(6);
    expect(await h.auth.sessions.validate(m.token)).toBeNull();
  });
});
