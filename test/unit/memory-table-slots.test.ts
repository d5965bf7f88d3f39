import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryAuthStore } from 'gatehouse/memory';
import { permission, role, session, user } from '../../adapters/testing/fixtures.js';
import { Table } from '../../adapters/memory/table.js';

/**
 * The memory store's tables keep each row with the stamp of its last write in one object (a
 * `Slot`, adapters/memory/table.ts) that every index points at: a lookup by any index finds the
 * row and its stamp at once. A session's first validation reads rows nothing touched before, in
 * a store of tens of thousands of them, and each map lookup saved is one that misses the
 * processor's caches.
 */

const T0 = new Date('2030-01-01T00:00:00.000Z');

/** Counts `Map.prototype.get` calls while `read` runs. */
async function mapLookups(read: () => Promise<unknown>): Promise<number> {
  const spy = vi.spyOn(Map.prototype, 'get');
  try {
    await read();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

describe("the memory store's table slots", () => {
  afterEach(() => vi.restoreAllMocks());

  it('a session bundle of a user with two roles, and its revision, each take few map lookups (the token index gives the row and its stamp)', async () => {
    const store = new MemoryAuthStore();
    for (const [code, level] of [['customer', 10], ['seller', 20]] as const) await store.upsertRole(role({ code, level }));
    await store.upsertPermission(permission('orders:create'));
    await store.grantPermission('customer', 'orders:create');
    const u = user();
    await store.insertUser(u);
    for (const roleCode of ['customer', 'seller']) await store.assignRole({ userId: u.id, roleCode, assignedAt: T0, assignedBy: null, expiresAt: null });
    const s = session(u.id);
    await store.insertSession(s);
    await store.findSessionByTokenHash(s.tokenHash); // the role's codes, worked out once
    // The token index (2: which index, then the slot), the user, the user's assignments (2) and per role its row and codes (4): 9. Before the slots, 14.
    expect(await mapLookups(() => store.findSessionByTokenHash(s.tokenHash))).toBeLessThanOrEqual(9);
    // The token index (2) and the user's slot: 3. Before, 5 (the session's row and the two stamps apart).
    expect(await mapLookups(() => store.findSessionRevision(s.tokenHash))).toBeLessThanOrEqual(3);
  });

  it("a slot's stamp is its row's: every write and undo gives a new one, and every index finds the current row", () => {
    const table = new Table<{ id: string; token: string; user: string }>('t', (r) => r.id, { token: (r) => r.token }, { user: (r) => r.user }, undefined, true);
    const journal: (() => void)[] = [];
    table.insert({ id: 'a', token: 'x', user: 'u' }, null);
    const first = table.findSlot('token', 'x')!;
    expect(first.row).toBe(table.get('a'));
    expect(first.stamp).toBe(table.stampOf('a'));
    table.put({ id: 'a', token: 'y', user: 'v' }, journal);
    const second = table.slot('a')!;
    expect(second.stamp).toBeGreaterThan(first.stamp);
    expect(table.findSlot('token', 'x')).toBeUndefined();
    expect(table.findSlot('token', 'y')).toBe(second);
    expect(table.where('u', 'u')).toEqual([]);
    expect(table.where('user', 'v')).toEqual([second.row]);
    table.delete('a', journal);
    expect(table.slot('a')).toBeUndefined();
    expect(table.stampOf('a')).toBe(0);
    for (const undo of journal.reverse()) undo();
    const restored = table.findSlot('token', 'x')!;
    expect(restored.row).toEqual({ id: 'a', token: 'x', user: 'u' });
    expect(restored.stamp).toBeGreaterThan(second.stamp);
    expect(table.stampOf('a')).toBe(restored.stamp);
    expect(table.where('user', 'u')).toEqual([restored.row]);
    expect(table.where('user', 'v')).toEqual([]);
    expect(table.findSlot('token', 'y')).toBeUndefined();
  });
});
