import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ImmutableDate, isAuthError, SIGN_IN_STORE_METHODS, type AuthStore, type SessionBundle, type SignInStore, type UserRecord } from 'gatehouse';
import { identifierConformanceCases } from './identifier-conformance.js';
import { activity, at, attempt, hex64, key, permission, role, session, T0, user } from './fixtures.js';

/**
 * A deep copy as plain data (`structuredClone()`): a store may hand out a session bundle's
 * records frozen, with immutable `Date`s (the memory store hands out its own rows), which
 * compare unequal to plain ones under `deepStrictEqual` by their prototype alone.
 */
const plain = <T>(value: T): T => structuredClone(value);

/** One named, independent check of the {@link AuthStore} contract (or of another port's, `S`). */
export interface ConformanceCase<S = AuthStore> {
  /** States the behaviour, e.g. "consumeOneTimeKey() returns the key once and null to every later caller". */
  readonly name: string;
  /** Runs the check against an empty store; rejects with an assertion error when the store breaks the contract. */
  readonly run: (store: S) => Promise<void>;
}

const cases: ConformanceCase[] = [];
const check = (name: string, run: (store: AuthStore) => Promise<void>): void => {
  cases.push({ name, run });
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

// transactions

check('transaction() commits every write made through tx when fn resolves, and resolves with its result', async (store) => {
  const a = user();
  const result = await store.transaction(async (tx) => {
    await tx.insertUser(a);
    await tx.insertSession(session(a.id));
    return 42;
  });
  assert.equal(result, 42);
  assert.deepEqual(await store.findUserById(a.id), a);
  assert.equal((await store.listUserSessions(a.id, T0)).length, 1);
});

check('appTransaction(), when the store offers it, is null outside a transaction, and its handle refuses a query after the transaction ended (TypeError)', async (store) => {
  // Optional: a store without it passes. That the handle's queries commit and roll back with
  // the transaction is database-specific: the SQL stores' own suites check it.
  if (store.appTransaction === undefined) return;
  assert.equal(store.appTransaction(), null);
  const handle = await store.transaction(async (tx) => {
    const inside = tx.appTransaction?.() ?? null;
    assert.ok(inside !== null, 'a transaction view offers a handle');
    assert.equal(typeof inside.dialect, 'string');
    return inside;
  });
  await assert.rejects(handle.query('select 1'), TypeError);
});

check('transaction() undoes every write made through tx when fn rejects, and rejects with the same error', async (store) => {
  const kept = await seedUser(store);
  const keptSession = session(kept.id);
  await store.insertSession(keptSession);
  const reset = key(kept.id);
  await store.insertOneTimeKey(reset);
  const failure = new Error('boom');
  const fresh = user();
  await assert.rejects(
    store.transaction(async (tx) => {
      await tx.insertUser(fresh);
      await tx.updateUser(kept.id, { name: 'Changed', updatedAt: at(1) });
      await tx.revokeSession(keptSession.id, at(1));
      await tx.consumeOneTimeKey(reset.keyHash, { purpose: 'password-reset', at: at(1), ip: null });
      await tx.appendActivity(activity({ subjectId: kept.id }));
      await tx.deleteSessionsBefore(at(999_999));
      throw failure;
    }),
    (error) => error === failure,
  );
  assert.equal(await store.findUserById(fresh.id), null);
  assert.equal((await store.findUserById(kept.id))?.name, kept.name);
  assert.equal((await store.findSessionById(keptSession.id))?.revokedAt, null);
  assert.equal((await store.findOneTimeKey(reset.keyHash))?.usedAt, null);
  assert.equal((await store.listActivities({ offset: 0, limit: 10 })).total, 0);
});

check('transaction() called on tx joins the running transaction: a later failure undoes the inner writes', async (store) => {
  const inner = user();
  await assert.rejects(
    store.transaction(async (tx) => {
      await tx.transaction(async (nested) => {
        await nested.insertUser(inner);
      });
      assert.notEqual(await tx.findUserById(inner.id), null);
      throw new Error('outer fails');
    }),
  );
  assert.equal(await store.findUserById(inner.id), null);
});

check('transaction() leaves the store usable after a unique violation inside it', async (store) => {
  const a = await seedUser(store);
  await assert.rejects(store.transaction((tx) => tx.insertUser(user({ email: a.email }))));
  const b = await seedUser(store);
  assert.notEqual(await store.findUserById(b.id), null);
});

// users

check('insertUser() and findUserById() round-trip every field', async (store) => {
  const a = user({
    name: 'José Pérez <O\'Brien> "x" ; DROP TABLE users; --',
    status: 'blocked',
    statusReason: 'spam',
    statusUntil: at(3600),
    emailVerifiedAt: at(5),
    mustChangePassword: true,
    locale: 'es-VE',
    attributes: { nationalId: 'V-12345678', phone: '+58 412 1234567', nested: { list: [1, 'two', null, true] } },
    lastLoginAt: at(7),
    createdAt: at(1),
    updatedAt: at(2),
  });
  await store.insertUser(a);
  assert.deepEqual(await store.findUserById(a.id), a);
  const noHash = user({ passwordHash: null });
  await store.insertUser(noHash);
  assert.equal((await store.findUserById(noHash.id))?.passwordHash, null);
});

check('findUserById() and findUserByEmail() resolve null when there is no such user', async (store) => {
  assert.equal(await store.findUserById('00000000-0000-4000-8000-000000000000'), null);
  assert.equal(await store.findUserByEmail('nobody@example.com'), null);
});

check('findUserByEmail() matches case-insensitively and nothing else', async (store) => {
  const a = await seedUser(store, { email: 'mixed.case@example.com' });
  assert.equal((await store.findUserByEmail('MIXED.Case@EXAMPLE.com'))?.id, a.id);
  assert.equal(await store.findUserByEmail('mixed.cas@example.com'), null);
  assert.equal(await store.findUserByEmail('mixed_case@example.com'), null);
  assert.equal(await store.findUserByEmail('mixed%case@example.com'), null);
});

check('insertUser() rejects EMAIL_TAKEN for an email that differs only in case, and stores nothing', async (store) => {
  const a = await seedUser(store, { email: 'taken@example.com' });
  const b = user({ email: 'TAKEN@example.com' });
  await rejectsWith(store.insertUser(b), 'EMAIL_TAKEN');
  assert.equal(await store.findUserById(b.id), null);
  assert.equal((await store.findUserByEmail('taken@example.com'))?.id, a.id);
});

check('insertUser() keeps exactly one of 20 concurrent inserts of one email; the others reject EMAIL_TAKEN', async (store) => {
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => store.insertUser(user({ email: 'race@example.com' }))));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) if (r.status === 'rejected') assert.ok(isAuthError(r.reason, 'EMAIL_TAKEN'), String(r.reason));
  assert.equal((await store.listUsers({ offset: 0, limit: 50, now: T0 })).total, 1);
});

check('updateUser() applies the patch, keeps other fields, and resolves the updated user', async (store) => {
  const a = await seedUser(store);
  const updated = await store.updateUser(a.id, { name: 'New Name', attributes: { phone: '1' }, statusUntil: at(10), updatedAt: at(3) });
  const expected = { ...a, name: 'New Name', attributes: { phone: '1' }, statusUntil: at(10), updatedAt: at(3) };
  assert.deepEqual(updated, expected);
  assert.deepEqual(await store.findUserById(a.id), expected);
  const cleared = await store.updateUser(a.id, { statusUntil: null, updatedAt: at(4) });
  assert.equal(cleared?.statusUntil, null);
});

check('updateUser() resolves null for a missing user', async (store) => {
  assert.equal(await store.updateUser('00000000-0000-4000-8000-000000000000', { name: 'x', updatedAt: T0 }), null);
});

check("updateUser() rejects EMAIL_TAKEN when the new email is another user's, and changes nothing", async (store) => {
  const a = await seedUser(store, { email: 'first@example.com' });
  const b = await seedUser(store, { email: 'second@example.com' });
  await rejectsWith(store.updateUser(b.id, { email: 'FIRST@example.com', name: 'changed', updatedAt: at(1) }), 'EMAIL_TAKEN');
  assert.deepEqual(await store.findUserById(b.id), b);
  assert.equal((await store.findUserByEmail('first@example.com'))?.id, a.id);
  // Changing to one's own email in another case is no conflict.
  assert.equal((await store.updateUser(a.id, { email: 'first@example.com', updatedAt: at(1) }))?.email, 'first@example.com');
});

