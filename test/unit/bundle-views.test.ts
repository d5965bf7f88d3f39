import { describe, expect, it } from 'vitest';
import { type AuthStore, type RoleGrant, type SessionBundle } from 'gatehouse';
import { viewsOf } from '../../src/services/bundle-views.js';
import { SessionCache } from '../../src/services/session-cache.js';
import { roleGrant } from '../support/role-grant.js';
import { session as fixtureSession, user as fixtureUser } from '../../adapters/testing/fixtures.js';

/**
 * A validation derives the public user and session and the live roles and permissions from
 * a session bundle. The session cache remembers that answer with the bundle — and must still
 * change it the moment a grant expires.
 */

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

function grant(roleCode: string, level: number, permissions: string[], expiresAt: Date | null, active = true): RoleGrant {
  return roleGrant(T0, roleCode, permissions, { level, expiresAt, active });
}

const grants = (): RoleGrant[] => [
  grant('seller', 20, ['products:edit'], at(10)),
  grant('customer', 10, ['orders:create', 'orders:view:own'], null),
  grant('auditor', 30, ['reports:view'], at(20)),
  grant('retired', 40, ['users:delete'], null, false),
];

/** A bundle of user u1, frozen: what is derived from it must not depend on changing it. */
function frozenBundle(): SessionBundle {
  const parts = { session: fixtureSession('u1', { id: 's1', tokenHash: 'h' }), user: fixtureUser({ id: 'u1', passwordHash: 'secret-hash' }), grants: grants() };
  for (const grant of parts.grants) Object.freeze(grant);
  return Object.freeze({ session: Object.freeze(parts.session), user: Object.freeze(parts.user), grants: Object.freeze(parts.grants) });
}

describe('viewsOf', () => {
  it('the session cache: the same answer object while no grant expires, a new one the moment one does', async () => {
    const frozen = frozenBundle();
    // A store of one's own with revisions, whose session never changes.
    const store = { findSessionByTokenHash: async () => ({ ...frozen, revision: 1 }), findSessionRevision: async () => 1 } as unknown as AuthStore;
    const cache = new SessionCache(store, 10, 0);
    const found = (await cache.find('h', T0, (found) => found))!;
    const first = cache.viewsAt(found, T0);
    expect(first.roles.map((r) => r.code)).toEqual(['auditor', 'seller', 'customer']);
    expect(first.permissions).toEqual(['orders:create', 'orders:view:own', 'products:edit', 'reports:view']);
    expect(first.level).toBe(30);
    const again = (await cache.find('h', at(9.999), (found) => found))!;
    expect(again).toBe(found);
    expect(cache.viewsAt(again, at(9.999))).toBe(first);

    const afterSeller = cache.viewsAt((await cache.find('h', at(10), (found) => found))!, at(10));
    expect(afterSeller.roles.map((r) => r.code)).toEqual(['auditor', 'customer']);
    expect(afterSeller.permissionSet.has('products:edit')).toBe(false);
    expect(cache.viewsAt((await cache.find('h', at(19), (found) => found))!, at(19))).toBe(afterSeller);

    const afterAuditor = cache.viewsAt((await cache.find('h', at(20), (found) => found))!, at(20));
    expect(afterAuditor.roles.map((r) => r.code)).toEqual(['customer']);
    expect(afterAuditor.level).toBe(10);
    expect(afterAuditor.permissionSet.has('reports:view')).toBe(false);
  });

  it('viewsOf() itself computes afresh every time, and sees the records change', () => {
    const user = { ...fixtureUser({ id: 'u1' }) };
    const list = grants();
    const open: SessionBundle = { session: fixtureSession('u1'), user, grants: list };
    const first = viewsOf(open, T0);
    expect(viewsOf(open, T0)).not.toBe(first);
    expect(viewsOf(open, T0)).toEqual(first);
    Object.assign(user, { name: 'Renamed' });
    list.splice(2, 1); // the auditor role is taken away
    const changed = viewsOf(open, T0);
    expect(changed.user.name).toBe('Renamed');
    expect(changed.roles.map((r) => r.code)).toEqual(['seller', 'customer']);
  });

  it('the public user and session leave the secrets out, and every view is frozen', () => {
    const views = viewsOf(frozenBundle(), T0);
    expect(views.user).not.toHaveProperty('passwordHash');
    expect(views.session).not.toHaveProperty('tokenHash');
    expect(views.user.id).toBe('u1');
    expect(views.session.id).toBe('s1');
    for (const part of [views.user, views.session, views.roles, views.roles[0], views.permissions]) expect(Object.isFrozen(part)).toBe(true);
  });

  it('the permission set answers for the user it was made for', () => {
    const views = viewsOf(frozenBundle(), T0);
    expect(views.permissionSet.has('orders:view:own', { ownerId: 'u1' })).toBe(true);
    expect(views.permissionSet.has('orders:view:own', { ownerId: 'u2' })).toBe(false);
    // Many distinct codes asked about: answers stay right beyond what the set remembers.
    for (let i = 0; i < 300; i += 1) expect(views.permissionSet.has(`module${i}:view`)).toBe(false);
    expect(views.permissionSet.has('orders:create')).toBe(true);
  });

  it("a sealed bundle's records are taken as they are: no Date of theirs is read, copied or checked; an unsealed bundle's Dates are made immutable", () => {
    // A Date that counts every look at it (a type check reads its prototype).
    let looks = 0;
    const watched = (date: Date): Date =>
      new Proxy(new Date(date), {
        getPrototypeOf: (target) => ((looks += 1), Reflect.getPrototypeOf(target)),
        get: (target, key) => {
          looks += 1;
          const value: unknown = Reflect.get(target, key);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
    const u = fixtureUser({ id: 'u1', createdAt: watched(T0), updatedAt: watched(T0), emailVerifiedAt: watched(T0), lastLoginAt: watched(T0) });
    const s = fixtureSession('u1', { createdAt: watched(T0), lastActiveAt: watched(T0), expiresAt: watched(at(3600)) });
    const sealed = viewsOf({ session: Object.freeze(s), user: Object.freeze({ ...u, attributes: Object.freeze({}) }), grants: [], sealed: true }, T0);
    expect(looks).toBe(0);
    expect(sealed.user.createdAt).toBe(u.createdAt);
    expect(sealed.session.expiresAt).toBe(s.expiresAt);
    const open = viewsOf({ session: s, user: u, grants: [] }, T0);
    expect(looks).toBeGreaterThanOrEqual(7);
    expect(open.user.createdAt).not.toBe(u.createdAt);
    expect(() => open.user.createdAt.setTime(0)).toThrow(TypeError);
  });
});
