import { z } from 'zod';
import { diff } from '../domain/diff.js';
import { splitPermissionCode } from '../domain/permission.js';
import type { Preset } from '../domain/preset.js';
import type { Permission, Role } from '../domain/role.js';
import { AuthError } from '../errors.js';
import type { AuthStore } from '../ports/auth-store.js';
import { multiLineSchema, nameSchema, parseInput, permissionCodeSchema, roleCodeSchema } from '../validation/schemas.js';
import type { AccessService } from './access-service.js';
import { actorIdOf, requireActor, type Actor } from '../domain/principal.js';
import { assertHoldsPermissions, assertLevelAtMost, clientOf, definedOf } from './guards.js';
import type { Stamps } from './stamps.js';
import type { UnitsOfWork } from './unit-of-work.js';

/** What {@link RoleService.createRole} takes. */
export interface RoleInput {
  /** A unique code: lower-case letters, digits, `_` and `-`, e.g. `seller`. */
  code: string;
  /** A human-readable name. */
  name: string;
  /** What holders of the role do. */
  description?: string | undefined;
  /** The role's level: higher is more power; an actor manages only roles below their own level. */
  level: number;
  /** @default true */
  active?: boolean | undefined;
  /** Permission codes to grant; each must exist. */
  permissions?: readonly string[] | undefined;
}

/** What {@link RoleService.updateRole} takes: any of the role's fields but its code. */
export interface RoleUpdate {
  /** A new human-readable name. */
  name?: string | undefined;
  /** A new description. */
  description?: string | undefined;
  /** A new level, below the actor's own. */
  level?: number | undefined;
  /** `false` makes the role grant nothing, without removing its assignments. */
  active?: boolean | undefined;
}

/** What {@link RoleService.createPermission} takes. */
export interface PermissionInput {
  /** `module:action` or `module:action:own`, e.g. `orders:view`. */
  code: string;
  /** A human-readable name. */
  name: string;
  /** @default true */
  active?: boolean | undefined;
}

/** A role with the codes of the permissions granted to it. */
export interface RoleDetails {
  /** The role. */
  readonly role: Role;
  /** The codes of the permissions it grants. */
  readonly permissions: readonly string[];
}

/** What a seeding added: nothing on a second run of the same preset. */
export interface SeedResult {
  /** Codes of the roles that were missing and were created. */
  readonly rolesCreated: number;
  /** Codes of the permissions that were missing and were created. */
  readonly permissionsCreated: number;
  /** How many permissions were newly granted to roles. */
  readonly grantsAdded: number;
}

const levelSchema = z.number().int().min(0).max(1_000_000);
const descriptionSchema = multiLineSchema(500);

const roleInput = z.object({
  code: roleCodeSchema,
  name: nameSchema,
  description: descriptionSchema.default(''),
  level: levelSchema,
  active: z.boolean().default(true),
  permissions: z.array(permissionCodeSchema).max(500).default([]),
});
const roleUpdate = z.object({ name: nameSchema, description: descriptionSchema, level: levelSchema, active: z.boolean() }).partial();
const permissionInput = z.object({ code: permissionCodeSchema, name: nameSchema, active: z.boolean().default(true) });
const permissionUpdate = z.object({ name: nameSchema, active: z.boolean() }).partial();


/** What the role service works with. */
export interface RoleServiceDeps {
  readonly store: AuthStore;
  readonly stamps: Stamps;
  readonly units: Pick<UnitsOfWork, 'transact'>;
}
/**
 * Roles and permissions: their management and the seeding of presets. Every call takes
 * the acting {@link Actor}: `roles:view` to read, `roles:edit` to change; nobody may create
 * or change a role above their own level. Every change is in the activity log.
 */
export class RoleService {
  constructor(
    private readonly deps: RoleServiceDeps,
    private readonly access: AccessService,
  ) {}

  /**
   * Every role, highest level first.
   * @throws {AuthError} FORBIDDEN — without `roles:view`.
   */
  async listRoles(actor: Actor | null): Promise<Role[]> {
    this.access.assert(actor, 'roles:view');
    return this.deps.store.listRoles();
  }

