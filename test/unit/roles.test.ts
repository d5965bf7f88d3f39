import { describe, expect, it } from 'vitest';
import { ecommercePreset, isAuthError } from 'gatehouse';
import { harness } from '../support/harness.js';
import { member, shop } from '../support/shop.js';

const rejects = (code: string) => (e: unknown) => isAuthError(e, code as never);

describe('roles.seed() with the e-commerce preset', () => {
  it('creates the five roles by level and the 21 permissions, with the admin on * and the customer on own orders and products', async () => {
    const h = harness();
    const result = await h.auth.roles.seed(h.auth.system, ecommercePreset);
    const roles = await h.store.listRoles();
    expect(roles.map((role) => [role.code, role.level])).toEqual([
      ['admin', 50],
      ['moderator', 30],
      ['content_manager', 25],
      ['seller', 20],
      ['customer', 10],
    ]);
    const named = [
      'users:view', 'users:create', 'users:edit', 'users:delete', 'users:block',
      'orders:view:own', 'orders:view', 'orders:edit', 'orders:cancel',
      'products:view', 'products:create', 'products:edit', 'products:delete',
      'roles:view', 'roles:edit', 'roles:assign', 'reports:view', 'reports:export',
      'config:view', 'config:edit', 'audit:view',
    ];
    expect(named).toHaveLength(21);
    const codes = (await h.store.listPermissions()).map((permission) => permission.code);
    for (const code of named) expect(codes, code).toContain(code);
    // The wildcards granted by the preset get rows of their own, and nothing else is invented.
    expect(codes.filter((code) => !named.includes(code)).sort()).toEqual(['*', 'products:*']);
    expect(await h.store.listRolePermissions('admin')).toEqual(['*']);
    expect(await h.store.listRolePermissions('customer')).toEqual(['orders:view:own', 'products:view']);
    expect(result).toEqual({ rolesCreated: 5, permissionsCreated: 23, grantsAdded: expect.any(Number) as number });
  });

  it('is idempotent: a second run adds nothing and logs nothing', async () => {
    const h = harness();
    await h.auth.roles.seed(h.auth.system, ecommercePreset);
    const activities = (await h.store.listActivities({ offset: 0, limit: 100 })).total;
    const grants = await Promise.all((await h.store.listRoles()).map((role) => h.store.listRolePermissions(role.code)));
    expect(await h.auth.roles.seed(h.auth.system, ecommercePreset)).toEqual({ rolesCreated: 0, permissionsCreated: 0, grantsAdded: 0 });
    expect((await h.store.listActivities({ offset: 0, limit: 100 })).total).toBe(activities);
    expect(await Promise.all((await h.store.listRoles()).map((role) => h.store.listRolePermissions(role.code)))).toEqual(grants);
  });

  it("keeps an administrator's changes to seeded roles when seeding again", async () => {
    const h = harness();
    await h.auth.roles.seed(h.auth.system, ecommercePreset);
    await h.auth.roles.updateRole(h.auth.system, 'seller', { name: 'Vendedor' });
    await h.auth.roles.seed(h.auth.system, ecommercePreset);
    expect((await h.store.findRole('seller'))?.name).toBe('Vendedor');
  });

  it('only the system or a holder of * may seed', async () => {
    const h = await shop();
    const moderator = await member(h, ['moderator']);
    await expect(h.auth.roles.seed(moderator.context, ecommercePreset)).rejects.toSatisfy(rejects('FORBIDDEN'));
    const admin = await member(h, ['admin']);
    await expect(h.auth.roles.seed(admin.context, ecommercePreset)).resolves.toEqual({ rolesCreated: 0, permissionsCreated: 0, grantsAdded: 0 });
  });
});

