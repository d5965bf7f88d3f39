/**
 * The HTTP contract of the example apps (design §5), written against real HTTP. One
 * suite, run against each app and each store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, hotp, totpStep } from '../../src/crypto/totp.js';
import { ADMIN, Client, startApp, type AppKind, type RunningApp } from './apps.js';

const PASSWORD = 'correct horse battery staple';
let counter = 0;
const email = (prefix: string): string => `${prefix}${(counter += 1)}-${Date.now()}@example.com`;
/** Digits for a cédula no other registration of the run uses: the shop keeps cédulas unique, and both apps share a database. */
const cedulaDigits = (length: number): string => String(10 ** (length - 1) + ((Date.now() * 1000 + (counter += 1)) % (9 * 10 ** (length - 1))));

export function contractSuite(kind: AppKind, env: () => Record<string, string>): void {
  let app: RunningApp;
  let admin: Client;
  const outbox = async (to: string, kind?: string): Promise<{ key: string; link: string; subject: string; text: string }> => {
    const mails = (await new Client(app.url).get('/api/dev/outbox')).body as { to: string; kind: string; key: string; link: string; subject: string; text: string }[];
    const mail = mails.filter((m) => m.to === to && (kind === undefined || m.kind === kind)).at(-1);
    if (mail === undefined) throw new Error(`no ${kind ?? ''} mail to ${to}`);
    return mail;
  };
  /** Registers, activates and signs in a customer. */
  const customer = async (): Promise<{ client: Client; email: string; id: string }> => {
    const client = new Client(app.url);
    const address = email('customer');
    const registered = await client.post('/api/auth/register', { email: address, password: PASSWORD, name: 'Cliente' });
    expect(registered.status).toBe(201);
    await client.post('/api/auth/activate', { key: (await outbox(address, 'activation')).key });
    expect((await client.post('/api/auth/login', { email: address, password: PASSWORD })).status).toBe(200);
    return { client, email: address, id: registered.body.user.id };
  };

  describe(`the ${kind} example app`, () => {
    beforeAll(async () => {
      app = await startApp(kind, env());
      admin = new Client(app.url);
      expect((await admin.post('/api/auth/login', ADMIN)).status).toBe(200);
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('register → 201 {user} with the app fields, an activation mail; check-email; activate once', async () => {
      const client = new Client(app.url);
      const address = email('ana');
      const bad = await client.post('/api/auth/register', { email: address, password: PASSWORD, name: 'Ana', nationalId: '12-34', phone: 'call me' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
      expect(bad.body.error.issues.map((issue: { path: string[] }) => issue.path[0]).sort()).toEqual(['nationalId', 'phone']);
      const digits = cedulaDigits(8);
      const created = await client.post('/api/auth/register', { email: address, password: PASSWORD, name: 'Ana', nationalId: `v${digits}`, phone: '+58 412 1234567' });
      expect(created.status).toBe(201);
      expect(created.body.user).toMatchObject({ email: address, attributes: { nationalId: `V-${digits}`, phone: '+58 412 1234567' } });
      expect(created.body.user).not.toHaveProperty('passwordHash');
      expect((await client.get(`/api/auth/check-email?email=${encodeURIComponent(address)}`)).body).toEqual({ available: false });
      expect((await client.get(`/api/auth/check-email?email=${encodeURIComponent(email('free'))}`)).body).toEqual({ available: true });
      const mail = await outbox(address, 'activation');
      expect(mail.link).toContain(`/activate?key=${mail.key}`);
      expect((await client.post('/api/auth/login', { email: address, password: PASSWORD })).body.error.code).toBe('ACCOUNT_NOT_ACTIVATED');
      expect((await client.post('/api/auth/activate', { key: mail.key })).status).toBe(200);
      const again = await client.post('/api/auth/activate', { key: mail.key });
      expect([again.status, again.body.error.code]).toEqual([400, 'KEY_INVALID']);
      expect((await client.post('/api/auth/register', { email: address.toUpperCase(), password: PASSWORD, name: 'Ana' })).status).toBe(409);
    });

    it('resend-activation and forgot-password answer 202 whatever the email', async () => {
      const client = new Client(app.url);
      for (const path of ['/api/auth/resend-activation', '/api/auth/forgot-password']) {
        expect((await client.post(path, { email: email('nobody') })).status).toBe(202);
        expect((await client.post(path, { email: ADMIN.email })).status).toBe(202);
      }
    });

    it('login → {user, session} and an HttpOnly cookie; me; logout → 204 and the session is gone', async () => {
      const { client } = await customer();
      expect(client.hasSession()).toBe(true);
      const me = await client.get('/api/auth/me');
      expect(me.status).toBe(200);
      expect(me.body.roles.map((role: { code: string }) => role.code)).toEqual(['customer']);
      expect(me.body.permissions).toEqual(['orders:view:own', 'products:view']);
      expect((await client.post('/api/auth/logout')).status).toBe(204);
      expect((await client.get('/api/auth/me')).status).toBe(401);
    });

    it('login with mode bearer returns the token instead of a cookie', async () => {
      const { email: address } = await customer();
      const client = new Client(app.url);
      const login = await client.post('/api/auth/login', { email: address, password: PASSWORD, mode: 'bearer' });
      expect(login.status).toBe(200);
      expect(client.hasSession()).toBe(false);
      expect(login.body.session).toMatchObject({ id: expect.any(String), expiresAt: expect.any(String) });
      client.bearer = login.body.token;
      expect((await client.get('/api/auth/me')).body.user.email).toBe(address);
    });

    it('wrong passwords: 401 INVALID_CREDENTIALS, then 429 with Retry-After', async () => {
      const { email: address } = await customer();
      const client = new Client(app.url);
      for (let i = 0; i < 5; i += 1) expect((await client.post('/api/auth/login', { email: address, password: 'wrong password' })).status).toBe(401);
      const locked = await client.post('/api/auth/login', { email: address, password: PASSWORD });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(locked.body.error.code).toBe('RATE_LIMITED');
    });

    it('profile, change-password (other sessions end), own sessions list and revoke', async () => {
      const { client, email: address } = await customer();
      const other = new Client(app.url);
      await other.post('/api/auth/login', { email: address, password: PASSWORD });
      expect((await client.patch('/api/auth/profile', { name: 'Nuevo Nombre', phone: '+58 414 7654321' })).body.user).toMatchObject({ name: 'Nuevo Nombre', attributes: { phone: '+58 414 7654321' } });
      const sessions = await client.get('/api/auth/sessions');
      expect(sessions.body.items).toHaveLength(2);
      const otherId = sessions.body.items.find((s: { current: boolean }) => !s.current).id;
      expect((await client.delete(`/api/auth/sessions/${otherId}`)).status).toBe(204);
      expect((await other.get('/api/auth/me')).status).toBe(401);
      await other.post('/api/auth/login', { email: address, password: PASSWORD });
      const changed = await client.post('/api/auth/change-password', { currentPassword: PASSWORD, newPassword: 'another long passphrase' });
      expect(changed.status).toBeLessThan(300);
      expect((await other.get('/api/auth/me')).status).toBe(401);
      expect((await client.get('/api/auth/me')).status).toBe(200);
    });

    it('email change: POST /api/auth/email → 202 and a key to the new address; confirm-email → 200; the old address is told', async () => {
      const { client, email: address } = await customer();
      const moved = email('moved');
      expect((await client.post('/api/auth/email', { newEmail: moved, currentPassword: 'not the password' })).status).toBe(401);
      expect((await client.post('/api/auth/email', { newEmail: moved, currentPassword: PASSWORD })).status).toBe(202);
      const { key, link } = await outbox(moved, 'email-change');
      expect(link).toContain(`/confirm-email?key=${key}`);
      // The link's page is served (a button that posts the key), not a 404.
      expect((await new Client(app.url).get(`/confirm-email?key=${key}`)).status).toBe(200);
      const confirmed = await new Client(app.url).post('/api/auth/confirm-email', { key });
      expect([confirmed.status, confirmed.body.user.email]).toEqual([200, moved]);
      expect((await client.get('/api/auth/me')).body.user.email).toBe(moved);
      const notice = await outbox(address);
      expect(notice.subject).toMatch(/email address of your Gatehouse Shop account was changed/);
      expect(notice.text).toContain(moved);
      expect((await new Client(app.url).post('/api/auth/confirm-email', { key })).body.error.code).toBe('KEY_INVALID');
    });

    it('registration validates the cédula (ve_ci) and a Venezuelan mobile (ve_phone); a phone is cleared with an empty value', async () => {
      const client = new Client(app.url);
      const bad = await client.post('/api/auth/register', { email: email('ve'), password: PASSWORD, name: 'Ve', nationalId: 'J-12345678', phone: '0212-5551234' });
      expect(bad.body.error.issues.map((issue: { path: string[] }) => issue.path[0]).sort()).toEqual(['nationalId', 'phone']);
      const digits = cedulaDigits(7);
      const good = await client.post('/api/auth/register', { email: email('ve'), password: PASSWORD, name: 'Ve', nationalId: `e ${digits[0]}.${digits.slice(1, 4)}.${digits.slice(4)}`, phone: '+58-426-555-12-34' });
      expect(good.body.user.attributes).toEqual({ nationalId: `E-${digits}`, phone: '+58 426 5551234' });
      const { client: signedIn } = await customer();
      expect((await signedIn.patch('/api/auth/profile', { phone: '04141234567' })).body.user.attributes.phone).toBe('+58 414 1234567');
      expect((await signedIn.patch('/api/auth/profile', { phone: '' })).body.user.attributes.phone).toBeNull();
    });

    it('a cédula belongs to one account: a second registration with it, however written, is 409 IDENTIFIER_TAKEN in the page language, and nothing is stored', async () => {
      const digits = cedulaDigits(8);
      const first = await new Client(app.url).post('/api/auth/register', { email: email('ci'), password: PASSWORD, name: 'Primera', nationalId: `V-${digits}` });
      expect(first.status).toBe(201);
      const second = email('ci');
      const english = await new Client(app.url).post('/api/auth/register', { email: second, password: PASSWORD, name: 'Segunda', nationalId: `v ${digits}` });
      expect([english.status, english.body.error.code]).toEqual([409, 'IDENTIFIER_TAKEN']);
      expect(english.body.error.issues).toEqual([expect.objectContaining({ path: ['nationalId'], message: 'Another account already has this value.' })]);
      const spanish = await new Client(app.url).post('/api/auth/register', { email: second, password: PASSWORD, name: 'Segunda', nationalId: `V-${digits}` }, { 'accept-language': 'es-VE,es;q=0.9' });
      expect([spanish.status, spanish.body.error.code]).toEqual([409, 'IDENTIFIER_TAKEN']);
      expect(spanish.body.error.issues[0]).toMatchObject({ path: ['nationalId'], message: 'Otra cuenta ya tiene este valor.' });
      expect((await new Client(app.url).get(`/api/auth/check-email?email=${encodeURIComponent(second)}`)).body).toEqual({ available: true });
      // Nor can a signed-in customer take it through the profile.
      const { client } = await customer();
      const taken = await client.patch('/api/auth/profile', { nationalId: `V-${digits}` });
      expect([taken.status, taken.body.error.code]).toEqual([409, 'IDENTIFIER_TAKEN']);
    });

    it('reset-password with the mailed key → 200, all sessions end, the key works once', async () => {
      const { client, email: address } = await customer();
      await client.post('/api/auth/forgot-password', { email: address });
      const { key } = await outbox(address, 'password-reset');
      const reset = await new Client(app.url).post('/api/auth/reset-password', { key, password: 'a brand new passphrase' });
      expect(reset.status).toBe(200);
      expect((await client.get('/api/auth/me')).status).toBe(401);
      expect((await new Client(app.url).post('/api/auth/reset-password', { key, password: 'yet another passphrase' })).body.error.code).toBe('KEY_INVALID');
      expect((await new Client(app.url).post('/api/auth/login', { email: address, password: 'a brand new passphrase' })).status).toBe(200);
    });

    it('a cookie-authenticated write from another origin → 403; the same from the app origin passes', async () => {
      const { client } = await customer();
      const cross = await client.request('POST', '/api/orders', { item: 'x', quantity: 1 }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
      expect(cross.status).toBe(403);
      expect((await client.post('/api/orders', { item: 'x', quantity: 1 })).status).toBe(201);
    });

    it('users: list with filters and paging, create with roles, get, edit, block, toggle, delete, roles, activity', async () => {
      const { id, client: customerClient } = await customer();
      expect((await customerClient.get('/api/users')).status).toBe(403);
      expect((await new Client(app.url).get('/api/users')).status).toBe(401);

      const created = await admin.post('/api/users', { email: email('seller'), name: 'Vendedora', password: 'Temporal-2026!', roles: [{ code: 'seller' }] });
      expect(created.status).toBe(201);
      const sellerId = created.body.user.id;
      const list = await admin.get('/api/users?role=seller&pageSize=1&page=1');
      expect(list.body.total).toBeGreaterThanOrEqual(1);
      expect(list.body.items).toHaveLength(1);
      expect((await admin.get(`/api/users?q=Vendedora&status=active`)).body.items.map((u: { id: string }) => u.id)).toContain(sellerId);
      expect((await admin.get(`/api/users/${sellerId}`)).body.roles.map((r: { code: string }) => r.code)).toEqual(['seller']);
      expect((await admin.patch(`/api/users/${id}`, { name: 'Renombrado' })).body.user.name).toBe('Renombrado');

      const blocked = await admin.post(`/api/users/${id}/block`, { reason: 'Chargebacks' });
      expect(blocked.body.user).toMatchObject({ status: 'blocked', statusReason: 'Chargebacks' });
      expect((await customerClient.get('/api/auth/me')).status).toBe(401);

      const roles = await admin.put(`/api/users/${sellerId}/roles`, { roles: [{ code: 'customer' }, { code: 'seller', expiresAt: '2099-01-01T00:00:00.000Z' }] });
      expect(roles.body.roles.map((r: { code: string }) => r.code)).toEqual(['seller', 'customer']);
      expect((await admin.post(`/api/users/${sellerId}/toggle-status`)).body.user.status).toBe('inactive');
      expect((await admin.post(`/api/users/${sellerId}/toggle-status`)).body.user.status).toBe('active');
      expect((await admin.delete(`/api/users/${sellerId}`)).body.user.status).toBe('inactive');
      const activity = await admin.get(`/api/users/${sellerId}/activity?pageSize=50`);
      const actions = activity.body.items.map((a: { action: string }) => a.action);
      expect(actions).toEqual(expect.arrayContaining(['user.created', 'user.roles_changed', 'user.disabled', 'user.enabled', 'user.deleted']));
      const me = (await admin.get('/api/auth/me')).body.user.id;
      expect((await admin.post(`/api/users/${me}/block`, { reason: 'oops' })).body.error.code).toBe('SELF_PROTECTION');
      // No password or email of one's own through the admin API: that takes the current password, on the profile.
      for (const body of [{ password: 'a takeover passphrase' }, { email: 'someone-else@example.com' }]) {
        const reply = await admin.patch(`/api/users/${me}`, body);
        expect([reply.status, reply.body.error?.code]).toEqual([403, 'SELF_PROTECTION']);
      }
      expect((await admin.get('/api/users/not-an-id')).status).toBe(400);
    });

    it('two-factor: enrol and confirm, sign in with a code step, an admin reset (audited) makes sign-in one step again', async () => {
      const { client, email: address, id } = await customer();
      const { secret } = (await client.post('/api/auth/two-factor/enrol', { password: PASSWORD })).body;
      const code = (offset = 0): string => hotp(base32Decode(secret)!, totpStep(new Date()) + offset);
      const confirmed = await client.post('/api/auth/two-factor/confirm', { code: code() });
      expect(confirmed.body.recoveryCodes).toHaveLength(10);
      const fresh = new Client(app.url);
      const first = await fresh.post('/api/auth/login', { email: address, password: PASSWORD });
      expect([first.status, first.body.error.code]).toEqual([401, 'TWO_FACTOR_REQUIRED']);
      expect(fresh.hasSession()).toBe(false);
      const second = await fresh.post('/api/auth/login/two-factor', { challenge: first.body.error.challenge, code: confirmed.body.recoveryCodes[0] });
      expect(second.status).toBe(200);
      expect((await fresh.get('/api/auth/me')).body.user.id).toBe(id);
      expect((await admin.post(`/api/users/${id}/two-factor/reset`)).status).toBe(204);
      expect((await new Client(app.url).post('/api/auth/login', { email: address, password: PASSWORD })).status).toBe(200);
      const log = await admin.get(`/api/users/${id}/activity?action=two_factor.`);
      expect(log.body.items.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['two_factor.enabled', 'two_factor.reset']));
    });

    it('orders: orders:view:own sees its own, orders:view sees all, anonymous gets 401', async () => {
      const a = await customer();
      const b = await customer();
      const mine = await a.client.post('/api/orders', { item: 'Café', quantity: 2 });
      expect(mine.body.order).toMatchObject({ ownerId: a.id, item: 'Café', quantity: 2 });
      await b.client.post('/api/orders', { item: 'Té', quantity: 1 });
      const own = await a.client.get('/api/orders');
      expect(own.body.items.every((order: { ownerId: string }) => order.ownerId === a.id)).toBe(true);
      const all = await admin.get('/api/orders');
      expect(all.body.items.some((order: { ownerId: string }) => order.ownerId === b.id)).toBe(true);
      expect(all.body.items.some((order: { ownerId: string }) => order.ownerId === a.id)).toBe(true);
      expect((await new Client(app.url).get('/api/orders')).status).toBe(401);
      expect((await a.client.post('/api/orders', { item: '', quantity: 0 })).status).toBe(400);
    });
  });
}

/** Approval mode: new users wait for an administrator. */
export function approvalSuite(kind: AppKind): void {
  describe(`the ${kind} example app with REQUIRE_APPROVAL=true`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await startApp(kind, { REQUIRE_APPROVAL: 'true' });
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('a new user is pending until approved', async () => {
      const admin = new Client(app.url);
      await admin.post('/api/auth/login', ADMIN);
      const client = new Client(app.url);
      const address = email('waiting');
      const { body } = await client.post('/api/auth/register', { email: address, password: PASSWORD, name: 'Espera' });
      expect(body.user.status).toBe('pending');
      const mails = (await client.get('/api/dev/outbox')).body as { to: string; key: string }[];
      await client.post('/api/auth/activate', { key: mails.filter((m) => m.to === address).at(-1)!.key });
      expect((await client.post('/api/auth/login', { email: address, password: PASSWORD })).body.error.code).toBe('ACCOUNT_PENDING');
      expect((await admin.get('/api/users?status=pending')).body.items.map((u: { email: string }) => u.email)).toContain(address);
      expect((await admin.post(`/api/users/${body.user.id}/approve`)).body.user.status).toBe('active');
      expect((await client.post('/api/auth/login', { email: address, password: PASSWORD })).status).toBe(200);
    });
  });
}
