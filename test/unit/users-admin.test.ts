import { describe, expect, it } from 'vitest';
import { isAuthError } from 'gatehouse';
import { PASSWORD, signIn, uniqueEmail } from '../support/harness.js';
import { member, nextRequest, shop } from '../support/shop.js';

const rejects = (code: string) => (e: unknown) => isAuthError(e, code as never);
const DAY = 86_400;

describe('users.list() and users.get()', () => {
  it('filters by status, role and text, pages stably newest first, and counts the total', async () => {
    const h = await shop();
    const ana = await member(h, ['customer'], 'Ana Gómez');
    h.clock.advance(1);
    const bob = await member(h, ['seller'], 'Bob Vendedor');
    h.clock.advance(1);
    const cid = await member(h, ['customer'], 'Cid');
    await h.auth.users.block(h.auth.system, cid.user.id, { reason: 'fraude' });
    const all = await h.auth.users.list(h.auth.system, { pageSize: 2 });
    expect(all.total).toBe(3);
    expect(all.items.map((user) => user.id)).toEqual([cid.user.id, bob.user.id]);
    const second = await h.auth.users.list(h.auth.system, { page: 2, pageSize: 2 });
    expect(second.items.map((user) => user.id)).toEqual([ana.user.id]);
    expect((await h.auth.users.list(h.auth.system, { status: 'blocked' })).items.map((user) => user.id)).toEqual([cid.user.id]);
    expect((await h.auth.users.list(h.auth.system, { role: 'customer' })).total).toBe(2);
    expect((await h.auth.users.list(h.auth.system, { q: 'GÓMEZ' })).items.map((user) => user.id)).toEqual([ana.user.id]);
    expect((await h.auth.users.list(h.auth.system, { q: ana.user.email.split('@')[0] })).items.map((user) => user.id)).toEqual([ana.user.id]);
    expect(all.items[0]).not.toHaveProperty('passwordHash');
  });

  it("lists oldest first with order: 'oldest', by page and by cursor; a cursor of one order is refused by the other", async () => {
    const h = await shop();
    const made = [];
    for (const name of ['Ana', 'Bob', 'Cid', 'Dee', 'Eva']) {
      made.push((await member(h, ['customer'], name)).user.id);
      h.clock.advance(1);
    }
    const oldest = await h.auth.users.list(h.auth.system, { order: 'oldest', pageSize: 2 });
    expect([oldest.items.map((user) => user.id), oldest.total]).toEqual([made.slice(0, 2), 5]);
    expect((await h.auth.users.list(h.auth.system, { order: 'oldest', pageSize: 2, page: 3 })).items.map((user) => user.id)).toEqual([made[4]]);
    const next = await h.auth.users.list(h.auth.system, { order: 'oldest', pageSize: 2, cursor: oldest.nextCursor! });
    expect(next.items.map((user) => user.id)).toEqual(made.slice(2, 4));
    const newest = await h.auth.users.list(h.auth.system, { pageSize: 2 });
    expect(newest.items.map((user) => user.id)).toEqual([made[4], made[3]]);
    expect((await h.auth.users.list(h.auth.system, { order: 'newest', pageSize: 2, cursor: newest.nextCursor! })).items.map((user) => user.id)).toEqual([made[2], made[1]]);
    for (const bad of [{ order: 'oldest', cursor: newest.nextCursor }, { cursor: oldest.nextCursor }, { order: 'sideways' }, { order: ['oldest'] }, { order: 1 }, { order: {} }, { order: null }, { order: 'oldest\u0000' }, { order: '\ud800' }]) {
      const error = await h.auth.users.list(h.auth.system, bad as never).catch((e: unknown) => e);
      expect(isAuthError(error, 'VALIDATION_FAILED'), JSON.stringify(bad)).toBe(true);
    }
  });

  it('accepts query-string paging and refuses nonsense with VALIDATION_FAILED', async () => {
    const h = await shop();
    await member(h, ['customer']);
    expect((await h.auth.users.list(h.auth.system, { page: '1', pageSize: '10' })).total).toBe(1);
    for (const bad of [{ page: 0 }, { pageSize: 1000 }, { status: 'gone' }, { role: 'DROP TABLE' }]) {
      await expect(h.auth.users.list(h.auth.system, bad as never), JSON.stringify(bad)).rejects.toSatisfy(rejects('VALIDATION_FAILED'));
    }
  });

  it('get() returns roles, assignments and effective permissions', async () => {
    const h = await shop();
    const { user } = await member(h, ['seller', 'customer']);
    const details = await h.auth.users.get(h.auth.system, user.id);
    expect(details.roles.map((role) => role.code)).toEqual(['seller', 'customer']);
    expect(details.level).toBe(20);
    expect(details.permissions).toContain('products:edit');
    expect(details.permissions).toContain('orders:view:own');
    expect(details.assignments).toHaveLength(2);
    await expect(h.auth.users.get(h.auth.system, '0190a0b0-0000-7000-8000-000000000000')).rejects.toSatisfy(rejects('NOT_FOUND'));
    await expect(h.auth.users.get(h.auth.system, 'not-an-id')).rejects.toSatisfy(rejects('VALIDATION_FAILED'));
  });

  it('needs users:view', async () => {
    const h = await shop();
    const customer = await member(h, ['customer']);
    await expect(h.auth.users.list(customer.context)).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.users.get(customer.context, customer.user.id)).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.users.list(null)).rejects.toSatisfy(rejects('UNAUTHENTICATED'));
  });
});

