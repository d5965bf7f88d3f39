import { randomBytes, randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createAuth, type AuthContext } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { ManualClock } from 'gatehouse/testing';
import { hashToken } from '../../src/crypto/tokens.js';
import { user as fixtureUser } from '../../adapters/testing/fixtures.js';
import { describeEveryStore } from '../support/stores.js';

/**
 * What `sessions.validate()` hands the application is the session cache's own: the next
 * validation of the session hands out the same user, session and roles. An application that
 * changes what it was handed — a `Date` set by hand, an attribute rewritten — must change
 * neither what later validations check and show, nor what the store holds.
 */

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

/** A context as plain data (a deep copy: `Date`s as plain `Date`s). */
const plain = (context: AuthContext | null) =>
  context === null ? null : structuredClone({ user: context.user, session: context.session, roles: context.roles, permissions: context.permissions, level: context.level });

/** Runs `change`; a change refused with a `TypeError` (a frozen object, an immutable `Date`) is fine too. */
function attempt(change: () => unknown): void {
  try {
    change();
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
  }
}

await describeEveryStore('a validated context is isolated from the cache and the store', (fresh) => {
  it('changing the Dates, attributes and roles a validation handed out changes neither the next validation nor the store', async () => {
    const { store } = await fresh();
    const clock = new ManualClock(T0);
    const auth = createAuth({ store, mailer: new MemoryMailer(), clock });
    await store.upsertRole({ code: 'customer', name: 'Customer', description: '', level: 10, active: true, createdAt: T0, updatedAt: T0 });
    await store.upsertPermission({ code: 'orders:create', name: 'Create orders', module: 'orders', action: 'create', active: true, createdAt: T0 });
    await store.grantPermission('customer', 'orders:create');
    const user = fixtureUser({ email: `${randomUUID().slice(0, 8)}@example.com`, passwordHash: null, emailVerifiedAt: T0, createdAt: T0, updatedAt: T0, attributes: { phone: '1', tags: ['a'] } });
    await store.insertUser(user);
    await store.assignRole({ userId: user.id, roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: at(7200) });
    const token = randomBytes(32).toString('base64url');
    const sessionId = randomUUID();
    await store.insertSession({ id: sessionId, userId: user.id, tokenHash: hashToken(token), ip: null, userAgent: null, rememberMe: false, createdAt: T0, lastActiveAt: T0, expiresAt: at(3600), revokedAt: null });
    const storedSession = await store.findSessionById(sessionId);
    const storedUser = await store.findUserById(user.id);

    clock.set(at(1));
    const first = await auth.sessions.validate(token);
    expect(first).not.toBeNull();
    const before = plain(first);
    const ctx = first!;
    attempt(() => ctx.session.expiresAt.setTime(0));
    attempt(() => ctx.session.lastActiveAt.setTime(0));
    attempt(() => ctx.session.createdAt.setFullYear(1970));
    attempt(() => ctx.user.createdAt.setTime(0));
    attempt(() => ctx.user.updatedAt.setUTCHours(0));
    attempt(() => ctx.user.emailVerifiedAt!.setTime(0));
    attempt(() => ctx.roles[0]!.expiresAt!.setTime(0));
    attempt(() => ((ctx.user.attributes as Record<string, unknown>)['phone'] = '2'));
    attempt(() => ((ctx.user.attributes as Record<string, unknown>)['tags'] as string[]).push('b'));
    attempt(() => ((ctx.user as unknown as Record<string, unknown>)['status'] = 'blocked'));
    attempt(() => ((ctx.roles[0] as unknown as Record<string, unknown>)['level'] = 99));
    attempt(() => (ctx.permissions as string[]).push('users:delete'));

    const again = await auth.sessions.validate(token);
    expect(again, 'the session still validates').not.toBeNull();
    expect(plain(again)).toEqual(before);
    expect(again!.session.expiresAt.getTime()).toBe(at(3600).getTime());
    expect(await store.findSessionById(sessionId)).toEqual(storedSession);
    expect(await store.findUserById(user.id)).toEqual(storedUser);
    // A fresh instance (no cache) reads the same from the store.
    expect(plain(await createAuth({ store, mailer: new MemoryMailer(), clock }).sessions.validate(token))).toEqual(before);
  });

  it('the Dates of a context refuse every change with a TypeError, and stay Dates', async () => {
    const { store } = await fresh();
    const clock = new ManualClock(T0);
    const auth = createAuth({ store, mailer: new MemoryMailer(), clock });
    const user = fixtureUser({ email: `${randomUUID().slice(0, 8)}@example.com`, passwordHash: null, emailVerifiedAt: T0, createdAt: T0, updatedAt: T0 });
    await store.insertUser(user);
    const token = randomBytes(32).toString('base64url');
    await store.insertSession({ id: randomUUID(), userId: user.id, tokenHash: hashToken(token), ip: null, userAgent: null, rememberMe: false, createdAt: T0, lastActiveAt: T0, expiresAt: at(3600), revokedAt: null });
    // Renewed on this validation (past the renewal interval): the renewed session's Dates too.
    clock.set(at(600));
    for (const ctx of [await auth.sessions.validate(token), await auth.sessions.validate(token)]) {
      expect(ctx).not.toBeNull();
      for (const date of [ctx!.session.expiresAt, ctx!.session.lastActiveAt, ctx!.session.createdAt, ctx!.user.createdAt, ctx!.user.emailVerifiedAt!]) {
        expect(date).toBeInstanceOf(Date);
        expect(() => date.setTime(0)).toThrow(TypeError);
        expect(() => date.setFullYear(2000)).toThrow(TypeError);
        expect(JSON.stringify(date)).toBe(JSON.stringify(new Date(date.getTime())));
      }
      expect(Object.isFrozen(ctx!.user.attributes)).toBe(true);
    }
  });
});