check('updateUser() moves the email: the old address is free afterwards', async (store) => {
  const a = await seedUser(store, { email: 'old@example.com' });
  await store.updateUser(a.id, { email: 'new@example.com', updatedAt: at(1) });
  assert.equal(await store.findUserByEmail('old@example.com'), null);
  assert.equal((await store.findUserByEmail('new@example.com'))?.id, a.id);
  await seedUser(store, { email: 'old@example.com' });
});

check('lockUser() reads the user, or null; in concurrent transactions each reads what the one before committed: 10 increments all count', async (store) => {
  const counter = await seedUser(store, { name: '0' });
  assert.deepEqual(await store.lockUser(counter.id), counter);
  assert.equal(await store.lockUser('00000000-0000-4000-8000-000000000000'), null);
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      store.transaction(async (tx) => {
        const read = await tx.lockUser(counter.id);
        assert.ok(read !== null);
        // Give the others time to read the same value, were the row not locked.
        await new Promise((resolve) => setTimeout(resolve, 2));
        await tx.updateUser(counter.id, { name: String(Number(read.name) + 1), updatedAt: at(i + 1) });
      }),
    ),
  );
  assert.equal((await store.findUserById(counter.id))?.name, '10');
});

check('the store hands out copies: mutating a returned user changes nothing stored', async (store) => {
  const a = await seedUser(store, { attributes: { phone: '1' } });
  const found = (await store.findUserById(a.id)) as { name: string; attributes: Record<string, unknown>; createdAt: Date };
  found.name = 'mutated';
  found.attributes['phone'] = '2';
  found.createdAt.setTime(0);
  assert.deepEqual(await store.findUserById(a.id), a);
});

check('listUsers() filters by status, by live role and by text on name or email, and pages newest first with a total', async (store) => {
  const admin = role({ code: 'admin', level: 50 });
  await store.upsertRole(admin);
  const ana = await seedUser(store, { name: 'Ana Gómez', email: 'ana@shop.example', createdAt: at(1) });
  const bob = await seedUser(store, { name: 'Bob', email: 'bob@other.example', status: 'pending', createdAt: at(2) });
  const cid = await seedUser(store, { name: 'Cid', email: 'cid@shop.example', createdAt: at(3) });
  const dee = await seedUser(store, { name: 'Dee', email: 'dee@shop.example', createdAt: at(3) });
  await store.assignRole({ userId: ana.id, roleCode: 'admin', assignedAt: T0, assignedBy: null, expiresAt: null });
  await store.assignRole({ userId: cid.id, roleCode: 'admin', assignedAt: T0, assignedBy: null, expiresAt: at(100) });
  const ids = async (query: Partial<Parameters<AuthStore['listUsers']>[0]>): Promise<string[]> =>
    (await store.listUsers({ offset: 0, limit: 10, now: at(50), ...query })).items.map((u) => u.id);

  const sameTime = [cid.id, dee.id].sort().reverse();
  assert.deepEqual(await ids({}), [...sameTime, bob.id, ana.id]);
  assert.deepEqual(await ids({ status: 'pending' }), [bob.id]);
  assert.deepEqual(await ids({ roleCode: 'admin' }), [cid.id, ana.id]);
  assert.deepEqual(await ids({ roleCode: 'admin', now: at(100) }), [ana.id], 'an expired assignment does not count');
  assert.deepEqual(await ids({ text: 'GÓMEZ' }), [ana.id]);
  assert.deepEqual(await ids({ text: 'SHOP.example' }), [...sameTime, ana.id]);
  assert.deepEqual(await ids({ text: '%' }), [], 'text is matched literally');
  assert.deepEqual(await ids({ text: '_' }), [], 'text is matched literally');

  const page1 = await store.listUsers({ offset: 0, limit: 2, now: T0 });
  const page2 = await store.listUsers({ offset: 2, limit: 2, now: T0 });
  assert.equal(page1.total, 4);
  assert.equal(page2.total, 4);
  assert.deepEqual([...page1.items, ...page2.items].map((u) => u.id), [...sameTime, bob.id, ana.id]);
});

check('listUsers() searches by word prefix of the name and email, without case or accents; a text with @ begins the email; kept in step with updateUser(), insertUsers() and deleteUser()', async (store) => {
  const ana = await seedUser(store, { name: 'Ana María Gómez-Pérez', email: 'ana.gomez@shop.example', createdAt: at(1) });
  const [bea, ben] = [user({ name: 'Beatriz Gómez', email: 'bea@other.example', createdAt: at(2) }), user({ name: 'Benito Anaya', email: 'benito@shop.example', createdAt: at(3) })];
  await store.insertUsers([bea, ben]);
  const ids = async (text: string): Promise<string[]> => (await store.listUsers({ offset: 0, limit: 10, now: T0, text })).items.map((u) => u.id);
  assert.deepEqual(await ids('gom'), [bea.id, ana.id], 'a prefix of a word of the name');
  assert.deepEqual(await ids('GOMEZ perez'), [ana.id], 'every word must match, accents and case ignored');
  assert.deepEqual(await ids('ana'), [ben.id, ana.id], 'ana begins "Ana" and "Anaya"');
  assert.deepEqual(await ids('mez'), [], 'a word is matched from its start, not in its middle');
  assert.deepEqual(await ids('shop.example'), [ben.id, ana.id]);
  assert.deepEqual(await ids('ana.gomez@shop'), [ana.id], 'a text with @ begins the whole address');
  assert.deepEqual(await ids('gomez@shop'), [], 'an address is matched from its start');
  assert.deepEqual(await ids('-- !'), [], 'punctuation alone matches nobody');
  await store.updateUser(ana.id, { name: 'Ana Ruiz', email: 'ana.ruiz@shop.example', updatedAt: at(9) });
  assert.deepEqual(await ids('gomez'), [bea.id], 'the old name and address are forgotten');
  assert.deepEqual(await ids('ruiz'), [ana.id]);
  assert.deepEqual(await ids('ana.ruiz@'), [ana.id]);
  await store.deleteUser(bea.id);
  assert.deepEqual(await ids('gomez'), []);
  const renamed = (await store.findUserById(ben.id))!;
  await store.updateUsers([{ ...renamed, name: 'Benito Zapata', email: 'bzapata@shop.example', updatedAt: at(10) }]);
  assert.deepEqual(await ids('anaya'), [], 'a batch update (an import) rewrites the words too');
  assert.deepEqual(await ids('zapata'), [ben.id]);
  assert.deepEqual(await ids('bzapata@'), [ben.id]);
});

check('listUsers() and listActivities() page by keyset after a position, and count only up to countLimit', async (store) => {
  const users = [];
  for (let i = 0; i < 5; i += 1) users.push(await seedUser(store, { name: `User ${i}`, createdAt: at(i < 2 ? 1 : i) }));
  const all = (await store.listUsers({ offset: 0, limit: 10, now: T0 })).items;
  const third = all[2]!;
  const rest = await store.listUsers({ offset: 0, limit: 10, now: T0, after: { createdAt: third.createdAt, id: third.id } });
  assert.deepEqual(rest.items.map((u) => u.id), all.slice(3).map((u) => u.id), 'after a position: the rows that follow it, ties broken by id');
  assert.equal(rest.total, 5, 'the total still counts every match');
  const second = all[1]!;
  const skipped = await store.listUsers({ offset: 1, limit: 1, now: T0, after: { createdAt: second.createdAt, id: second.id } });
  assert.deepEqual(skipped.items.map((u) => u.id), [all[3]!.id], 'offset counts from the position');
  assert.deepEqual(await store.listUsers({ offset: 0, limit: 2, now: T0, countLimit: 3 }).then((p) => [p.total, p.totalExact, p.items.length]), [3, false, 2]);
  assert.deepEqual(await store.listUsers({ offset: 0, limit: 2, now: T0, countLimit: 5 }).then((p) => [p.total, p.totalExact]), [5, true]);
  const deep = await store.listUsers({ offset: 4, limit: 2, now: T0, countLimit: 3 });
  assert.deepEqual(deep.items.map((u) => u.id), [all[4]!.id], 'a page past the counted total is still read');

  const entries = [1, 2, 2, 3].map((t) => activity({ action: 'login.failed', createdAt: at(t) }));
  for (const e of entries) await store.appendActivity(e);
  const log = (await store.listActivities({ offset: 0, limit: 10 })).items;
  const next = await store.listActivities({ offset: 0, limit: 10, action: 'login.', after: { createdAt: log[1]!.createdAt, id: log[1]!.id }, countLimit: 2 });
  assert.deepEqual(next.items.map((a) => a.id), log.slice(2).map((a) => a.id));
  assert.deepEqual([next.total, next.totalExact], [2, false]);
});