describe('users.create() and users.edit()', () => {
  it('creates a user with roles, mails an activation key, and asks for a new password at first sign-in', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    const email = uniqueEmail('new');
    const { user, roles } = await h.auth.users.create(admin.context, { email, name: 'Nuevo', password: 'Temporal-2026!', roles: [{ code: 'seller' }] });
    expect(user).toMatchObject({ status: 'active', emailVerifiedAt: null, mustChangePassword: true });
    expect(roles.map((role) => role.code)).toEqual(['seller']);
    expect(h.mailer.last({ to: email, kind: 'activation' })?.key).toEqual(expect.any(String));
    const [entry] = (await h.auth.audit.query(admin.context, { subjectId: user.id, action: 'user.created' })).items;
    expect(entry).toMatchObject({ actorId: admin.user.id, metadata: { after: { email, roles: ['seller'] } } });
  });

  it('refuses a taken email, a role above the actor, and an unknown role, storing nothing', async () => {
    const h = await shop();
    await h.auth.roles.createRole(h.auth.system, { code: 'hr', name: 'HR', level: 30, permissions: ['users:create', 'users:view', 'roles:assign'] });
    const hr = await member(h, ['hr']);
    const before = (await h.auth.users.list(h.auth.system)).total;
    await expect(h.auth.users.create(hr.context, { email: hr.user.email.toUpperCase(), name: 'x', password: 'Temporal-2026!' })).rejects.toSatisfy(rejects('EMAIL_TAKEN'));
    await expect(h.auth.users.create(hr.context, { email: uniqueEmail(), name: 'x', password: 'Temporal-2026!', roles: [{ code: 'admin' }] })).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.users.create(hr.context, { email: uniqueEmail(), name: 'x', password: 'Temporal-2026!', roles: [{ code: 'wizard' }] })).rejects.toSatisfy(rejects('VALIDATION_FAILED'));
    await expect(h.auth.users.create(hr.context, { email: uniqueEmail(), name: 'x', password: 'password' })).rejects.toSatisfy(rejects('WEAK_PASSWORD'));
    expect((await h.auth.users.list(h.auth.system)).total).toBe(before);
  });

  it('edit() changes fields with a before/after audit entry', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    const { user } = await member(h, ['customer'], 'Old Name');
    const edited = await h.auth.users.edit(admin.context, user.id, { name: 'New Name' });
    expect(edited.name).toBe('New Name');
    const [entry] = (await h.auth.audit.query(admin.context, { subjectId: user.id, action: 'user.updated' })).items;
    expect(entry).toMatchObject({ actorId: admin.user.id, metadata: { before: { name: 'Old Name' }, after: { name: 'New Name' }, passwordChanged: false } });
  });

  it('edit() with a password ends the sessions and forces a change; the old password stops working', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    const target = await member(h, ['customer']);
    await h.auth.users.edit(admin.context, target.user.id, { password: 'Nueva-Clave-2026' });
    expect(await nextRequest(h, target.token)).toBeNull();
    await expect(h.auth.sessions.login({ email: target.user.email, password: PASSWORD })).rejects.toSatisfy(rejects('INVALID_CREDENTIALS'));
    const login = await h.auth.sessions.login({ email: target.user.email, password: 'Nueva-Clave-2026' });
    expect(login.mustChangePassword).toBe(true);
  });

  it('edit() of the email makes it unverified and mails an activation key to the new address', async () => {
    const h = await shop();
    const target = await member(h, ['customer']);
    const email = uniqueEmail('moved');
    const user = await h.auth.users.edit(h.auth.system, target.user.id, { email: email.toUpperCase() });
    expect(user).toMatchObject({ email, emailVerifiedAt: null });
    const key = h.mailer.last({ to: email, kind: 'activation' })?.key;
    await h.auth.accounts.activate({ key: key! });
    expect((await h.auth.users.get(h.auth.system, user.id)).user.emailVerifiedAt).not.toBeNull();
  });
});

