import { actorIdOf, type Actor } from '../domain/principal.js';
import { effectiveStatus, toUser, type User, type UserStatus } from '../domain/user.js';
import { AuthError } from '../errors.js';
import { clientOf } from './guards.js';
import type { Stamps } from './stamps.js';
import type { UnitOfWork, UnitsOfWork } from './unit-of-work.js';
import { lockTarget } from './user-targets.js';

/** A change of a user's status by an administrator: approve, switch off or on, block, suspend, unblock, delete. */
export interface StatusChange {
  readonly to: UserStatus;
  /** The states the change may start from. */
  readonly from: readonly UserStatus[];
  readonly reason: string | null;
  readonly until: Date | null;
  readonly action: string;
  readonly details: string;
}

/** What a status change works with. */
export interface StatusChangeDeps {
  readonly stamps: Stamps;
  readonly units: Pick<UnitsOfWork, 'transact'>;
}

/** Moves a user to another status; `plan` may depend on the status the user is in. */
export async function changeStatus(deps: StatusChangeDeps, who: Actor, id: string, plan: StatusChange | ((current: UserStatus) => StatusChange)): Promise<User> {
  return deps.units.transact(clientOf(who), async (uow) => {
    const { record: before } = await lockTarget(uow.tx, deps.stamps, who, id, 'status');
    const now = deps.stamps.now();
    const current = effectiveStatus(before, now);
    const change = typeof plan === 'function' ? plan(current) : plan;
    if (!change.from.includes(current)) {
      throw new AuthError('CONFLICT', { message: `The account is ${current}; this applies to ${change.from.join(' or ')} accounts.` });
    }
    const updated = await uow.tx.updateUser(id, { status: change.to, statusReason: change.reason, statusUntil: change.until, updatedAt: now });
    const user = toUser(updated ?? before);
    const ends = change.to !== 'active' && change.to !== 'pending';
    const revoked = ends ? await uow.tx.revokeUserSessions(id, { at: now }) : 0;
    const actorId = actorIdOf(who);
    await uow.log({
      action: change.action,
      subjectId: id,
      actorId,
      details: change.details,
      metadata: {
        before: { status: before.status, statusReason: before.statusReason, statusUntil: before.statusUntil?.toISOString() ?? null },
        after: { status: user.status, statusReason: user.statusReason, statusUntil: user.statusUntil?.toISOString() ?? null },
        reason: change.reason,
        sessionsRevoked: revoked,
      },
    });
    await emitStatus(uow, change, user, before.status, actorId);
    return user;
  });
}

/** The events and the mail of a status change. */
async function emitStatus(uow: UnitOfWork, change: StatusChange, user: User, before: UserStatus, actorId: string | null): Promise<void> {
  await uow.emit('user.statusChanged', { user, before, after: user.status, reason: change.reason, actorId });
  if (change.action === 'user.approved') {
    await uow.emit('user.approved', { user, actorId });
    uow.mail({ kind: 'account-approved', user });
  } else if (change.to === 'blocked' || change.to === 'suspended') {
    await uow.emit('user.blocked', { user, reason: change.reason ?? '', until: change.until, actorId });
    uow.mail({ kind: 'account-blocked', user, data: { reason: change.reason ?? undefined, until: change.until ?? undefined } });
  } else if (change.action === 'user.deleted') {
    await uow.emit('user.deleted', { user, actorId, erased: false });
  }
}