check("listUsers() with order 'oldest' lists and pages oldest first, ties by id ascending, by offset and by keyset, with every filter", async (store) => {
  await store.upsertRole(role({ code: 'admin', level: 50 }));
  const users = [];
  for (let i = 0; i < 6; i += 1) users.push(await seedUser(store, { name: `Garcia ${i}`, status: i === 5 ? 'pending' : 'active', createdAt: at(i < 2 ? 1 : i) }));
  for (const u of users.slice(1)) await store.assignRole({ userId: u.id, roleCode: 'admin', assignedAt: T0, assignedBy: null, expiresAt: null });
  const newest = (await store.listUsers({ offset: 0, limit: 10, now: T0 })).items.map((u) => u.id);
  const oldest = (await store.listUsers({ offset: 0, limit: 10, now: T0, order: 'oldest' })).items.map((u) => u.id);
  assert.deepEqual(oldest, [...newest].reverse(), 'oldest first is newest first reversed, ties included');
  assert.deepEqual(oldest.slice(0, 2), users.slice(0, 2).map((u) => u.id).sort(), 'a tie in time goes by id ascending');
  const page2 = await store.listUsers({ offset: 2, limit: 2, now: T0, order: 'oldest' });
  assert.deepEqual([page2.items.map((u) => u.id), page2.total], [oldest.slice(2, 4), 6]);
  const second = oldest[1]!;
  const after = (await store.findUserById(second))!;
  const rest = await store.listUsers({ offset: 0, limit: 10, now: T0, order: 'oldest', after: { createdAt: after.createdAt, id: after.id } });
  assert.deepEqual(rest.items.map((u) => u.id), oldest.slice(2), 'after a position: the older-to-newer rows that follow it');
  for (const filter of [{ roleCode: 'admin' }, { status: 'active' as const }, { text: 'garcia' }, { status: 'active' as const, roleCode: 'admin', text: 'garcia' }]) {
    const down = (await store.listUsers({ offset: 0, limit: 10, now: T0, ...filter })).items.map((u) => u.id);
    const up = (await store.listUsers({ offset: 0, limit: 10, now: T0, order: 'oldest', ...filter })).items.map((u) => u.id);
    assert.deepEqual(up, [...down].reverse(), JSON.stringify(filter));
    const from = (await store.findUserById(up[0]!))!;
    const next = await store.listUsers({ offset: 0, limit: 2, now: T0, order: 'oldest', after: { createdAt: from.createdAt, id: from.id }, ...filter });
    assert.deepEqual(next.items.map((u) => u.id), up.slice(1, 3), `${JSON.stringify(filter)}, by keyset`);
  }
});

check('listUsers() with a text filter holding NUL or a lone surrogate matches nothing, and findUserByEmail() resolves null, without failing', async (store) => {
  await seedUser(store, { name: 'Ana', email: 'ana@shop.example' });
  for (const text of ['\u0000', 'Ana\u0000', '\ud800', 'An\udfffa']) {
    assert.deepEqual(await store.listUsers({ offset: 0, limit: 10, now: T0, text }), { items: [], total: 0 }, JSON.stringify(text));
  }
  assert.equal(await store.findUserByEmail('ana@shop.example\u0000'), null);
  assert.equal(await store.findUserByEmail('ana\ud800@shop.example'), null);
  assert.equal((await store.listUsers({ offset: 0, limit: 10, now: T0, text: 'ana' })).total, 1);
});

check('deleteUser() erases the user and what belongs to them, keeps activities with the id cleared, and resolves false for a missing user', async (store) => {
  const admin = role({ code: 'admin' });
  await store.upsertRole(admin);
  const gone = await seedUser(store);
  const other = await seedUser(store);
  await store.assignRole({ userId: gone.id, roleCode: 'admin', assignedAt: T0, assignedBy: null, expiresAt: null });
  await store.assignRole({ userId: other.id, roleCode: 'admin', assignedAt: T0, assignedBy: gone.id, expiresAt: null });
  const s = session(gone.id);
  await store.insertSession(s);
  const k = key(gone.id);
  await store.insertOneTimeKey(k);
  await store.appendPasswordHistory({ id: randomUUID(), userId: gone.id, passwordHash: 'h', changedAt: T0, reason: 'registered', forced: false });
  await store.insertLoginAttempt(attempt({ userId: gone.id, email: gone.email }));
  await store.appendActivity(activity({ subjectId: gone.id, actorId: other.id }));
  await store.appendActivity(activity({ subjectId: other.id, actorId: gone.id }));

  assert.equal(await store.deleteUser(gone.id), true);
  assert.equal(await store.findUserById(gone.id), null);
  assert.equal(await store.findSessionByTokenHash(s.tokenHash), null);
  assert.equal(await store.findOneTimeKey(k.keyHash), null);
  assert.deepEqual(await store.listPasswordHistory(gone.id, 10), []);
  assert.deepEqual(await store.listUserGrants(gone.id), []);
  assert.deepEqual(await store.listLoginFailures({ email: gone.email }, { since: T0, limit: 10 }), []);
  assert.equal((await store.listUserGrants(other.id))[0]?.assignedBy, null);
  const log = await store.listActivities({ offset: 0, limit: 10 });
  assert.equal(log.total, 2);
  assert.ok(log.items.every((a) => a.subjectId !== gone.id && a.actorId !== gone.id));
  assert.equal(await store.deleteUser(gone.id), false);
  assert.notEqual(await store.findUserById(other.id), null);
});

// roles and permissions

check('upsertRole() inserts, then replaces every field; findRole() resolves it or null', async (store) => {
  const r = role({ code: 'seller', level: 20, description: 'Sells' });
  await store.upsertRole(r);
  assert.deepEqual(await store.findRole('seller'), r);
  const changed = { ...r, name: 'Vendor', level: 21, active: false, description: '', updatedAt: at(5) };
  await store.upsertRole(changed);
  assert.deepEqual(await store.findRole('seller'), changed);
  assert.equal(await store.findRole('nope'), null);
});

check('listRoles() orders by level, highest first, then by code', async (store) => {
  for (const [code, level] of [['b', 10], ['a', 10], ['top', 50], ['mid', 25]] as const) await store.upsertRole(role({ code, level }));
  assert.deepEqual((await store.listRoles()).map((r) => r.code), ['top', 'mid', 'a', 'b']);
});

check('upsertPermission() inserts, then replaces; listPermissions() orders by code', async (store) => {
  await store.upsertPermission(permission('users:view'));
  await store.upsertPermission(permission('orders:view:own'));
  await store.upsertPermission(permission('users:view', { name: 'See users', active: false }));
  const list = await store.listPermissions();
  assert.deepEqual(list.map((p) => p.code), ['orders:view:own', 'users:view']);
  assert.equal(list[1]?.name, 'See users');
  assert.equal(list[1]?.active, false);
  assert.equal(list[0]?.module, 'orders');
  assert.equal(list[0]?.action, 'view:own');
});

check('grantPermission() is idempotent, revokePermission() says whether it was granted, listRolePermissions() orders by code', async (store) => {
  await store.upsertRole(role({ code: 'editor' }));
  for (const code of ['products:edit', 'products:create', 'orders:view']) await store.upsertPermission(permission(code));
  await store.grantPermission('editor', 'products:edit');
  await store.grantPermission('editor', 'products:edit');
  await store.grantPermission('editor', 'products:create');
  assert.deepEqual(await store.listRolePermissions('editor'), ['products:create', 'products:edit']);
  assert.equal(await store.revokePermission('editor', 'products:edit'), true);
  assert.equal(await store.revokePermission('editor', 'products:edit'), false);
  assert.equal(await store.revokePermission('editor', 'orders:view'), false);
  assert.deepEqual(await store.listRolePermissions('editor'), ['products:create']);
  assert.deepEqual(await store.listRolePermissions('nobody'), []);
});

check('grantPermission() rejects an unknown role or permission with NOT_FOUND', async (store) => {
  await store.upsertRole(role({ code: 'editor' }));
  await store.upsertPermission(permission('products:edit'));
  await rejectsWith(store.grantPermission('ghost', 'products:edit'), 'NOT_FOUND');
  await rejectsWith(store.grantPermission('editor', 'ghost:view'), 'NOT_FOUND');
  assert.deepEqual(await store.listRolePermissions('editor'), []);
});