describe('status changes', () => {
  it('approve() moves a pending user to active and mails them; approving again is a CONFLICT', async () => {
    const h = await shop({ registration: { requireApproval: true } });
    const admin = await member(h, ['admin']);
    const { user } = await h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Waiting' });
    expect(user.status).toBe('pending');
    const approved = await h.auth.users.approve(admin.context, user.id);
    expect(approved.status).toBe('active');
    expect(h.mailer.last({ to: user.email, kind: 'account-approved' })).toBeDefined();
    await expect(h.auth.users.approve(admin.context, user.id)).rejects.toSatisfy(rejects('CONFLICT'));
  });

  it('toggle() switches active ⇄ inactive; switching off ends the sessions and refuses sign-in', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    const target = await member(h, ['customer']);
    expect((await h.auth.users.toggle(admin.context, target.user.id)).status).toBe('inactive');
    expect(await nextRequest(h, target.token)).toBeNull();
    await expect(h.auth.sessions.login({ email: target.user.email, password: PASSWORD })).rejects.toSatisfy(rejects('ACCOUNT_INACTIVE'));
    expect((await h.auth.users.toggle(admin.context, target.user.id)).status).toBe('active');
    await expect(h.auth.sessions.login({ email: target.user.email, password: PASSWORD })).resolves.toBeDefined();
    await h.auth.users.block(admin.context, target.user.id, { reason: 'x' });
    await expect(h.auth.users.toggle(admin.context, target.user.id)).rejects.toSatisfy(rejects('CONFLICT'));
  });

  it('block() with a reason and end date ends the sessions at once, mails the user, and lifts itself at the end date', async () => {
    const h = await shop();
    const moderator = await member(h, ['moderator']);
    const target = await member(h, ['customer']);
    const until = new Date(h.clock.now().getTime() + 2 * DAY * 1000);
    const blocked = await h.auth.users.block(moderator.context, target.user.id, { reason: 'Chargebacks', until });
    expect(blocked).toMatchObject({ status: 'blocked', statusReason: 'Chargebacks', statusUntil: until });
    expect(await nextRequest(h, target.token)).toBeNull();
    await expect(h.auth.sessions.login({ email: target.user.email, password: PASSWORD })).rejects.toSatisfy(rejects('ACCOUNT_BLOCKED'));
    const mail = h.mailer.last({ to: target.user.email, kind: 'account-blocked' });
    expect(mail?.text).toContain('Chargebacks');
    const [entry] = (await h.auth.audit.query(moderator.context, { subjectId: target.user.id, action: 'user.blocked' })).items;
    expect(entry).toMatchObject({
      actorId: moderator.user.id,
      metadata: {
        before: { status: 'active', statusReason: null },
        after: { status: 'blocked', statusReason: 'Chargebacks', statusUntil: until.toISOString() },
        reason: 'Chargebacks',
        sessionsRevoked: 1,
      },
    });
    h.clock.advance(2 * DAY + 1);
    await expect(h.auth.sessions.login({ email: target.user.email, password: PASSWORD })).resolves.toBeDefined();
  });

  it('block() refuses a blank reason or a past end date', async () => {
    const h = await shop();
    const target = await member(h, ['customer']);
    await expect(h.auth.users.block(h.auth.system, target.user.id, { reason: '   ' })).rejects.toSatisfy(rejects('VALIDATION_FAILED'));
    await expect(h.auth.users.block(h.auth.system, target.user.id, { reason: 'x', until: new Date(0) })).rejects.toSatisfy(rejects('VALIDATION_FAILED'));
    expect((await h.auth.users.get(h.auth.system, target.user.id)).user.status).toBe('active');
  });

  it('suspend() and unblock()', async () => {
    const h = await shop();
    const target = await member(h, ['customer']);
    await h.auth.users.suspend(h.auth.system, target.user.id, { reason: 'Review' });
    await expect(h.auth.sessions.login({ email: target.user.email, password: PASSWORD })).rejects.toSatisfy(rejects('ACCOUNT_SUSPENDED'));
    expect(await h.auth.users.unblock(h.auth.system, target.user.id)).toMatchObject({ status: 'active', statusReason: null, statusUntil: null });
    await expect(h.auth.users.unblock(h.auth.system, target.user.id)).rejects.toSatisfy(rejects('CONFLICT'));
  });

  it('delete() is soft: the account is inactive, its sessions end, its data and roles stay', async () => {
    const h = await shop();
    const target = await member(h, ['seller']);
    const deleted = await h.auth.users.delete(h.auth.system, target.user.id);
    expect(deleted).toMatchObject({ status: 'inactive', statusReason: 'deleted', email: target.user.email });
    expect(await nextRequest(h, target.token)).toBeNull();
    expect((await h.auth.users.get(h.auth.system, target.user.id)).assignments).toHaveLength(1);
  });

  it('erase() removes the user and their data; activity stays without the id', async () => {
    const h = await shop();
    const target = await member(h, ['customer']);
    await h.auth.users.erase(h.auth.system, target.user.id);
    await expect(h.auth.users.get(h.auth.system, target.user.id)).rejects.toSatisfy(rejects('NOT_FOUND'));
    expect((await h.auth.audit.query(h.auth.system, { subjectId: target.user.id })).total).toBe(0);
    expect((await h.auth.audit.query(h.auth.system, { action: 'user.erased' })).items[0]?.metadata).toEqual({ userId: target.user.id });
  });

  it('forcePasswordChange() flags the next sign-in', async () => {
    const h = await shop();
    const target = await member(h, ['customer']);
    await h.auth.users.forcePasswordChange(h.auth.system, target.user.id);
    expect((await h.auth.sessions.login({ email: target.user.email, password: PASSWORD })).mustChangePassword).toBe(true);
  });

  it('revokeSessions() signs a user out everywhere, logs it, and keeps to the guard rails', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    const target = await member(h, ['customer']);
    const other = await signIn(h, target.user.email);
    expect(await nextRequest(h, other.token)).not.toBeNull();
    expect(await h.auth.users.revokeSessions(h.auth.system, target.user.id)).toBe(2);
    expect(await nextRequest(h, target.token)).toBeNull();
    expect(await nextRequest(h, other.token)).toBeNull();
    expect((await h.auth.users.get(h.auth.system, target.user.id)).user.status).toBe('active');
    const [entry] = (await h.auth.audit.query(h.auth.system, { subjectId: target.user.id, action: 'user.sessions_revoked' })).items;
    expect(entry).toMatchObject({ actorId: null, metadata: { sessionsRevoked: 2 } });
    expect(await h.auth.users.revokeSessions(admin.context, target.user.id)).toBe(0);
    // Not on oneself, nor on a peer, nor without users:block.
    await expect(h.auth.users.revokeSessions(admin.context, admin.user.id)).rejects.toSatisfy(rejects('SELF_PROTECTION'));
    const peer = await member(h, ['admin']);
    await expect(h.auth.users.revokeSessions(admin.context, peer.user.id)).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.users.revokeSessions(target.context, admin.user.id)).rejects.toSatisfy(rejects('FORBIDDEN'));
    expect(await nextRequest(h, peer.token)).not.toBeNull();
  });

  it('revokeSessions() signs the user out everywhere, keeps the status, and logs the actor', async () => {
    const h = await shop();
    const moderator = await member(h, ['moderator']);
    const target = await member(h, ['customer']);
    const second = await signIn(h, target.user.email);
    expect(await h.auth.users.revokeSessions(moderator.context, target.user.id)).toBe(2);
    expect(await nextRequest(h, target.token)).toBeNull();
    expect(await nextRequest(h, second.token)).toBeNull();
    expect((await h.auth.users.get(h.auth.system, target.user.id)).user.status).toBe('active');
    const [entry] = (await h.auth.audit.query(h.auth.system, { subjectId: target.user.id, action: 'user.sessions_revoked' })).items;
    expect(entry).toMatchObject({ actorId: moderator.user.id, metadata: { sessionsRevoked: 2 } });
    // Guard rails: not one's own sessions, nobody at or above one's level, and only with users:block.
    await expect(h.auth.users.revokeSessions(moderator.context, moderator.user.id)).rejects.toSatisfy(rejects('SELF_PROTECTION'));
    const peer = await member(h, ['moderator']);
    await expect(h.auth.users.revokeSessions(moderator.context, peer.user.id)).rejects.toSatisfy(rejects('FORBIDDEN'));
    const seller = await member(h, ['seller']);
    await expect(h.auth.users.revokeSessions(seller.context, target.user.id)).rejects.toSatisfy(rejects('FORBIDDEN'));
    expect(await nextRequest(h, peer.token)).not.toBeNull();
  });

  it('summary() counts active sessions and days inactive', async () => {
    const h = await shop();
    const target = await member(h, ['customer']);
    await signIn(h, target.user.email);
    h.clock.advance(3 * DAY);
    const summary = await h.auth.users.summary(h.auth.system, target.user.id);
    expect(summary.activeSessions).toBe(0); // both sessions idled out after 30 minutes
    expect(summary.lastLoginAt).not.toBeNull();
    expect(summary.daysInactive).toBe(3);
    const fresh = await signIn(h, target.user.email);
    const now = await h.auth.users.summary(h.auth.system, target.user.id);
    expect(now).toMatchObject({ activeSessions: 1, daysInactive: 0 });
    expect(now.lastActivityAt?.getTime()).toBe(fresh.session.createdAt.getTime());
  });
});

