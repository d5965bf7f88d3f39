import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isAuthError, type AuthStore, type UserRecord } from 'gatehouse';
import type { ConformanceCase } from './conformance.js';
import { activity, at, role, T0, user } from './fixtures.js';

/**
 * The cases of the identifier and batch-write methods of the {@link AuthStore} contract,
 * part of `storeConformanceCases`.
 */
export const identifierConformanceCases: ConformanceCase[] = [];
const check = (name: string, run: (store: AuthStore) => Promise<void>): void => {
  identifierConformanceCases.push({ name, run });
};

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isAuthError(error), `expected an AuthError ${code}, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

async function seedUser(store: AuthStore, overrides: Partial<UserRecord> = {}): Promise<UserRecord> {
  const record = user(overrides);
  await store.insertUser(record);
  return record;
}

check('setUserIdentifiers() and findUserByIdentifier() find the user by name and exact value; other cases, names and values find nothing', async (store) => {
  const a = await seedUser(store);
  await store.setUserIdentifiers(a.id, { legacyId: '42', documentNumber: 'V-12345678' });
  assert.deepEqual(await store.findUserByIdentifier('legacyId', '42'), a);
  assert.deepEqual(await store.findUserByIdentifier('documentNumber', 'V-12345678'), a);
  assert.equal(await store.findUserByIdentifier('documentNumber', 'v-12345678'), null);
  assert.equal(await store.findUserByIdentifier('legacyId', 'V-12345678'), null);
  assert.equal(await store.findUserByIdentifier('legacyid', '42'), null);
  assert.equal(await store.findUserByIdentifier('legacyId', '42 '), null);
  assert.equal(await store.findUserByIdentifier('legacyId', '4\u00002'), null);
  assert.equal(await store.findUserByIdentifier('legacyId', '\ud800'), null);
});

check('identifier values compare byte by byte: accented and unaccented values belong to different users', async (store) => {
  const a = await seedUser(store);
  const b = await seedUser(store);
  await store.setUserIdentifiers(a.id, { alias: 'peña' });
  await store.setUserIdentifiers(b.id, { alias: 'pena' });
  assert.equal((await store.findUserByIdentifier('alias', 'peña'))?.id, a.id);
  assert.equal((await store.findUserByIdentifier('alias', 'pena'))?.id, b.id);
});

check('setUserIdentifiers() replaces the set: names left out are removed, values changed, and the freed values can be taken', async (store) => {
  const a = await seedUser(store);
  const b = await seedUser(store);
  await store.setUserIdentifiers(a.id, { legacyId: '1', documentNumber: 'D1' });
  await store.setUserIdentifiers(a.id, { legacyId: '2' });
  assert.deepEqual(await store.listUserIdentifiers([a.id]), [{ userId: a.id, name: 'legacyId', value: '2' }]);
  assert.equal(await store.findUserByIdentifier('legacyId', '1'), null);
  await store.setUserIdentifiers(b.id, { legacyId: '1', documentNumber: 'D1' });
  assert.equal((await store.findUserByIdentifier('documentNumber', 'D1'))?.id, b.id);
  await store.setUserIdentifiers(b.id, {});
  assert.deepEqual(await store.listUserIdentifiers([b.id]), []);
});

check('setUserIdentifiers() rejects IDENTIFIER_TAKEN for a pair another user holds, and changes nothing', async (store) => {
  const a = await seedUser(store);
  const b = await seedUser(store);
  await store.setUserIdentifiers(a.id, { legacyId: '1' });
  await store.setUserIdentifiers(b.id, { legacyId: '2', documentNumber: 'D2' });
  await rejectsWith(store.setUserIdentifiers(b.id, { legacyId: '1', documentNumber: 'D3' }), 'IDENTIFIER_TAKEN');
  assert.deepEqual(await store.listUserIdentifiers([b.id]), [
    { userId: b.id, name: 'documentNumber', value: 'D2' },
    { userId: b.id, name: 'legacyId', value: '2' },
  ]);
  assert.equal((await store.findUserByIdentifier('legacyId', '1'))?.id, a.id);
  // The same value under another name is another identifier.
  await store.setUserIdentifiers(b.id, { documentNumber: '1' });
});

check('setUserIdentifiers() rejects NOT_FOUND for a user that does not exist', async (store) => {
  await rejectsWith(store.setUserIdentifiers(randomUUID(), { legacyId: '1' }), 'NOT_FOUND');
  await rejectsWith(store.setUserIdentifiers(randomUUID(), {}), 'NOT_FOUND');
});

check('setUserIdentifiers() gives one identifier to exactly one of 10 users asking at once; the others reject IDENTIFIER_TAKEN', async (store) => {
  const users = await Promise.all(Array.from({ length: 10 }, () => seedUser(store)));
  const results = await Promise.allSettled(users.map((u) => store.setUserIdentifiers(u.id, { documentNumber: 'V-1' })));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) if (r.status === 'rejected') assert.ok(isAuthError(r.reason, 'IDENTIFIER_TAKEN'), String(r.reason));
  const holder = users[results.findIndex((r) => r.status === 'fulfilled')]!;
  assert.equal((await store.findUserByIdentifier('documentNumber', 'V-1'))?.id, holder.id);
});

check('findUsersByIdentifiers() answers the held values of one name with their holders; listUserIdentifiers() every identifier of several users', async (store) => {
  const a = await seedUser(store);
  const b = await seedUser(store);
  await store.setUserIdentifiers(a.id, { legacyId: '1', documentNumber: 'X' });
  await store.setUserIdentifiers(b.id, { legacyId: '2' });
  const found = await store.findUsersByIdentifiers('legacyId', ['1', '2', '3', '1', 'X']);
  assert.deepEqual(
    found.sort((x, y) => x.value.localeCompare(y.value)),
    [
      { userId: a.id, name: 'legacyId', value: '1' },
      { userId: b.id, name: 'legacyId', value: '2' },
    ],
  );
  assert.deepEqual(await store.findUsersByIdentifiers('legacyId', []), []);
  const listed = await store.listUserIdentifiers([b.id, a.id]);
  assert.equal(listed.length, 3);
  assert.deepEqual(new Set(listed.map((i) => `${i.userId}:${i.name}=${i.value}`)), new Set([`${a.id}:legacyId=1`, `${a.id}:documentNumber=X`, `${b.id}:legacyId=2`]));
  assert.deepEqual(await store.listUserIdentifiers([]), []);
});

check('deleteUser() erases the user’s identifiers: the values are free again', async (store) => {
  const a = await seedUser(store);
  await store.setUserIdentifiers(a.id, { legacyId: '7' });
  assert.equal(await store.deleteUser(a.id), true);
  assert.equal(await store.findUserByIdentifier('legacyId', '7'), null);
  const b = await seedUser(store);
  await store.setUserIdentifiers(b.id, { legacyId: '7' });
  assert.equal((await store.findUserByIdentifier('legacyId', '7'))?.id, b.id);
});

check('findUsersByIdOrEmail() finds users by id or by email, case-insensitively, each once', async (store) => {
  const a = await seedUser(store, { email: 'ana@example.com' });
  const b = await seedUser(store, { email: 'bob@example.com' });
  await seedUser(store);
  const found = await store.findUsersByIdOrEmail({ ids: [a.id, randomUUID()], emails: ['ANA@example.com', 'bob@example.com', 'nobody@example.com'] });
  assert.deepEqual(found.map((u) => u.id).sort(), [a.id, b.id].sort());
  assert.deepEqual(await store.findUsersByIdOrEmail({ ids: [], emails: [] }), []);
});

check('insertUsers() stores every user of the batch, each field kept', async (store) => {
  const batch = Array.from({ length: 30 }, (_, i) => user({ createdAt: at(i), lastLoginAt: at(i + 1), emailVerifiedAt: i % 2 === 0 ? at(2) : null, attributes: { n: i } }));
  await store.insertUsers(batch);
  for (const u of batch) assert.deepEqual(await store.findUserById(u.id), u);
  await store.insertUsers([]);
});

check('insertUsers() rejects EMAIL_TAKEN for an email held by a stored user or twice in the batch, and stores none of the batch', async (store) => {
  const held = await seedUser(store, { email: 'held@example.com' });
  const fresh = user();
  await rejectsWith(store.insertUsers([fresh, user({ email: 'HELD@example.com' })]), 'EMAIL_TAKEN');
  assert.equal(await store.findUserById(fresh.id), null);
  const twice = [user({ email: 'twice@example.com' }), user({ email: 'Twice@example.com' })];
  await rejectsWith(store.insertUsers(twice), 'EMAIL_TAKEN');
  assert.equal(await store.findUserByEmail('twice@example.com'), null);
  assert.equal((await store.findUserByEmail('held@example.com'))?.id, held.id);
});

check('insertUserIdentifiers() stores every pair, or rejects IDENTIFIER_TAKEN for a held or repeated pair and stores none', async (store) => {
  const a = await seedUser(store);
  const b = await seedUser(store);
  await store.insertUserIdentifiers([
    { userId: a.id, name: 'legacyId', value: '1' },
    { userId: b.id, name: 'legacyId', value: '2' },
  ]);
  assert.equal((await store.findUserByIdentifier('legacyId', '2'))?.id, b.id);
  await rejectsWith(
    store.insertUserIdentifiers([
      { userId: a.id, name: 'documentNumber', value: 'A' },
      { userId: b.id, name: 'legacyId', value: '1' },
    ]),
    'IDENTIFIER_TAKEN',
  );
  assert.equal(await store.findUserByIdentifier('documentNumber', 'A'), null);
  await rejectsWith(
    store.insertUserIdentifiers([
      { userId: a.id, name: 'documentNumber', value: 'B' },
      { userId: b.id, name: 'documentNumber', value: 'B' },
    ]),
    'IDENTIFIER_TAKEN',
  );
  assert.equal(await store.findUserByIdentifier('documentNumber', 'B'), null);
});

check('insertUserRoles() keeps each assignment’s times; a missing role rejects NOT_FOUND and stores none of the batch', async (store) => {
  const a = await seedUser(store);
  const r1 = role({ level: 20 });
  const r2 = role({ level: 10 });
  await store.upsertRole(r1);
  await store.upsertRole(r2);
  await rejectsWith(
    store.insertUserRoles([
      { userId: a.id, roleCode: r1.code, assignedAt: at(1), assignedBy: null, expiresAt: null },
      { userId: a.id, roleCode: 'missing', assignedAt: at(1), assignedBy: null, expiresAt: null },
    ]),
    'NOT_FOUND',
  );
  assert.deepEqual(await store.listUserGrants(a.id), []);
  await store.insertUserRoles([
    { userId: a.id, roleCode: r1.code, assignedAt: at(1), assignedBy: null, expiresAt: at(100) },
    { userId: a.id, roleCode: r2.code, assignedAt: at(2), assignedBy: null, expiresAt: null },
  ]);
  const grants = await store.listUserGrants(a.id);
  assert.deepEqual(
    grants.map((g) => [g.roleCode, g.assignedAt.getTime(), g.expiresAt?.getTime() ?? null]),
    [
      [r1.code, at(1).getTime(), at(100).getTime()],
      [r2.code, at(2).getTime(), null],
    ],
  );
});

check('insertPasswordHistory() and appendActivities() keep every row with its own time', async (store) => {
  const a = await seedUser(store);
  await store.insertPasswordHistory([
    { id: randomUUID(), userId: a.id, passwordHash: 'h1', changedAt: at(1), reason: 'register', forced: false },
    { id: randomUUID(), userId: a.id, passwordHash: 'h2', changedAt: at(5), reason: 'change', forced: true },
  ]);
  assert.deepEqual(
    (await store.listPasswordHistory(a.id, 10)).map((h) => [h.passwordHash, h.changedAt.getTime(), h.forced]),
    [
      ['h2', at(5).getTime(), true],
      ['h1', at(1).getTime(), false],
    ],
  );
  const entries = [activity({ subjectId: a.id, createdAt: at(3), metadata: { imported: true } }), activity({ subjectId: a.id, createdAt: T0, ip: '192.0.2.1', userAgent: 'ua' })];
  await store.appendActivities(entries);
  const page = await store.listActivities({ subjectId: a.id, offset: 0, limit: 10 });
  assert.deepEqual(page.items, entries);
  await store.insertPasswordHistory([]);
  await store.appendActivities([]);
});

check('batch writes inside a transaction are undone with it', async (store) => {
  const u = user();
  await assert.rejects(
    store.transaction(async (tx) => {
      await tx.insertUsers([u]);
      await tx.insertUserIdentifiers([{ userId: u.id, name: 'legacyId', value: '9' }]);
      await tx.appendActivities([activity({ subjectId: u.id })]);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(await store.findUserById(u.id), null);
  assert.equal(await store.findUserByIdentifier('legacyId', '9'), null);
  assert.equal((await store.listActivities({ offset: 0, limit: 10 })).total, 0);
});

// the reads and writes of many users an import's update makes (ImportBatchStore)

check('lockUsers() reads the users with these ids and leaves out unknown ids; in concurrent transactions each reads what the one before committed: 6 increments of two users all count', async (store) => {
  const a = await seedUser(store, { name: '0' });
  const b = await seedUser(store, { name: '0' });
  const found = await store.lockUsers([b.id, a.id, '00000000-0000-4000-8000-000000000000', a.id]);
  assert.deepEqual(found.sort((x, y) => (x.id < y.id ? -1 : 1)), [a, b].sort((x, y) => (x.id < y.id ? -1 : 1)));
  assert.deepEqual(await store.lockUsers([]), []);
  await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      store.transaction(async (tx) => {
        // Half the writers name the users in the other order: the store locks them in one order whatever the caller's.
        const read = await tx.lockUsers(i % 2 === 0 ? [a.id, b.id] : [b.id, a.id]);
        assert.equal(read.length, 2);
        await new Promise((resolve) => setTimeout(resolve, 2));
        await tx.updateUsers(read.map((u) => ({ ...u, name: String(Number(u.name) + 1), updatedAt: at(i + 1) })));
      }),
    ),
  );
  assert.equal((await store.findUserById(a.id))?.name, '6');
  assert.equal((await store.findUserById(b.id))?.name, '6');
});

check('updateUsers() writes every field but id and createdAt; an email another user holds rejects EMAIL_TAKEN and changes none of them', async (store) => {
  const a = await seedUser(store, { email: 'a@example.com' });
  const b = await seedUser(store, { email: 'b@example.com' });
  await seedUser(store, { email: 'held@example.com' });
  const nextA: UserRecord = {
    ...a,
    email: 'a2@example.com',
    name: 'Ana',
    passwordHash: '$2y$10$abcdefghijklmnopqrstuuJ0qtpo7bR4vY0FzV1o6zA9WgA0xwE7W',
    status: 'blocked',
    statusReason: 'Fraude',
    statusUntil: at(50),
    emailVerifiedAt: at(3),
    mustChangePassword: true,
    locale: 'es-CO',
    attributes: { city: 'Bogotá', n: 2 },
    lastLoginAt: at(4),
    createdAt: at(999),
    updatedAt: at(5),
  };
  const nextB: UserRecord = { ...b, name: 'Bob', emailVerifiedAt: null, lastLoginAt: null, attributes: {}, updatedAt: at(5) };
  await store.updateUsers([nextA, nextB, user()]);
  assert.deepEqual(await store.findUserById(a.id), { ...nextA, createdAt: a.createdAt });
  assert.deepEqual(await store.findUserById(b.id), nextB);
  await rejectsWith(store.updateUsers([{ ...nextB, name: 'Robert' }, { ...nextA, email: 'HELD@example.com' }]), 'EMAIL_TAKEN');
  assert.equal((await store.findUserById(b.id))?.name, 'Bob');
  assert.equal((await store.findUserById(a.id))?.email, 'a2@example.com');
  await store.updateUsers([]);
});

check('replaceUserIdentifiers() removes every identifier of the named users, then stores the given ones; a pair held by another user rejects IDENTIFIER_TAKEN and changes nothing', async (store) => {
  const a = await seedUser(store);
  const b = await seedUser(store);
  const other = await seedUser(store);
  const fresh = await seedUser(store);
  await store.insertUserIdentifiers([
    { userId: a.id, name: 'legacyId', value: '1' },
    { userId: a.id, name: 'documentNumber', value: 'D1' },
    { userId: b.id, name: 'legacyId', value: '2' },
    { userId: other.id, name: 'legacyId', value: '3' },
  ]);
  // b takes a's old value in the same call; a user left out (fresh) gets identifiers too.
  await store.replaceUserIdentifiers(
    [a.id, b.id],
    [
      { userId: a.id, name: 'legacyId', value: '10' },
      { userId: b.id, name: 'legacyId', value: '1' },
      { userId: fresh.id, name: 'legacyId', value: '4' },
    ],
  );
  assert.deepEqual(await store.listUserIdentifiers([a.id]), [{ userId: a.id, name: 'legacyId', value: '10' }]);
  assert.equal((await store.findUserByIdentifier('legacyId', '1'))?.id, b.id);
  assert.equal((await store.findUserByIdentifier('legacyId', '4'))?.id, fresh.id);
  assert.equal(await store.findUserByIdentifier('documentNumber', 'D1'), null);
  await rejectsWith(
    store.replaceUserIdentifiers(
      [a.id],
      [
        { userId: a.id, name: 'legacyId', value: '11' },
        { userId: a.id, name: 'documentNumber', value: '3' },
        { userId: a.id, name: 'alias', value: 'x' },
        { userId: a.id, name: 'legacyId', value: '3' },
      ],
    ),
    'IDENTIFIER_TAKEN',
  );
  assert.deepEqual(await store.listUserIdentifiers([a.id]), [{ userId: a.id, name: 'legacyId', value: '10' }]);
  assert.equal((await store.findUserByIdentifier('legacyId', '3'))?.id, other.id);
});

check('replaceUserRoles() removes the named users’ assignments left out, keeps the first assignedAt of those held, and a missing role rejects NOT_FOUND changing nothing', async (store) => {
  const a = await seedUser(store);
  const fresh = await seedUser(store);
  const r1 = role({ level: 30 });
  const r2 = role({ level: 20 });
  const r3 = role({ level: 10 });
  for (const r of [r1, r2, r3]) await store.upsertRole(r);
  await store.insertUserRoles([
    { userId: a.id, roleCode: r1.code, assignedAt: at(1), assignedBy: null, expiresAt: null },
    { userId: a.id, roleCode: r2.code, assignedAt: at(2), assignedBy: null, expiresAt: null },
  ]);
  await store.replaceUserRoles(
    [a.id],
    [
      { userId: a.id, roleCode: r1.code, assignedAt: at(100), assignedBy: null, expiresAt: at(500) },
      { userId: a.id, roleCode: r3.code, assignedAt: at(101), assignedBy: null, expiresAt: null },
      { userId: fresh.id, roleCode: r2.code, assignedAt: at(102), assignedBy: null, expiresAt: null },
    ],
  );
  const summary = async (userId: string) => (await store.listUserGrants(userId)).map((g) => [g.roleCode, g.assignedAt.getTime(), g.expiresAt?.getTime() ?? null]);
  assert.deepEqual(await summary(a.id), [
    [r1.code, at(1).getTime(), at(500).getTime()],
    [r3.code, at(101).getTime(), null],
  ]);
  assert.deepEqual(await summary(fresh.id), [[r2.code, at(102).getTime(), null]]);
  await rejectsWith(store.replaceUserRoles([a.id], [{ userId: a.id, roleCode: 'missing', assignedAt: at(1), assignedBy: null, expiresAt: null }]), 'NOT_FOUND');
  assert.deepEqual(await summary(a.id), [
    [r1.code, at(1).getTime(), at(500).getTime()],
    [r3.code, at(101).getTime(), null],
  ]);
});

check('listPasswordHistoryOf() and listActivitiesOf() answer every row of the named users only, newest first', async (store) => {
  const a = await seedUser(store);
  const b = await seedUser(store);
  const c = await seedUser(store);
  const entry = (userId: string, seconds: number) => ({ id: randomUUID(), userId, passwordHash: `h${seconds}`, changedAt: at(seconds), reason: 'change', forced: false });
  await store.insertPasswordHistory([entry(a.id, 1), entry(a.id, 3), entry(b.id, 2), entry(c.id, 4)]);
  const history = await store.listPasswordHistoryOf([a.id, b.id]);
  assert.deepEqual(history.filter((h) => h.userId === a.id).map((h) => h.passwordHash), ['h3', 'h1']);
  assert.deepEqual(history.filter((h) => h.userId === b.id).map((h) => h.passwordHash), ['h2']);
  assert.equal(history.length, 3);
  await store.appendActivities([activity({ subjectId: a.id, createdAt: at(1) }), activity({ subjectId: b.id, createdAt: at(3) }), activity({ subjectId: a.id, createdAt: at(2), metadata: { sourceKey: 'k' } }), activity({ subjectId: c.id, createdAt: at(4) })]);
  const activities = await store.listActivitiesOf([a.id, b.id]);
  assert.deepEqual(
    activities.map((x) => [x.subjectId, x.createdAt.getTime()]),
    [
      [b.id, at(3).getTime()],
      [a.id, at(2).getTime()],
      [a.id, at(1).getTime()],
    ],
  );
  assert.deepEqual(activities[1]?.metadata, { sourceKey: 'k' });
  assert.deepEqual(await store.listPasswordHistoryOf([]), []);
  assert.deepEqual(await store.listActivitiesOf([]), []);
});
