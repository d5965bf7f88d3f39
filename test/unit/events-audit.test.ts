import { describe, expect, it } from 'vitest';
import { isAuthError, type AuthEventName } from 'gatehouse';
import { PASSWORD, uniqueEmail } from '../support/harness.js';
import { member, nextRequest, shop } from '../support/shop.js';

const rejects = (code: string) => (e: unknown) => isAuthError(e, code as never);
const DAY = 86_400;

describe('events', () => {
  it('a failing in-transaction listener rolls the whole change back', async () => {
    const h = await shop();
    const target = await member(h, ['customer']);
    const mails = h.mailer.outbox.length;
    h.auth.events.on(
      'user.statusChanged',
      () => {
        throw new Error('the customers table refused');
      },
      { phase: 'transaction' },
    );
    await expect(h.auth.users.block(h.auth.system, target.user.id, { reason: 'x' })).rejects.toThrow('the customers table refused');
    expect((await h.auth.users.get(h.auth.system, target.user.id)).user.status).toBe('active');
    expect(await nextRequest(h, target.token)).not.toBeNull();
    expect((await h.auth.audit.query(h.auth.system, { action: 'user.blocked' })).total).toBe(0);
    await h.auth.drain();
    expect(h.mailer.outbox.length).toBe(mails);
  });

  it('an in-transaction listener writes atomically with the change through the store it is given', async () => {
    const h = await shop();
    const target = await member(h, ['customer']);
    h.auth.events.on(
      'user.statusChanged',
      async ({ user, after }, { store }) => {
        await store.updateUser(user.id, { attributes: { customerActive: after === 'active' }, updatedAt: h.clock.now() });
      },
      { phase: 'transaction' },
    );
    await h.auth.users.toggle(h.auth.system, target.user.id);
    expect((await h.auth.users.get(h.auth.system, target.user.id)).user.attributes).toEqual({ customerActive: false });
  });

  it('after-commit listeners hear every state change; their failure undoes nothing and is reported', async () => {
    const reported: string[] = [];
    const h = await shop({ registration: { requireApproval: true }, onError: (_e, { operation }) => reported.push(operation) });
    const heard: AuthEventName[] = [];
    const names: AuthEventName[] = [
      'user.registered',
      'user.activated',
      'user.approved',
      'user.statusChanged',
      'user.blocked',
      'user.rolesChanged',
      'user.passwordChanged',
      'user.passwordReset',
    ];
    for (const name of names) h.auth.events.on(name, () => void heard.push(name));
    h.auth.events.on('user.approved', () => {
      throw new Error('notification service down');
    });
    const email = uniqueEmail();
    const { user } = await h.auth.accounts.register({ email, password: PASSWORD, name: 'Eve' });
    await h.auth.accounts.activate({ key: h.mailer.last({ to: email, kind: 'activation' })!.key! });
    await h.auth.users.approve(h.auth.system, user.id);
    await h.auth.users.setRoles(h.auth.system, user.id, [{ code: 'seller' }]);
    const login = await h.auth.sessions.login({ email, password: PASSWORD });
    const ctx = await h.auth.sessions.validate(login.token);
    await h.auth.passwords.change(ctx, { currentPassword: PASSWORD, newPassword: 'Otra-Clave-Segura-1' });
    await h.auth.passwords.requestReset({ email });
    await h.auth.drain();
    await h.auth.passwords.reset({ key: h.mailer.last({ to: email, kind: 'password-reset' })!.key!, password: 'Tercera-Clave-Segura-2' });
    await h.auth.users.block(h.auth.system, user.id, { reason: 'x' });
    expect(new Set(heard)).toEqual(new Set(names));
    expect(reported).toEqual(['event user.approved']);
    expect((await h.auth.users.get(h.auth.system, user.id)).user.status).toBe('blocked');
  });
});