describe('role and permission management', () => {
  it('creates a role with permissions and logs it', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    const { role, permissions } = await h.auth.roles.createRole(admin.context, {
      code: 'support',
      name: 'Support',
      level: 15,
      permissions: ['users:view', 'orders:view'],
    });
    expect(role).toMatchObject({ code: 'support', level: 15, active: true });
    expect(permissions).toEqual(['orders:view', 'users:view']);
    const log = await h.auth.audit.query(admin.context, { action: 'role.created' });
    expect(log.items[0]).toMatchObject({ actorId: admin.user.id, metadata: { role: 'support', after: { level: 15, permissions: ['users:view', 'orders:view'] } } });
  });

  it('refuses a duplicate code (CONFLICT) and an unknown permission (VALIDATION_FAILED), storing nothing', async () => {
    const h = await shop();
    await expect(h.auth.roles.createRole(h.auth.system, { code: 'seller', name: 'Again', level: 1 })).rejects.toSatisfy(rejects('CONFLICT'));
    await expect(
      h.auth.roles.createRole(h.auth.system, { code: 'ghost', name: 'Ghost', level: 1, permissions: ['products:view', 'ghosts:haunt'] }),
    ).rejects.toSatisfy((e: unknown) => isAuthError(e, 'VALIDATION_FAILED') && e.issues?.[0]?.path.join('.') === 'permissions.1');
    expect(await h.store.findRole('ghost')).toBeNull();
    await expect(h.auth.roles.createRole(h.auth.system, { code: 'Bad Code', name: 'x', level: -1 })).rejects.toSatisfy(rejects('VALIDATION_FAILED'));
  });

  it('nobody creates, raises or edits a role above their own level', async () => {
    const h = await shop();
    await h.auth.roles.createRole(h.auth.system, { code: 'role_admin', name: 'Role admin', level: 30, permissions: ['roles:edit', 'roles:view'] });
    const editor = await member(h, ['role_admin']);
    await expect(h.auth.roles.createRole(editor.context, { code: 'boss', name: 'Boss', level: 31 })).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.roles.updateRole(editor.context, 'seller', { level: 60 })).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.roles.updateRole(editor.context, 'admin', { name: 'Mine now' })).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.roles.grantPermission(editor.context, 'admin', 'products:view')).rejects.toSatisfy(rejects('FORBIDDEN'));
    expect((await h.store.findRole('admin'))?.name).toBe('Administrator');
    // At or below their level is fine.
    await expect(h.auth.roles.updateRole(editor.context, 'seller', { level: 22 })).resolves.toMatchObject({ level: 22 });
  });

  it('needs roles:edit to change and roles:view to read', async () => {
    const h = await shop();
    const customer = await member(h, ['customer']);
    await expect(h.auth.roles.listRoles(customer.context)).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.roles.grantPermission(customer.context, 'customer', 'users:view')).rejects.toSatisfy(rejects('FORBIDDEN'));
    await expect(h.auth.roles.listRoles(null)).rejects.toSatisfy(rejects('UNAUTHENTICATED'));
    const moderator = await member(h, ['moderator']);
    expect((await h.auth.roles.listRoles(moderator.context)).length).toBe(5);
    expect((await h.auth.roles.getRole(moderator.context, 'customer')).permissions).toEqual(['orders:view:own', 'products:view']);
  });

  it('logs grants and revocations with the permission list before and after', async () => {
    const h = await shop();
    await h.auth.roles.grantPermission(h.auth.system, 'customer', 'reports:view');
    await h.auth.roles.grantPermission(h.auth.system, 'customer', 'reports:view'); // no-op, not logged
    await h.auth.roles.revokePermission(h.auth.system, 'customer', 'reports:view');
    const log = await h.auth.audit.query(h.auth.system, { action: 'role.' });
    expect(log.items.map((entry) => entry.action)).toEqual(['role.permission_revoked', 'role.permission_granted']);
    expect(log.items[1]?.metadata).toMatchObject({
      before: { permissions: ['orders:view:own', 'products:view'] },
      after: { permissions: ['orders:view:own', 'products:view', 'reports:view'] },
    });
  });

  it('creates and renames permissions; a new permission can be granted at once', async () => {
    const h = await shop();
    await h.auth.roles.createPermission(h.auth.system, { code: 'coupons:create', name: 'Create coupons' });
    await expect(h.auth.roles.createPermission(h.auth.system, { code: 'coupons:create', name: 'Again' })).rejects.toSatisfy(rejects('CONFLICT'));
    await h.auth.roles.grantPermission(h.auth.system, 'seller', 'coupons:create');
    const seller = await member(h, ['seller']);
    expect(h.auth.access.can(seller.context, 'coupons:create')).toBe(true);
    await expect(h.auth.roles.updatePermission(h.auth.system, 'coupons:delete', { name: 'x' })).rejects.toSatisfy(rejects('NOT_FOUND'));
    await expect(h.auth.roles.grantPermission(h.auth.system, 'seller', 'coupons:delete')).rejects.toSatisfy(rejects('NOT_FOUND'));
    await expect(h.auth.roles.grantPermission(h.auth.system, 'ghost', 'coupons:create')).rejects.toSatisfy(rejects('NOT_FOUND'));
    expect((await h.auth.audit.query(h.auth.system, { action: 'role.permission_granted' })).total).toBe(1);
  });
});
