/**
 * The behaviour both framework helpers share, as one table of cases run against each
 * (`express.test.ts`, `fastify.test.ts`) through real request handling.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUTH_ERROR_CODES, type AuthErrorCode, type User } from 'gatehouse';
import { base32Decode, hotp, totpStep } from '../../src/crypto/totp.js';
import { activeUser, harness, PASSWORD, signIn, uniqueEmail, type Harness } from '../support/harness.js';
import { cookieAttributes, cookiePair, type Reply, type SharedOptions, type Target, type TargetFactory, type TargetOptions } from './support.js';

const HOST = { host: 'app.example' };
/** The session cookie's name: Secure (outside development) and so with the __Host- prefix. */
const COOKIE = '__Host-gatehouse_session';

/** Gives a user a role (created on the fly) holding these permissions. */
export async function grantRole(h: Harness, userId: string, code: string, level: number, permissions: string[]): Promise<void> {
  const now = h.clock.now();
  if ((await h.store.findRole(code)) === null) {
    await h.store.upsertRole({ code, name: code, description: '', level, active: true, createdAt: now, updatedAt: now });
    for (const permission of permissions) {
      const [module = '*', ...action] = permission.split(':');
      await h.store.upsertPermission({ code: permission, name: permission, module, action: action.join(':') || '*', active: true, createdAt: now });
      await h.store.grantPermission(code, permission);
    }
  }
  await h.store.assignRole({ userId, roleCode: code, assignedAt: now, assignedBy: null, expiresAt: null });
}

/**
 * Runs every case against the target `make` builds. `newHarness` makes the default harness
 * of a case: the memory store, which has session revisions; `fullReadHarness()` exercises the
 * path of a store without them.
 */
