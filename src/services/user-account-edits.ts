import { z } from 'zod';
import { diff } from '../domain/diff.js';
import { actorIdOf, type Actor } from '../domain/principal.js';
import { toUser, type User, type UserRecord } from '../domain/user.js';
import { AuthError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import type { AuthStore } from '../ports/auth-store.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import type { PasswordPolicy } from '../validation/password-policy.js';
import { emailSchema, localeSchema, nameSchema, parseWithAppFields } from '../validation/schemas.js';
import { clientOf } from './guards.js';
import { checkNewUser, newUserOf } from './new-users.js';
import type { Stamps } from './stamps.js';
import { writeUniqueFields } from './unique-fields.js';
import type { UnitsOfWork } from './unit-of-work.js';
import type { AdminCreateUserInput, AdminEditUserInput, UserDetails } from './user-admin-types.js';
import { assertGrantable, assignmentOf, assignmentsSchema, type Assignment } from './user-role-assignments.js';
import { lockTarget, userDetails } from './user-targets.js';

/*
 * An administrator creates a user's account, or edits its name, email, language, password
 * or application fields. The permission checks stay with the caller (`UserAdminService`).
 */

/** What creating and editing an account works with. */
export interface AccountEditDeps {
  readonly store: AuthStore;
  readonly hasher: PasswordHasher;
  readonly policy: PasswordPolicy;
  readonly options: Pick<ResolvedOptions, 'registration'>;
  readonly stamps: Stamps;
  readonly units: Pick<UnitsOfWork, 'transact'>;
}

/** The input schemas of {@link createUser} and {@link editUser}, with the app's password policy. */
export function accountEditSchemas(policy: PasswordPolicy) {
  return {
    create: z.object({
      email: emailSchema,
      name: nameSchema,
      password: policy.schema,
      roles: assignmentsSchema.optional(),
      locale: localeSchema.optional(),
      mustChangePassword: z.boolean().default(true),
      emailVerified: z.boolean().default(false),
    }),
    edit: z.object({
      name: nameSchema.optional(),
      email: emailSchema.optional(),
      password: policy.schema.optional(),
      locale: localeSchema.nullable().optional(),
    }),
  };
}

/** The schemas {@link accountEditSchemas} makes. */
export type AccountEditSchemas = ReturnType<typeof accountEditSchemas>;

/** Creates an active user with roles and a password the administrator chose: see `UserAdminService.create`. */
export async function createUser(deps: AccountEditDeps, schemas: AccountEditSchemas, who: Actor, input: AdminCreateUserInput): Promise<UserDetails> {
  const checked = await checkNewUser(deps, schemas.create, input);
  const { data, passwordHash } = checked;
  const defaultRole = deps.options.registration.defaultRole;
  const roles: Assignment[] = data.roles ?? (defaultRole === null ? [] : [{ code: defaultRole }]);
  return deps.units.transact(clientOf(who), async (uow) => {
    const { tx } = uow;
    if ((await tx.findUserByEmail(data.email)) !== null) throw new AuthError('EMAIL_TAKEN');
    await assertGrantable(tx, who, roles);
    const now = deps.stamps.now();
    const record = newUserOf(deps.stamps, checked, { status: 'active', emailVerifiedAt: data.emailVerified ? now : null, mustChangePassword: data.mustChangePassword }, now);
    await tx.insertUser(record);
    await writeUniqueFields(tx, record.id, deps.options.registration.uniqueFields, record.attributes, { fresh: true });
    for (const role of roles) await tx.assignRole(assignmentOf(record.id, role, who, now));
    await tx.appendPasswordHistory({ id: deps.stamps.newId(), userId: record.id, passwordHash, changedAt: now, reason: 'admin', forced: true });
    const user = toUser(record);
    await uow.log({
      action: 'user.created',
      subjectId: user.id,
      actorId: actorIdOf(who),
      details: 'Created by an administrator.',
      metadata: { after: { email: user.email, name: user.name, status: user.status, roles: roles.map((role) => role.code) } },
    });
    await uow.emit('user.registered', { user });
    if (!data.emailVerified) uow.mail({ kind: 'activation', user, key: await uow.issueKey(user, 'activation', user.email) });
    return userDetails(deps.stamps, record, await tx.listUserGrants(record.id));
  });
}

/** Edits a user's name, email, language, password or application fields: see `UserAdminService.edit`. */
export async function editUser(deps: AccountEditDeps, schemas: AccountEditSchemas, who: Actor, id: string, input: AdminEditUserInput): Promise<User> {
  const { data, attributes } = await parseWithAppFields(schemas.edit, deps.options.registration.fields, input, { partial: true });
  const current = await deps.store.findUserById(id);
  if (current === null) throw new AuthError('NOT_FOUND');
  assertNotSelfCredentialEdit(who, current, data);
  let passwordHash: string | undefined;
  if (data.password !== undefined) {
    await deps.policy.assertAcceptable(data.password, { email: data.email ?? current.email, name: data.name ?? current.name }, 'password');
    passwordHash = await deps.hasher.hash(data.password);
  }
  return deps.units.transact(clientOf(who), async (uow) => {
    const { tx } = uow;
    const { record: before } = await lockTarget(tx, deps.stamps, who, id, 'edit');
    const now = deps.stamps.now();
    const emailChanged = data.email !== undefined && data.email !== before.email;
    if (emailChanged && (await tx.findUserByEmail(data.email!)) !== null) throw new AuthError('EMAIL_TAKEN');
    const fields = {
      name: data.name ?? before.name,
      email: data.email ?? before.email,
      locale: data.locale === undefined ? before.locale : data.locale,
      attributes: { ...before.attributes, ...attributes },
    };
    const changed = diff({ name: before.name, email: before.email, locale: before.locale, attributes: before.attributes }, fields);
    if (changed === null && passwordHash === undefined) return toUser(before);
    await writeUniqueFields(tx, id, deps.options.registration.uniqueFields, fields.attributes, { fresh: false });
    const updated = await tx.updateUser(id, {
      ...fields,
      ...(emailChanged ? { emailVerifiedAt: null } : {}),
      ...(passwordHash === undefined ? {} : { passwordHash, mustChangePassword: true }),
      updatedAt: now,
    });
    const user = toUser(updated ?? before);
    if (passwordHash !== undefined) {
      await tx.appendPasswordHistory({ id: deps.stamps.newId(), userId: id, passwordHash, changedAt: now, reason: 'admin', forced: true });
      await tx.revokeUserSessions(id, { at: now });
      await tx.voidOneTimeKeys(id, 'password-reset', now);
    }
    await uow.log({
      action: 'user.updated',
      subjectId: id,
      actorId: actorIdOf(who),
      details: passwordHash === undefined ? 'Edited by an administrator.' : 'Edited by an administrator, with a new password.',
      metadata: { ...(changed ?? {}), passwordChanged: passwordHash !== undefined },
    });
    await uow.emit('user.profileUpdated', { user, actorId: actorIdOf(who) });
    if (passwordHash !== undefined) await uow.emit('user.passwordChanged', { user, actorId: actorIdOf(who) });
    if (emailChanged) uow.mail({ kind: 'activation', user, key: await uow.issueKey(user, 'activation', user.email) });
    return user;
  });
}

/**
 * Refuses an administrator's new password or email for their own account: a stolen session
 * of a `users:edit` holder must not become a permanent takeover (a password set without the
 * current one), nor a typo lock its owner out.
 * @throws {AuthError} SELF_PROTECTION
 */
function assertNotSelfCredentialEdit(actor: Actor, target: UserRecord, data: { email?: string | undefined; password?: string | undefined }): void {
  if (actor.kind !== 'session' || actor.user.id !== target.id) return;
  if (data.password !== undefined || (data.email !== undefined && data.email !== target.email)) {
    throw new AuthError('SELF_PROTECTION', { message: 'Change your own password or email from your profile, which asks for your current password.' });
  }
}
