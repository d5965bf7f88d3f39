/** A role as a preset declares it. */
export interface PresetRole {
  /** The role's code. */
  readonly code: string;
  /** A human-readable name. */
  readonly name: string;
  /** What holders of the role do. */
  readonly description: string;
  /** The role's level. */
  readonly level: number;
  /** Codes of the permissions the role is granted (`*` and `module:*` allowed). */
  readonly permissions: readonly string[];
  /** `false`: the role is created switched off and grants nothing. @default true */
  readonly active?: boolean | undefined;
}

/** A permission as a preset declares it. */
export interface PresetPermission {
  /** `module:action` or `module:action:own`. */
  readonly code: string;
  /** A human-readable name. */
  readonly name: string;
  /** `false`: the permission is created switched off and no role's grant of it counts. @default true */
  readonly active?: boolean | undefined;
}

/** Roles, permissions and grants to seed a store with, see `auth.roles.seed()`. */
export interface Preset {
  /** The roles, with the permissions each is granted. */
  readonly roles: readonly PresetRole[];
  /** The permissions. */
  readonly permissions: readonly PresetPermission[];
}

const permissions: readonly PresetPermission[] = [
  { code: 'users:view', name: 'View users' },
  { code: 'users:create', name: 'Create users' },
  { code: 'users:edit', name: 'Edit, approve and switch users on or off' },
  { code: 'users:delete', name: 'Delete users' },
  { code: 'users:block', name: 'Block and suspend users' },
  { code: 'orders:view:own', name: 'View own orders' },
  { code: 'orders:view', name: 'View every order' },
  { code: 'orders:edit', name: 'Edit orders' },
  { code: 'orders:cancel', name: 'Cancel orders' },
  { code: 'products:view', name: 'View products' },
  { code: 'products:create', name: 'Create products' },
  { code: 'products:edit', name: 'Edit products' },
  { code: 'products:delete', name: 'Delete products' },
  { code: 'roles:view', name: 'View roles and permissions' },
  { code: 'roles:edit', name: 'Edit roles and permissions' },
  { code: 'roles:assign', name: 'Assign roles to users' },
  { code: 'reports:view', name: 'View reports' },
  { code: 'reports:export', name: 'Export reports' },
  { code: 'config:view', name: 'View settings' },
  { code: 'config:edit', name: 'Edit settings' },
  { code: 'audit:view', name: 'View the activity log' },
];

/**
 * The e-commerce preset: five roles by level (customer 10, seller 20, content manager 25,
 * moderator 30, admin 50) over 21 permissions on users, orders, products, roles, reports,
 * settings and the activity log. The admin holds `*`.
 */
export const ecommercePreset: Preset = Object.freeze({
  permissions,
  roles: [
    {
      code: 'customer',
      name: 'Customer',
      description: 'Buys in the shop and follows their own orders.',
      level: 10,
      permissions: ['orders:view:own', 'products:view'],
    },
    {
      code: 'seller',
      name: 'Seller',
      description: 'Manages the catalogue and the orders of the shop.',
      level: 20,
      permissions: ['products:view', 'products:create', 'products:edit', 'orders:view', 'orders:edit', 'reports:view'],
    },
    {
      code: 'content_manager',
      name: 'Content manager',
      description: 'Maintains the catalogue, including removals.',
      level: 25,
      permissions: ['products:*', 'orders:view:own'],
    },
    {
      code: 'moderator',
      name: 'Moderator',
      description: 'Looks after customers: views, blocks and reviews their activity.',
      level: 30,
      permissions: ['users:view', 'users:edit', 'users:block', 'orders:view', 'orders:cancel', 'products:view', 'reports:view', 'audit:view', 'roles:view'],
    },
    {
      code: 'admin',
      name: 'Administrator',
      description: 'Everything, including users, roles and settings.',
      level: 50,
      permissions: ['*'],
    },
  ],
});