check('assignRole() replaces an existing assignment; listUserGrants() gives each role with its active permissions, highest level first, expired ones included', async (store) => {
  const u = await seedUser(store);
  const boss = await seedUser(store);
  await store.upsertRole(role({ code: 'customer', level: 10 }));
  await store.upsertRole(role({ code: 'seller', level: 20 }));
  await store.upsertPermission(permission('orders:view:own'));
  await store.upsertPermission(permission('products:create'));
  await store.upsertPermission(permission('products:delete', { active: false }));
  await store.grantPermission('customer', 'orders:view:own');
  await store.grantPermission('seller', 'products:create');
  await store.grantPermission('seller', 'products:delete');
  await store.assignRole({ userId: u.id, roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: null });
  await store.assignRole({ userId: u.id, roleCode: 'seller', assignedAt: T0, assignedBy: null, expiresAt: at(-1) });
  await store.assignRole({ userId: u.id, roleCode: 'seller', assignedAt: at(9), assignedBy: boss.id, expiresAt: at(100) });

  const grants = await store.listUserGrants(u.id);
  assert.deepEqual(
    grants.map((g) => [g.roleCode, g.role.level, g.assignedBy, g.expiresAt?.getTime() ?? null, g.permissions]),
    [
      ['seller', 20, boss.id, at(100).getTime(), ['products:create']],
      ['customer', 10, null, null, ['orders:view:own']],
    ],
  );
  assert.equal(grants[0]?.userId, u.id);
  assert.deepEqual(grants[0]?.role, await store.findRole('seller'));
  assert.deepEqual(await store.listUserGrants(boss.id), []);
});

check('removeRole() removes an assignment and says whether there was one', async (store) => {
  const u = await seedUser(store);
  await store.upsertRole(role({ code: 'customer' }));
  await store.assignRole({ userId: u.id, roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: null });
  assert.equal(await store.removeRole(u.id, 'customer'), true);
  assert.equal(await store.removeRole(u.id, 'customer'), false);
  assert.deepEqual(await store.listUserGrants(u.id), []);
});

check('assignRole() rejects an unknown user or role', async (store) => {
  const u = await seedUser(store);
  await store.upsertRole(role({ code: 'customer' }));
  await assert.rejects(store.assignRole({ userId: u.id, roleCode: 'ghost', assignedAt: T0, assignedBy: null, expiresAt: null }));
  await assert.rejects(
    store.assignRole({ userId: '00000000-0000-4000-8000-000000000000', roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: null }),
  );
});

// sessions

check('insertSession() rejects a second session with the same token hash', async (store) => {
  const u = await seedUser(store);
  const s = session(u.id);
  await store.insertSession(s);
  await assert.rejects(store.insertSession(session(u.id, { tokenHash: s.tokenHash })));
});

check('findSessionByTokenHash() resolves the session with its user and grants, revoked and expired ones too, and null for an unknown hash', async (store) => {
  const u = await seedUser(store, { attributes: { phone: '1' } });
  await store.upsertRole(role({ code: 'customer' }));
  await store.upsertPermission(permission('orders:view:own'));
  await store.grantPermission('customer', 'orders:view:own');
  await store.assignRole({ userId: u.id, roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: null });
  const s = session(u.id, { rememberMe: true, ip: null, userAgent: null });
  await store.insertSession(s);
  const bundle = plain(await store.findSessionByTokenHash(s.tokenHash));
  assert.deepEqual(bundle?.session, s);
  assert.deepEqual(bundle?.user, u);
  assert.deepEqual(bundle?.grants, plain(await store.listUserGrants(u.id)));
  assert.deepEqual(bundle?.grants[0]?.permissions, ['orders:view:own']);

  const old = session(u.id, { expiresAt: at(-10), revokedAt: at(-20) });
  await store.insertSession(old);
  assert.deepEqual(plain(await store.findSessionByTokenHash(old.tokenHash))?.session, old);
  assert.equal(await store.findSessionByTokenHash(hex64()), null);
});

check('findSessionByTokenHash(): changing what a bundle holds (where it can be changed; frozen records and immutable Dates refuse with a TypeError) changes nothing the store holds', async (store) => {
  const u = await seedUser(store, { attributes: { phone: '1', tags: ['a'] } });
  await store.upsertRole(role({ code: 'customer' }));
  await store.upsertPermission(permission('orders:view:own'));
  await store.grantPermission('customer', 'orders:view:own');
  await store.assignRole({ userId: u.id, roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: at(100) });
  const s = session(u.id);
  await store.insertSession(s);
  const before = plain(await store.findSessionByTokenHash(s.tokenHash));
  const taken = (await store.findSessionByTokenHash(s.tokenHash)) as unknown as {
    session: Record<string, unknown> & { expiresAt: Date };
    user: Record<string, unknown> & { createdAt: Date; attributes: Record<string, unknown> & { tags: string[] } };
    grants: (Record<string, unknown> & { assignedAt: Date; expiresAt: Date; role: Record<string, unknown> & { createdAt: Date }; permissions: string[] })[];
  };
  const tryChange = (change: () => unknown): void => {
    try {
      change();
    } catch (error) {
      assert.ok(error instanceof TypeError, `a refused change throws a TypeError, not ${String(error)}`);
    }
  };
  tryChange(() => taken.session.expiresAt.setTime(0));
  tryChange(() => (taken.session['revokedAt'] = T0));
  tryChange(() => (taken.user['name'] = 'Changed'));
  tryChange(() => taken.user.createdAt.setTime(0));
  tryChange(() => (taken.user.attributes['phone'] = '2'));
  tryChange(() => taken.user.attributes.tags.push('b'));
  tryChange(() => taken.grants[0]!.assignedAt.setTime(0));
  tryChange(() => taken.grants[0]!.expiresAt.setTime(0));
  tryChange(() => taken.grants[0]!.role.createdAt.setTime(0));
  tryChange(() => (taken.grants[0]!.role['level'] = 99));
  tryChange(() => taken.grants[0]!.permissions.push('users:delete'));
  tryChange(() => taken.grants.pop());
  assert.deepEqual(plain(await store.findSessionByTokenHash(s.tokenHash)), before);
  assert.deepEqual(plain(await store.listUserGrants(u.id)), before?.grants);
});

check('findSessionByTokenHash(): a bundle said to be sealed is: its session and user frozen, every Date in them immutable, the attributes frozen throughout', async (store) => {
  const u = await seedUser(store, { attributes: { phone: '1', tags: ['a'], address: { city: 'Caracas' } }, statusUntil: at(1000), lastLoginAt: at(1) });
  const s = session(u.id);
  await store.insertSession({ ...s, revokedAt: at(2) });
  const bundle = await store.findSessionByTokenHash(s.tokenHash);
  assert.ok(bundle !== null);
  if (bundle.sealed !== true) return;
  for (const record of [bundle.session, bundle.user] as object[]) {
    assert.ok(Object.isFrozen(record), 'a sealed record is frozen');
    for (const value of Object.values(record)) {
      if (value instanceof Date) assert.ok(value instanceof ImmutableDate, 'every Date of a sealed record is an ImmutableDate');
    }
  }
  const frozenThroughout = (value: unknown): boolean =>
    typeof value !== 'object' || value === null || (Object.isFrozen(value) && Object.values(value).every(frozenThroughout));
  assert.ok(frozenThroughout(bundle.user.attributes), "a sealed user's attributes are frozen throughout");
});

check('findSessionByTokenHash() resolves the session of a user without roles, with no grants', async (store) => {
  const u = await seedUser(store);
  const s = session(u.id);
  await store.insertSession(s);
  const { revision, sealed: _sealed, ...bundle } = plain(await store.findSessionByTokenHash(s.tokenHash)) ?? {};
  assert.deepEqual(bundle, { session: s, user: u, grants: [] });
  // A store with revisions answers the bundle's with it, the same its revision read answers.
  if (store.findSessionRevision !== undefined) assert.equal(revision, await store.findSessionRevision(s.tokenHash));
  else assert.equal(revision, undefined);
});

