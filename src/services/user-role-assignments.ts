import { z } from 'zod';
import { diff } from '../domain/diff.js';
import { actorIdOf, type Actor } from '../domain/principal.js';
import { liveRoles, type RoleGrant, type UserRole } from '../domain/role.js';
import { toUser } from '../domain/user.js';
import { AuthError } from '../errors.js';
import type { AuthStore } from '../ports/auth-store.js';
import { roleCodeSchema } from '../validation/schemas.js';
import { assertMayGrantRole, clientOf } from './guards.js';
import type { Stamps } from './stamps.js';
import type { UnitsOfWork } from './unit-of-work.js';
import type { UserDetails } from './user-admin-types.js';
import { lockTarget, userDetails } from './user-targets.js';

const futureDate = z.coerce.date();

/** Role assignments as an administrator gives them: each role once, each optionally until a date. */
export const assignmentsSchema = z
  .array(z.object({ code: roleCodeSchema, expiresAt: futureDate.nullable().optional() }))
  .max(50)
  .refine((list) => new Set(list.map((role) => role.code)).size === list.length, { error: 'A role is listed twice.' });

/** One role assignment as given. */
export type Assignment = z.output<typeof assignmentsSchema>[number];

/** What changing a user's roles works with. */
export interface RoleAssignmentDeps {
  readonly stamps: Stamps;
  readonly units: Pick<UnitsOfWork, 'transact'>;
}

/**
 * Replaces a user's roles with what `plan` makes of the roles they hold, reading and
 * writing in one transaction, so concurrent changes to one user's roles cannot drop each other's.
 */
export async function changeRoles(deps: RoleAssignmentDeps, who: Actor, id: string, plan: (held: Assignment[]) => Assignment[]): Promise<UserDetails> {
  return deps.units.transact(clientOf(who), async (uow) => {
    const { tx } = uow;
    const { record: target, grants } = await lockTarget(tx, deps.stamps, who, id, 'roles');
    const now = deps.stamps.now();
    const wanted = plan(grants.map((grant) => ({ code: grant.roleCode, expiresAt: grant.expiresAt })));
    const kept = new Map(wanted.map((role) => [role.code, role]));
    if (who.kind === 'session' && who.user.id === id) {
      // An administrator must keep their own principal role, without an end date.
      const principal = liveRoles(grants, now)[0];
      const keep = principal === undefined ? undefined : kept.get(principal.code);
      if (principal !== undefined && (keep === undefined || (keep.expiresAt ?? null) !== null)) throw new AuthError('SELF_PROTECTION');
    }
    const added = wanted.filter((role) => !grants.some((grant) => grant.roleCode === role.code && sameExpiry(grant.expiresAt, role.expiresAt)));
    await assertGrantable(tx, who, added);
    for (const grant of grants) if (!kept.has(grant.roleCode)) await tx.removeRole(id, grant.roleCode);
    for (const role of added) await tx.assignRole(assignmentOf(id, role, who, now));
    const after = await tx.listUserGrants(id);
    const describe = (list: readonly RoleGrant[]): { code: string; expiresAt: string | null }[] =>
      list.map((grant) => ({ code: grant.roleCode, expiresAt: grant.expiresAt?.toISOString() ?? null })).sort((a, b) => a.code.localeCompare(b.code));
    const change = diff({ roles: describe(grants) }, { roles: describe(after) });
    if (change !== null) {
      const codes = (list: readonly RoleGrant[]): string[] => list.map((grant) => grant.roleCode).sort();
      await uow.log({ action: 'user.roles_changed', subjectId: id, actorId: actorIdOf(who), details: 'Changed the roles.', metadata: change });
      await uow.emit('user.rolesChanged', { user: toUser(target), before: codes(grants), after: codes(after), actorId: actorIdOf(who) });
    }
    return userDetails(deps.stamps, target, after);
  });
}

/** Every role must exist, be below the actor's level and carry only permissions the actor holds. */
export async function assertGrantable(tx: AuthStore, actor: Actor, roles: readonly Assignment[]): Promise<void> {
  for (const [index, role] of roles.entries()) {
    const found = await tx.findRole(role.code);
    if (found === null) {
      throw new AuthError('VALIDATION_FAILED', { issues: [{ path: ['roles', index, 'code'], code: 'unknown_role', message: `No role ${role.code}.` }] });
    }
    assertMayGrantRole(actor, found, actor.kind === 'system' ? [] : await tx.listRolePermissions(found.code));
  }
}

/** The stored assignment of a role given by `actor`. */
export function assignmentOf(userId: string, role: Assignment, actor: Actor, now: Date): UserRole {
  return { userId, roleCode: role.code, assignedAt: now, assignedBy: actorIdOf(actor), expiresAt: role.expiresAt ?? null };
}

/** Whether a held end date is the one wanted. */
export function sameExpiry(held: Date | null, wanted: Date | null | undefined): boolean {
  return (held?.getTime() ?? null) === (wanted?.getTime() ?? null);
}
