import { describe, expect, it } from 'vitest';
import type { RoleGrant } from 'gatehouse';
import { accessOf, userOf } from '../../src/services/bundle-views.js';
import { user as fixtureUser } from '../../adapters/testing/fixtures.js';

/**
 * A validation derives the live roles and permissions from a session's grants. For the
 * frozen bundles a caching store hands out again, that answer is remembered — and must
 * still change the moment a grant expires.
 */

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

function grant(roleCode: string, level: number, permissions: string[], expiresAt: Date | null, active = true): RoleGrant {
  return {
    userId: 'u1',
    roleCode,
    assignedAt: T0,
    assignedBy: null,
    expiresAt,
    role: { code: roleCode, name: roleCode, description: '', level, active, createdAt: T0, updatedAt: T0 },
    permissions,
  };
}

const grants = (): RoleGrant[] => [
  grant('seller', 20, ['products:edit'], at(10)),
  grant('customer', 10, ['orders:create', 'orders:view:own'], null),
  grant('auditor', 30, ['reports:view'], at(20)),
  grant('retired', 40, ['users:delete'], null, false),
];

describe('accessOf', () => {
  it('a frozen grants list: the same answer object while no grant expires, a new one the moment one does', () => {
    const list = Object.freeze(grants());
    const first = accessOf(list, 'u1', T0);
    expect(first.roles.map((r) => r.code)).toEqual(['auditor', 'seller', 'customer']);
    expect(first.permissions).toEqual(['orders:create', 'orders:view:own', 'products:edit', 'reports:view']);
    expect(first.level).toBe(30);
    expect(accessOf(list, 'u1', at(9.999))).toBe(first);

    const afterSeller = accessOf(list, 'u1', at(10));
    expect(afterSeller.roles.map((r) => r.code)).toEqual(['auditor', 'customer']);
    expect(afterSeller.permissionSet.has('products:edit')).toBe(false);
    expect(accessOf(list, 'u1', at(19))).toBe(afterSeller);

    const afterAuditor = accessOf(list, 'u1', at(20));
    expect(afterAuditor.roles.map((r) => r.code)).toEqual(['customer']);
    expect(afterAuditor.level).toBe(10);
    expect(afterAuditor.permissionSet.has('reports:view')).toBe(false);
  });

  it('a list that is not frozen is computed afresh every time', () => {
    const list = grants();
    const first = accessOf(list, 'u1', T0);
    expect(accessOf(list, 'u1', T0)).not.toBe(first);
    expect(accessOf(list, 'u1', T0)).toEqual(first);
  });

  it('the answer is frozen, and its permission set answers for the user it was made for', () => {
    const access = accessOf(Object.freeze(grants()), 'u1', T0);
    expect(Object.isFrozen(access.roles) && Object.isFrozen(access.roles[0]) && Object.isFrozen(access.permissions)).toBe(true);
    expect(access.permissionSet.has('orders:view:own', { ownerId: 'u1' })).toBe(true);
    expect(access.permissionSet.has('orders:view:own', { ownerId: 'u2' })).toBe(false);
    // Many distinct codes asked about: answers stay right beyond what the set remembers.
    for (let i = 0; i < 300; i += 1) expect(access.permissionSet.has(`module${i}:view`)).toBe(false);
    expect(access.permissionSet.has('orders:create')).toBe(true);
  });
});

describe('userOf', () => {
  it('drops the password hash; a frozen record gives the same frozen view every time', () => {
    const record = Object.freeze(fixtureUser({ passwordHash: 'secret-hash' }));
    const view = userOf(record);
    expect(view).not.toHaveProperty('passwordHash');
    expect(view.email).toBe(record.email);
    expect(Object.isFrozen(view)).toBe(true);
    expect(userOf(record)).toBe(view);
    const open = fixtureUser({ passwordHash: 'secret-hash' });
    expect(userOf(open)).not.toBe(userOf(open));
  });
});