check('findSessionByTokenHash() read again shows every change since the last read: session, user, roles, permissions; a rolled-back write shows nothing; each change moves the revision to one never seen', async (store) => {
  const u = await seedUser(store);
  await store.upsertRole(role({ code: 'customer', level: 10 }));
  await store.upsertRole(role({ code: 'seller', level: 20 }));
  await store.upsertPermission(permission('orders:create'));
  await store.upsertPermission(permission('products:edit'));
  await store.grantPermission('customer', 'orders:create');
  await store.assignRole({ userId: u.id, roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: null });
  const s = session(u.id);
  await store.insertSession(s);
  const grant = (bundle: SessionBundle | null, code: string) => bundle?.grants.find((g) => g.roleCode === code);
  const steps: [string, () => Promise<unknown>, (bundle: SessionBundle | null) => boolean][] = [
    ['updateUser()', () => store.updateUser(u.id, { name: 'Renamed', updatedAt: at(1) }), (b) => b?.user.name === 'Renamed'],
    [
      'a rolled-back transaction',
      () => store.transaction(async (tx) => {
        await tx.updateUser(u.id, { name: 'Rolled back', updatedAt: at(2) });
        await tx.removeRole(u.id, 'customer');
        throw new Error('roll back');
      }).catch(() => undefined),
      (b) => b?.user.name === 'Renamed' && grant(b, 'customer') !== undefined,
    ],
    ['assignRole()', () => store.assignRole({ userId: u.id, roleCode: 'seller', assignedAt: at(3), assignedBy: null, expiresAt: null }), (b) => grant(b, 'seller') !== undefined],
    ['grantPermission()', () => store.grantPermission('seller', 'products:edit'), (b) => grant(b, 'seller')?.permissions.includes('products:edit') === true],
    ['upsertPermission() deactivating', () => store.upsertPermission(permission('products:edit', { active: false })), (b) => grant(b, 'seller')?.permissions.length === 0],
    ['revokePermission()', () => store.revokePermission('customer', 'orders:create'), (b) => grant(b, 'customer')?.permissions.length === 0],
    ['upsertRole()', () => store.upsertRole(role({ code: 'customer', level: 30 })), (b) => grant(b, 'customer')?.role.level === 30],
    ['removeRole()', () => store.removeRole(u.id, 'seller'), (b) => grant(b, 'seller') === undefined],
    ['touchSession()', () => store.touchSession(s.id, { lastActiveAt: at(100), expiresAt: at(2000) }), (b) => b?.session.lastActiveAt.getTime() === at(100).getTime()],
    ['a committed transaction', () => store.transaction((tx) => tx.updateUser(u.id, { locale: 'es', updatedAt: at(4) })), (b) => b?.user.locale === 'es'],
    ['revokeSession()', () => store.revokeSession(s.id, at(200)), (b) => b?.session.revokedAt?.getTime() === at(200).getTime()],
    ['deleteUser()', () => store.deleteUser(u.id), (b) => b === null],
  ];
  const revisionOf = store.findSessionRevision?.bind(store);
  const seen = new Set<number | null | undefined>();
  for (const [name, change, shows] of steps) {
    // Read twice: a store that remembered bundles would answer the second read from memory.
    await store.findSessionByTokenHash(s.tokenHash);
    const before = await store.findSessionByTokenHash(s.tokenHash);
    if (revisionOf !== undefined) {
      assert.equal(await revisionOf(s.tokenHash), before?.revision, `findSessionRevision() before ${name}`);
      seen.add(before?.revision);
    }
    await change();
    const after = await store.findSessionByTokenHash(s.tokenHash);
    assert.ok(shows(after), `findSessionByTokenHash() after ${name}`);
    if (revisionOf === undefined || name === 'a rolled-back transaction') continue;
    const revision = await revisionOf(s.tokenHash);
    assert.equal(revision, after === null ? null : after.revision, `findSessionRevision() after ${name}`);
    assert.ok(revision === null || (typeof revision === 'number' && !seen.has(revision)), `a new revision after ${name}`);
  }
});

check('findSessionById() resolves the session or null', async (store) => {
  const u = await seedUser(store);
  const s = session(u.id);
  await store.insertSession(s);
  assert.deepEqual(await store.findSessionById(s.id), s);
  assert.equal(await store.findSessionById('00000000-0000-4000-8000-000000000000'), null);
});

check("listUserSessions() gives the user's unrevoked, unexpired sessions, most recently active first", async (store) => {
  const u = await seedUser(store);
  const other = await seedUser(store);
  const older = session(u.id, { lastActiveAt: at(10), expiresAt: at(2000) });
  const newer = session(u.id, { lastActiveAt: at(20), expiresAt: at(2000) });
  await store.insertSession(older);
  await store.insertSession(newer);
  await store.insertSession(session(u.id, { revokedAt: at(1) }));
  await store.insertSession(session(u.id, { expiresAt: at(30) }));
  await store.insertSession(session(other.id));
  assert.deepEqual((await store.listUserSessions(u.id, at(30))).map((s) => s.id), [newer.id, older.id]);
});

check('touchSession() sets lastActiveAt and expiresAt', async (store) => {
  const u = await seedUser(store);
  const s = session(u.id);
  await store.insertSession(s);
  await store.touchSession(s.id, { lastActiveAt: at(100), expiresAt: at(1900) });
  assert.deepEqual(await store.findSessionById(s.id), { ...s, lastActiveAt: at(100), expiresAt: at(1900) });
});

check('revokeSession() resolves true once, then false; false for an unknown session', async (store) => {
  const u = await seedUser(store);
  const s = session(u.id);
  await store.insertSession(s);
  assert.equal(await store.revokeSession(s.id, at(5)), true);
  assert.equal(await store.revokeSession(s.id, at(6)), false);
  assert.deepEqual((await store.findSessionById(s.id))?.revokedAt, at(5));
  assert.equal(await store.revokeSession('00000000-0000-4000-8000-000000000000', at(5)), false);
});

check('revokeSession() resolves true to exactly one of 10 concurrent callers', async (store) => {
  const u = await seedUser(store);
  const s = session(u.id);
  await store.insertSession(s);
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.revokeSession(s.id, at(i + 1))));
  assert.equal(results.filter(Boolean).length, 1);
});

check('revokeUserSessions() revokes every unrevoked session of the user but the excepted one, and counts them', async (store) => {
  const u = await seedUser(store);
  const other = await seedUser(store);
  const keep = session(u.id);
  const a = session(u.id);
  const b = session(u.id);
  const already = session(u.id, { revokedAt: at(1) });
  const theirs = session(other.id);
  for (const s of [keep, a, b, already, theirs]) await store.insertSession(s);
  assert.equal(await store.revokeUserSessions(u.id, { at: at(9), exceptId: keep.id }), 2);
  assert.equal((await store.findSessionById(keep.id))?.revokedAt, null);
  assert.deepEqual((await store.findSessionById(a.id))?.revokedAt, at(9));
  assert.deepEqual((await store.findSessionById(already.id))?.revokedAt, at(1));
  assert.equal((await store.findSessionById(theirs.id))?.revokedAt, null);
  assert.equal(await store.revokeUserSessions(u.id, { at: at(10) }), 1);
  assert.equal((await store.findSessionById(keep.id))?.revokedAt?.getTime(), at(10).getTime());
});

check('deleteSessionsBefore() deletes sessions that expired or were revoked at or before the instant, and counts them', async (store) => {
  const u = await seedUser(store);
  const live = session(u.id, { expiresAt: at(100) });
  const expired = session(u.id, { expiresAt: at(50) });
  const revoked = session(u.id, { expiresAt: at(100), revokedAt: at(40) });
  const revokedLater = session(u.id, { expiresAt: at(100), revokedAt: at(70) });
  for (const s of [live, expired, revoked, revokedLater]) await store.insertSession(s);
  assert.equal(await store.deleteSessionsBefore(at(60)), 2);
  assert.notEqual(await store.findSessionById(live.id), null);
  assert.notEqual(await store.findSessionById(revokedLater.id), null);
  assert.equal(await store.findSessionById(expired.id), null);
  assert.equal(await store.findSessionById(revoked.id), null);
});

// one-time keys

check('insertOneTimeKey() rejects a second key with the same hash; findOneTimeKey() resolves a key whatever its state, or null', async (store) => {
  const u = await seedUser(store);
  const k = key(u.id, { purpose: 'activation', sentTo: u.email });
  await store.insertOneTimeKey(k);
  await assert.rejects(store.insertOneTimeKey(key(u.id, { keyHash: k.keyHash })));
  assert.deepEqual(await store.findOneTimeKey(k.keyHash), k);
  const used = key(u.id, { usedAt: at(1), usedIp: '2001:db8::1', voidedAt: at(2) });
  await store.insertOneTimeKey(used);
  assert.deepEqual(await store.findOneTimeKey(used.keyHash), used);
  assert.equal(await store.findOneTimeKey(hex64()), null);
});

