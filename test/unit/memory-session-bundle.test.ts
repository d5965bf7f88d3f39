import { describe, expect, it } from 'vitest';
import type { SessionBundle, UserRecord } from 'gatehouse';
import { MemoryAuthStore } from 'gatehouse/memory';
import { permission, role, session, user } from '../../adapters/testing/fixtures.js';

/**
 * The memory store's session bundle (adapters/memory/session-bundle.ts), the read behind every
 * first validation: a role's active permission codes worked out once while the grant tables
 * stand still, the rows the store holds handed out as they are (kept frozen, in one literal per
 * kind, with immutable Dates) — and still nothing handed out whose change reaches what the
 * store holds.
 */

const T0 = new Date('2030-01-01T00:00:00.000Z');

async function seeded() {
  const store = new MemoryAuthStore();
  await store.upsertRole(role({ code: 'customer', level: 10 }));
  await store.upsertRole(role({ code: 'seller', level: 20 }));
  for (const code of ['orders:create', 'orders:view:own', 'products:edit']) await store.upsertPermission(permission(code));
  await store.grantPermission('customer', 'orders:view:own');
  await store.grantPermission('customer', 'orders:create');
  await store.grantPermission('seller', 'products:edit');
  /** A user holding both roles, with a session; resolves the session's token hash. */
  const member = async (record: UserRecord = user()): Promise<string> => {
    await store.insertUser(record);
    for (const roleCode of ['customer', 'seller']) await store.assignRole({ userId: record.id, roleCode, assignedAt: T0, assignedBy: null, expiresAt: null });
    const s = session(record.id);
    await store.insertSession(s);
    return s.tokenHash;
  };
  const bundle = async (tokenHash: string): Promise<SessionBundle> => (await store.findSessionByTokenHash(tokenHash))!;
  const permissionsOf = (b: SessionBundle, roleCode: string) => b.grants.find((g) => g.roleCode === roleCode)?.permissions;
  return { store, member, bundle, permissionsOf };
}

