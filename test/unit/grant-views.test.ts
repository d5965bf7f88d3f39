import { describe, expect, it, vi } from 'vitest';
import type { AuthContext, RoleGrant } from 'gatehouse';
import { LruCache } from '../../src/cache/lru-cache.js';
import { permissionSetOf } from '../../src/domain/principal.js';
import { GrantViewsMemo } from '../../src/services/grant-views.js';
import { roleGrant } from '../support/role-grant.js';
import { member, shop } from '../support/shop.js';

/**
 * The memo of what grants give (src/services/grant-views.ts): sessions of users holding the
 * same live grants share one compiled set, and any change to those grants — or to the user
 * or the session — still shows on the very next validation.
 */

const T0 = new Date('2030-01-01T00:00:00.000Z');

const grant = (roleCode: string, permissions: string[], fields?: Parameters<typeof roleGrant>[3]): RoleGrant => roleGrant(T0, roleCode, permissions, fields);

const compiledOf = (context: AuthContext | null) => permissionSetOf(context)?.codes;

describe('GrantViewsMemo', () => {
  it('answers the same views for the same live grants, and other views for any other role, name, level or permission', () => {
    const memo = new GrantViewsMemo();
    const base = memo.of([grant('seller', ['products:edit']), grant('customer', ['orders:create'])], T0);
    expect(memo.of([grant('seller', ['products:edit']), grant('customer', ['orders:create'])], T0)).toBe(base);
    // An inactive or expired grant gives nothing, so it does not change the views either.
    expect(memo.of([grant('seller', ['products:edit']), grant('customer', ['orders:create']), grant('old', ['x:y'], { active: false })], T0)).toBe(base);
    const others = [
      [grant('seller', ['products:edit'])],
      [grant('seller', ['products:edit', 'products:delete']), grant('customer', ['orders:create'])],
      [grant('seller', ['products:edit']), grant('customer', ['orders:create'], { active: false })],
      [grant('seller', ['products:edit'], { name: 'Vendor' }), grant('customer', ['orders:create'])],
      [grant('seller', ['products:edit'], { level: 40 }), grant('customer', ['orders:create'])],
      // A name that spells another grant's key does not collide with it.
      [grant('seller', ['products:edit'], { name: 'seller8:customer' }), grant('customer', ['orders:create'])],
    ];
    for (const grants of others) expect(memo.of(grants, T0)).not.toBe(base);
    expect(memo.of(others[1]!, T0).permissions).toEqual(['orders:create', 'products:delete', 'products:edit']);
    expect(memo.of(others[4]!, T0).level).toBe(40);
  });

  it('matches grants equal to a set seen last field by field, without building a key; a set changed since is not matched', () => {
    const memo = new GrantViewsMemo();
    const frozen = Object.freeze(['orders:create']);
    const grants = () => [grant('seller', ['products:edit']), grant('customer', frozen as string[])];
    const base = memo.of(grants(), T0);
    const other = memo.of([grant('customer', ['orders:create'])], T0);
    const keyed = vi.spyOn(LruCache.prototype, 'get');
    try {
      // Fresh objects with the same fields (as the SQL stores answer), and the same frozen array (as the memory store does).
      for (let i = 0; i < 3; i += 1) expect(memo.of(grants(), T0)).toBe(base);
      expect(memo.of([grant('customer', ['orders:create'])], T0)).toBe(other);
      expect(keyed).not.toHaveBeenCalled();
    } finally {
      keyed.mockRestore();
    }
    // What was matched is a copy: the store's array changed afterwards is other grants.
    const codes = ['orders:create'];
    const first = memo.of([grant('auditor', codes)], T0);
    codes.push('users:delete');
    const changed = memo.of([grant('auditor', codes)], T0);
    expect(changed).not.toBe(first);
    expect(changed.permissions).toEqual(['orders:create', 'users:delete']);
    expect(memo.of([grant('auditor', ['orders:create'])], T0)).toBe(first);
  });

  it('does not share the views of grants with a live expiry: they hold only until it', () => {
    const memo = new GrantViewsMemo();
    const expiring = () => [grant('seller', ['products:edit'], { expiresAt: new Date(T0.getTime() + 60_000) })];
    const views = memo.of(expiring(), T0);
    expect(views.until).toBe(T0.getTime() + 60_000);
    expect(memo.of(expiring(), T0)).not.toBe(views);
    expect(memo.size).toBe(0);
    // Once it has expired, the grant gives nothing and the (empty) views are shared.
    expect(memo.of(expiring(), new Date(T0.getTime() + 60_000)).roles).toEqual([]);
  });

  it('two users with the same roles share one compiled permission set; each answers :own for its own user', async () => {
    const h = await shop();
    const a = await member(h, ['customer', 'seller']);
    const b = await member(h, ['customer', 'seller']);
    const ca = await h.auth.sessions.validate(a.token);
    const cb = await h.auth.sessions.validate(b.token);
    expect(ca?.user.id).toBe(a.user.id);
    expect(cb?.user.id).toBe(b.user.id);
    expect(compiledOf(ca)).toBeDefined();
    expect(compiledOf(ca)).toBe(compiledOf(cb));
    expect(ca?.permissions).toBe(cb?.permissions);
    expect(ca?.roles).toBe(cb?.roles);
    expect(h.auth.access.can(ca, 'orders:view', { ownerId: a.user.id })).toBe(true);
    expect(h.auth.access.can(cb, 'orders:view', { ownerId: a.user.id })).toBe(h.auth.access.can(cb, 'orders:view'));
    const c = await member(h, ['customer']);
    expect(compiledOf(await h.auth.sessions.validate(c.token))).not.toBe(compiledOf(ca));
  });

  it('every change to grants, user or session shows on the next validation of users who shared a set', async () => {
    const h = await shop();
    const a = await member(h, ['customer', 'seller']);
    const b = await member(h, ['customer', 'seller']);
    const next = (token: string) => h.auth.sessions.validate(token);
    await next(a.token);
    await next(b.token);
    const now = () => h.clock.now();

    // A permission removed from a role: both users lose it.
    expect((await next(a.token))?.permissions).toContain('products:edit');
    expect(await h.store.revokePermission('seller', 'products:edit')).toBe(true);
    for (const token of [a.token, b.token]) expect((await next(token))?.permissions).not.toContain('products:edit');

    // A permission deactivated: both users lose it.
    const permission = (await h.store.listPermissions()).find((p) => p.code === 'orders:edit')!;
    expect((await next(a.token))?.permissions).toContain('orders:edit');
    await h.store.upsertPermission({ ...permission, active: false });
    for (const token of [a.token, b.token]) expect((await next(token))?.permissions).not.toContain('orders:edit');

    // A role deactivated: both users lose it.
    const seller = (await h.store.listRoles()).find((r) => r.code === 'seller')!;
    await h.store.upsertRole({ ...seller, active: false, updatedAt: now() });
    for (const token of [a.token, b.token]) expect((await next(token))?.roles.map((r) => r.code)).toEqual(['customer']);
    await h.store.upsertRole({ ...seller, active: true, updatedAt: now() });
    expect((await next(a.token))?.roles.map((r) => r.code)).toEqual(['seller', 'customer']);

    // A role revoked from one user: that user loses it, the other keeps it.
    expect(await h.store.removeRole(a.user.id, 'seller')).toBe(true);
    expect((await next(a.token))?.roles.map((r) => r.code)).toEqual(['customer']);
    expect((await next(b.token))?.roles.map((r) => r.code)).toEqual(['seller', 'customer']);

    // A role assignment that expires: granted until the instant, nothing from then on.
    await h.store.assignRole({ userId: a.user.id, roleCode: 'seller', assignedAt: now(), assignedBy: null, expiresAt: new Date(now().getTime() + 60_000) });
    expect((await next(a.token))?.roles.map((r) => r.code)).toEqual(['seller', 'customer']);
    h.clock.advance(60);
    expect((await next(a.token))?.roles.map((r) => r.code)).toEqual(['customer']);
    expect((await next(b.token))?.roles.map((r) => r.code)).toEqual(['seller', 'customer']);

    // The user blocked, the user suspended, the session revoked: refused on the next validation.
    await h.store.updateUser(a.user.id, { status: 'blocked', updatedAt: now() });
    expect(await next(a.token)).toBeNull();
    await h.store.updateUser(b.user.id, { status: 'suspended', updatedAt: now() });
    expect(await next(b.token)).toBeNull();
    const c = await member(h, ['customer', 'seller']);
    expect(await next(c.token)).not.toBeNull();
    const session = (await next(c.token))!.session;
    expect(await h.store.revokeSession(session.id, now())).toBe(true);
    expect(await next(c.token)).toBeNull();
  });
});
