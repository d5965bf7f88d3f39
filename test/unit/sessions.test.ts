import { describe, expect, it } from 'vitest';
import { isAuthError, type AuthContext, type AuthStore } from 'gatehouse';
import { activeUser, harness, PASSWORD, signIn } from '../support/harness.js';

const MINUTE = 60;
const HOUR = 3600;

/** Wraps a store to count calls of one method. */
function counting(store: AuthStore, method: keyof AuthStore): { store: AuthStore; calls: () => number } {
  let calls = 0;
  const wrapped = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        calls += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: wrapped, calls: () => calls };
}

describe('sessions.validate()', () => {
  it('resolves the user, session, live roles and permissions of a fresh token', async () => {
    const h = harness();
    const user = await activeUser(h);
    const now = h.clock.now();
    await h.store.upsertRole({ code: 'customer', name: 'Customer', description: '', level: 10, active: true, createdAt: now, updatedAt: now });
    await h.store.upsertPermission({ code: 'orders:view:own', name: 'Own orders', module: 'orders', action: 'view:own', active: true, createdAt: now });
    await h.store.grantPermission('customer', 'orders:view:own');
    await h.store.assignRole({ userId: user.id, roleCode: 'customer', assignedAt: now, assignedBy: null, expiresAt: null });
    const { token, session } = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    const ctx = await h.auth.sessions.validate(token, { ip: '203.0.113.1' });
    expect(ctx).toMatchObject({
      kind: 'session',
      user: { id: user.id, email: user.email },
      session: { id: session.id },
      roles: [{ code: 'customer', level: 10 }],
      permissions: ['orders:view:own'],
      level: 10,
      renewed: false,
      client: { ip: '203.0.113.1', userAgent: null },
    });
    expect(ctx?.user).not.toHaveProperty('passwordHash');
  });

  it('resolves null for malformed, unknown or non-string tokens', async () => {
    const h = harness();
    for (const token of ['', ' ', 'short', 'A'.repeat(43), 'A'.repeat(44), null, undefined, 42, {}, ['x'], "' OR 1=1 --"]) {
      expect(await h.auth.sessions.validate(token)).toBeNull();
    }
  });

  it('refuses what a lax store finds for another token hash (a case-insensitive match, say), and rejects when the store throws', async () => {
    const base = harness();
    const user = await activeUser(base);
    const { token } = await base.auth.sessions.login({ email: user.email, password: PASSWORD });
    const real = (await base.auth.sessions.validate(token))!;
    // A store that answers every lookup with this user's session, whatever the hash asked for.
    const lax = new Proxy(base.store, {
      get(target, property, receiver) {
        if (property === 'findSessionByTokenHash') return async () => target.findSessionByTokenHash((await target.findSessionById(real.session.id))!.tokenHash);
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const h = harness({ store: lax });
    expect(await h.auth.sessions.validate(token)).not.toBeNull();
    expect(await h.auth.sessions.validate(`${token.slice(0, 42)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    const broken = harness({ store: new Proxy(base.store, { get: (target, property) => (property === 'findSessionByTokenHash' ? () => { throw new Error('down'); } : (Reflect.get(target, property) as unknown)) }) });
    await expect(broken.auth.sessions.validate(token)).rejects.toThrow('down');
  });

  it('expires after 30 minutes idle, to the millisecond', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { token } = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    h.clock.advance(30 * MINUTE - 0.001);
    expect(await h.auth.sessions.validate(token)).not.toBeNull();
    h.clock.advance(0.001 + 30 * MINUTE);
    // The validation above renewed the idle deadline to 30 minutes after it.
    expect(await h.auth.sessions.validate(token)).toBeNull();
  });

  it('slides the idle deadline on use, up to the 12 h absolute lifetime', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { token } = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    for (let elapsed = 0; elapsed < 12 * HOUR - 20 * MINUTE; elapsed += 20 * MINUTE) {
      h.clock.advance(20 * MINUTE);
      expect(await h.auth.sessions.validate(token), `at ${elapsed / 60 + 20} min`).not.toBeNull();
    }
    // 11 h 40 min after sign-in; the deadline is now capped at 12 h.
    h.clock.advance(20 * MINUTE - 0.001);
    expect(await h.auth.sessions.validate(token)).not.toBeNull();
    h.clock.advance(0.001);
    expect(await h.auth.sessions.validate(token)).toBeNull();
  });

  it('reports renewed when it moved the deadline, and the new expiry', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { token, session } = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    h.clock.advance(5 * MINUTE);
    const ctx = await h.auth.sessions.validate(token);
    expect(ctx?.renewed).toBe(true);
    expect(ctx!.session.expiresAt.getTime()).toBe(session.expiresAt.getTime() + 5 * MINUTE * 1000);
  });

  it('writes to the store at most once per renewal interval, not on every request', async () => {
    const h = harness();
    const { store, calls } = counting(h.store, 'touchSession');
    const { createAuth } = await import('gatehouse');
    const auth = createAuth({ store, mailer: h.mailer, clock: h.clock, hasher: h.hasher });
    const user = await activeUser({ ...h, auth });
    const { token } = await auth.sessions.login({ email: user.email, password: PASSWORD });
    for (let i = 0; i < 100; i += 1) {
      h.clock.advance(1); // 100 requests over 100 seconds, one renewal interval (60 s) apart at most
      expect(await auth.sessions.validate(token)).not.toBeNull();
    }
    expect(calls()).toBe(1);
  });

  it('refuses the sessions of a user who is no longer active', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { token } = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    await h.store.updateUser(user.id, { status: 'suspended', updatedAt: h.clock.now() });
    expect(await h.auth.sessions.validate(token)).toBeNull();
  });

  it('grants nothing from an expired role assignment or an inactive role', async () => {
    const h = harness();
    const user = await activeUser(h);
    const now = h.clock.now();
    for (const [code, active] of [['temp', true], ['off', false]] as const) {
      await h.store.upsertRole({ code, name: code, description: '', level: 20, active, createdAt: now, updatedAt: now });
      await h.store.upsertPermission({ code: `${code}:use`, name: code, module: code, action: 'use', active: true, createdAt: now });
      await h.store.grantPermission(code, `${code}:use`);
    }
    await h.store.assignRole({ userId: user.id, roleCode: 'temp', assignedAt: now, assignedBy: null, expiresAt: new Date(now.getTime() + 60_000) });
    await h.store.assignRole({ userId: user.id, roleCode: 'off', assignedAt: now, assignedBy: null, expiresAt: null });
    const { token } = await h.auth.sessions.login({ email: user.email, password: PASSWORD, rememberMe: true });
    expect((await h.auth.sessions.validate(token))?.permissions).toEqual(['temp:use']);
    h.clock.advance(60);
    const later = await h.auth.sessions.validate(token);
    expect(later?.permissions).toEqual([]);
    expect(later?.roles).toEqual([]);
    expect(later?.level).toBe(0);
  });
});

describe('own sessions', () => {
  it('list() gives the live sessions, marking the current one; revoke() ends one of them', async () => {
    const h = harness();
    const user = await activeUser(h);
    const a = await signIn(h, user.email);
    h.clock.advance(1);
    const b = await signIn(h, user.email);
    const list = await h.auth.sessions.list(b.context);
    expect(list.map((s) => [s.id, s.current])).toEqual([
      [b.session.id, true],
      [a.session.id, false],
    ]);
    await h.auth.sessions.revoke(b.context, a.session.id);
    expect(await h.auth.sessions.validate(a.token)).toBeNull();
    expect(await h.auth.sessions.validate(b.token)).not.toBeNull();
  });

  it("revoke() answers NOT_FOUND for another user's session and leaves it alone", async () => {
    const h = harness();
    const mallory = await activeUser(h);
    const alice = await activeUser(h);
    const m = await signIn(h, mallory.email);
    const victim = await signIn(h, alice.email);
    await expect(h.auth.sessions.revoke(m.context, victim.session.id)).rejects.toSatisfy((e: unknown) => isAuthError(e, 'NOT_FOUND'));
    expect(await h.auth.sessions.validate(victim.token)).not.toBeNull();
  });

  it('revokeOthers() signs out every other session and keeps the current one', async () => {
    const h = harness();
    const user = await activeUser(h);
    const others = [await signIn(h, user.email), await signIn(h, user.email)];
    const current = await signIn(h, user.email);
    expect(await h.auth.sessions.revokeOthers(current.context)).toBe(2);
    for (const other of others) expect(await h.auth.sessions.validate(other.token)).toBeNull();
    expect(await h.auth.sessions.validate(current.token)).not.toBeNull();
  });

  it('logout() revokes the current session; a second logout is harmless', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { token, context } = await signIn(h, user.email);
    await h.auth.sessions.logout(context);
    await h.auth.sessions.logout(context);
    expect(await h.auth.sessions.validate(token)).toBeNull();
    const log = await h.store.listActivities({ subjectId: user.id, action: 'logout', offset: 0, limit: 5 });
    expect(log.total).toBe(1);
  });

  it('revokeToken() ends the session of a token whether or not it validates, once, and logs session.replaced', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { token, session } = await signIn(h, user.email);
    const other = await signIn(h, user.email);
    expect(await h.auth.sessions.revokeToken(token, { ip: '203.0.113.5', userAgent: 'Browser/1' })).toBe(true);
    expect(await h.auth.sessions.validate(token)).toBeNull();
    expect(await h.auth.sessions.validate(other.token)).not.toBeNull();
    expect(await h.auth.sessions.revokeToken(token)).toBe(false);
    const log = await h.store.listActivities({ subjectId: user.id, action: 'session.replaced', offset: 0, limit: 5 });
    expect(log.items.map((a) => [a.metadata, a.ip, a.userAgent])).toEqual([[{ sessionId: session.id }, '203.0.113.5', 'Browser/1']]);
    // A session that does not validate now (its user suspended) is ended too: it must not come back with the user.
    const suspended = await signIn(h, other.user.email);
    await h.store.updateUser(user.id, { status: 'suspended', updatedAt: h.clock.now() });
    expect(await h.auth.sessions.validate(suspended.token)).toBeNull();
    expect(await h.auth.sessions.revokeToken(suspended.token)).toBe(true);
    expect((await h.store.findSessionById(suspended.session.id))?.revokedAt).not.toBeNull();
    for (const token of ['A'.repeat(43), 'short', 42, null, undefined, { length: 43 }]) expect(await h.auth.sessions.revokeToken(token)).toBe(false);
  });

  it('cleanup() deletes ended sessions, old login attempts and ended rate-limit windows, keeping live ones', async () => {
    const h = harness();
    const user = await activeUser(h);
    const ended = await signIn(h, user.email);
    await h.auth.sessions.logout(ended.context);
    await h.auth.sessions.login({ email: user.email, password: 'wrong password' }).catch(() => undefined);
    await h.auth.rateLimits.hit('app:export', { limit: 1, window: 10 * 60 });
    h.clock.advance(1);
    const live = await signIn(h, user.email);
    expect(await h.auth.sessions.cleanup()).toEqual({ sessions: 1, loginAttempts: 0, rateLimits: 0 });
    h.clock.advance(15 * MINUTE);
    expect(await h.auth.sessions.validate(live.token)).not.toBeNull();
    // The two attempts of the first second left the 15-minute window; the live login's did not yet.
    expect(await h.auth.sessions.cleanup()).toEqual({ sessions: 0, loginAttempts: 2, rateLimits: 1 });
    h.clock.advance(30 * MINUTE);
    expect(await h.auth.sessions.cleanup()).toEqual({ sessions: 1, loginAttempts: 1, rateLimits: 0 });
  });
});

describe('the acting user comes from the validated session (better-auth CVE-2025-61928)', () => {
  it('refuses a hand-made context naming another user', async () => {
    const h = harness();
    const victim = await activeUser(h);
    const attacker = await activeUser(h);
    const real = await signIn(h, attacker.email);
    const forged = { ...real.context, user: { ...real.context.user, id: victim.id } } as AuthContext;
    await expect(h.auth.passwords.change(forged, { currentPassword: PASSWORD, newPassword: 'a brand new secret 1' })).rejects.toThrow(TypeError);
    await expect(h.auth.sessions.revokeOthers(forged)).rejects.toThrow(TypeError);
    await expect(h.auth.accounts.updateProfile(forged, { name: 'pwned' })).rejects.toThrow(TypeError);
    expect((await h.store.findUserById(victim.id))?.name).toBe('Test User');
  });

  it('answers UNAUTHENTICATED when there is no session', async () => {
    const h = harness();
    const ctx = await h.auth.sessions.validate('nope');
    await expect(h.auth.accounts.getProfile(ctx)).rejects.toSatisfy((e: unknown) => isAuthError(e, 'UNAUTHENTICATED'));
  });

  it('ignores a userId smuggled into the input of a self-service call', async () => {
    const h = harness();
    const victim = await activeUser(h);
    const attacker = await activeUser(h);
    const { context } = await signIn(h, attacker.email);
    await h.auth.accounts.updateProfile(context, { name: 'Changed', userId: victim.id, id: victim.id } as never);
    expect((await h.store.findUserById(victim.id))?.name).toBe('Test User');
    expect((await h.store.findUserById(attacker.id))?.name).toBe('Changed');
  });
});
