/**
 * users.list() and audit.query() at scale (issue 21): keyset cursors beside page numbers,
 * totals counted only up to 1,000, the word-prefix search kept by every write path (the
 * import's batch insert included) — the same answers on the memory store, PostgreSQL and MariaDB.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isAuthError, type Auth, type AuthStore, type ImportRecord } from 'gatehouse';
import { user as fixtureUser, T0 } from '../../adapters/testing/fixtures.js';
import { harness } from '../support/harness.js';
import { shop } from '../support/shop.js';
import { describeSql, SQL_KINDS } from '../support/sql-servers.js';

const codeOf = async (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isAuthError(error) ? error.code : `threw ${String(error)}`),
  );

const cursorOf = (body: unknown): string => Buffer.from(JSON.stringify(body)).toString('base64url');

function cases(world: () => Promise<{ auth: Auth; store: AuthStore }>): void {
  it('users.list(): walking nextCursor gives the pages that page numbers give, and the last page has none', async () => {
    const { auth, store } = await world();
    // Seven users, three of them created at the same instant: the cursor breaks ties by id.
    await store.insertUsers(Array.from({ length: 7 }, (_, i) => fixtureUser({ name: `Walker ${i}`, email: `walker${i}@example.com`, createdAt: new Date(T0.getTime() + Math.min(i, 3) * 1000) })));
    const byNumber = [];
    for (let page = 1; page <= 3; page += 1) byNumber.push(...(await auth.users.list(auth.system, { q: 'walker', page, pageSize: 3 })).items.map((u) => u.id));
    const byCursor: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await auth.users.list(auth.system, { q: 'walker', pageSize: 3, ...(cursor === undefined ? {} : { cursor }) });
      expect([page.total, page.totalExact]).toEqual([7, true]);
      byCursor.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor ?? undefined;
      pages += 1;
    } while (cursor !== undefined && pages < 10);
    expect(byCursor).toEqual(byNumber);
    expect(new Set(byCursor).size).toBe(7);
    expect(pages).toBe(3);
    const last = await auth.users.list(auth.system, { q: 'walker', page: 3, pageSize: 3 });
    expect(last.nextCursor).toBeNull();
  });

  it('users.list() and audit.query() count up to 1,000: past it, total is 1,000 with totalExact false, and the pages go on', async () => {
    const { auth, store } = await world();
    await store.insertUsers(Array.from({ length: 1001 }, (_, i) => fixtureUser({ name: `Many ${i}`, email: `many${i}@example.com`, status: 'suspended' })));
    const page = await auth.users.list(auth.system, { status: 'suspended', pageSize: 100 });
    expect([page.total, page.totalExact, page.items.length]).toEqual([1000, false, 100]);
    expect(page.nextCursor).not.toBeNull();
    const deep = await auth.users.list(auth.system, { status: 'suspended', page: 11, pageSize: 100 });
    expect(deep.items).toHaveLength(1);
    const exact = await auth.users.list(auth.system, { status: 'suspended', q: 'many 100', pageSize: 100 });
    expect([exact.total, exact.totalExact]).toEqual([2, true]); // Many 100 and Many 1000

    const activities = Array.from({ length: 1005 }, (_, i) => ({ id: randomUUID(), subjectId: null, actorId: null, action: 'report.viewed', details: 'x', ip: null, userAgent: null, metadata: {}, createdAt: new Date(T0.getTime() + i) }));
    await store.appendActivities(activities);
    const log = await auth.audit.query(auth.system, { action: 'report.', pageSize: 5 });
    expect([log.total, log.totalExact]).toEqual([1000, false]);
    const next = await auth.audit.query(auth.system, { action: 'report.', pageSize: 5, cursor: log.nextCursor! });
    expect(next.items.map((a) => a.createdAt.getTime())).toEqual([1004, 1003, 1002, 1001, 1000].map((i) => i - 5 + T0.getTime()));
  });

  it('users.list(): with every filter matching over 1,000 users, totals, pages by number and by cursor are those of the filters, whichever set the count reads', async () => {
    const { auth, store } = await world();
    await store.upsertRole({ code: 'clerk', name: 'Clerk', description: '', level: 5, active: true, createdAt: T0, updatedAt: T0 });
    // 2,400 users: every one a "zed", half of them "quill", two in three clerks, four in five suspended.
    const users = Array.from({ length: 2400 }, (_, i) =>
      fixtureUser({ name: `Zed${i} ${i % 2 === 0 ? 'Quill' : 'Stone'}`, email: `dense${i}@example.com`, status: i % 5 === 0 ? 'active' : 'suspended', createdAt: new Date(T0.getTime() + i * 1000) }),
    );
    await store.insertUsers(users);
    await store.insertUserRoles(users.filter((_, i) => i % 3 !== 0).map((u) => ({ userId: u.id, roleCode: 'clerk', assignedAt: T0, assignedBy: null, expiresAt: null })));
    const cases: [filters: { status?: 'suspended'; role?: string; q: string }, matches: (i: number) => boolean][] = [
      [{ status: 'suspended', role: 'clerk', q: 'zed quill' }, (i) => i % 5 !== 0 && i % 3 !== 0 && i % 2 === 0],
      [{ role: 'clerk', q: 'quill zed' }, (i) => i % 3 !== 0 && i % 2 === 0],
      [{ status: 'suspended', role: 'clerk', q: 'zed' }, (i) => i % 5 !== 0 && i % 3 !== 0],
      [{ role: 'clerk', q: 'zed' }, (i) => i % 3 !== 0],
    ];
    for (const [filters, matches] of cases) {
      // Newest first: the highest numbers.
      const expected = users.flatMap((u, i) => (matches(i) ? [u.id] : [])).reverse();
      const first = await auth.users.list(auth.system, { ...filters, pageSize: 50 });
      // Every case combines filters: counted up to 100 (COMBINED_COUNT_LIMIT).
      expect([first.total, first.totalExact], JSON.stringify(filters)).toEqual(expected.length > 100 ? [100, false] : [expected.length, true]);
      expect(first.items.map((u) => u.id)).toEqual(expected.slice(0, 50));
      const deep = await auth.users.list(auth.system, { ...filters, page: 9, pageSize: 50 });
      expect(deep.items.map((u) => u.id)).toEqual(expected.slice(400, 450));
      const second = await auth.users.list(auth.system, { ...filters, pageSize: 50, cursor: first.nextCursor! });
      expect(second.items.map((u) => u.id)).toEqual(expected.slice(50, 100));
    }
  });

  it('users.list(): combined filters count up to 100, one filter (a status, a role, one word, an address) up to 1,000', async () => {
    const { auth, store } = await world();
    await store.upsertRole({ code: 'clerk', name: 'Clerk', description: '', level: 5, active: true, createdAt: T0, updatedAt: T0 });
    const users = Array.from({ length: 1002 }, (_, i) => fixtureUser({ name: `Vale${i} Ortega`, email: `vale${i}@example.com`, status: 'suspended', createdAt: new Date(T0.getTime() + i * 1000) }));
    await store.insertUsers(users);
    await store.insertUserRoles(users.map((u) => ({ userId: u.id, roleCode: 'clerk', assignedAt: T0, assignedBy: null, expiresAt: null })));
    const totals = async (query: { status?: 'suspended'; role?: string; q?: string }) => auth.users.list(auth.system, { ...query, pageSize: 5 }).then((p) => [p.total, p.totalExact, p.items.length]);
    for (const single of [{ status: 'suspended' as const }, { role: 'clerk' }, { q: 'ortega' }, { q: 'vale' }]) expect(await totals(single), JSON.stringify(single)).toEqual([1000, false, 5]);
    for (const combined of [{ status: 'suspended' as const, role: 'clerk' }, { status: 'suspended' as const, q: 'ortega' }, { role: 'clerk', q: 'ortega' }, { q: 'vale ortega' }, { status: 'suspended' as const, role: 'clerk', q: 'vale ortega' }]) {
      expect(await totals(combined), JSON.stringify(combined)).toEqual([100, false, 5]);
    }
    // Below the limit the total stays exact: vale10, vale100–vale109, vale1000, vale1001.
    expect(await totals({ status: 'suspended', role: 'clerk', q: 'vale10 ortega' })).toEqual([13, true, 5]);
    expect(await totals({ status: 'suspended', q: 'vale1001@' })).toEqual([1, true, 1]);
  });

  it('users.list(): a word prefix that begins two words of the same users counts each user once, below and past 1,000 word rows', async () => {
    const { auth, store } = await world();
    // 400 × "Nell Nelson": 800 words beginning `nel`. 300 × "Nora Norb" and 100 × "Nox Yates": 1,500 words beginning
    // `no`, of which the first 1,001 (nora, nora<i>, nora<i>@…, norb) are of the 300 Noras only.
    await store.insertUsers([
      ...Array.from({ length: 400 }, (_, i) => fixtureUser({ name: 'Nell Nelson', email: `nell${i}@example.com` })),
      ...Array.from({ length: 300 }, (_, i) => fixtureUser({ name: 'Nora Norb', email: `nora${i}@example.com` })),
      ...Array.from({ length: 100 }, (_, i) => fixtureUser({ name: 'Nox Yates', email: `nox${i}@example.com` })),
    ]);
    for (const [q, total] of [['nel', 400], ['nor', 300], ['no', 400]] as const) {
      const page = await auth.users.list(auth.system, { q, pageSize: 5 });
      expect([page.total, page.totalExact, page.items.length], q).toEqual([total, true, 5]);
    }
  });

  it('users.list(): a role given by any write (assignRole, insertUserRoles, replaceUserRoles) lists its holders newest first, by page and by cursor', async () => {
    const { auth, store } = await world();
    await store.upsertRole({ code: 'auditor', name: 'Auditor', description: '', level: 5, active: true, createdAt: T0, updatedAt: T0 });
    // Created oldest first; assigned in another order, each by another write.
    const users = Array.from({ length: 4 }, (_, i) => fixtureUser({ name: `Writer ${i}`, email: `writer${i}@example.com`, createdAt: new Date(T0.getTime() + i * 60_000) }));
    await store.insertUsers(users);
    const held = (u: (typeof users)[number]) => ({ userId: u.id, roleCode: 'auditor', assignedAt: T0, assignedBy: null, expiresAt: null });
    await store.assignRole(held(users[2]!));
    await store.insertUserRoles([held(users[0]!), held(users[3]!)]);
    await store.replaceUserRoles([users[1]!.id], [held(users[1]!)]);
    const newest = users.map((u) => u.id).reverse();
    const first = await auth.users.list(auth.system, { role: 'auditor', pageSize: 3 });
    expect([first.items.map((u) => u.id), first.total, first.totalExact]).toEqual([newest.slice(0, 3), 4, true]);
    const next = await auth.users.list(auth.system, { role: 'auditor', pageSize: 3, cursor: first.nextCursor! });
    expect(next.items.map((u) => u.id)).toEqual(newest.slice(3));
    expect((await auth.users.list(auth.system, { role: 'auditor', page: 2, pageSize: 3 })).items.map((u) => u.id)).toEqual(newest.slice(3));
  });

  it('a malformed, tampered or foreign cursor is VALIDATION_FAILED on both lists, never a storage error', async () => {
    const { auth, store } = await world();
    await store.insertUsers([fixtureUser({ name: 'Solo', email: 'solo@example.com' })]);
    const users = await auth.users.list(auth.system, { pageSize: 1 });
    const id = randomUUID();
    const bad = [
      '',
      'not a cursor',
      'e30',
      cursorOf({}),
      cursorOf([1, 'users']),
      cursorOf([2, 'users', T0.getTime(), id]),
      cursorOf([1, 'users', 'yesterday', id]),
      cursorOf([1, 'users', 8.64e15, id]),
      cursorOf([1, 'users', -62_000_000_000_000, id]),
      cursorOf([1, 'users', T0.getTime(), 'x'.repeat(65)]),
      cursorOf([1, 'users', T0.getTime(), "'; drop table users; --"]),
      cursorOf([1, 'users', T0.getTime() + 0.5, id]),
      `${cursorOf([1, 'users', T0.getTime(), id])}!`,
      'A'.repeat(300),
    ];
    for (const cursor of bad) {
      expect(await codeOf(auth.users.list(auth.system, { cursor })), cursor).toBe('VALIDATION_FAILED');
      expect(await codeOf(auth.audit.query(auth.system, { cursor: cursor.replace('users', 'audit') })), cursor).toBe('VALIDATION_FAILED');
    }
    // A cursor of one list is refused by the other.
    expect(await codeOf(auth.audit.query(auth.system, { cursor: cursorOf([1, 'users', T0.getTime(), id]) }))).toBe('VALIDATION_FAILED');
    // A well-formed cursor is a position, whatever row it names: it answers a page.
    expect((await auth.users.list(auth.system, { cursor: cursorOf([1, 'users', Date.UTC(9999, 0, 1), id]) })).items).toHaveLength(users.total);
    expect((await auth.audit.query(auth.system, { cursor: cursorOf([1, 'audit', Date.UTC(1000, 0, 1), id]) })).items).toEqual([]);
  });

  it('search words follow every write: created, imported in a batch, edited and erased users are found by their current name only', async () => {
    const { auth } = await world();
    const created = await auth.users.create(auth.system, { email: 'carla.mendez@example.com', name: 'Carla Méndez Soto', password: 'correct horse battery staple', emailVerified: true });
    const record: ImportRecord = {
      source: 'usuarios.id 7',
      id: null,
      email: 'dario@example.com',
      legacyEmail: null,
      name: 'Darío Núñez',
      password: null,
      identifiers: {},
      status: 'active',
      statusReason: null,
      statusUntil: null,
      emailVerifiedAt: null,
      createdAt: T0,
      lastLoginAt: null,
      locale: null,
      attributes: {},
      roles: [],
      passwordHistory: [],
      twoFactor: null,
      activities: [],
    };
    expect((await auth.users.import(auth.system, [record, { ...record, source: 'usuarios.id 8', email: 'elena@example.com', name: 'Elena Núñez' }])).imported).toBe(2);
    const found = async (q: string): Promise<string[]> => (await auth.users.list(auth.system, { q })).items.map((u) => u.name).sort();
    expect(await found('nunez')).toEqual(['Darío Núñez', 'Elena Núñez']);
    expect(await found('dario@')).toEqual(['Darío Núñez']);
    await auth.users.edit(auth.system, created.user.id, { name: 'Carla Rojas' });
    expect(await found('soto')).toEqual([]);
    // The address is unchanged: its words still find her.
    expect(await found('carla.mendez@')).toEqual(['Carla Rojas']);
    expect(await found('mendez')).toEqual(['Carla Rojas']);
    expect(await found('roj')).toEqual(['Carla Rojas']);
  });
}

describe('memory: admin lists at scale', () => {
  cases(async () => {
    const h = harness();
    return { auth: h.auth, store: h.store };
  });
});

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: admin lists at scale`, (db) => {
    cases(async () => {
      const store = (await db.freshStore()) as AuthStore;
      const h = await shop({ store });
      return { auth: h.auth, store };
    });
  });
}