  /**
   * Every permission, by code.
   * @throws {AuthError} FORBIDDEN — without `roles:view`.
   */
  async listPermissions(actor: Actor | null): Promise<Permission[]> {
    this.access.assert(actor, 'roles:view');
    return this.deps.store.listPermissions();
  }

  /**
   * One role with its granted permission codes.
   * @throws {AuthError} FORBIDDEN — without `roles:view`.
   * @throws {AuthError} NOT_FOUND — no such role.
   */
  async getRole(actor: Actor | null, code: string): Promise<RoleDetails> {
    this.access.assert(actor, 'roles:view');
    const role = await this.deps.store.findRole(parseInput(roleCodeSchema, code));
    if (role === null) throw new AuthError('NOT_FOUND');
    return { role, permissions: await this.deps.store.listRolePermissions(role.code) };
  }

  /**
   * Creates a role, with its permissions granted.
   * @throws {AuthError} FORBIDDEN — without `roles:edit`, for a level above the actor's, or with a permission the actor does not hold.
   * @throws {AuthError} CONFLICT — a role with this code exists.
   * @throws {AuthError} VALIDATION_FAILED — bad fields, or a permission that does not exist.
   */
  async createRole(actor: Actor | null, input: RoleInput): Promise<RoleDetails> {
    const who = this.#editor(actor);
    const data = parseInput(roleInput, input);
    assertLevelAtMost(who, data.level);
    assertHoldsPermissions(who, data.permissions);
    return this.deps.units.transact(clientOf(who), async (uow) => {
      const { tx } = uow;
      if ((await tx.findRole(data.code)) !== null) throw new AuthError('CONFLICT', { message: `A role ${data.code} exists.` });
      await assertPermissionsExist(tx, data.permissions);
      const now = this.deps.stamps.now();
      const role: Role = { code: data.code, name: data.name, description: data.description, level: data.level, active: data.active, createdAt: now, updatedAt: now };
      await tx.upsertRole(role);
      for (const code of data.permissions) await tx.grantPermission(role.code, code);
      await uow.log({
        action: 'role.created',
        subjectId: null,
        actorId: actorIdOf(who),
        details: `Created the role ${role.code}.`,
        metadata: { role: role.code, after: { ...roleJson(role), permissions: [...data.permissions] } },
      });
      return { role, permissions: await tx.listRolePermissions(role.code) };
    });
  }

  /**
   * Changes a role's name, description, level or active flag. Deactivating a role takes
   * what it grants away from every holder on their next request.
   * @throws {AuthError} FORBIDDEN — without `roles:edit`, or when the role or its new level is above the actor's.
   * @throws {AuthError} NOT_FOUND — no such role.
   */
  async updateRole(actor: Actor | null, code: string, update: RoleUpdate): Promise<Role> {
    const who = this.#editor(actor);
    const roleCode = parseInput(roleCodeSchema, code);
    const data = parseInput(roleUpdate, update);
    return this.deps.units.transact(clientOf(who), async (uow) => {
      const before = await uow.tx.findRole(roleCode);
      if (before === null) throw new AuthError('NOT_FOUND');
      assertLevelAtMost(who, Math.max(before.level, data.level ?? 0));
      const after: Role = { ...before, ...definedOf(data), updatedAt: this.deps.stamps.now() };
      await uow.tx.upsertRole(after);
      const change = diff(roleJson(before), roleJson(after));
      if (change !== null) {
        await uow.log({ action: 'role.updated', subjectId: null, actorId: actorIdOf(who), details: `Changed the role ${roleCode}.`, metadata: { role: roleCode, ...change } });
      }
      return after;
    });
  }

  /** Deactivates a role: see {@link updateRole}. */
  deactivateRole(actor: Actor | null, code: string): Promise<Role> {
    return this.updateRole(actor, code, { active: false });
  }

