import { describe, expect, it } from 'vitest';
import bcrypt from 'bcryptjs';
import { isAuthError, type AuthError, type PasswordHasher } from 'gatehouse';
import { activeUser, fastHasher, harness, PASSWORD, uniqueEmail } from '../support/harness.js';
import { GatedHasher } from '../support/stores.js';

const failure = (promise: Promise<unknown>): Promise<AuthError> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      if (!isAuthError(error)) throw error;
      return error;
    },
  );

/** A hasher that counts its calls. */
function countingHasher(): PasswordHasher & { verifies: number; hashes: number } {
  const inner = fastHasher();
  const counter = {
    verifies: 0,
    hashes: 0,
    hash: async (password: string) => {
      counter.hashes += 1;
      return inner.hash(password);
    },
    verify: async (hash: string, password: string) => {
      counter.verifies += 1;
      return inner.verify(hash, password);
    },
    needsRehash: (hash: string) => inner.needsRehash(hash),
  };
  return counter;
}

describe('sessions.login()', () => {
  it('starts a session with a 256-bit token, stores only its hash, and records lastLoginAt', async () => {
    const h = harness();
    const user = await activeUser(h);
    const result = await h.auth.sessions.login({ email: user.email.toUpperCase(), password: PASSWORD }, { ip: '203.0.113.5', userAgent: 'Test/1.0' });
    expect(result.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(result.token, 'base64url')).toHaveLength(32);
    expect(result.session).toMatchObject({ userId: user.id, ip: '203.0.113.5', userAgent: 'Test/1.0', rememberMe: false, revokedAt: null });
    expect(result.session).not.toHaveProperty('tokenHash');
    const stored = await h.store.findSessionById(result.session.id);
    expect(stored?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(result.token);
    expect(result.user.lastLoginAt).toEqual(h.clock.now());
    expect(result.mustChangePassword).toBe(false);
    const log = await h.store.listActivities({ subjectId: user.id, action: 'login.succeeded', offset: 0, limit: 5 });
    expect(log.items[0]).toMatchObject({ ip: '203.0.113.5', userAgent: 'Test/1.0', actorId: user.id });
  });

  it('an unknown email and a wrong password fail with the same code, message and hashing work', async () => {
    const hasher = countingHasher();
    const h = harness({ hasher });
    const user = await activeUser(h);
    await hasher.hash('warm up the dummy hash');
    hasher.verifies = 0;
    const wrong = await failure(h.auth.sessions.login({ email: user.email, password: 'not the password' }));
    const wrongVerifies = hasher.verifies;
    hasher.verifies = 0;
    const unknown = await failure(h.auth.sessions.login({ email: 'nobody@example.com', password: 'not the password' }));
    expect(wrong.code).toBe('INVALID_CREDENTIALS');
    expect(unknown.code).toBe('INVALID_CREDENTIALS');
    expect(unknown.message).toBe(wrong.message);
    expect(unknown.status).toBe(401);
    expect(wrongVerifies).toBe(1);
    expect(hasher.verifies).toBe(1);
  });

  it('logs failed attempts with the attempted email, for known and unknown accounts alike', async () => {
    const h = harness();
    const user = await activeUser(h);
    await failure(h.auth.sessions.login({ email: user.email, password: 'wrong password' }, { ip: '198.51.100.1' }));
    await failure(h.auth.sessions.login({ email: 'ghost@example.com', password: 'wrong password' }, { ip: '198.51.100.1' }));
    const log = await h.store.listActivities({ action: 'login.failed', offset: 0, limit: 5 });
    expect(log.items.map((a) => [a.subjectId, a.metadata['email'], a.metadata['reason'], a.ip])).toEqual([
      [null, 'ghost@example.com', 'unknown_email', '198.51.100.1'],
      [user.id, user.email, 'wrong_password', '198.51.100.1'],
    ]);
  });

  it('checks the status only after the password matched', async () => {
    const h = harness({ registration: { requireApproval: true } });
    const email = uniqueEmail();
    await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    await h.auth.accounts.activate({ key: h.mailer.last()!.key! });
    expect((await failure(h.auth.sessions.login({ email, password: 'wrong password' }))).code).toBe('INVALID_CREDENTIALS');
    expect((await failure(h.auth.sessions.login({ email, password: PASSWORD }))).code).toBe('ACCOUNT_PENDING');
  });

  it.each([
    ['inactive', 'ACCOUNT_INACTIVE'],
    ['blocked', 'ACCOUNT_BLOCKED'],
    ['suspended', 'ACCOUNT_SUSPENDED'],
  ] as const)('refuses a %s account with %s and starts no session', async (status, code) => {
    const h = harness();
    const user = await activeUser(h);
    await h.store.updateUser(user.id, { status, updatedAt: h.clock.now() });
    expect((await failure(h.auth.sessions.login({ email: user.email, password: PASSWORD }))).code).toBe(code);
    expect(await h.store.listUserSessions(user.id, new Date(0))).toHaveLength(0);
  });

  it('refuses an unverified account with ACCOUNT_NOT_ACTIVATED, unless verification is not required', async () => {
    for (const required of [true, false]) {
      const h = harness({ registration: { requireEmailVerification: required } });
      const email = uniqueEmail();
      await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
      const attempt = h.auth.sessions.login({ email, password: PASSWORD });
      if (required) expect((await failure(attempt)).code).toBe('ACCOUNT_NOT_ACTIVATED');
      else expect((await attempt).user.email).toBe(email);
    }
  });

  it('lifts a block whose end date has passed at the next sign-in', async () => {
    const h = harness();
    const user = await activeUser(h);
    await h.store.updateUser(user.id, { status: 'blocked', statusReason: 'cool down', statusUntil: new Date(h.clock.now().getTime() + 3600_000), updatedAt: h.clock.now() });
    expect((await failure(h.auth.sessions.login({ email: user.email, password: PASSWORD }))).code).toBe('ACCOUNT_BLOCKED');
    h.clock.advance(3600);
    const { user: after } = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    expect(after).toMatchObject({ status: 'active', statusReason: null, statusUntil: null });
  });

  it('issues a fresh token on every login; a token presented before login is never adopted (session fixation)', async () => {
    const h = harness();
    const user = await activeUser(h);
    const planted = 'P'.repeat(43);
    expect(await h.auth.sessions.validate(planted)).toBeNull();
    const first = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    const second = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    expect(new Set([planted, first.token, second.token]).size).toBe(3);
    expect(first.session.id).not.toBe(second.session.id);
    expect(await h.auth.sessions.validate(planted)).toBeNull();
    // The login input has no token field: one smuggled in is ignored, not adopted.
    const smuggled = await h.auth.sessions.login({ email: user.email, password: PASSWORD, token: planted } as never);
    expect(smuggled.token).not.toBe(planted);
  });

  it('accepts a legacy PHP bcrypt ($2y$) hash and rehashes it to argon2id on success', async () => {
    const h = harness();
    const user = await activeUser(h);
    const legacy = (await bcrypt.hash('Secreto-de-PHP-1', 4)).replace(/^\$2[ab]\$/, '$2y$');
    await h.store.updateUser(user.id, { passwordHash: legacy, updatedAt: h.clock.now() });
    expect((await failure(h.auth.sessions.login({ email: user.email, password: 'wrong-password' }))).code).toBe('INVALID_CREDENTIALS');
    expect((await h.store.findUserById(user.id))?.passwordHash).toBe(legacy);
    await h.auth.sessions.login({ email: user.email, password: 'Secreto-de-PHP-1' });
    const rehashed = (await h.store.findUserById(user.id))!.passwordHash!;
    expect(rehashed).toMatch(/^\$argon2id\$/);
    expect(await h.hasher.verify(rehashed, 'Secreto-de-PHP-1')).toBe(true);
    await h.auth.sessions.login({ email: user.email, password: 'Secreto-de-PHP-1' });
    expect((await h.store.findUserById(user.id))?.passwordHash).toBe(rehashed);
  });

  it('a password changed while a sign-in checks the old one: the sign-in is refused, and its rehash never overwrites the new hash', async () => {
    const hasher = new GatedHasher(fastHasher());
    const h = harness({ hasher });
    const user = await activeUser(h);
    const legacy = (await bcrypt.hash('Secreto-de-PHP-1', 4)).replace(/^\$2[ab]\$/, '$2y$');
    await h.store.updateUser(user.id, { passwordHash: legacy, updatedAt: h.clock.now() });
    hasher.close();
    const signIn = failure(h.auth.sessions.login({ email: user.email, password: 'Secreto-de-PHP-1' }));
    await hasher.progress.until(() => hasher.verified === 1);
    const changed = await fastHasher().hash('the new password of the owner');
    await h.store.updateUser(user.id, { passwordHash: changed, updatedAt: h.clock.now() });
    hasher.open();
    expect((await signIn).code).toBe('INVALID_CREDENTIALS');
    expect((await h.store.findUserById(user.id))?.passwordHash).toBe(changed);
    expect(await h.store.listUserSessions(user.id, h.clock.now())).toEqual([]);
  });

  it('rehashes an argon2id hash made with other parameters', async () => {
    const h = harness();
    const user = await activeUser(h);
    const current = await fastHasher().hash(PASSWORD); // the configured parameters: kept as is
    await h.store.updateUser(user.id, { passwordHash: current, updatedAt: h.clock.now() });
    await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    expect((await h.store.findUserById(user.id))?.passwordHash).toBe(current);
    const { hash } = await import('@node-rs/argon2');
    const old = await hash(PASSWORD, { memoryCost: 512, timeCost: 1, algorithm: 2 });
    await h.store.updateUser(user.id, { passwordHash: old, updatedAt: h.clock.now() });
    await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    expect((await h.store.findUserById(user.id))?.passwordHash).toMatch(/m=1024,t=1,p=1/);
  });

  it('reports a forced password change', async () => {
    const h = harness();
    const user = await activeUser(h);
    await h.store.updateUser(user.id, { mustChangePassword: true, updatedAt: h.clock.now() });
    const result = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    expect(result.mustChangePassword).toBe(true);
  });
});

describe('login lockout', () => {
  it('refuses the account with RATE_LIMITED after 5 failures in 15 minutes, even with the right password, until the window passes', async () => {
    const h = harness();
    const user = await activeUser(h);
    for (let i = 0; i < 5; i += 1) {
      expect((await failure(h.auth.sessions.login({ email: user.email, password: 'wrong password' }))).code).toBe('INVALID_CREDENTIALS');
      h.clock.advance(10);
    }
    const locked = await failure(h.auth.sessions.login({ email: user.email, password: PASSWORD }));
    expect(locked.code).toBe('RATE_LIMITED');
    expect(locked.status).toBe(429);
    // The first failure was 50 s ago; the 5th newest leaves the window at 900 s after it.
    expect(locked.retryAfter).toBe(900 - 50);
    // The refused attempt counts too, so the lock is now held by the 5 newest failures.
    h.clock.advance(900 - 50);
    expect((await failure(h.auth.sessions.login({ email: user.email, password: PASSWORD }))).code).toBe('RATE_LIMITED');
    h.clock.advance(40);
    const { user: signedIn } = await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    expect(signedIn.id).toBe(user.id);
  });

  it('honours a configured limit and window', async () => {
    const h = harness({ lockout: { maxFailures: 2, window: 60 } });
    const user = await activeUser(h);
    await failure(h.auth.sessions.login({ email: user.email, password: 'wrong password' }));
    await failure(h.auth.sessions.login({ email: user.email, password: 'wrong password' }));
    expect((await failure(h.auth.sessions.login({ email: user.email, password: PASSWORD }))).retryAfter).toBe(60);
    h.clock.advance(59.999);
    expect((await failure(h.auth.sessions.login({ email: user.email, password: PASSWORD }))).code).toBe('RATE_LIMITED');
  });

  it('a successful login clears the count of earlier failures', async () => {
    const h = harness();
    const user = await activeUser(h);
    for (let i = 0; i < 4; i += 1) await failure(h.auth.sessions.login({ email: user.email, password: 'wrong password' }));
    h.clock.advance(1);
    await h.auth.sessions.login({ email: user.email, password: PASSWORD });
    h.clock.advance(1);
    for (let i = 0; i < 4; i += 1) await failure(h.auth.sessions.login({ email: user.email, password: 'wrong password' }));
    await h.auth.sessions.login({ email: user.email, password: PASSWORD });
  });

  it('does not count sign-ins refused for the account’s status (the password was right) as failures', async () => {
    const h = harness();
    const user = await activeUser(h);
    await h.auth.users.block(h.auth.system, user.id, { reason: 'abuse' });
    for (let i = 0; i < 8; i += 1) expect((await failure(h.auth.sessions.login({ email: user.email, password: PASSWORD }))).code).toBe('ACCOUNT_BLOCKED');
    expect(await h.store.listLoginFailures({ email: user.email }, { since: new Date(0), limit: 10 })).toEqual([]);
  });

  it('locks an unknown email exactly like a known one', async () => {
    const h = harness();
    for (let i = 0; i < 5; i += 1) await failure(h.auth.sessions.login({ email: 'ghost@example.com', password: 'wrong password' }));
    expect((await failure(h.auth.sessions.login({ email: 'ghost@example.com', password: 'wrong password' }))).code).toBe('RATE_LIMITED');
  });

  it('concurrent failed logins are all counted: 50 parallel wrong passwords leave a failure count of 50 (Devise CVE-2019-5421)', async () => {
    const h = harness();
    const user = await activeUser(h);
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => h.auth.sessions.login({ email: user.email, password: 'wrong password' })));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const failures = await h.store.listLoginFailures({ email: user.email }, { since: new Date(0), limit: 1000 });
    expect(failures).toHaveLength(50);
    expect((await failure(h.auth.sessions.login({ email: user.email, password: PASSWORD }))).code).toBe('RATE_LIMITED');
  });

  it('limits one client address across accounts, grouping an IPv6 client by its /64', async () => {
    const h = harness({ lockout: { maxFailuresPerIp: 3 } });
    const user = await activeUser(h);
    const addresses = ['2001:db8:1:2::1', '2001:db8:1:2:ffff::9', '2001:0db8:0001:0002:0:0:0:7'];
    for (const [i, ip] of addresses.entries()) await failure(h.auth.sessions.login({ email: `other${i}@example.com`, password: 'wrong password' }, { ip }));
    const locked = await failure(h.auth.sessions.login({ email: user.email, password: PASSWORD }, { ip: '2001:db8:1:2::abcd' }));
    expect(locked.code).toBe('RATE_LIMITED');
    // Another /64, or no address at all, is not limited.
    await h.auth.sessions.login({ email: user.email, password: PASSWORD }, { ip: '2001:db8:1:3::1' });
    await h.auth.sessions.login({ email: user.email, password: PASSWORD });
  });

  it('counts an IPv4 client written IPv4-mapped as the same client', async () => {
    const h = harness({ lockout: { maxFailuresPerIp: 2 } });
    const user = await activeUser(h);
    await failure(h.auth.sessions.login({ email: 'a@example.com', password: 'wrong password' }, { ip: '192.0.2.1' }));
    await failure(h.auth.sessions.login({ email: 'b@example.com', password: 'wrong password' }, { ip: '::ffff:192.0.2.1' }));
    expect((await failure(h.auth.sessions.login({ email: user.email, password: PASSWORD }, { ip: '192.0.2.1' }))).code).toBe('RATE_LIMITED');
  });

  it('shares lockout counts between two gatehouse instances on one store', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { createAuth } = await import('gatehouse');
    const other = createAuth({ store: h.store, mailer: h.mailer, clock: h.clock, hasher: h.hasher });
    for (let i = 0; i < 5; i += 1) await failure((i % 2 === 0 ? h.auth : other).sessions.login({ email: user.email, password: 'wrong password' }));
    expect((await failure(other.sessions.login({ email: user.email, password: PASSWORD }))).code).toBe('RATE_LIMITED');
  });
});

describe('remember me', () => {
  it('keeps a remember-me session 30 days, without idle expiry', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { token, session } = await h.auth.sessions.login({ email: user.email, password: PASSWORD, rememberMe: true });
    expect(session.rememberMe).toBe(true);
    expect(session.expiresAt.getTime() - h.clock.now().getTime()).toBe(30 * 24 * 3600 * 1000);
    h.clock.advance(10 * 24 * 3600);
    expect(await h.auth.sessions.validate(token)).not.toBeNull();
    h.clock.advance(20 * 24 * 3600 - 0.001);
    expect(await h.auth.sessions.validate(token)).not.toBeNull();
    h.clock.advance(0.001);
    expect(await h.auth.sessions.validate(token)).toBeNull();
  });
});