describe('audit', () => {
  it('query() filters by subject, actor, action prefix and time range, newest first, with the total', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    const a = await member(h, ['customer']);
    const b = await member(h, ['customer']);
    h.clock.advance(1);
    const start = h.clock.now();
    h.clock.advance(10);
    await h.auth.users.block(admin.context, a.user.id, { reason: 'one' });
    h.clock.advance(10);
    await h.auth.users.block(admin.context, b.user.id, { reason: 'two' });
    h.clock.advance(10);
    await h.auth.users.unblock(admin.context, a.user.id);
    const bySubject = await h.auth.audit.query(admin.context, { subjectId: a.user.id, action: 'user.' });
    expect(bySubject.items.map((entry) => entry.action).slice(0, 2)).toEqual(['user.unblocked', 'user.blocked']);
    const byActor = await h.auth.audit.query(admin.context, { actorId: admin.user.id, from: start });
    expect(byActor.items.map((entry) => entry.action)).toEqual(['user.unblocked', 'user.blocked', 'user.blocked']);
    const window = await h.auth.audit.query(admin.context, { from: new Date(start.getTime() + 15_000), to: new Date(start.getTime() + 25_000) });
    expect(window.items.map((entry) => entry.metadata['reason'])).toEqual(['two']);
    const paged = await h.auth.audit.query(admin.context, { actorId: admin.user.id, from: start, pageSize: 2, page: 2 });
    expect(paged).toMatchObject({ total: 3, items: [{ action: 'user.blocked', subjectId: a.user.id }] });
    expect(byActor.items[0]).toMatchObject({ ip: null, actorId: admin.user.id });
  });

  it('query() needs audit:view and validates its filters', async () => {
    const h = await shop();
    const customer = await member(h, ['customer']);
    await expect(h.auth.audit.query(customer.context, {})).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.audit.query(h.auth.system, { subjectId: "1' OR 1=1" })).rejects.toSatisfy(rejects('VALIDATION_FAILED'));
    await expect(h.auth.audit.query(h.auth.system, { from: 'yesterday' })).rejects.toSatisfy(rejects('VALIDATION_FAILED'));
  });

  it('records the ip and user agent of the acting request', async () => {
    const h = await shop();
    const email = uniqueEmail('admin');
    await h.auth.users.create(h.auth.system, { email, name: 'Admin', password: PASSWORD, roles: [{ code: 'admin' }], emailVerified: true, mustChangePassword: false });
    const login = await h.auth.sessions.login({ email, password: PASSWORD }, { ip: '198.51.100.7', userAgent: 'AdminBrowser/1' });
    const ctx = await h.auth.sessions.validate(login.token, { ip: '198.51.100.7', userAgent: 'AdminBrowser/1' });
    const target = await member(h, ['customer']);
    await h.auth.users.block(ctx, target.user.id, { reason: 'spam' });
    const [entry] = (await h.auth.audit.query(ctx, { action: 'user.blocked' })).items;
    expect(entry).toMatchObject({ ip: '198.51.100.7', userAgent: 'AdminBrowser/1' });
  });

  it('recordRefusal() logs who was refused what, from which client, at most once per actor, refusal and minute', async () => {
    const h = await shop();
    const customer = await member(h, ['customer']);
    const client = { ip: '198.51.100.9', userAgent: 'Prober/1' };
    const refusal = { kind: 'forbidden', permission: 'users:view', route: 'GET /api/users' } as const;
    expect(h.auth.audit.recordRefusal(customer.context, refusal, client)).toBe(true);
    expect(h.auth.audit.recordRefusal(customer.context, refusal, client)).toBe(false);
    expect(h.auth.audit.recordRefusal(customer.context, { ...refusal, permission: 'users:edit' }, client)).toBe(true);
    // Anonymous clients are told apart by their address (IPv6 by /64).
    const anonymous = { kind: 'cross-origin', route: 'POST /login', origin: 'https://evil.example' } as const;
    expect(h.auth.audit.recordRefusal(null, anonymous, { ip: '2001:db8::1' })).toBe(true);
    expect(h.auth.audit.recordRefusal(null, anonymous, { ip: '2001:db8::2' })).toBe(false);
    expect(h.auth.audit.recordRefusal(null, anonymous, { ip: '203.0.113.1' })).toBe(true);
    await h.auth.drain();
    const denied = (await h.auth.audit.query(h.auth.system, { action: 'access.denied' })).items;
    expect(denied.map((entry) => entry.metadata['permission']).sort()).toEqual(['users:edit', 'users:view']);
    expect(denied[0]).toMatchObject({ subjectId: customer.user.id, actorId: customer.user.id, ip: '198.51.100.9', userAgent: 'Prober/1' });
    const crossOrigin = (await h.auth.audit.query(h.auth.system, { action: 'access.cross_origin_refused' })).items;
    expect(crossOrigin.map((entry) => [entry.actorId, entry.ip, entry.metadata])).toEqual([
      [null, '203.0.113.1', { route: 'POST /login', origin: 'https://evil.example' }],
      [null, '2001:db8::1', { route: 'POST /login', origin: 'https://evil.example' }],
    ]);
    h.clock.advance(60);
    expect(h.auth.audit.recordRefusal(customer.context, refusal, client)).toBe(true);
  });

  it('recordRefusal() stores what a request sent as printable text of bounded length, and refuses a malformed refusal', async () => {
    const h = await shop();
    h.auth.audit.recordRefusal(null, { kind: 'cross-origin', route: `POST /x\r\nSet-Cookie: a\u0000${'y'.repeat(500)}`, origin: 'https://é.example' }, { ip: '203.0.113.2' });
    await h.auth.drain();
    const [entry] = (await h.auth.audit.query(h.auth.system, { action: 'access.cross_origin_refused' })).items;
    expect(entry!.metadata['route']).toBe(`POST /x??Set-Cookie: a?${'y'.repeat(500)}`.slice(0, 200));
    expect(entry!.metadata['route']).toHaveLength(200);
    expect(entry!.metadata['origin']).toBe('https://?.example');
    for (const bad of [{ kind: 'other' }, { kind: 'forbidden', permission: 42 }, null, 'forbidden']) {
      expect(() => h.auth.audit.recordRefusal(null, bad as never)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });

  it('purge() deletes entries older than the retention age and logs itself', async () => {
    const h = await shop();
    await member(h, ['customer']);
    const old = (await h.auth.audit.query(h.auth.system, {})).total;
    h.clock.advance(40 * DAY);
    await member(h, ['customer']);
    const deleted = await h.auth.audit.purge(h.auth.system, { olderThan: 30 * DAY });
    expect(deleted).toBe(old);
    const left = await h.auth.audit.query(h.auth.system, { pageSize: 100 });
    expect(left.items.every((entry) => entry.createdAt.getTime() >= h.clock.now().getTime() - 30 * DAY * 1000)).toBe(true);
    expect(left.items[0]?.action).toBe('audit.purged');
    await expect(h.auth.audit.purge(h.auth.system, { olderThan: 60 })).rejects.toSatisfy(rejects('VALIDATION_FAILED'));
    const moderator = await member(h, ['moderator']);
    await expect(h.auth.audit.purge(moderator.context, { olderThan: 30 * DAY })).rejects.toSatisfy(rejects('FORBIDDEN'));
  });
});