check('consumeOneTimeKey() resolves the key marked used once, and null to every later caller', async (store) => {
  const u = await seedUser(store);
  const k = key(u.id);
  await store.insertOneTimeKey(k);
  const consumed = await store.consumeOneTimeKey(k.keyHash, { purpose: 'password-reset', at: at(10), ip: '198.51.100.4' });
  assert.deepEqual(consumed, { ...k, usedAt: at(10), usedIp: '198.51.100.4' });
  assert.deepEqual(await store.findOneTimeKey(k.keyHash), consumed);
  assert.equal(await store.consumeOneTimeKey(k.keyHash, { purpose: 'password-reset', at: at(11), ip: null }), null);
});

check('consumeOneTimeKey() resolves null for another purpose, an expired key (expiresAt at or before the instant), a voided key, or an unknown hash, and uses none of them', async (store) => {
  const u = await seedUser(store);
  const k = key(u.id, { purpose: 'activation', expiresAt: at(100) });
  const voided = key(u.id, { voidedAt: at(1) });
  await store.insertOneTimeKey(k);
  await store.insertOneTimeKey(voided);
  assert.equal(await store.consumeOneTimeKey(k.keyHash, { purpose: 'password-reset', at: at(1), ip: null }), null);
  assert.equal(await store.consumeOneTimeKey(k.keyHash, { purpose: 'activation', at: at(100), ip: null }), null);
  assert.equal(await store.consumeOneTimeKey(voided.keyHash, { purpose: 'password-reset', at: at(2), ip: null }), null);
  assert.equal(await store.consumeOneTimeKey(hex64(), { purpose: 'activation', at: at(1), ip: null }), null);
  assert.equal((await store.findOneTimeKey(k.keyHash))?.usedAt, null);
  assert.notEqual(await store.consumeOneTimeKey(k.keyHash, { purpose: 'activation', at: at(99.999), ip: null }), null);
});

check('consumeOneTimeKey() resolves the key to exactly one of 10 concurrent callers', async (store) => {
  const u = await seedUser(store);
  const k = key(u.id);
  await store.insertOneTimeKey(k);
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => store.consumeOneTimeKey(k.keyHash, { purpose: 'password-reset', at: at(1 + i / 100), ip: null })),
  );
  assert.equal(results.filter((r) => r !== null).length, 1);
});

check("voidOneTimeKeys() voids only the user's unused, unvoided keys of that purpose, and counts them", async (store) => {
  const u = await seedUser(store);
  const other = await seedUser(store);
  const a = key(u.id);
  const b = key(u.id);
  const used = key(u.id, { usedAt: at(1) });
  const activation = key(u.id, { purpose: 'activation' });
  const theirs = key(other.id);
  for (const k of [a, b, used, activation, theirs]) await store.insertOneTimeKey(k);
  assert.equal(await store.voidOneTimeKeys(u.id, 'password-reset', at(5)), 2);
  assert.deepEqual((await store.findOneTimeKey(a.keyHash))?.voidedAt, at(5));
  assert.deepEqual((await store.findOneTimeKey(b.keyHash))?.voidedAt, at(5));
  assert.equal((await store.findOneTimeKey(used.keyHash))?.voidedAt, null);
  assert.equal((await store.findOneTimeKey(activation.keyHash))?.voidedAt, null);
  assert.equal((await store.findOneTimeKey(theirs.keyHash))?.voidedAt, null);
  assert.equal(await store.consumeOneTimeKey(a.keyHash, { purpose: 'password-reset', at: at(6), ip: null }), null);
});

// password history

check("listPasswordHistory() gives the user's newest entries first, at most limit", async (store) => {
  const u = await seedUser(store);
  const other = await seedUser(store);
  for (let i = 0; i < 7; i += 1) {
    await store.appendPasswordHistory({ id: randomUUID(), userId: u.id, passwordHash: `h${i}`, changedAt: at(i), reason: 'changed', forced: i === 3 });
  }
  await store.appendPasswordHistory({ id: randomUUID(), userId: other.id, passwordHash: 'x', changedAt: at(99), reason: 'reset', forced: false });
  const history = await store.listPasswordHistory(u.id, 5);
  assert.deepEqual(history.map((h) => h.passwordHash), ['h6', 'h5', 'h4', 'h3', 'h2']);
  assert.equal(history[3]?.forced, true);
  assert.equal(history[0]?.reason, 'changed');
  assert.deepEqual(history[0]?.changedAt, at(6));
});

// login attempts

check('insertLoginAttempt() keeps all of 50 concurrent attempts', async (store) => {
  await Promise.all(Array.from({ length: 50 }, () => store.insertLoginAttempt(attempt({ email: 'victim@example.com', createdAt: at(1) }))));
  assert.equal((await store.listLoginFailures({ email: 'victim@example.com' }, { since: T0, limit: 100 })).length, 50);
});

check('listLoginFailures() gives failure times for an email or an ip since an instant, newest first, at most limit, ignoring successes', async (store) => {
  await store.insertLoginAttempt(attempt({ email: 'a@example.com', ip: '10.0.0.1', createdAt: at(1) }));
  await store.insertLoginAttempt(attempt({ email: 'a@example.com', ip: '10.0.0.2', createdAt: at(5) }));
  await store.insertLoginAttempt(attempt({ email: 'a@example.com', ip: '10.0.0.1', createdAt: at(3) }));
  await store.insertLoginAttempt(attempt({ email: 'a@example.com', ip: '10.0.0.1', createdAt: at(4), success: true }));
  await store.insertLoginAttempt(attempt({ email: 'b@example.com', ip: '10.0.0.1', createdAt: at(6) }));
  await store.insertLoginAttempt(attempt({ email: 'a@example.com', ip: null, createdAt: at(7) }));
  const times = (dates: Date[]): number[] => dates.map((d) => (d.getTime() - T0.getTime()) / 1000);
  assert.deepEqual(times(await store.listLoginFailures({ email: 'a@example.com' }, { since: T0, limit: 10 })), [7, 5, 3, 1]);
  assert.deepEqual(times(await store.listLoginFailures({ email: 'a@example.com' }, { since: at(3), limit: 10 })), [7, 5, 3]);
  assert.deepEqual(times(await store.listLoginFailures({ email: 'a@example.com' }, { since: T0, limit: 2 })), [7, 5]);
  assert.deepEqual(times(await store.listLoginFailures({ ip: '10.0.0.1' }, { since: T0, limit: 10 })), [6, 3, 1]);
});

check('insertLoginAttempt() outside a transaction is committed when it resolves: of 20 concurrent callers that each insert, then count, at most 5 count 5 or fewer', async (store) => {
  const email = 'crowd@example.com';
  const counts = await Promise.all(
    Array.from({ length: 20 }, async () => {
      await store.insertLoginAttempt(attempt({ email, createdAt: at(1) }));
      return (await store.listLoginFailures({ email }, { since: T0, limit: 100 })).length;
    }),
  );
  assert.ok(counts.every((count) => count >= 1), `each caller counts its own attempt: ${counts.join(',')}`);
  assert.ok(counts.filter((count) => count <= 5).length <= 5, `counts: ${counts.join(',')}`);
});

