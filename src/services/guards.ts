import type { NormalizedClient } from '../domain/client.js';
import { AuthError } from '../errors.js';
import { holdsGrant } from '../domain/permission.js';
import { permissionSetOf, type Actor } from '../domain/principal.js';

/** What an administrator is about to do to an account. */
export type AdminAction = 'edit' | 'status' | 'delete' | 'roles';

/** The client of an actor's request, for the activity log; none for the system. */
export function clientOf(actor: Actor): NormalizedClient | undefined {
  return actor.kind === 'session' ? actor.client : undefined;
}

/**
 * Refuses to let an actor create, change or grant something above their own level.
 * @throws {AuthError} FORBIDDEN
 */
export function assertLevelAtMost(actor: Actor, level: number): void {
  if (actor.kind === 'session' && level > actor.level) {
    throw new AuthError('FORBIDDEN', { message: 'You cannot grant or change a role above your own level.' });
  }
}

/**
 * Refuses to let an actor hand out a role at or above their own level, or one that carries a
 * permission they do not hold themselves (wildcards considered): a `roles:assign` holder
 * could otherwise give themselves, or an accomplice, what they were never given. The system
 * actor may grant anything.
 * @throws {AuthError} FORBIDDEN
 */
export function assertMayGrantRole(actor: Actor, role: { code: string; level: number }, permissions: readonly string[]): void {
  if (actor.kind === 'system') return;
  if (role.level >= actor.level) {
    throw new AuthError('FORBIDDEN', { message: 'You cannot grant a role at or above your own level.' });
  }
  assertHoldsPermissions(actor, permissions);
}

/**
 * Refuses to let an actor put into a role a permission they do not hold themselves.
 * @throws {AuthError} FORBIDDEN
 */
export function assertHoldsPermissions(actor: Actor, permissions: readonly string[]): void {
  if (actor.kind === 'system') return;
  const held = permissionSetOf(actor);
  const missing = permissions.filter((code) => held === undefined || !holdsGrant(held, code));
  if (missing.length > 0) {
    throw new AuthError('FORBIDDEN', { message: `You cannot grant permissions you do not hold: ${missing.join(', ')}.` });
  }
}

/**
 * The guard rails of user administration. An administrator never changes their own
 * status nor deletes themselves (they could lock everyone out), and nobody acts on a user
 * whose principal level is at or above their own. The system actor is above every level.
 * @throws {AuthError} SELF_PROTECTION — an administrator's own status or deletion.
 * @throws {AuthError} FORBIDDEN — the target's level is at or above the actor's.
 */
export function assertMayActOn(actor: Actor, target: { id: string; level: number }, action: AdminAction): void {
  if (actor.kind === 'system') return;
  if (target.id === actor.user.id) {
    if (action === 'status' || action === 'delete') throw new AuthError('SELF_PROTECTION');
    return;
  }
  if (target.level >= actor.level) {
    throw new AuthError('FORBIDDEN', { message: 'You cannot act on a user whose level is at or above yours.' });
  }
}

/** The fields of a partial update that were given. */
export function definedOf<T extends object>(update: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