  /**
   * Creates a permission.
   * @throws {AuthError} FORBIDDEN — without `roles:edit`.
   * @throws {AuthError} CONFLICT — a permission with this code exists.
   */
  async createPermission(actor: Actor | null, input: PermissionInput): Promise<Permission> {
    const who = this.#editor(actor);
    const data = parseInput(permissionInput, input);
    return this.deps.units.transact(clientOf(who), async (uow) => {
      const existing = (await uow.tx.listPermissions()).some((permission) => permission.code === data.code);
      if (existing) throw new AuthError('CONFLICT', { message: `A permission ${data.code} exists.` });
      const permission = newPermission(data.code, data.name, data.active, this.deps.stamps.now());
      await uow.tx.upsertPermission(permission);
      await uow.log({
        action: 'permission.created',
        subjectId: null,
        actorId: actorIdOf(who),
        details: `Created the permission ${permission.code}.`,
        metadata: { permission: permission.code, after: { name: permission.name, active: permission.active } },
      });
      return permission;
    });
  }

  /**
   * Renames, deactivates or reactivates a permission; an inactive permission grants nothing.
   * @throws {AuthError} FORBIDDEN — without `roles:edit`.
   * @throws {AuthError} NOT_FOUND — no such permission.
   */
  async updatePermission(actor: Actor | null, code: string, update: { name?: string; active?: boolean }): Promise<Permission> {
    const who = this.#editor(actor);
    const permissionCode = parseInput(permissionCodeSchema, code);
    const data = parseInput(permissionUpdate, update);
    return this.deps.units.transact(clientOf(who), async (uow) => {
      const before = (await uow.tx.listPermissions()).find((permission) => permission.code === permissionCode);
      if (before === undefined) throw new AuthError('NOT_FOUND');
      const after: Permission = { ...before, ...definedOf(data) };
      await uow.tx.upsertPermission(after);
      const change = diff({ name: before.name, active: before.active }, { name: after.name, active: after.active });
      if (change !== null) {
        await uow.log({ action: 'permission.updated', subjectId: null, actorId: actorIdOf(who), details: `Changed the permission ${permissionCode}.`, metadata: { permission: permissionCode, ...change } });
      }
      return after;
    });
  }

  /** Deactivates a permission: see {@link updatePermission}. */
  deactivatePermission(actor: Actor | null, code: string): Promise<Permission> {
    return this.updatePermission(actor, code, { active: false });
  }

  /**
   * Grants a permission to a role; granting twice changes nothing.
   * @throws {AuthError} FORBIDDEN — without `roles:edit`, on a role above the actor's level, or a permission the actor does not hold.
   * @throws {AuthError} NOT_FOUND — no such role or permission.
   */
  grantPermission(actor: Actor | null, roleCode: string, permissionCode: string): Promise<void> {
    return this.#changeGrant(actor, roleCode, permissionCode, 'grant');
  }

  /**
   * Takes a permission from a role.
   * @throws {AuthError} FORBIDDEN — without `roles:edit`, or on a role above the actor's level.
   * @throws {AuthError} NOT_FOUND — no such role.
   */
  revokePermission(actor: Actor | null, roleCode: string, permissionCode: string): Promise<void> {
    return this.#changeGrant(actor, roleCode, permissionCode, 'revoke');
  }