check('markLoginAttemptSucceeded() takes the attempt out of listLoginFailures(), in a transaction too', async (store) => {
  const [first, second, third] = [attempt({ createdAt: at(1) }), attempt({ createdAt: at(2) }), attempt({ createdAt: at(3) })];
  for (const a of [first, second, third]) await store.insertLoginAttempt(a);
  await store.markLoginAttemptSucceeded(second.id);
  await store.transaction((tx) => tx.markLoginAttemptSucceeded(third.id));
  await assert.rejects(
    store.transaction(async (tx) => {
      await tx.markLoginAttemptSucceeded(first.id);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(await store.listLoginFailures({ email: first.email }, { since: T0, limit: 10 }), [at(1)]);
});

check('deleteLoginAttemptsBefore() deletes older attempts and counts them', async (store) => {
  await store.insertLoginAttempt(attempt({ createdAt: at(1) }));
  await store.insertLoginAttempt(attempt({ createdAt: at(2), success: true }));
  await store.insertLoginAttempt(attempt({ createdAt: at(3) }));
  assert.equal(await store.deleteLoginAttemptsBefore(at(3)), 2);
  assert.equal((await store.listLoginFailures({ email: 'someone@example.com' }, { since: T0, limit: 10 })).length, 1);
});

// activity

check('appendActivity() and listActivities() round-trip every field', async (store) => {
  const u = await seedUser(store);
  const a = activity({
    subjectId: u.id,
    actorId: u.id,
    action: 'user.blocked',
    details: 'Blocked <b>"for"</b> \'spam\'',
    ip: '2001:db8::7',
    userAgent: 'Mozilla/5.0',
    metadata: { before: { status: 'active' }, after: { status: 'blocked' }, reason: 'spam', n: 3, ok: true, none: null },
    createdAt: at(4),
  });
  await store.appendActivity(a);
  assert.deepEqual((await store.listActivities({ offset: 0, limit: 10 })).items, [a]);
});

check('listActivities() filters by subject, actor, exact action or prefix, and time range, and pages newest first with a total', async (store) => {
  const u = await seedUser(store);
  const v = await seedUser(store);
  const entries = [
    activity({ subjectId: u.id, actorId: u.id, action: 'login.succeeded', createdAt: at(1) }),
    activity({ subjectId: u.id, actorId: v.id, action: 'user.blocked', createdAt: at(2) }),
    activity({ subjectId: v.id, actorId: v.id, action: 'login.failed', createdAt: at(3) }),
    activity({ subjectId: null, actorId: null, action: 'login.failed', createdAt: at(4) }),
    activity({ subjectId: u.id, actorId: null, action: 'loginx', createdAt: at(4) }),
  ];
  for (const e of entries) await store.appendActivity(e);
  const ids = async (query: Partial<Parameters<AuthStore['listActivities']>[0]>): Promise<string[]> =>
    (await store.listActivities({ offset: 0, limit: 10, ...query })).items.map((a) => a.id);
  const [e1, e2, e3, e4, e5] = entries.map((e) => e.id) as [string, string, string, string, string];
  const newestFirst = [[e4, e5].sort().reverse(), e3, e2, e1].flat();
  assert.deepEqual(await ids({}), newestFirst);
  assert.deepEqual(await ids({ subjectId: u.id }), [e5, e2, e1]);
  assert.deepEqual(await ids({ actorId: v.id }), [e3, e2]);
  assert.deepEqual(await ids({ action: 'login.failed' }), [e4, e3]);
  assert.deepEqual(await ids({ action: 'login.' }), [e4, e3, e1]);
  assert.deepEqual(await ids({ from: at(2), to: at(4) }), [e3, e2]);
  assert.deepEqual(await ids({ subjectId: u.id, action: 'login.' }), [e1]);
  const page = await store.listActivities({ offset: 1, limit: 2 });
  assert.equal(page.total, 5);
  assert.deepEqual(page.items.map((a) => a.id), newestFirst.slice(1, 3));
});

check('deleteActivitiesBefore() deletes older activities and counts them', async (store) => {
  await store.appendActivity(activity({ createdAt: at(1) }));
  await store.appendActivity(activity({ createdAt: at(2) }));
  await store.appendActivity(activity({ createdAt: at(3) }));
  assert.equal(await store.deleteActivitiesBefore(at(3)), 2);
  assert.equal((await store.listActivities({ offset: 0, limit: 10 })).total, 1);
});

// two-factor (optional port methods: a store without them fails these cases; leave them out
// by name, `two-factor:`, only if your store never serves applications with two-factor on)

function twoFactorStore(store: AuthStore): Required<Pick<AuthStore, 'findTwoFactor' | 'upsertTwoFactor' | 'deleteTwoFactor' | 'advanceTwoFactorStep'>> {
  for (const method of ['findTwoFactor', 'upsertTwoFactor', 'deleteTwoFactor', 'advanceTwoFactorStep'] as const) {
    assert.equal(typeof store[method], 'function', `the store has no ${method}()`);
  }
  return store as Required<Pick<AuthStore, 'findTwoFactor' | 'upsertTwoFactor' | 'deleteTwoFactor' | 'advanceTwoFactorStep'>>;
}

check('two-factor: upsertTwoFactor() inserts then replaces every field; findTwoFactor() round-trips it, or null', async (store) => {
  const tf = twoFactorStore(store);
  const u = await seedUser(store);
  assert.equal(await tf.findTwoFactor(u.id), null);
  const record = { userId: u.id, secret: 'v1.sealed.secret.tag', enabledAt: null, lastStep: 0, createdAt: T0, updatedAt: T0 };
  await tf.upsertTwoFactor(record);
  assert.deepEqual(await tf.findTwoFactor(u.id), record);
  const enabled = { ...record, secret: 'v1.other.secret.tag', enabledAt: at(1), lastStep: 56_666_666, updatedAt: at(1) };
  await tf.upsertTwoFactor(enabled);
  assert.deepEqual(await tf.findTwoFactor(u.id), enabled);
});

check('two-factor: deleteTwoFactor() says whether there was a record; deleteUser() deletes it too', async (store) => {
  const tf = twoFactorStore(store);
  const u = await seedUser(store);
  assert.equal(await tf.deleteTwoFactor(u.id), false);
  await tf.upsertTwoFactor({ userId: u.id, secret: 's', enabledAt: at(1), lastStep: 0, createdAt: T0, updatedAt: T0 });
  assert.equal(await tf.deleteTwoFactor(u.id), true);
  assert.equal(await tf.findTwoFactor(u.id), null);
  await tf.upsertTwoFactor({ userId: u.id, secret: 's', enabledAt: at(1), lastStep: 0, createdAt: T0, updatedAt: T0 });
  await store.deleteUser(u.id);
  assert.equal(await tf.findTwoFactor(u.id), null);
});

check('two-factor: advanceTwoFactorStep() moves lastStep forward only, and says whether it did', async (store) => {
  const tf = twoFactorStore(store);
  const u = await seedUser(store);
  assert.equal(await tf.advanceTwoFactorStep(u.id, 10), false, 'no record');
  await tf.upsertTwoFactor({ userId: u.id, secret: 's', enabledAt: at(1), lastStep: 100, createdAt: T0, updatedAt: T0 });
  assert.equal(await tf.advanceTwoFactorStep(u.id, 100), false, 'the same step again');
  assert.equal(await tf.advanceTwoFactorStep(u.id, 99), false, 'an older step');
  assert.equal(await tf.advanceTwoFactorStep(u.id, 101), true);
  assert.equal((await tf.findTwoFactor(u.id))?.lastStep, 101);
});

check('two-factor: advanceTwoFactorStep() resolves true to exactly one of 10 concurrent callers with the same step', async (store) => {
  const tf = twoFactorStore(store);
  const u = await seedUser(store);
  await tf.upsertTwoFactor({ userId: u.id, secret: 's', enabledAt: at(1), lastStep: 0, createdAt: T0, updatedAt: T0 });
  const results = await Promise.all(Array.from({ length: 10 }, () => tf.advanceTwoFactorStep(u.id, 57_000_000)));
  assert.equal(results.filter(Boolean).length, 1);
});

check('two-factor: a write through tx is undone when the transaction rejects', async (store) => {
  const tf = twoFactorStore(store);
  const u = await seedUser(store);
  await assert.rejects(
    store.transaction(async (tx) => {
      await twoFactorStore(tx).upsertTwoFactor({ userId: u.id, secret: 's', enabledAt: at(1), lastStep: 0, createdAt: T0, updatedAt: T0 });
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(await tf.findTwoFactor(u.id), null);
});

// two-step sign-in (optional port methods, all or none: a store without them fails these cases;
// leave them out by name, `sign-in:`, and the core signs in through the other methods)

function signInStore(store: AuthStore): SignInStore {
  for (const method of SIGN_IN_STORE_METHODS) assert.equal(typeof store[method], 'function', `the store has no ${method}()`);
  return store as SignInStore;
}

const LIMITS = { windowStart: T0, maxFailures: 2, maxFailuresPerIp: 3 };
const signInAttempt = (email: string, seconds: number, ip: string | null = '10.0.0.1') => ({ id: randomUUID(), email, ip, createdAt: at(seconds) });

check('sign-in: startSignIn() records the attempt as a failure of the user with its email, then reads the user and the lockout counting it', async (store) => {
  const si = signInStore(store);
  const u = await seedUser(store, { email: 'ana@example.com' });
  const first = signInAttempt('ana@example.com', 1);
  const state = await si.startSignIn({ ...LIMITS, attempt: first, deviceHash: null });
  assert.deepEqual(state, { user: u, accountLockedBy: null, ipLockedBy: null, twoFactorEnabled: false, deviceKnown: false, anyDeviceKnown: false });
  assert.deepEqual(await store.listLoginFailures({ email: 'ana@example.com' }, { since: T0, limit: 10 }), [at(1)]);
  await si.startSignIn({ ...LIMITS, attempt: signInAttempt('ana@example.com', 2), deviceHash: null });
  // The third failure of the email passes the limit of 2: the oldest of the newest three locks.
  const third = await si.startSignIn({ ...LIMITS, attempt: signInAttempt('ana@example.com', 3, '10.0.0.2'), deviceHash: null });
  assert.deepEqual([third.accountLockedBy, third.ipLockedBy], [at(1), null]);
  const unknown = await si.startSignIn({ ...LIMITS, attempt: signInAttempt('nobody@example.com', 4), deviceHash: hex64() });
  assert.deepEqual(unknown, { user: null, accountLockedBy: null, ipLockedBy: null, twoFactorEnabled: false, deviceKnown: false, anyDeviceKnown: false });
  // The fourth failure of 10.0.0.1 passes its limit of 3.
  const fourth = await si.startSignIn({ ...LIMITS, attempt: signInAttempt('nobody@example.com', 5), deviceHash: null });
  assert.deepEqual(fourth.ipLockedBy, at(1));
  // The attempt of an unknown email has no user; erasing the user erases theirs.
  await store.deleteUser(u.id);
  assert.deepEqual(await store.listLoginFailures({ email: 'ana@example.com' }, { since: T0, limit: 10 }), []);
  assert.equal((await store.listLoginFailures({ email: 'nobody@example.com' }, { since: T0, limit: 10 })).length, 2);
});

check('sign-in: startSignIn() counts failures of the account since its last sign-in, of the address in the window, and never successes', async (store) => {
  const si = signInStore(store);
  await seedUser(store, { email: 'bo@example.com', lastLoginAt: at(10) });
  for (const seconds of [5, 6, 7]) await store.insertLoginAttempt(attempt({ email: 'bo@example.com', ip: '10.0.0.9', createdAt: at(seconds) }));
  for (const seconds of [11, 12]) await store.insertLoginAttempt(attempt({ email: 'other@example.com', ip: '10.0.0.9', createdAt: at(seconds), success: true }));
  const state = await si.startSignIn({ ...LIMITS, attempt: signInAttempt('bo@example.com', 20, '10.0.0.9'), deviceHash: null });
  assert.equal(state.accountLockedBy, null, 'the failures before the last sign-in do not count against the account');
  assert.deepEqual(state.ipLockedBy, at(5), 'four failures of the address (successes left out): the oldest of the newest four locks');
  const later = await si.startSignIn({ ...LIMITS, windowStart: at(6), attempt: signInAttempt('bo@example.com', 21, '10.0.0.9'), deviceHash: null });
  assert.deepEqual(later.ipLockedBy, at(6), 'failures before the window do not count');
});

check('sign-in: of 12 concurrent startSignIn() calls for one email, at most the limit are let through (the k-th to commit counts at least k failures)', async (store) => {
  const si = signInStore(store);
  await seedUser(store, { email: 'race@example.com' });
  const states = await Promise.all(Array.from({ length: 12 }, (_, i) => si.startSignIn({ ...LIMITS, maxFailures: 5, attempt: signInAttempt('race@example.com', 1, `10.0.1.${i}`), deviceHash: null })));
  const free = states.filter((state) => state.accountLockedBy === null).length;
  assert.ok(free <= 5, `at most the limit may check their password (${free} may)`);
});

check('sign-in: finishSignIn() writes the sign-in at once and resolves the user with lastLoginAt set; other sessions keep their bundles', async (store) => {
  const si = signInStore(store);
  const u = await seedUser(store, { email: 'cy@example.com' });
  const other = session(u.id);
  await store.insertSession(other);
  const device = hex64();
  const tried = signInAttempt('cy@example.com', 1);
  const start = await si.startSignIn({ ...LIMITS, attempt: tried, deviceHash: device });
  const s = session(u.id, { createdAt: at(2), lastActiveAt: at(2) });
  const entry = activity({ subjectId: u.id, actorId: u.id, action: 'login.succeeded', metadata: { sessionId: s.id }, createdAt: at(2) });
  const updated = await si.finishSignIn({ user: start.user!, at: at(2), session: s, attemptId: tried.id, activity: entry, deviceHash: device });
  assert.deepEqual(updated, { ...u, lastLoginAt: at(2), updatedAt: at(2) });
  assert.deepEqual(await store.findUserById(u.id), updated);
  assert.deepEqual(plain(await store.findSessionByTokenHash(s.tokenHash))?.session, s);
  assert.deepEqual(await store.listLoginFailures({ email: 'cy@example.com' }, { since: T0, limit: 10 }), [], 'the attempt succeeded');
  assert.deepEqual((await store.listActivities({ subjectId: u.id, offset: 0, limit: 10 })).items, [entry]);
  const again = await si.startSignIn({ ...LIMITS, attempt: signInAttempt('cy@example.com', 3), deviceHash: device });
  assert.deepEqual([again.deviceKnown, again.anyDeviceKnown], [true, true]);
  const elsewhere = await si.startSignIn({ ...LIMITS, attempt: signInAttempt('cy@example.com', 4), deviceHash: hex64() });
  assert.deepEqual([elsewhere.deviceKnown, elsewhere.anyDeviceKnown], [false, true]);
});

check('sign-in: finishSignIn() writes nothing and resolves null when the user changed since it was read, or is gone', async (store) => {
  const si = signInStore(store);
  for (const [change, patch] of [
    ['password', { passwordHash: '$argon2id$changed' }],
    ['status', { status: 'blocked' as const }],
    ['status end', { statusUntil: at(100) }],
    ['verification', { emailVerifiedAt: null }],
  ] as const) {
    const u = await seedUser(store, { emailVerifiedAt: at(0) });
    await store.updateUser(u.id, { ...patch, updatedAt: at(1) });
    const s = session(u.id);
    const finished = await si.finishSignIn({ user: u, at: at(2), session: s, attemptId: randomUUID(), activity: activity({ subjectId: u.id }), deviceHash: hex64() });
    assert.equal(finished, null, `a changed ${change}`);
    assert.equal(await store.findSessionByTokenHash(s.tokenHash), null, `no session after a changed ${change}`);
    assert.equal((await store.findUserById(u.id))?.lastLoginAt, u.lastLoginAt);
    assert.equal((await store.listActivities({ subjectId: u.id, offset: 0, limit: 10 })).total, 0);
  }
  const gone = user();
  assert.equal(await si.finishSignIn({ user: gone, at: at(2), session: session(gone.id), attemptId: randomUUID(), activity: activity(), deviceHash: null }), null);
});

check('sign-in: finishSignIn() is atomic: a session whose token hash is taken leaves the user, the attempt and the log as they were', async (store) => {
  const si = signInStore(store);
  const u = await seedUser(store);
  const taken = session(u.id);
  await store.insertSession(taken);
  const entry = activity({ subjectId: u.id, actorId: u.id });
  await assert.rejects(si.finishSignIn({ user: u, at: at(2), session: session(u.id, { tokenHash: taken.tokenHash }), attemptId: randomUUID(), activity: entry, deviceHash: hex64() }));
  assert.deepEqual(await store.findUserById(u.id), u);
  assert.equal((await store.listActivities({ subjectId: u.id, offset: 0, limit: 10 })).total, 0);
  const state = await si.startSignIn({ ...LIMITS, attempt: signInAttempt(u.email, 3), deviceHash: null });
  assert.equal(state.anyDeviceKnown, false);
});

check('sign-in: rememberDevice() remembers a device once; deleteUser() forgets the user’s devices', async (store) => {
  const si = signInStore(store);
  const u = await seedUser(store);
  const device = hex64();
  await si.rememberDevice(u.id, device, at(1));
  await si.rememberDevice(u.id, device, at(2));
  const state = await si.startSignIn({ ...LIMITS, attempt: signInAttempt(u.email, 3), deviceHash: device });
  assert.deepEqual([state.deviceKnown, state.anyDeviceKnown], [true, true]);
  await store.deleteUser(u.id);
  await seedUser(store, { id: u.id, email: u.email });
  const fresh = await si.startSignIn({ ...LIMITS, attempt: signInAttempt(u.email, 4), deviceHash: device });
  assert.deepEqual([fresh.deviceKnown, fresh.anyDeviceKnown], [false, false]);
});

/**
 * The store conformance suite: every MUST of the {@link AuthStore} contract as a named,
 * independent case. Give each case an empty store.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { storeConformanceCases } from 'gatehouse/testing';
 *
 * describe('MyStore', () => {
 *   for (const c of storeConformanceCases) it(c.name, async () => c.run(await freshStore()));
 * });
 * ```
 */
export const storeConformanceCases: readonly ConformanceCase[] = Object.freeze([...cases, ...identifierConformanceCases]);
