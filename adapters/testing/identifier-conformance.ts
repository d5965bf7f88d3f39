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