export function httpContractCases(make: TargetFactory, newHarness: (overrides?: Parameters<typeof harness>[0]) => Harness = harness): void {
  const open: Target[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  async function setup(options: SharedOptions = {}, targetOptions: TargetOptions = {}, h: Harness = newHarness()) {
    const t = await make(h, { onError: () => undefined, ...options }, targetOptions);
    open.push(t);
    return { h, t };
  }

  const login = (t: Target, email: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Reply> =>
    t.call({ method: 'POST', path: '/api/auth/login', headers: { ...HOST, ...headers }, body: { email, password: PASSWORD, ...extra } });

  /** A signed-in user: the Cookie header of a cookie login and the token of a bearer login. */
  async function signedIn(h: Harness, t: Target, roles: { code: string; level: number; permissions: string[] }[] = []) {
    const user = await activeUser(h);
    for (const role of roles) await grantRole(h, user.id, role.code, role.level, role.permissions);
    const cookieLogin = await login(t, user.email);
    expect(cookieLogin.status).toBe(200);
    const bearerLogin = await login(t, user.email, { mode: 'bearer' });
    expect(bearerLogin.status).toBe(200);
    return { user, cookie: cookiePair(cookieLogin.cookies[0]!), token: bearerLogin.body.token as string, login: cookieLogin };
  }

  const get = (t: Target, path: string, headers: Record<string, string> = {}) => t.call({ method: 'GET', path, headers: { ...HOST, ...headers } });
  /** Posts the test targets' HTML form route, guarded by requireSameOrigin. */
  const form = (t: Target, headers: Record<string, string>) => t.call({ method: 'POST', path: '/form', headers: { ...HOST, ...headers }, form: { email: 'attacker@example.com' } });
  const expectError = (reply: Reply, status: number, code: AuthErrorCode | 'INTERNAL_ERROR' | 'BAD_REQUEST') => {
    expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({ status, code });
    expect(typeof reply.body.error.message).toBe('string');
    expect(reply.text).not.toMatch(/\bat .+:\d+:\d+|stack/);
  };

  describe('auth routes', () => {
    it('POST /register creates the user (201, no password hash) and mails an activation key', async () => {
      const { h, t } = await setup();
      const email = uniqueEmail();
      const reply = await t.call({ method: 'POST', path: '/api/auth/register', headers: HOST, body: { email, password: PASSWORD, name: 'Ana' } });
      expect(reply.status).toBe(201);
      expect(reply.body.user).toMatchObject({ email, name: 'Ana', status: 'active', emailVerifiedAt: null });
      expect(reply.text).not.toMatch(/passwordHash|argon2/);
      expect(h.mailer.last({ to: email, kind: 'activation' })?.key).toBeTypeOf('string');
    });

    it('POST /register refuses bad fields with 400 VALIDATION_FAILED and issues, a taken email with 409', async () => {
      const { h, t } = await setup();
      const bad = await t.call({ method: 'POST', path: '/api/auth/register', headers: HOST, body: { email: 'nope', password: PASSWORD } });
      expectError(bad, 400, 'VALIDATION_FAILED');
      expect(bad.body.error.issues.map((issue: { path: string[] }) => issue.path[0]).sort()).toEqual(['email', 'name']);
      const user = await activeUser(h);
      const taken = await t.call({ method: 'POST', path: '/api/auth/register', headers: HOST, body: { email: user.email, password: PASSWORD, name: 'Again' } });
      expectError(taken, 409, 'EMAIL_TAKEN');
      const notObject = await t.call({ method: 'POST', path: '/api/auth/register', headers: HOST, body: ['x'] });
      expectError(notObject, 400, 'VALIDATION_FAILED');
    });

    it('a hostile JSON value where a string belongs is 400 VALIDATION_FAILED, never a 500', async () => {
      const { t } = await setup({ onError: (error) => { throw error; } });
      const raw = '{"email":{"length":{"toString":null}}}';
      for (const path of ['/api/auth/register', '/api/auth/login', '/api/auth/forgot-password', '/api/auth/resend-activation']) {
        const reply = await t.call({ method: 'POST', path, headers: { ...HOST, 'content-type': 'application/json' }, raw });
        expectError(reply, 400, 'VALIDATION_FAILED');
        expect(reply.body.error.issues.map((issue: { path: string[] }) => issue.path[0]), path).toContain('email');
      }
    });

    it('with registration.revealExistingEmail off, GET /check-email is not served and registering a taken address answers 201 like a new one', async () => {
      const h = newHarness({ registration: { revealExistingEmail: false } });
      const { t } = await setup({}, {}, h);
      const user = await activeUser(h);
      expect((await get(t, `/api/auth/check-email?email=${encodeURIComponent(user.email)}`)).status).toBe(404);
      expect((await get(t, '/api/auth/check-email?email=free%40example.com')).status).toBe(404);
      const taken = await t.call({ method: 'POST', path: '/api/auth/register', headers: HOST, body: { email: user.email, password: PASSWORD, name: 'Again' } });
      const fresh = await t.call({ method: 'POST', path: '/api/auth/register', headers: HOST, body: { email: uniqueEmail(), password: PASSWORD, name: 'New' } });
      expect([taken.status, fresh.status]).toEqual([201, 201]);
      expect(Object.keys(taken.body.user).sort()).toEqual(Object.keys(fresh.body.user).sort());
      expect(h.mailer.last({ to: user.email })?.kind).toBe('registration-attempt');
    });

    it('GET /check-email answers {available}, and 400 for a malformed address', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      expect((await get(t, `/api/auth/check-email?email=${encodeURIComponent(user.email)}`)).body).toEqual({ available: false });
      expect((await get(t, '/api/auth/check-email?email=free%40example.com')).body).toEqual({ available: true });
      expectError(await get(t, '/api/auth/check-email?email=nope'), 400, 'VALIDATION_FAILED');
      expectError(await get(t, '/api/auth/check-email?email=a%40example.com&email=b%40example.com'), 400, 'VALIDATION_FAILED');
    });

    it('POST /activate activates once: 200, then 400 KEY_INVALID; an old key 400 KEY_EXPIRED', async () => {
      const { h, t } = await setup();
      const email = uniqueEmail();
      await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
      const key = h.mailer.last({ to: email, kind: 'activation' })!.key!;
      const first = await t.call({ method: 'POST', path: '/api/auth/activate', headers: HOST, body: { key } });
      expect(first.status).toBe(200);
      expect(first.body.user.emailVerifiedAt).not.toBeNull();
      expectError(await t.call({ method: 'POST', path: '/api/auth/activate', headers: HOST, body: { key } }), 400, 'KEY_INVALID');

      const late = uniqueEmail();
      await h.auth.accounts.register({ email: late, password: PASSWORD, name: 'Late' });
      h.clock.advance(25 * 3600);
      const expired = await t.call({ method: 'POST', path: '/api/auth/activate', headers: HOST, body: { key: h.mailer.last({ to: late })!.key! } });
      expectError(expired, 400, 'KEY_EXPIRED');
    });

    it('POST /resend-activation and /forgot-password answer 202 alike for known and unknown emails', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      for (const path of ['/api/auth/resend-activation', '/api/auth/forgot-password']) {
        const known = await t.call({ method: 'POST', path, headers: HOST, body: { email: user.email } });
        const unknown = await t.call({ method: 'POST', path, headers: HOST, body: { email: 'nobody@example.com' } });
        expect([known.status, unknown.status]).toEqual([202, 202]);
        expect(known.body).toEqual(unknown.body);
      }
      await h.auth.drain();
      expect(h.mailer.last({ to: user.email, kind: 'password-reset' })).toBeDefined();
    });

    it('POST /login (cookie mode) answers {user, session} and sets the session cookie, not the token in the body', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      const reply = await login(t, user.email);
      expect(reply.status).toBe(200);
      expect(reply.body.user.id).toBe(user.id);
      expect(Object.keys(reply.body).sort()).toEqual(['session', 'user']);
      expect(Object.keys(reply.body.session).sort()).toEqual(['expiresAt', 'id']);
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.cookies).toHaveLength(1);
      const token = cookiePair(reply.cookies[0]!).split('=')[1]!;
      expect(reply.text).not.toContain(token);
    });

    it('the session cookie is HttpOnly, SameSite=Lax, Secure, Path=/ and expires with the session', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      const reply = await login(t, user.email);
      const attributes = cookieAttributes(reply.cookies[0]!);
      expect(cookiePair(reply.cookies[0]!)).toMatch(/^__Host-gatehouse_session=[A-Za-z0-9_-]{43}$/);
      expect(attributes).toMatchObject({ httponly: true, samesite: 'Lax', secure: true, path: '/' });
      expect(new Date(attributes.expires as string).getTime()).toBe(new Date(reply.body.session.expiresAt).getTime());
      // remember me: the cookie lives the 30 days of the session
      const remembered = await login(t, user.email, { rememberMe: true });
      expect(new Date(cookieAttributes(remembered.cookies[0]!).expires as string).getTime()).toBe(h.clock.now().getTime() + 30 * 86400 * 1000);
    });

    it('the cookie is not Secure when the app says so (development), and takes a configured name', async () => {
      const { h, t } = await setup({ cookie: { secure: false, name: 'sid' } });
      const user = await activeUser(h);
      const reply = await login(t, user.email);
      expect(cookieAttributes(reply.cookies[0]!).secure).toBeUndefined();
      expect(reply.cookies[0]).toMatch(/^sid=/);
    });

    it('POST /login with mode "bearer" returns the token in the body and sets no cookie', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      const reply = await login(t, user.email, { mode: 'bearer' });
      expect(reply.status).toBe(200);
      expect(reply.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(reply.cookies).toEqual([]);
      const me = await get(t, '/api/auth/me', { authorization: `Bearer ${reply.body.token}` });
      expect(me.body.user.id).toBe(user.id);
      expectError(await login(t, user.email, { mode: 'jwt' }), 400, 'VALIDATION_FAILED');
    });

    it('POST /login refuses a wrong password and an unknown email with the same 401 body', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      const wrong = await t.call({ method: 'POST', path: '/api/auth/login', headers: HOST, body: { email: user.email, password: 'not the password' } });
      const unknown = await t.call({ method: 'POST', path: '/api/auth/login', headers: HOST, body: { email: 'nobody@example.com', password: 'not the password' } });
      expectError(wrong, 401, 'INVALID_CREDENTIALS');
      expect(unknown.body).toEqual(wrong.body);
      expect(wrong.cookies).toEqual([]);
    });

    it('a locked-out login answers 429 RATE_LIMITED with Retry-After', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      for (let i = 0; i < 5; i += 1) await t.call({ method: 'POST', path: '/api/auth/login', headers: HOST, body: { email: user.email, password: 'wrong password' } });
      const locked = await login(t, user.email);
      expectError(locked, 429, 'RATE_LIMITED');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('GET /me answers {user, roles, permissions} by cookie and by bearer token', async () => {
      const { h, t } = await setup();
      const { user, cookie, token } = await signedIn(h, t, [{ code: 'seller', level: 20, permissions: ['products:edit', 'orders:view:own'] }]);
      for (const headers of [{ cookie }, { authorization: `Bearer ${token}` }] as Record<string, string>[]) {
        const me = await get(t, '/api/auth/me', headers);
        expect(me.status).toBe(200);
        expect(me.body.user.id).toBe(user.id);
        expect(me.body.roles.map((role: { code: string }) => role.code)).toEqual(['seller']);
        expect(me.body.permissions).toEqual(['orders:view:own', 'products:edit']);
      }
      expectError(await get(t, '/api/auth/me'), 401, 'UNAUTHENTICATED');
    });

    it('POST /logout answers 204, clears the cookie and revokes the session', async () => {
      const { h, t } = await setup();
      const { cookie } = await signedIn(h, t);
      const reply = await t.call({ method: 'POST', path: '/api/auth/logout', headers: { ...HOST, cookie } });
      expect(reply.status).toBe(204);
      expect(reply.text).toBe('');
      expect(cookieAttributes(reply.cookies[0]!)['max-age']).toBe('0');
      expect(cookiePair(reply.cookies[0]!)).toBe(`${COOKIE}=`);
      expectError(await get(t, '/api/auth/me', { cookie }), 401, 'UNAUTHENTICATED');
      expectError(await t.call({ method: 'POST', path: '/api/auth/logout', headers: HOST }), 401, 'UNAUTHENTICATED');
    });

    it('POST /logout with a bearer session token revokes it, even with an empty JSON body', async () => {
      const { h, t } = await setup();
      const { token } = await signedIn(h, t);
      const reply = await t.call({ method: 'POST', path: '/api/auth/logout', headers: { ...HOST, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, raw: '' });
      expect(reply.status).toBe(204);
      expect(reply.cookies).toEqual([]);
      expectError(await get(t, '/api/auth/me', { authorization: `Bearer ${token}` }), 401, 'UNAUTHENTICATED');
    });

    it('PATCH /profile updates the own name; a bad one is 400', async () => {
      const { h, t } = await setup();
      const { cookie } = await signedIn(h, t);
      const reply = await t.call({ method: 'PATCH', path: '/api/auth/profile', headers: { ...HOST, cookie }, body: { name: 'Ana María', status: 'blocked' } });
      expect(reply.status).toBe(200);
      expect(reply.body.user).toMatchObject({ name: 'Ana María', status: 'active' });
      expectError(await t.call({ method: 'PATCH', path: '/api/auth/profile', headers: { ...HOST, cookie }, body: { name: '' } }), 400, 'VALIDATION_FAILED');
    });

    it('POST /change-password answers 204, keeps this session and revokes the others', async () => {
      const { h, t } = await setup();
      const { cookie, token, user } = await signedIn(h, t);
      const wrong = await t.call({ method: 'POST', path: '/api/auth/change-password', headers: { ...HOST, cookie }, body: { currentPassword: 'not it at all', newPassword: 'a brand new passphrase' } });
      expectError(wrong, 401, 'INVALID_CREDENTIALS');
      const reply = await t.call({ method: 'POST', path: '/api/auth/change-password', headers: { ...HOST, cookie }, body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' } });
      expect(reply.status).toBe(204);
      expect((await get(t, '/api/auth/me', { cookie })).status).toBe(200);
      expectError(await get(t, '/api/auth/me', { authorization: `Bearer ${token}` }), 401, 'UNAUTHENTICATED');
      const reused = await t.call({ method: 'POST', path: '/api/auth/change-password', headers: { ...HOST, cookie }, body: { currentPassword: 'a brand new passphrase', newPassword: PASSWORD } });
      expectError(reused, 422, 'PASSWORD_REUSED');
      expect(reused.body.error.issues[0].path).toEqual(['newPassword']);
      expect((await login(t, user.email)).status).toBe(401);
    });

    it('GET /sessions lists the own sessions as {items, total}; DELETE /sessions/:id revokes one (404 for others)', async () => {
      const { h, t } = await setup();
      const { cookie, token } = await signedIn(h, t);
      const list = await get(t, '/api/auth/sessions', { cookie });
      expect(list.status).toBe(200);
      expect(list.body.total).toBe(2);
      expect(list.body.items.filter((item: { current: boolean }) => item.current)).toHaveLength(1);
      const other = list.body.items.find((item: { current: boolean }) => !item.current);
      expect(other).not.toHaveProperty('tokenHash');
      const removed = await t.call({ method: 'DELETE', path: `/api/auth/sessions/${other.id}`, headers: { ...HOST, cookie } });
      expect(removed.status).toBe(204);
      expectError(await get(t, '/api/auth/me', { authorization: `Bearer ${token}` }), 401, 'UNAUTHENTICATED');
      expectError(await t.call({ method: 'DELETE', path: `/api/auth/sessions/${other.id}`, headers: { ...HOST, cookie } }), 404, 'NOT_FOUND');
      const stranger = await signedIn(h, t);
      const theirs = (await get(t, '/api/auth/sessions', { cookie: stranger.cookie })).body.items[0].id as string;
      expectError(await t.call({ method: 'DELETE', path: `/api/auth/sessions/${theirs}`, headers: { ...HOST, cookie } }), 404, 'NOT_FOUND');
      expectError(await t.call({ method: 'DELETE', path: '/api/auth/sessions/not-a-uuid', headers: { ...HOST, cookie } }), 400, 'VALIDATION_FAILED');
    });

    it('deleting the current session clears the cookie', async () => {
      const { h, t } = await setup();
      const { cookie } = await signedIn(h, t);
      const current = (await get(t, '/api/auth/sessions', { cookie })).body.items.find((item: { current: boolean }) => item.current);
      const reply = await t.call({ method: 'DELETE', path: `/api/auth/sessions/${current.id}`, headers: { ...HOST, cookie } });
      expect(reply.status).toBe(204);
      expect(cookiePair(reply.cookies[0]!)).toBe(`${COOKIE}=`);
    });

    it('POST /reset-password sets the password once (200) and revokes every session', async () => {
      const { h, t } = await setup();
      const { cookie, user } = await signedIn(h, t);
      await t.call({ method: 'POST', path: '/api/auth/forgot-password', headers: HOST, body: { email: user.email } });
      await h.auth.drain();
      const key = h.mailer.last({ to: user.email, kind: 'password-reset' })!.key!;
      const reply = await t.call({ method: 'POST', path: '/api/auth/reset-password', headers: HOST, body: { key, password: 'another fine passphrase' } });
      expect(reply.status).toBe(200);
      expectError(await get(t, '/api/auth/me', { cookie }), 401, 'UNAUTHENTICATED');
      expectError(await t.call({ method: 'POST', path: '/api/auth/reset-password', headers: HOST, body: { key, password: 'yet another passphrase' } }), 400, 'KEY_INVALID');
      expectError(await t.call({ method: 'POST', path: '/api/auth/reset-password', headers: HOST, body: { key, password: 'short' } }), 400, 'VALIDATION_FAILED');
    });

    it('with two-factor on, POST /login answers 401 TWO_FACTOR_REQUIRED with a challenge, and /login/two-factor finishes it', async () => {
      const { h, t } = await setup({}, {}, newHarness({ twoFactor: { encryptionKey: '0123456789abcdef'.repeat(4) } }));
      const user = await activeUser(h);
      const { context } = await signIn(h, user.email);
      const codeAt = (secret: string): string => hotp(base32Decode(secret)!, totpStep(h.clock.now()));
      const { secret } = await h.auth.twoFactor.enrol(context, { password: PASSWORD });
      await h.auth.twoFactor.confirm(context, { code: codeAt(secret) });
      h.clock.advance(30);
      const first = await login(t, user.email);
      expectError(first, 401, 'TWO_FACTOR_REQUIRED');
      expect(first.body.error.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(first.cookies).toEqual([]);
      const wrongCode = codeAt(secret) === '000000' ? '111111' : '000000';
      const wrong = await t.call({ method: 'POST', path: '/api/auth/login/two-factor', headers: HOST, body: { challenge: first.body.error.challenge, code: wrongCode } });
      expectError(wrong, 401, 'TWO_FACTOR_INVALID');
      const second = await t.call({ method: 'POST', path: '/api/auth/login/two-factor', headers: HOST, body: { challenge: first.body.error.challenge, code: codeAt(secret) } });
      expect(second.status).toBe(200);
      expect(second.body.user.id).toBe(user.id);
      expect((await get(t, '/api/auth/me', { cookie: cookiePair(second.cookies[0]!) })).status).toBe(200);
      const again = await t.call({ method: 'POST', path: '/api/auth/login/two-factor', headers: HOST, body: { challenge: first.body.error.challenge, code: codeAt(secret) } });
      expectError(again, 400, 'KEY_INVALID');
    });

    it('two-factor routes: status, enrol, confirm with recovery codes, regenerate and disable with the password', async () => {
      const { h, t } = await setup({}, {}, newHarness({ twoFactor: { encryptionKey: '0123456789abcdef'.repeat(4) } }));
      const { cookie, token } = await signedIn(h, t);
      const call = (method: 'GET' | 'POST', path: string, body?: Record<string, unknown>) => t.call({ method, path: `/api/auth/two-factor${path}`, headers: { ...HOST, cookie }, body });
      expect((await call('GET', '')).body).toEqual({ enabled: false, pending: false });
      expectError(await t.call({ method: 'POST', path: '/api/auth/two-factor/enrol', headers: HOST }), 401, 'UNAUTHENTICATED');
      expectError(await call('POST', '/enrol'), 400, 'VALIDATION_FAILED');
      expectError(await call('POST', '/enrol', { password: 'not the password' }), 401, 'INVALID_CREDENTIALS');
      expect((await call('GET', '')).body).toEqual({ enabled: false, pending: false });
      const enrol = await call('POST', '/enrol', { password: PASSWORD });
      expect(enrol.status).toBe(200);
      expect(enrol.body.uri).toContain(`secret=${enrol.body.secret}`);
      const code = hotp(base32Decode(enrol.body.secret)!, totpStep(h.clock.now()));
      expectError(await call('POST', '/confirm', { code: code === '000000' ? '111111' : '000000' }), 401, 'TWO_FACTOR_INVALID');
      const confirmed = await call('POST', '/confirm', { code });
      expect(confirmed.body.recoveryCodes).toHaveLength(10);
      expect((await call('GET', '')).body).toEqual({ enabled: true, pending: false });
      expectError(await call('POST', '/recovery-codes', { password: 'not the password' }), 401, 'INVALID_CREDENTIALS');
      const fresh = await call('POST', '/recovery-codes', { password: PASSWORD });
      expect(fresh.body.recoveryCodes).toHaveLength(10);
      expect(fresh.body.recoveryCodes).not.toContain(confirmed.body.recoveryCodes[0]);
      // Bearer sessions reach the routes too; a cross-origin cookie request does not.
      expect((await t.call({ method: 'GET', path: '/api/auth/two-factor', headers: { ...HOST, authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await call('POST', '/disable', { password: PASSWORD })).status).toBe(204);
      expect((await call('GET', '')).body).toEqual({ enabled: false, pending: false });
    });

    it('without two-factor configured, the status says off and the other two-factor routes answer 404 NOT_FOUND, not 500', async () => {
      const { h, t } = await setup();
      const { cookie } = await signedIn(h, t);
      const call = (path: string, body?: Record<string, unknown>) => t.call({ method: 'POST', path: `/api/auth/two-factor${path}`, headers: { ...HOST, cookie }, body });
      expect((await t.call({ method: 'GET', path: '/api/auth/two-factor', headers: { ...HOST, cookie } })).body).toEqual({ enabled: false, pending: false });
      for (const [path, body] of [['/enrol', { password: PASSWORD }], ['/confirm', { code: '123456' }], ['/recovery-codes', { password: PASSWORD }], ['/disable', { password: PASSWORD }]] as const) {
        expectError(await call(path, body), 404, 'NOT_FOUND');
      }
      // Signed out, the answer stays 401: a route's existence is no secret, but the session check comes first.
      expectError(await t.call({ method: 'POST', path: '/api/auth/two-factor/enrol', headers: HOST, body: { password: PASSWORD } }), 401, 'UNAUTHENTICATED');
    });

    it('POST /email asks for the current password and mails a key to the new address (202); POST /confirm-email uses it once', async () => {
      const { h, t } = await setup();
      const { user, cookie, token } = await signedIn(h, t);
      const other = await activeUser(h);
      const ask = (body: Record<string, unknown>, headers: Record<string, string> = { cookie }) => t.call({ method: 'POST', path: '/api/auth/email', headers: { ...HOST, ...headers }, body });
      const confirm = (body: Record<string, unknown>) => t.call({ method: 'POST', path: '/api/auth/confirm-email', headers: HOST, body });
      const newEmail = uniqueEmail('moved');
      expectError(await ask({ newEmail, currentPassword: PASSWORD }, {}), 401, 'UNAUTHENTICATED');
      expectError(await ask({ newEmail, currentPassword: 'not the password' }), 401, 'INVALID_CREDENTIALS');
      expectError(await ask({ newEmail: other.email, currentPassword: PASSWORD }), 409, 'EMAIL_TAKEN');
      expectError(await ask({ newEmail: 'nope', currentPassword: PASSWORD }), 400, 'VALIDATION_FAILED');
      expectError(await ask({ newEmail, currentPassword: PASSWORD }, { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }), 403, 'FORBIDDEN');
      expect(h.mailer.last({ kind: 'email-change' })).toBeUndefined();
      const asked = await ask({ newEmail: newEmail.toUpperCase(), currentPassword: PASSWORD }, { authorization: `Bearer ${token}` });
      expect([asked.status, asked.body]).toEqual([202, {}]);
      const mail = h.mailer.last({ kind: 'email-change' })!;
      expect([mail.to, mail.link]).toEqual([newEmail, expect.stringContaining(`/confirm-email?key=${mail.key}`)]);
      // Nothing changes before the key is used.
      expect((await get(t, '/api/auth/me', { cookie })).body.user.email).toBe(user.email);
      expectError(await confirm({ key: 'A'.repeat(43) }), 400, 'KEY_INVALID');
      expectError(await confirm({ key: 42 }), 400, 'VALIDATION_FAILED');
      const confirmed = await confirm({ key: mail.key });
      expect(confirmed.status).toBe(200);
      expect(confirmed.body.user).toMatchObject({ id: user.id, email: newEmail });
      expect((await get(t, '/api/auth/me', { cookie })).body.user.email).toBe(newEmail);
      expectError(await confirm({ key: mail.key }), 400, 'KEY_INVALID');
      expect((await login(t, newEmail)).status).toBe(200);
    });

    it('POST /email of a user who must change their password is 403 PASSWORD_CHANGE_REQUIRED; /confirm-email redirects when asked', async () => {
      const { h, t } = await setup();
      const { user, cookie } = await signedIn(h, t);
      await h.store.updateUser(user.id, { mustChangePassword: true, updatedAt: h.clock.now() });
      const refused = await t.call({ method: 'POST', path: '/api/auth/email', headers: { ...HOST, cookie }, body: { newEmail: uniqueEmail(), currentPassword: PASSWORD } });
      expectError(refused, 403, 'PASSWORD_CHANGE_REQUIRED');
      await h.store.updateUser(user.id, { mustChangePassword: false, updatedAt: h.clock.now() });
      const newEmail = uniqueEmail('moved');
      await h.auth.accounts.requestEmailChange((await signIn(h, user.email)).context, { newEmail, currentPassword: PASSWORD });
      const key = h.mailer.last({ to: newEmail, kind: 'email-change' })!.key!;
      const reply = await t.call({ method: 'POST', path: '/api/auth/confirm-email', headers: HOST, form: { key, redirect: '/profile' } });
      expect([reply.status, reply.headers['location']]).toEqual([303, '/profile']);
    });

    it('HTML forms work: urlencoded bodies, a rememberMe checkbox', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      const reply = await t.call({ method: 'POST', path: '/api/auth/login', headers: HOST, form: { email: user.email, password: PASSWORD, rememberMe: 'on' } });
      expect(reply.status).toBe(200);
      expect(new Date(reply.body.session.expiresAt).getTime()).toBe(h.clock.now().getTime() + 30 * 86400 * 1000);
    });
  });

  describe('per-IP rate limits of registration and reset requests', () => {
    it('answer 429 RATE_LIMITED with Retry-After past the limit, per window', async () => {
      const { h, t } = await setup({ rateLimits: { register: { limit: 2, window: 60 }, forgotPassword: { limit: 1, window: 60 } } });
      const register = () => t.call({ method: 'POST', path: '/api/auth/register', headers: HOST, body: { email: uniqueEmail(), password: PASSWORD, name: 'Bot' } });
      expect((await register()).status).toBe(201);
      expect((await register()).status).toBe(201);
      const refused = await register();
      expectError(refused, 429, 'RATE_LIMITED');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      const forgot = () => t.call({ method: 'POST', path: '/api/auth/forgot-password', headers: HOST, body: { email: 'x@example.com' } });
      expect((await forgot()).status).toBe(202);
      expectError(await forgot(), 429, 'RATE_LIMITED');
      await h.auth.drain();
    });

    it('are counted in the rate-limit store of createAuth: a second app on the same gatehouse shares them', async () => {
      const h = newHarness();
      const limits = { rateLimits: { checkEmail: { limit: 2, window: 60 } } };
      const { t: one } = await setup(limits, {}, h);
      const { t: two } = await setup(limits, {}, h);
      const check = (t: Target) => t.call({ method: 'GET', path: '/api/auth/check-email?email=a%40example.com', headers: HOST });
      expect((await check(one)).status).toBe(200);
      expect((await check(two)).status).toBe(200);
      expectError(await check(one), 429, 'RATE_LIMITED');
    });

    it('mail at most 3 reset links and 3 activation links per address in 15 minutes, answering every request alike', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      const pending = uniqueEmail('pending');
      await h.auth.accounts.register({ email: pending, password: PASSWORD, name: 'Pending' });
      h.mailer.clear();
      const replies: Reply[] = [];
      for (let i = 0; i < 6; i += 1) {
        replies.push(await t.call({ method: 'POST', path: '/api/auth/forgot-password', headers: HOST, body: { email: user.email } }));
        replies.push(await t.call({ method: 'POST', path: '/api/auth/resend-activation', headers: HOST, body: { email: pending } }));
      }
      expect(new Set(replies.map((r) => `${r.status} ${r.text}`))).toEqual(new Set([`202 ${replies[0]!.text}`]));
      await h.auth.drain();
      expect(h.mailer.outbox.map((m) => m.kind).sort()).toEqual([...Array(3).fill('activation'), ...Array(3).fill('password-reset')]);
    });

    it('default to at least 100 registrations per IP', async () => {
      const { t } = await setup();
      for (let i = 0; i < 100; i += 1) {
        const reply = await t.call({ method: 'POST', path: '/api/auth/register', headers: HOST, body: { email: 'not-an-email', password: PASSWORD, name: 'X' } });
        expect(reply.status).toBe(400);
      }
      expectError(await t.call({ method: 'POST', path: '/api/auth/register', headers: HOST, body: {} }), 429, 'RATE_LIMITED');
    });

    it('group IPv6 clients by /64 (behind a trusted proxy)', async () => {
      const { t } = await setup({ rateLimits: { register: { limit: 2, window: 60 } } }, { trustProxy: true });
      const register = (ip: string) => t.call({ method: 'POST', path: '/api/auth/register', headers: { ...HOST, 'x-forwarded-for': ip }, body: {} });
      expect((await register('2001:db8:1:1::1')).status).toBe(400);
      expect((await register('2001:db8:1:1::2')).status).toBe(400);
      expectError(await register('2001:db8:1:1:ffff::9'), 429, 'RATE_LIMITED');
      expect((await register('2001:db8:1:2::1')).status).toBe(400);
      expect((await register('203.0.113.9')).status).toBe(400);
    });
  });

  describe('guards', () => {
    const roles = {
      admin: { code: 'admin', level: 50, permissions: ['reports:view', 'orders:view'] },
      customer: { code: 'customer', level: 10, permissions: ['orders:view:own'] },
    };

    it('requireAuth: 401 UNAUTHENTICATED without credentials, 200 by cookie and by bearer', async () => {
      const { h, t } = await setup();
      const { user, cookie, token } = await signedIn(h, t);
      expectError(await get(t, '/api/private'), 401, 'UNAUTHENTICATED');
      expect((await get(t, '/api/private', { cookie })).body).toEqual({ kind: 'session', userId: user.id });
      expect((await get(t, '/api/private', { authorization: `Bearer ${token}` })).body).toEqual({ kind: 'session', userId: user.id });
      // The scheme in any case, blanks around the token.
      for (const authorization of [`bearer ${token}`, `BEARER \t${token}\t `]) {
        expect((await get(t, '/api/private', { authorization })).body, authorization).toEqual({ kind: 'session', userId: user.id });
      }
      // Another scheme, or a word that only starts like it, is no bearer header: the cookie decides.
      for (const authorization of [`Bearerx ${token}`, `Basic ${token}`, 'Bear']) {
        expect((await get(t, '/api/public', { cookie, authorization })).body, authorization).toEqual({ kind: 'session', userId: user.id });
      }
      expect((await get(t, '/api/public')).body).toEqual({ kind: null, userId: null });
      expect((await get(t, '/api/public', { cookie })).body).toEqual({ kind: 'session', userId: user.id });
    });

    it('requirePermission: 401 anonymous, 403 FORBIDDEN without the permission, 200 with it', async () => {
      const { h, t } = await setup();
      const admin = await signedIn(h, t, [roles.admin]);
      const customer = await signedIn(h, t, [roles.customer]);
      expectError(await get(t, '/api/reports'), 401, 'UNAUTHENTICATED');
      expectError(await get(t, '/api/reports', { cookie: customer.cookie }), 403, 'FORBIDDEN');
      expect((await get(t, '/api/reports', { cookie: admin.cookie })).status).toBe(200);
      expect((await get(t, '/api/reports', { authorization: `Bearer ${admin.token}` })).status).toBe(200);
    });

    it('requirePermission with owner: an :own grant passes on own resources only, a full grant everywhere', async () => {
      const { h, t } = await setup();
      const admin = await signedIn(h, t, [roles.admin]);
      const customer = await signedIn(h, t, [roles.customer]);
      const nobody = await signedIn(h, t);
      expect((await get(t, `/api/orders/of/${customer.user.id}`, { cookie: customer.cookie })).status).toBe(200);
      expectError(await get(t, `/api/orders/of/${admin.user.id}`, { cookie: customer.cookie }), 403, 'FORBIDDEN');
      expect((await get(t, `/api/orders/of/${customer.user.id}`, { cookie: admin.cookie })).status).toBe(200);
      expectError(await get(t, `/api/orders/of/${nobody.user.id}`, { cookie: nobody.cookie }), 403, 'FORBIDDEN');
    });

    it('requireRole: 200 for a holder, 403 for others, 401 anonymous', async () => {
      const { h, t } = await setup();
      const admin = await signedIn(h, t, [roles.admin]);
      const customer = await signedIn(h, t, [roles.customer]);
      expect((await get(t, '/api/admin', { cookie: admin.cookie })).status).toBe(200);
      expectError(await get(t, '/api/admin', { cookie: customer.cookie }), 403, 'FORBIDDEN');
      expectError(await get(t, '/api/admin'), 401, 'UNAUTHENTICATED');
    });

    it('a role change shows on the next request', async () => {
      const { h, t } = await setup();
      const customer = await signedIn(h, t, [roles.customer]);
      expectError(await get(t, '/api/admin', { cookie: customer.cookie }), 403, 'FORBIDDEN');
      await grantRole(h, customer.user.id, 'admin', 50, roles.admin.permissions);
      expect((await get(t, '/api/admin', { cookie: customer.cookie })).status).toBe(200);
    });

    it('a user who must change their password gets 403 PASSWORD_CHANGE_REQUIRED on guarded routes, but can read /me and change it', async () => {
      const { h, t } = await setup();
      const { user, cookie } = await signedIn(h, t);
      await h.store.updateUser(user.id, { mustChangePassword: true, updatedAt: h.clock.now() });
      expectError(await get(t, '/api/private', { cookie }), 403, 'PASSWORD_CHANGE_REQUIRED');
      expectError(await t.call({ method: 'PATCH', path: '/api/auth/profile', headers: { ...HOST, cookie }, body: { name: 'X' } }), 403, 'PASSWORD_CHANGE_REQUIRED');
      expect((await get(t, '/api/auth/me', { cookie })).status).toBe(200);
      const change = await t.call({ method: 'POST', path: '/api/auth/change-password', headers: { ...HOST, cookie }, body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' } });
      expect(change.status).toBe(204);
      expect((await get(t, '/api/private', { cookie })).status).toBe(200);
    });
  });

  describe('session cookie lifecycle', () => {
    it('re-sends the cookie with the renewed expiry when the session slides', async () => {
      const { h, t } = await setup();
      const { cookie, login: first } = await signedIn(h, t);
      const quiet = await get(t, '/api/private', { cookie });
      expect(quiet.cookies).toEqual([]);
      h.clock.advance(120);
      const slid = await get(t, '/api/private', { cookie });
      expect(slid.status).toBe(200);
      expect(cookiePair(slid.cookies[0]!)).toBe(cookie);
      const before = new Date(cookieAttributes(first.cookies[0]!).expires as string).getTime();
      const after = new Date(cookieAttributes(slid.cookies[0]!).expires as string).getTime();
      expect(after - before).toBe(120_000);
    });

    it('removes a cookie that no longer validates (expired session) and answers 401 on guarded routes', async () => {
      const { h, t } = await setup();
      const { cookie } = await signedIn(h, t);
      h.clock.advance(31 * 60);
      const reply = await get(t, '/api/private', { cookie });
      expectError(reply, 401, 'UNAUTHENTICATED');
      expect(cookieAttributes(reply.cookies[0]!)['max-age']).toBe('0');
    });

    it('malformed cookies are anonymous: 401 on guarded routes, never 500', async () => {
      const { t } = await setup();
      const cookies = [
        `${COOKIE}=`,
        `${COOKIE}=%E0%A4%A`,
        `${COOKIE}="unterminated`,
        `${COOKIE}=${'A'.repeat(43)}`,
        `${COOKIE}=${'x'.repeat(6000)}`,
        `${COOKIE}=a; ${COOKIE}=b`,
        ';;;===;;',
        `${COOKIE}`,
        `\u00ff\u00fe=\u00e9; ${COOKIE}=\u00e9\u00e9`,
      ];
      for (const cookie of cookies) {
        const reply = await get(t, '/api/private', { cookie });
        expect(reply.status, cookie).toBe(401);
        expect(reply.body.error.code, cookie).toBe('UNAUTHENTICATED');
      }
    });

    it('malformed Authorization headers are anonymous: 401, never 500', async () => {
      const { t } = await setup();
      const headers = ['Bearer', 'Bearer ', 'Bearer a b', 'bearer    ', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c', `Bearer ${'x'.repeat(9000)}`, 'Bearer \u00e9\u00e9', 'Token abc', 'Bearer ....'];
      for (const authorization of headers) {
        const reply = await get(t, '/api/private', { authorization });
        expect(reply.status, authorization).toBe(401);
        expect(reply.body.error.code, authorization).toBe('UNAUTHENTICATED');
      }
    });

    it('a bearer header wins over the cookie, also when it does not validate', async () => {
      const { h, t } = await setup();
      const { cookie } = await signedIn(h, t);
      expectError(await get(t, '/api/private', { cookie, authorization: `Bearer ${'B'.repeat(43)}` }), 401, 'UNAUTHENTICATED');
    });
  });

  describe('signing in over another session', () => {
    it('a cookie login that carries a session cookie ends that session server-side, whoever it belonged to', async () => {
      const { h, t } = await setup();
      const first = await signedIn(h, t);
      const second = await activeUser(h);
      // The same user again, then another user, in the same browser.
      const again = await login(t, first.user.email, {}, { cookie: first.cookie });
      expect(again.status).toBe(200);
      expectError(await get(t, '/api/auth/me', { cookie: first.cookie }), 401, 'UNAUTHENTICATED');
      const replacing = cookiePair(again.cookies[0]!);
      const other = await login(t, second.email, {}, { cookie: replacing });
      expect(other.status).toBe(200);
      expectError(await get(t, '/api/auth/me', { cookie: replacing }), 401, 'UNAUTHENTICATED');
      expect((await get(t, '/api/auth/me', { cookie: cookiePair(other.cookies[0]!) })).body.user.id).toBe(second.id);
      // The bearer session of the first sign-in is another session: it lives on.
      expect((await get(t, '/api/auth/me', { authorization: `Bearer ${first.token}` })).status).toBe(200);
      const replaced = await h.store.listActivities({ action: 'session.replaced', offset: 0, limit: 10 });
      expect(replaced.items.map((a) => a.subjectId).sort()).toEqual([first.user.id, first.user.id].sort());
    });

    it('so does the second step of a two-factor sign-in; a bearer login and a refused login leave the cookie’s session alone', async () => {
      const { h, t } = await setup({}, {}, newHarness({ twoFactor: { encryptionKey: '0123456789abcdef'.repeat(4) } }));
      const held = await signedIn(h, t);
      const user = await activeUser(h);
      const { context } = await signIn(h, user.email);
      const { secret } = await h.auth.twoFactor.enrol(context, { password: PASSWORD });
      await h.auth.twoFactor.confirm(context, { code: hotp(base32Decode(secret)!, totpStep(h.clock.now())) });
      h.clock.advance(30);
      expect((await login(t, held.user.email, { mode: 'bearer' }, { cookie: held.cookie })).status).toBe(200);
      expectError(await login(t, held.user.email, { password: 'not the password' }, { cookie: held.cookie }), 401, 'INVALID_CREDENTIALS');
      const first = await login(t, user.email, {}, { cookie: held.cookie });
      expectError(first, 401, 'TWO_FACTOR_REQUIRED');
      expect((await get(t, '/api/auth/me', { cookie: held.cookie })).status).toBe(200);
      const code = hotp(base32Decode(secret)!, totpStep(h.clock.now()));
      const second = await t.call({ method: 'POST', path: '/api/auth/login/two-factor', headers: { ...HOST, cookie: held.cookie }, body: { challenge: first.body.error.challenge, code } });
      expect(second.status).toBe(200);
      expectError(await get(t, '/api/auth/me', { cookie: held.cookie }), 401, 'UNAUTHENTICATED');
    });
  });

  describe('cross-origin protection', () => {
    const post = (t: Target, headers: Record<string, string>) => t.call({ method: 'POST', path: '/api/orders', headers: { ...HOST, ...headers }, body: { item: 'book' } });

    it('refuses cookie-authenticated unsafe requests from another origin or site with 403 FORBIDDEN', async () => {
      const { h, t } = await setup();
      const { cookie } = await signedIn(h, t);
      expectError(await post(t, { cookie, origin: 'https://evil.example' }), 403, 'FORBIDDEN');
      expectError(await post(t, { cookie, 'sec-fetch-site': 'cross-site' }), 403, 'FORBIDDEN');
      expectError(await post(t, { cookie, 'sec-fetch-site': 'same-site', origin: 'https://api.app.example' }), 403, 'FORBIDDEN');
      expectError(await post(t, { cookie, 'sec-fetch-site': 'cross-site', origin: 'https://app.example' }), 403, 'FORBIDDEN');
      expectError(await post(t, { cookie, origin: 'null' }), 403, 'FORBIDDEN');
      expectError(await t.call({ method: 'POST', path: '/api/auth/logout', headers: { ...HOST, cookie, origin: 'https://evil.example' } }), 403, 'FORBIDDEN');
      // the session survived the refused logout
      expect((await get(t, '/api/private', { cookie })).status).toBe(200);
    });

    it('accepts same-origin requests, the user’s own navigation, non-browser clients and trusted origins', async () => {
      const { h, t } = await setup({ trustedOrigins: ['https://shop.example'] });
      const { cookie } = await signedIn(h, t);
      expect((await post(t, { cookie, origin: 'http://app.example' })).status).toBe(201);
      expect((await post(t, { cookie, 'sec-fetch-site': 'same-origin', origin: 'http://app.example' })).status).toBe(201);
      expect((await post(t, { cookie, 'sec-fetch-site': 'none' })).status).toBe(201);
      expect((await post(t, { cookie })).status).toBe(201);
      expect((await post(t, { cookie, origin: 'https://shop.example', 'sec-fetch-site': 'cross-site' })).status).toBe(201);
    });

    it('compares the Origin’s scheme and port too: https on a plain-HTTP server, or another port, is another origin', async () => {
      const { h, t } = await setup();
      const { cookie } = await signedIn(h, t);
      expectError(await post(t, { cookie, origin: 'https://app.example' }), 403, 'FORBIDDEN');
      expectError(await post(t, { cookie, origin: 'http://app.example:8080' }), 403, 'FORBIDDEN');
      expect((await post(t, { cookie, origin: 'http://app.example:80' })).status).toBe(201);
      expect((await post(t, { cookie, origin: 'http://app.example' })).status).toBe(201);
    });

    it('takes the scheme from X-Forwarded-Proto only behind a trusted proxy', async () => {
      const { h, t } = await setup({}, { trustProxy: true });
      const { cookie } = await signedIn(h, t);
      expect((await post(t, { cookie, origin: 'https://app.example', 'x-forwarded-proto': 'https' })).status).toBe(201);
      expectError(await post(t, { cookie, origin: 'http://app.example', 'x-forwarded-proto': 'https' }), 403, 'FORBIDDEN');
      const { h: h2, t: direct } = await setup();
      const other = await signedIn(h2, direct);
      expectError(await post(direct, { cookie: other.cookie, origin: 'https://app.example', 'x-forwarded-proto': 'https' }), 403, 'FORBIDDEN');
    });

    it('exempts bearer requests and safe methods', async () => {
      const { h, t } = await setup();
      const { cookie, token } = await signedIn(h, t);
      expect((await post(t, { authorization: `Bearer ${token}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(201);
      expect((await get(t, '/api/private', { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(200);
    });

    it('refuses a cross-site cookie login (login CSRF) but not a bearer login', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      expectError(await login(t, user.email, {}, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }), 403, 'FORBIDDEN');
      expect((await login(t, user.email, { mode: 'bearer' }, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).status).toBe(200);
    });
  });

  describe('HTML form routes (requireSameOrigin) and the protective headers', () => {
    it('requireSameOrigin refuses a cross-site form post without any cookie (login CSRF) and lets same-origin and non-browser posts through', async () => {
      const { h, t } = await setup({ trustedOrigins: ['https://shop.example'] });
      const crossSite: Record<string, string>[] = [
        { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site', origin: 'http://api.app.example' },
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { origin: 'https://app.example' }, // https page, plain-HTTP server: another origin
      ];
      for (const headers of crossSite) expectError(await form(t, headers), 403, 'FORBIDDEN');
      expect((await form(t, { origin: 'http://app.example', 'sec-fetch-site': 'same-origin' })).status).toBe(201);
      expect((await form(t, { origin: 'http://app.example' })).status).toBe(201);
      expect((await form(t, { 'sec-fetch-site': 'none' })).status).toBe(201);
      expect((await form(t, {})).status).toBe(201);
      expect((await form(t, { origin: 'https://shop.example', 'sec-fetch-site': 'cross-site' })).status).toBe(201);
      const { cookie, user } = await signedIn(h, t);
      expect((await form(t, { cookie, origin: 'http://app.example' })).body).toMatchObject({ userId: user.id, fields: { email: 'attacker@example.com' } });
    });

    it('securityHeaders() sends Referrer-Policy, X-Frame-Options, frame-ancestors and nosniff, also on a refusal', async () => {
      const { t } = await setup();
      for (const reply of [await form(t, {}), await form(t, { 'sec-fetch-site': 'cross-site' })]) {
        expect(reply.headers['referrer-policy']).toBe('no-referrer');
        expect(reply.headers['x-frame-options']).toBe('DENY');
        expect(reply.headers['content-security-policy']).toBe("frame-ancestors 'none'");
        expect(reply.headers['x-content-type-options']).toBe('nosniff');
      }
    });
  });

  describe('refusals in the activity log', () => {
    const roles = { customer: { code: 'customer', level: 10, permissions: ['orders:view:own'] } };
    const refusals = async (h: Harness, action: string) => (await h.store.listActivities({ action, offset: 0, limit: 100 })).items;

    it('a 403 of requirePermission or requireRole is logged with actor, client and what was refused, once per actor, refusal and minute', async () => {
      const { h, t } = await setup();
      const customer = await signedIn(h, t, [roles.customer]);
      const other = await signedIn(h, t, [roles.customer]);
      const browser = { cookie: customer.cookie, 'user-agent': 'Refused/1.0' };
      for (let i = 0; i < 5; i += 1) expectError(await get(t, '/api/reports', browser), 403, 'FORBIDDEN');
      expectError(await get(t, '/api/reports', { authorization: `Bearer ${customer.token}` }), 403, 'FORBIDDEN');
      expectError(await get(t, '/api/admin', browser), 403, 'FORBIDDEN');
      expectError(await get(t, '/api/reports', { cookie: other.cookie }), 403, 'FORBIDDEN');
      await h.auth.drain();
      const logged = await refusals(h, 'access.denied');
      expect(logged.map((a) => [a.actorId, a.metadata]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
        [
          [customer.user.id, { permission: 'reports:view', route: 'GET /api/reports' }],
          [customer.user.id, { role: 'admin', route: 'GET /api/admin' }],
          [other.user.id, { permission: 'reports:view', route: 'GET /api/reports' }],
        ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      );
      const entry = logged.find((a) => a.actorId === customer.user.id && a.metadata['permission'] === 'reports:view')!;
      expect(entry).toMatchObject({ subjectId: customer.user.id, userAgent: 'Refused/1.0' });
      expect(entry.ip).toMatch(/127\.0\.0\.1|::1/);
      expect(entry.details).toContain('reports:view');
      // A minute later the same refusal is logged again.
      h.clock.advance(61);
      expectError(await get(t, '/api/reports', browser), 403, 'FORBIDDEN');
      await h.auth.drain();
      expect((await refusals(h, 'access.denied')).filter((a) => a.actorId === customer.user.id && a.metadata['permission'] === 'reports:view')).toHaveLength(2);
    });

    it('a FORBIDDEN thrown by a route of the app is logged with its route; other errors are not', async () => {
      const { h, t } = await setup();
      const { cookie, user } = await signedIn(h, t);
      expectError(await get(t, '/api/throw/FORBIDDEN', { cookie }), 403, 'FORBIDDEN');
      expectError(await get(t, '/api/throw/FORBIDDEN'), 403, 'FORBIDDEN');
      expectError(await get(t, '/api/throw/SELF_PROTECTION', { cookie }), 403, 'SELF_PROTECTION');
      expectError(await get(t, '/api/throw/NOT_FOUND', { cookie }), 404, 'NOT_FOUND');
      expectError(await get(t, '/api/private'), 401, 'UNAUTHENTICATED');
      await h.auth.drain();
      const logged = await refusals(h, 'access.denied');
      expect(logged.map((a) => [a.actorId, a.metadata]).sort()).toEqual(
        [
          [user.id, { route: 'GET /api/throw/:code' }],
          [null, { route: 'GET /api/throw/:code' }],
        ].sort(),
      );
      expect((await h.store.listActivities({ offset: 0, limit: 200 })).items.filter((a) => a.action.startsWith('access.'))).toHaveLength(2);
    });

    it('a cross-origin refusal is logged with the origin and the route, with or without a session cookie', async () => {
      const { h, t } = await setup();
      const { cookie } = await signedIn(h, t);
      expectError(await t.call({ method: 'POST', path: '/api/orders', headers: { ...HOST, cookie, origin: 'https://evil.example', 'user-agent': 'Victim/2' }, body: {} }), 403, 'FORBIDDEN');
      expectError(await form(t, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }), 403, 'FORBIDDEN');
      expectError(await form(t, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }), 403, 'FORBIDDEN');
      expectError(await login(t, 'someone@example.com', {}, { 'sec-fetch-site': 'cross-site' }), 403, 'FORBIDDEN');
      await h.auth.drain();
      const logged = await refusals(h, 'access.cross_origin_refused');
      expect(logged.map((a) => a.metadata).sort((a, b) => String(a['route']).localeCompare(String(b['route'])))).toEqual([
        { route: 'POST /api/auth/login', site: 'cross-site' },
        { route: 'POST /api/orders', origin: 'https://evil.example' },
        { route: 'POST /form', origin: 'https://evil.example', site: 'cross-site' },
      ]);
      // The request was refused before its cookie was read: nobody is named, the client is.
      expect(logged.every((a) => a.actorId === null && a.subjectId === null && /127\.0\.0\.1|::1/.test(a.ip ?? ''))).toBe(true);
      expect(logged.find((a) => a.metadata['route'] === 'POST /api/orders')?.userAgent).toBe('Victim/2');
    });

    it('a client probing many routes writes at most ten entries a minute', async () => {
      const { h, t } = await setup();
      for (let i = 0; i < 30; i += 1) {
        expectError(await t.call({ method: 'POST', path: `/api/orders?n=${i}`, headers: { ...HOST, cookie: `${COOKIE}=x`, origin: `https://evil${i}.example` }, body: {} }), 403, 'FORBIDDEN');
        expectError(await get(t, `/api/throw/FORBIDDEN?n=${i}`), 403, 'FORBIDDEN');
      }
      await h.auth.drain();
      expect((await refusals(h, 'access.cross_origin_refused')).length + (await refusals(h, 'access.denied')).length).toBe(2);
      const probe = (i: number) => t.call({ method: 'POST', path: `/api/auth/sessions/${i}`, headers: { ...HOST, origin: 'https://evil.example', cookie: `${COOKIE}=x` } });
      for (let i = 0; i < 30; i += 1) expect((await probe(i)).status).toBe(403);
      await h.auth.drain();
      expect((await refusals(h, 'access.cross_origin_refused')).length + (await refusals(h, 'access.denied')).length).toBe(10);
    });
  });

  describe('redirects after login, logout and activation', () => {
    it('go to same-origin paths and allowed origins only (303), never to another site', async () => {
      const { h, t } = await setup({ redirects: { allowedOrigins: ['https://shop.example'] } });
      const user = await activeUser(h);
      const cases: [string, string][] = [
        ['/orders?page=2#top', '/orders?page=2#top'],
        ['//evil.example/x', '/'],
        ['/\\evil.example', '/'],
        ['https://evil.example/', '/'],
        ['https://shop.example/account', 'https://shop.example/account'],
        ['https://user:pw@shop.example/', '/'],
        ['javascript:alert(1)', '/'],
        ['/%0d%0aSet-Cookie:x=y', '/%0d%0aSet-Cookie:x=y'],
        ['\t/evil', '/'],
      ];
      for (const [target, location] of cases) {
        const reply = await login(t, user.email, { redirect: target });
        expect(reply.status, target).toBe(303);
        expect(reply.headers.location, target).toBe(location);
        expect(reply.cookies, target).toHaveLength(1);
      }
      const form = await t.call({ method: 'POST', path: '/api/auth/login?redirect=%2F%2Fevil.example', headers: HOST, form: { email: user.email, password: PASSWORD } });
      expect([form.status, form.headers.location]).toEqual([303, '/']);
    });

    it('apply to logout and activation too', async () => {
      const { h, t } = await setup();
      const { cookie } = await signedIn(h, t);
      const out = await t.call({ method: 'POST', path: '/api/auth/logout', headers: { ...HOST, cookie }, form: { redirect: 'https://evil.example' } });
      expect([out.status, out.headers.location]).toEqual([303, '/']);
      expect(cookiePair(out.cookies[0]!)).toBe(`${COOKIE}=`);
      const email = uniqueEmail();
      await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
      const key = h.mailer.last({ to: email })!.key!;
      const activated = await t.call({ method: 'POST', path: '/api/auth/activate', headers: HOST, form: { key, redirect: '/welcome' } });
      expect([activated.status, activated.headers.location]).toEqual([303, '/welcome']);
    });

    // Each route, by field and by query, with targets that normalise to another site.
    const HOSTILE = ['/.//evil.example', '/..//evil.example', '/x/..//evil.example', '/%2e//evil.example', '/%2F/evil.example', '/%5c/evil.example'];

    it('never leave the site for a target that normalises to another one: login, logout, activation and reset, by field and by query', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      const freshKey = async (kind: 'activation' | 'password-reset'): Promise<string> => {
        if (kind === 'activation') {
          const email = uniqueEmail();
          await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
          return h.mailer.last({ to: email, kind })!.key!;
        }
        h.clock.advance(15 * 60); // past the per-address limit of reset mails
        await h.auth.passwords.requestReset({ email: user.email });
        await h.auth.drain();
        return h.mailer.last({ to: user.email, kind })!.key!;
      };
      const routes: Record<string, () => Promise<{ path: string; headers: Record<string, string>; form: Record<string, string> }>> = {
        login: async () => ({ path: '/api/auth/login', headers: HOST, form: { email: user.email, password: PASSWORD } }),
        logout: async () => ({ path: '/api/auth/logout', headers: { ...HOST, cookie: cookiePair((await login(t, user.email)).cookies[0]!) }, form: {} }),
        activate: async () => ({ path: '/api/auth/activate', headers: HOST, form: { key: await freshKey('activation') } }),
        reset: async () => ({ path: '/api/auth/reset-password', headers: HOST, form: { key: await freshKey('password-reset'), password: `a new passphrase ${uniqueEmail()}` } }),
      };
      for (const [name, make] of Object.entries(routes)) {
        for (const target of HOSTILE) {
          const byField = await make();
          const field = await t.call({ method: 'POST', path: byField.path, headers: byField.headers, form: { ...byField.form, redirect: target } });
          expect([field.status, field.headers.location], `${name} field ${target}`).toEqual([303, '/']);
          const byQuery = await make();
          const query = await t.call({ method: 'POST', path: `${byQuery.path}?redirect=${encodeURIComponent(target)}`, headers: byQuery.headers, body: byQuery.form });
          expect([query.status, query.headers.location], `${name} query ${target}`).toEqual([303, '/']);
        }
        const kept = await make();
        const legitimate = await t.call({ method: 'POST', path: kept.path, headers: kept.headers, form: { ...kept.form, redirect: '/x/../orders?page=2' } });
        expect([legitimate.status, legitimate.headers.location], `${name} legitimate`).toEqual([303, '/orders?page=2']);
      }
    });
  });

  describe('error bodies', () => {
    it.each(Object.keys(AUTH_ERROR_CODES) as AuthErrorCode[])('%s: its status and { error: { code, message } }', async (code) => {
      const { t } = await setup();
      const reply = await get(t, `/api/throw/${code}`);
      expectError(reply, AUTH_ERROR_CODES[code].status, code);
      expect(Object.keys(reply.body)).toEqual(['error']);
      expect(Object.keys(reply.body.error).sort()).toEqual(code === 'VALIDATION_FAILED' ? ['code', 'issues', 'message'] : ['code', 'message']);
      if (code === 'RATE_LIMITED') expect(reply.headers['retry-after']).toBe('42');
      else expect(reply.headers['retry-after']).toBeUndefined();
    });

    it('an unexpected error is a 500 INTERNAL_ERROR without internals, reported to onError', async () => {
      const onError = vi.fn();
      const { t } = await setup({ onError });
      const reply = await get(t, '/api/throw/boom');
      expectError(reply, 500, 'INTERNAL_ERROR');
      expect(reply.text).not.toMatch(/secret|hunter2|postgres/);
      expect(onError).toHaveBeenCalledOnce();
      expect(String((onError.mock.calls[0]![0] as Error).message)).toContain('secret internals');
    });

    it('a body that is not JSON is 400 VALIDATION_FAILED', async () => {
      const { t } = await setup();
      const reply = await t.call({ method: 'POST', path: '/api/auth/login', headers: { ...HOST, 'content-type': 'application/json' }, raw: '{"email": ' });
      expectError(reply, 400, 'VALIDATION_FAILED');
      const huge = await t.call({ method: 'POST', path: '/api/auth/login', headers: HOST, body: { email: 'a@example.com', password: 'x'.repeat(40_000) } });
      expectError(huge, 413, 'BAD_REQUEST');
    });

    it('messages follow Accept-Language (Spanish), codes never change', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      const reply = await t.call({ method: 'POST', path: '/api/auth/login', headers: { ...HOST, 'accept-language': 'es-VE,es;q=0.9,en;q=0.5' }, body: { email: user.email, password: 'wrong password' } });
      expect(reply.body.error).toEqual({ code: 'INVALID_CREDENTIALS', message: 'Correo electrónico o contraseña incorrectos.' });
      const english = await t.call({ method: 'POST', path: '/api/auth/login', headers: { ...HOST, 'accept-language': 'fr' }, body: { email: user.email, password: 'wrong password' } });
      expect(english.body.error).toEqual({ code: 'INVALID_CREDENTIALS', message: AUTH_ERROR_CODES.INVALID_CREDENTIALS.message });
    });

    /** A refused registration answered for an Accept-Language header. */
    const refusedRegistration = (t: Target, acceptLanguage: string) =>
      t.call({ method: 'POST', path: '/api/auth/register', headers: { ...HOST, 'accept-language': acceptLanguage }, body: { email: 'not an email', password: 'short', name: '' } });
    const SPANISH = 'La solicitud contiene campos no válidos.';

    it('Accept-Language is negotiated by its q-values over the available locales (fr,es;q=0.9 gets Spanish; *, q=0, malformed entries)', async () => {
      const { t } = await setup();
      const message = async (header: string): Promise<string> => (await refusedRegistration(t, header)).body.error.message as string;
      expect(await message('fr,es;q=0.9')).toBe(SPANISH);
      expect(await message('fr, en;q=0.2, es;q=0.8')).toBe(SPANISH);
      expect(await message('de, *;q=0.5, en;q=0')).toBe(SPANISH);
      expect(await message('<script>, es-VE;q=0.7')).toBe(SPANISH);
      expect(await message('es;q=0, *')).toBe(AUTH_ERROR_CODES.VALIDATION_FAILED.message);
      expect(await message('es;q=2, de')).toBe(AUTH_ERROR_CODES.VALIDATION_FAILED.message);
    });

    it('the issues of VALIDATION_FAILED are worded in the negotiated language, with the same codes and paths', async () => {
      const { t } = await setup();
      const spanish = await refusedRegistration(t, 'fr,es;q=0.9');
      const english = await refusedRegistration(t, 'en');
      expectError(spanish, 400, 'VALIDATION_FAILED');
      const shape = (issues: { path: unknown; code: unknown }[]) => issues.map(({ path, code }) => ({ path, code }));
      expect(shape(spanish.body.error.issues)).toEqual(shape(english.body.error.issues));
      const messages = (reply: Reply) => Object.fromEntries((reply.body.error.issues as { path: string[]; message: string }[]).map((issue) => [issue.path.join('.'), issue.message]));
      expect(messages(spanish)).toEqual({ email: 'Introduce un correo electrónico válido.', password: 'Usa al menos 8 caracteres.', name: 'Introduce un nombre.' });
      expect(messages(english)).toEqual({ email: 'Enter a valid email address.', password: 'Use at least 8 characters.', name: 'Enter a name.' });
    });

    it('`locales` limits the languages negotiated: with only English, Spanish is never chosen', async () => {
      const { t } = await setup({ locales: ['en'] });
      const reply = await refusedRegistration(t, 'es');
      expect(reply.body.error.message).toBe(AUTH_ERROR_CODES.VALIDATION_FAILED.message);
      expect(reply.body.error.issues[0].message).toBe('Enter a valid email address.');
    });
  });

  describe('client address and user agent', () => {
    async function lastLoginActivity(h: Harness, user: User) {
      const page = await h.store.listActivities({ subjectId: user.id, offset: 0, limit: 50 });
      return page.items.find((activity) => activity.action === 'login.succeeded')!;
    }

    it('ignore X-Forwarded-For from an untrusted peer', async () => {
      const { h, t } = await setup();
      const user = await activeUser(h);
      await login(t, user.email, {}, { 'x-forwarded-for': '198.51.100.77', 'user-agent': 'TestBrowser/1.0' });
      const activity = await lastLoginActivity(h, user);
      expect(activity.ip).not.toBe('198.51.100.77');
      expect(activity.ip).toMatch(/127\.0\.0\.1|::1/);
      expect(activity.userAgent).toBe('TestBrowser/1.0');
    });

    it('honour X-Forwarded-For when the app trusts its proxy', async () => {
      const { h, t } = await setup({}, { trustProxy: true });
      const user = await activeUser(h);
      await login(t, user.email, {}, { 'x-forwarded-for': '198.51.100.77' });
      expect((await lastLoginActivity(h, user)).ip).toBe('198.51.100.77');
    });
  });
}