describe('roles of a user', () => {
  it('setRoles() replaces the roles with expiry and assigner, and logs before/after', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    const target = await member(h, ['customer']);
    const until = new Date(h.clock.now().getTime() + DAY * 1000);
    const details = await h.auth.users.setRoles(admin.context, target.user.id, [{ code: 'seller', expiresAt: until }]);
    expect(details.roles.map((role) => role.code)).toEqual(['seller']);
    expect(details.assignments[0]).toMatchObject({ roleCode: 'seller', assignedBy: admin.user.id, expiresAt: until });
    const [entry] = (await h.auth.audit.query(admin.context, { subjectId: target.user.id, action: 'user.roles_changed' })).items;
    expect(entry?.metadata).toEqual({
      before: { roles: [{ code: 'customer', expiresAt: null }] },
      after: { roles: [{ code: 'seller', expiresAt: until.toISOString() }] },
    });
  });

  it('concurrent assignRole() calls on one user keep every role (read and write in one transaction)', async () => {
    const h = await shop();
    const target = await member(h, ['customer']);
    await Promise.all([
      h.auth.users.assignRole(h.auth.system, target.user.id, { code: 'seller' }),
      h.auth.users.assignRole(h.auth.system, target.user.id, { code: 'content_manager' }),
      h.auth.users.removeRole(h.auth.system, target.user.id, 'customer'),
    ]);
    expect((await h.auth.users.get(h.auth.system, target.user.id)).roles.map((r) => r.code)).toEqual(['content_manager', 'seller']);
  });

  it('removeRole() and assignRole() keep the other roles', async () => {
    const h = await shop();
    const target = await member(h, ['customer', 'seller']);
    expect((await h.auth.users.removeRole(h.auth.system, target.user.id, 'seller')).roles.map((r) => r.code)).toEqual(['customer']);
    expect((await h.auth.users.assignRole(h.auth.system, target.user.id, { code: 'moderator' })).roles.map((r) => r.code)).toEqual(['moderator', 'customer']);
  });
});