  /**
   * Seeds roles, permissions and grants from a preset, in one transaction, adding only what
   * is missing: roles and permissions that exist keep the fields an administrator gave
   * them, and a second run changes nothing. A role or permission declared `active: false` is
   * created switched off (it grants nothing). Wildcard grants (`*`, `module:*`) get a
   * permission row of their own.
   *
   * @example
   * ```ts
   * import { ecommercePreset } from 'gatehouse';
   * await auth.roles.seed(auth.system, ecommercePreset);
   * ```
   * @throws {AuthError} FORBIDDEN — unless the actor is the system or holds `*`.
   */
  async seed(actor: Actor | null, preset: Preset): Promise<SeedResult> {
    const who = requireActor(actor);
    if (who.kind !== 'system' && !who.permissions.includes('*')) throw new AuthError('FORBIDDEN');
    const roles = preset.roles.map((role) => parseInput(roleInput, role));
    const declared = preset.permissions.map((permission) => parseInput(permissionInput, permission));
    return this.deps.units.transact(clientOf(who), async (uow) => {
      const { tx } = uow;
      const now = this.deps.stamps.now();
      const known = new Set((await tx.listPermissions()).map((permission) => permission.code));
      const wanted = new Map(declared.map((permission) => [permission.code, { name: permission.name, active: permission.active }]));
      for (const role of roles) for (const code of role.permissions) if (!wanted.has(code)) wanted.set(code, { name: wildcardName(code), active: true });
      let permissionsCreated = 0;
      for (const [code, { name, active }] of wanted) {
        if (known.has(code)) continue;
        await tx.upsertPermission(newPermission(code, name, active, now));
        permissionsCreated += 1;
      }
      let rolesCreated = 0;
      let grantsAdded = 0;
      for (const input of roles) {
        if ((await tx.findRole(input.code)) === null) {
          await tx.upsertRole({ code: input.code, name: input.name, description: input.description, level: input.level, active: input.active, createdAt: now, updatedAt: now });
          rolesCreated += 1;
        }
        const granted = new Set(await tx.listRolePermissions(input.code));
        for (const code of input.permissions) {
          if (granted.has(code)) continue;
          await tx.grantPermission(input.code, code);
          grantsAdded += 1;
        }
      }
      const result = { rolesCreated, permissionsCreated, grantsAdded };
      if (rolesCreated + permissionsCreated + grantsAdded > 0) {
        await uow.log({ action: 'roles.seeded', subjectId: null, actorId: actorIdOf(who), details: 'Seeded roles and permissions.', metadata: { ...result } });
      }
      return result;
    });
  }

  async #changeGrant(actor: Actor | null, roleCode: string, permissionCode: string, change: 'grant' | 'revoke'): Promise<void> {
    const who = this.#editor(actor);
    const role = parseInput(roleCodeSchema, roleCode);
    const permission = parseInput(permissionCodeSchema, permissionCode);
    await this.deps.units.transact(clientOf(who), async (uow) => {
      const found = await uow.tx.findRole(role);
      if (found === null) throw new AuthError('NOT_FOUND');
      assertLevelAtMost(who, found.level);
      const before = await uow.tx.listRolePermissions(role);
      const held = before.includes(permission);
      if (change === 'grant' ? held : !held) return; // nothing changes, nothing to log
      if (change === 'grant') assertHoldsPermissions(who, [permission]);
      // The store refuses a grant of an unknown permission with NOT_FOUND.
      if (change === 'grant') await uow.tx.grantPermission(role, permission);
      else await uow.tx.revokePermission(role, permission);
      const after = change === 'grant' ? [...before, permission].sort() : before.filter((code) => code !== permission);
      await uow.log({
        action: change === 'grant' ? 'role.permission_granted' : 'role.permission_revoked',
        subjectId: null,
        actorId: actorIdOf(who),
        details: `${change === 'grant' ? 'Granted' : 'Revoked'} ${permission} ${change === 'grant' ? 'to' : 'from'} ${role}.`,
        metadata: { role, permission, before: { permissions: before }, after: { permissions: after } },
      });
    });
  }

  #editor(actor: Actor | null): Actor {
    this.access.assert(actor, 'roles:edit');
    return requireActor(actor);
  }
}

function roleJson(role: Role): { name: string; description: string; level: number; active: boolean } {
  return { name: role.name, description: role.description, level: role.level, active: role.active };
}

function newPermission(code: string, name: string, active: boolean, now: Date): Permission {
  const { module, action } = splitPermissionCode(code);
  return { code, name, module, action, active, createdAt: now };
}

function wildcardName(code: string): string {
  return code === '*' ? 'Everything' : `Everything on ${splitPermissionCode(code).module}`;
}

async function assertPermissionsExist(tx: AuthStore, codes: readonly string[]): Promise<void> {
  if (codes.length === 0) return;
  const known = new Set((await tx.listPermissions()).map((permission) => permission.code));
  const issues = codes.flatMap((code, index) =>
    known.has(code) ? [] : [{ path: ['permissions', index], code: 'unknown_permission', message: `No permission ${code}.` }],
  );
  if (issues.length > 0) throw new AuthError('VALIDATION_FAILED', { issues });
}
