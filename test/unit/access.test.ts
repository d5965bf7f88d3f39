import { describe, expect, it } from 'vitest';
import { createAccessTokenPrincipal, isAuthError, type AuthContext, type AuthStore } from 'gatehouse';
import { MemoryAuthStore } from 'gatehouse/memory';
import { member, nextRequest, shop } from '../support/shop.js';

const code = (expected: string) => (e: unknown) => isAuthError(e, expected as never);

describe('access.can()', () => {
  it('grants a permission held through a role, and nothing the roles do not hold', async () => {
    const h = await shop();
    const { context } = await member(h, ['seller']);
    expect(h.auth.access.can(context, 'products:edit')).toBe(true);
    expect(h.auth.access.can(context, 'orders:view')).toBe(true);
    expect(h.auth.access.can(context, 'products:delete')).toBe(false);
    expect(h.auth.access.can(context, 'users:view')).toBe(false);
  });

  it('honours module wildcards (products:*) and the global wildcard (*)', async () => {
    const h = await shop();
    const manager = await member(h, ['content_manager']);
    expect(h.auth.access.can(manager.context, 'products:delete')).toBe(true);
    expect(h.auth.access.can(manager.context, 'products:anything_new')).toBe(true);
    expect(h.auth.access.can(manager.context, 'orders:cancel')).toBe(false);
    const admin = await member(h, ['admin']);
    for (const permission of ['users:delete', 'config:edit', 'audit:view', 'orders:view']) {
      expect(h.auth.access.can(admin.context, permission), permission).toBe(true);
    }
  });

  it(':own grants only on resources the subject owns', async () => {
    const h = await shop();
    const { user, context } = await member(h, ['customer']);
    expect(h.auth.access.can(context, 'orders:view', { ownerId: user.id })).toBe(true);
    expect(h.auth.access.can(context, 'orders:view', { ownerId: '0190a0b0-0000-7000-8000-000000000000' })).toBe(false);
    expect(h.auth.access.can(context, 'orders:view', { ownerId: null })).toBe(false);
    // Without a resource, only the :own form is granted.
    expect(h.auth.access.can(context, 'orders:view')).toBe(false);
    expect(h.auth.access.can(context, 'orders:view:own')).toBe(true);
    // A full grant covers every owner.
    const seller = await member(h, ['seller']);
    expect(h.auth.access.can(seller.context, 'orders:view', { ownerId: user.id })).toBe(true);
  });

  it('never grants malformed codes or a request for a wildcard itself', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    for (const bad of ['', 'orders', 'orders.view', 'ORDERS:VIEW', 'orders:view:mine', '*', 'orders:*']) {
      expect(h.auth.access.can(admin.context, bad), bad).toBe(false);
    }
  });

  it('lets the system actor do everything and no session nothing', async () => {
    const h = await shop();
    expect(h.auth.access.can(h.auth.system, 'users:delete')).toBe(true);
    expect(h.auth.access.can(null, 'products:view')).toBe(false);
    expect(() => h.auth.access.assert(null, 'products:view')).toThrow(expect.toSatisfy(code('UNAUTHENTICATED')) as Error);
  });

  it('assert() throws FORBIDDEN when can() says no, and returns when it says yes', async () => {
    const h = await shop();
    const { context } = await member(h, ['customer']);
    expect(() => h.auth.access.assert(context, 'users:view')).toThrow(expect.toSatisfy(code('FORBIDDEN')) as Error);
    expect(() => h.auth.access.assert(context, 'products:view')).not.toThrow();
  });

  it('refuses a forged context or system actor with a TypeError instead of trusting it', async () => {
    const h = await shop();
    const { context } = await member(h, ['customer']);
    const forged = { ...context, permissions: ['*'] } as AuthContext;
    expect(() => h.auth.access.can(forged, 'users:delete')).toThrow(TypeError);
    expect(() => h.auth.access.can({ kind: 'system' }, 'users:delete')).toThrow(TypeError);
    // A copy of a real context naming another user acts for nobody.
    const impostor = { ...context, user: { ...context.user, id: '00000000-0000-4000-8000-000000000000' } } as AuthContext;
    await expect(h.auth.sessions.list(impostor)).rejects.toThrow(TypeError);
    expect(Object.isFrozen(context)).toBe(true);
  });

  it('an expired role assignment grants nothing from its expiry on', async () => {
    const h = await shop();
    const { user, token } = await member(h, ['customer']);
    await h.auth.users.assignRole(h.auth.system, user.id, { code: 'seller', expiresAt: new Date(h.clock.now().getTime() + 60_000) });
    const before = await nextRequest(h, token);
    expect(h.auth.access.can(before, 'products:edit')).toBe(true);
    expect(before?.roles.map((role) => role.code)).toEqual(['seller', 'customer']);
    h.clock.advance(61);
    const after = await nextRequest(h, token);
    expect(h.auth.access.can(after, 'products:edit')).toBe(false);
    expect(after?.roles.map((role) => role.code)).toEqual(['customer']);
  });

  it('an inactive role or permission grants nothing', async () => {
    const h = await shop();
    const { token } = await member(h, ['seller']);
    await h.auth.roles.deactivatePermission(h.auth.system, 'products:edit');
    const ctx = await nextRequest(h, token);
    expect(h.auth.access.can(ctx, 'products:edit')).toBe(false);
    expect(h.auth.access.can(ctx, 'products:create')).toBe(true);
    await h.auth.roles.deactivateRole(h.auth.system, 'seller');
    const later = await nextRequest(h, token);
    expect(h.auth.access.can(later, 'products:create')).toBe(false);
    expect(later?.roles).toEqual([]);
  });

  it("a change to a role's permissions or to the user's roles shows on the next request", async () => {
    const h = await shop();
    const { user, token } = await member(h, ['customer']);
    await h.auth.roles.grantPermission(h.auth.system, 'customer', 'reports:view');
    expect(h.auth.access.can(await nextRequest(h, token), 'reports:view')).toBe(true);
    await h.auth.roles.revokePermission(h.auth.system, 'customer', 'reports:view');
    expect(h.auth.access.can(await nextRequest(h, token), 'reports:view')).toBe(false);
    await h.auth.users.assignRole(h.auth.system, user.id, { code: 'moderator' });
    const ctx = await nextRequest(h, token);
    expect(h.auth.access.can(ctx, 'users:block')).toBe(true);
    expect(ctx?.level).toBe(30);
    expect(ctx?.roles[0]?.code).toBe('moderator');
  });

  it('checks run in memory: no store call after the session was validated', async () => {
    let calls = 0;
    const store = new Proxy(new MemoryAuthStore(), {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as AuthStore;
    const h = await shop({ store });
    const { context } = await member(h, ['seller', 'customer']);
    const before = calls;
    expect(before).toBeGreaterThan(0);
    for (let i = 0; i < 1000; i += 1) h.auth.access.can(context, i % 2 === 0 ? 'products:edit' : 'orders:view:own');
    expect(calls).toBe(before);
  });

  it('hasRole() sees live roles only', async () => {
    const h = await shop();
    const { context } = await member(h, ['seller']);
    expect(h.auth.access.hasRole(context, 'seller')).toBe(true);
    expect(h.auth.access.hasRole(context, 'admin')).toBe(false);
    expect(h.auth.access.hasRole(null, 'seller')).toBe(false);
    expect(h.auth.access.hasRole(h.auth.system, 'admin')).toBe(true);
  });
});

describe('createAccessTokenPrincipal()', () => {
  const expiresAt = new Date('2030-01-01T00:15:00Z');
  const fields = (roles: { code: string; level: number }[], permissions: string[]) => ({ userId: 'u1', sessionId: 's1', roles, permissions, expiresAt });

  it('the same claims given again make principals that answer alike; each keeps its own client', async () => {
    const h = await shop();
    const roles = [{ code: 'seller', level: 20 }, { code: 'admin', level: 90 }];
    const permissions = ['products:edit', 'orders:view:own'];
    const first = createAccessTokenPrincipal({ ...fields(roles, permissions), client: { ip: '203.0.113.5', userAgent: 'a' } });
    const second = createAccessTokenPrincipal({ ...fields(roles, permissions), client: { ip: '198.51.100.7', userAgent: 'b' } });
    expect(second).not.toBe(first);
    expect(second.roles).toEqual(first.roles);
    expect(second.roles.map((role) => role.code)).toEqual(['admin', 'seller']);
    expect(second.level).toBe(90);
    expect([first.client.ip, second.client.ip]).toEqual(['203.0.113.5', '198.51.100.7']);
    expect(h.auth.access.can(second, 'products:edit')).toBe(true);
    expect(h.auth.access.can(second, 'orders:view:own', { ownerId: 'u1' })).toBe(true);
    expect(h.auth.access.can(second, 'orders:view:own', { ownerId: 'u2' })).toBe(false);
    // Another user or expiry with the same arrays is its own principal.
    const other = createAccessTokenPrincipal({ ...fields(roles, permissions), userId: 'u2' });
    expect(other.user.id).toBe('u2');
    expect(h.auth.access.can(other, 'orders:view:own', { ownerId: 'u2' })).toBe(true);
    expect(createAccessTokenPrincipal({ ...fields(roles, permissions), expiresAt: new Date('2030-01-01T00:20:00Z') }).expiresAt.toISOString()).toBe('2030-01-01T00:20:00.000Z');
  });

  it('claims are read afresh every time: a later change to the arrays makes a principal that differs', async () => {
    const h = await shop();
    const permissions = ['products:edit'];
    const roles = [{ code: 'seller', level: 20 }];
    expect(h.auth.access.can(createAccessTokenPrincipal(fields(roles, permissions)), 'products:edit')).toBe(true);
    permissions[0] = 'orders:view';
    roles[0]!.level = 70;
    const later = createAccessTokenPrincipal(fields(roles, permissions));
    expect(h.auth.access.can(later, 'products:edit')).toBe(false);
    expect(h.auth.access.can(later, 'orders:view')).toBe(true);
    expect(later.level).toBe(70);
  });

  it('is frozen and branded: a copy is refused by access checks, malformed fields throw', async () => {
    const h = await shop();
    const principal = createAccessTokenPrincipal(fields([{ code: 'seller', level: 20 }], ['products:edit']));
    expect(Object.isFrozen(principal)).toBe(true);
    expect(() => h.auth.access.assert({ ...principal }, 'products:edit')).toThrow();
    expect(() => createAccessTokenPrincipal({ ...fields([], []), userId: '' })).toThrow(TypeError);
    expect(() => createAccessTokenPrincipal({ ...fields([], ['ok', 3 as never]) })).toThrow(TypeError);
  });
});