describe('guard rails', () => {
  it('an administrator cannot change their own status or delete themselves (SELF_PROTECTION)', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    const id = admin.user.id;
    await expect(h.auth.users.toggle(admin.context, id)).rejects.toSatisfy(rejects('SELF_PROTECTION'));
    await expect(h.auth.users.block(admin.context, id, { reason: 'oops' })).rejects.toSatisfy(rejects('SELF_PROTECTION'));
    await expect(h.auth.users.suspend(admin.context, id, { reason: 'oops' })).rejects.toSatisfy(rejects('SELF_PROTECTION'));
    await expect(h.auth.users.delete(admin.context, id)).rejects.toSatisfy(rejects('SELF_PROTECTION'));
    await expect(h.auth.users.erase(admin.context, id)).rejects.toSatisfy(rejects('SELF_PROTECTION'));
    expect((await nextRequest(h, admin.token))?.user.status).toBe('active');
  });

  it('an administrator cannot drop, or put an end date on, their own highest role — but may add a lower one', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    await expect(h.auth.users.setRoles(admin.context, admin.user.id, [{ code: 'customer' }])).rejects.toSatisfy(rejects('SELF_PROTECTION'));
    await expect(h.auth.users.removeRole(admin.context, admin.user.id, 'admin')).rejects.toSatisfy(rejects('SELF_PROTECTION'));
    await expect(
      h.auth.users.setRoles(admin.context, admin.user.id, [{ code: 'admin', expiresAt: new Date(h.clock.now().getTime() + 1000) }]),
    ).rejects.toSatisfy(rejects('SELF_PROTECTION'));
    const details = await h.auth.users.assignRole(admin.context, admin.user.id, { code: 'customer' });
    expect(details.roles.map((role) => role.code)).toEqual(['admin', 'customer']);
  });

  it('nobody acts on a user at or above their own level', async () => {
    const h = await shop();
    const moderator = await member(h, ['moderator']);
    const peer = await member(h, ['moderator']);
    const admin = await member(h, ['admin']);
    for (const target of [peer.user.id, admin.user.id]) {
      await expect(h.auth.users.block(moderator.context, target, { reason: 'coup' })).rejects.toSatisfy(rejects('FORBIDDEN'));
      await expect(h.auth.users.toggle(moderator.context, target)).rejects.toSatisfy(rejects('FORBIDDEN'));
      await expect(h.auth.users.edit(moderator.context, target, { name: 'Renamed' })).rejects.toSatisfy(rejects('FORBIDDEN'));
    }
    expect((await h.auth.users.get(h.auth.system, admin.user.id)).user).toMatchObject({ status: 'active', name: 'Member' });
  });

  it('nobody grants a role above their own level', async () => {
    const h = await shop();
    await h.auth.roles.grantPermission(h.auth.system, 'moderator', 'roles:assign');
    const moderator = await member(h, ['moderator']);
    const customer = await member(h, ['customer']);
    await expect(h.auth.users.assignRole(moderator.context, customer.user.id, { code: 'admin' })).rejects.toSatisfy(rejects('FORBIDDEN'));
    expect((await h.auth.users.get(h.auth.system, customer.user.id)).roles.map((role) => role.code)).toEqual(['customer']);
    const newcomer = await member(h, []);
    // customer carries orders:view:own and products:view, both held by a moderator (orders:view covers the :own grant).
    await expect(h.auth.users.assignRole(moderator.context, newcomer.user.id, { code: 'customer' })).resolves.toBeDefined();
  });

  it('each call needs its permission', async () => {
    const h = await shop();
    const seller = await member(h, ['seller']);
    const customer = await member(h, ['customer']);
    const id = customer.user.id;
    await expect(h.auth.users.block(seller.context, id, { reason: 'x' })).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.users.delete(seller.context, id)).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.users.setRoles(seller.context, id, [])).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.users.create(seller.context, { email: uniqueEmail(), name: 'x', password: 'Temporal-2026!' })).rejects.toSatisfy(rejects('FORBIDDEN'));
    const moderator = await member(h, ['moderator']);
    await expect(h.auth.users.setRoles(moderator.context, id, [])).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.users.block(moderator.context, id, { reason: 'spam' })).resolves.toMatchObject({ status: 'blocked' });
  });
});