describe("the memory store's session bundle", () => {
  it("hands out one frozen array of a role's active permission codes to every grant until a grant table changes", async () => {
    const { store, member, bundle, permissionsOf } = await seeded();
    const [a, b] = [await member(), await member()];
    const first = permissionsOf(await bundle(a), 'customer');
    expect(first).toEqual(['orders:create', 'orders:view:own']);
    expect(Object.isFrozen(first)).toBe(true);
    expect(permissionsOf(await bundle(b), 'customer')).toBe(first);
    expect(permissionsOf(await bundle(a), 'customer')).toBe(first);
    expect((await store.listUserGrants((await bundle(a)).user.id)).find((g) => g.roleCode === 'customer')?.permissions).toBe(first);
    // Another user signing up and getting roles is a write to the grant tables: the codes are worked out again, the same.
    await member();
    expect(permissionsOf(await bundle(a), 'customer')).not.toBe(first);
    expect(permissionsOf(await bundle(a), 'customer')).toEqual(first);
  });

  it('shows every change to what a role grants on the next read, in a transaction and after its rollback', async () => {
    const { store, member, bundle, permissionsOf } = await seeded();
    const a = await member();
    const codes = async () => [...(permissionsOf(await bundle(a), 'customer') ?? [])];
    expect(await codes()).toEqual(['orders:create', 'orders:view:own']);
    await store.grantPermission('customer', 'products:edit');
    expect(await codes()).toEqual(['orders:create', 'orders:view:own', 'products:edit']);
    await store.upsertPermission(permission('orders:create', { active: false }));
    expect(await codes()).toEqual(['orders:view:own', 'products:edit']);
    await store.revokePermission('customer', 'products:edit');
    expect(await codes()).toEqual(['orders:view:own']);
    await store
      .transaction(async (tx) => {
        await tx.grantPermission('customer', 'products:edit');
        expect((await tx.findSessionByTokenHash(a))?.grants.find((g) => g.roleCode === 'customer')?.permissions).toEqual(['orders:view:own', 'products:edit']);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await codes()).toEqual(['orders:view:own']);
  });

  it('keeps each row of a bundle in one shape of its kind, whatever the shape it was written in', async () => {
    const { member, bundle } = await seeded();
    const written = user();
    const reversed = Object.fromEntries(Object.entries(user()).reverse()) as unknown as UserRecord;
    const [a, b] = [await bundle(await member(written)), await bundle(await member(reversed))];
    expect(Object.keys(b.user)).toEqual(Object.keys(a.user));
    expect(Object.keys(b.session)).toEqual(Object.keys(a.session));
    expect(Object.keys(b.grants[0]!)).toEqual(Object.keys(a.grants[0]!));
    expect(b.user).toEqual(reversed);
  });

  it('hands out the rows it holds, and nothing in them can be changed: records, Dates, attributes, roles, permission codes', async () => {
    const { member, bundle } = await seeded();
    const a = await member(user({ attributes: { phone: '1', tags: ['x'] }, emailVerifiedAt: T0 }));
    const before = structuredClone(await bundle(a));
    const taken = await bundle(a);
    // The store's own rows: the same objects on the next read, no copy made.
    const next = await bundle(a);
    expect(next.user).toBe(taken.user);
    expect(next.session).toBe(taken.session);
    expect(next.grants[0]!.role).toBe(taken.grants[0]!.role);
    const mutable = taken as unknown as { user: Record<string, unknown>; session: Record<string, unknown>; grants: Record<string, unknown>[] };
    expect(() => (mutable.user['name'] = 'Changed')).toThrow(TypeError);
    expect(() => taken.user.createdAt.setTime(0)).toThrow(TypeError);
    expect(() => taken.user.emailVerifiedAt!.setTime(0)).toThrow(TypeError);
    expect(() => ((taken.user.attributes as Record<string, unknown>)['phone'] = '2')).toThrow(TypeError);
    expect(() => ((taken.user.attributes as Record<string, unknown>)['tags'] as string[]).push('y')).toThrow(TypeError);
    expect(() => taken.session.expiresAt.setTime(0)).toThrow(TypeError);
    expect(() => (mutable.session['revokedAt'] = T0)).toThrow(TypeError);
    expect(() => taken.grants[0]!.assignedAt.setTime(0)).toThrow(TypeError);
    expect(() => taken.grants[0]!.role.createdAt.setTime(0)).toThrow(TypeError);
    expect(() => ((taken.grants[0]!.role as unknown as Record<string, unknown>)['level'] = 99)).toThrow(TypeError);
    expect(() => (taken.grants[0]!.permissions as string[]).push('users:delete')).toThrow(TypeError);
    // The grants array and each grant are made for the read: changing them reaches nothing.
    mutable.grants[0]!['roleCode'] = 'admin';
    mutable.grants.pop();
    const { revision, ...after } = structuredClone(await bundle(a));
    const { revision: was, ...expected } = before;
    expect(after).toEqual(expected);
    expect(revision).toBe(was);
  });

  it('every other read hands out plain copies the caller may change: the user, the session, the grants', async () => {
    const { store, member, bundle } = await seeded();
    const a = await member(user({ attributes: { phone: '1' } }));
    const { user: held, session: heldSession } = await bundle(a);
    const found = (await store.findUserById(held.id))!;
    expect(Object.isFrozen(found)).toBe(false);
    found.createdAt.setTime(0);
    (found.attributes as Record<string, unknown>)['phone'] = '2';
    const s = (await store.findSessionById(heldSession.id))!;
    s.expiresAt.setTime(0);
    const grants = await store.listUserGrants(held.id);
    grants[0]!.role.createdAt.setTime(0);
    grants[0]!.assignedAt.setTime(0);
    expect(structuredClone(await bundle(a))).toEqual(structuredClone({ ...(await bundle(a)) }));
    expect((await bundle(a)).user.createdAt.getTime()).toBe(held.createdAt.getTime());
    expect((await bundle(a)).user.createdAt.getTime()).not.toBe(0);
    expect((await bundle(a)).user.attributes).toEqual({ phone: '1' });
    expect((await bundle(a)).session.expiresAt.getTime()).not.toBe(0);
    expect((await bundle(a)).grants[0]!.role.createdAt.getTime()).not.toBe(0);
    expect((await bundle(a)).grants[0]!.assignedAt.getTime()).toBe(T0.getTime());
  });
});
