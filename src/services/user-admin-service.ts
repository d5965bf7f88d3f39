import { z } from 'zod';
import type { Page } from '../domain/activity.js';
import { diff } from '../domain/diff.js';
import { liveRoles, livePermissions, principalLevel, type ActiveRole, type RoleGrant, type UserRole } from '../domain/role.js';
import { effectiveStatus, newUserRecord, toUser, type User, type UserRecord, type UserStatus } from '../domain/user.js';
import { AuthError } from '../errors.js';
import type { AuthStore } from '../ports/auth-store.js';
import {
  emailSchema,
  identifierNameSchema,
  identifierValueSchema,
  idSchema,
  localeSchema,
  nameSchema,
  pagingShape,
  parseInput,
  parseWithAppFields,
  reasonSchema,
  roleCodeSchema,
  singleLineSchema,
  statusSchema,
} from '../validation/schemas.js';
import type { ImportOptions, ImportRecord, ImportResult } from '../domain/import.js';
import type { AccessService } from './access-service.js';
import { writeUniqueFields } from './unique-fields.js';
import { importUsers } from './user-import.js';
import { actorIdOf, requireActor, type Actor } from './context.js';
import { assertMayActOn, assertMayGrantRole, clientOf, type AdminAction } from './guards.js';
import type { Kernel, UnitOfWork } from './kernel.js';

/** Filters and paging of {@link UserAdminService.list}; `page` is 1-based. */
export interface UserListQuery {
  status?: UserStatus | undefined;
  /** Only holders of this role (an unexpired assignment). */
  role?: string | undefined;
  /** Case-insensitive text found in the name or the email. */
  q?: string | undefined;
  /** @default 1 */
  page?: number | string | undefined;
  /** @default 20 */
  pageSize?: number | string | undefined;
}

/** A role to give a user, optionally until a date. */
export interface RoleAssignmentInput {
  code: string;
  /** After this instant the assignment grants nothing. */
  expiresAt?: Date | string | null | undefined;
}

/** What {@link UserAdminService.create} takes, plus the application's own fields. */
export interface AdminCreateUserInput {
  email: string;
  name: string;
  password: string;
  /** @default the registration default role, if any */
  roles?: readonly RoleAssignmentInput[] | undefined;
  locale?: string | undefined;
  /** Ask the user to choose their own password at first sign-in. @default true */
  mustChangePassword?: boolean | undefined;
  /** Treat the address as proven; otherwise an activation key is mailed. @default false */
  emailVerified?: boolean | undefined;
  [field: string]: unknown;
}

/** What {@link UserAdminService.edit} takes: any of these, plus the application's own fields. */
export interface AdminEditUserInput {
  name?: string | undefined;
  /** A new address is unverified until its owner uses the activation key mailed to it. */
  email?: string | undefined;
  /** A new password; the user must change it at next sign-in and their sessions end. */
  password?: string | undefined;
  locale?: string | null | undefined;
  [field: string]: unknown;
}

/** A block or suspension. */
export interface BlockInput {
  reason: string;
  /** When it lifts by itself; omitted or `null` for until an administrator lifts it. */
  until?: Date | string | null | undefined;
}

/** One user as an administrator sees them. */
export interface UserDetails {
  readonly user: User;
  /** Live roles, highest level first. */
  readonly roles: readonly ActiveRole[];
  /** Every assignment, expired ones and those of inactive roles included. */
  readonly assignments: readonly UserRole[];
  /** Effective permission codes. */
  readonly permissions: readonly string[];
  /** The level of the principal role, 0 without roles. */
  readonly level: number;
}

/** How active a user has been. */
export interface UserSummary {
  readonly user: User;
  /** Unrevoked, unexpired sessions. */
  readonly activeSessions: number;
  readonly lastLoginAt: Date | null;
  /** The newest activity-log entry about the user. */
  readonly lastActivityAt: Date | null;
  /** Whole days since the last sign-in, session use or activity (since creation without any). */
  readonly daysInactive: number;
}

const futureDate = z.coerce.date();
const listQuery = z.object({
  status: statusSchema.optional(),
  role: roleCodeSchema.optional(),
  q: singleLineSchema(100, 0).optional(),
  ...pagingShape,
});
const assignmentsSchema = z
  .array(z.object({ code: roleCodeSchema, expiresAt: futureDate.nullable().optional() }))
  .max(50)
  .refine((list) => new Set(list.map((role) => role.code)).size === list.length, { error: 'A role is listed twice.' });
const identifierLookup = z.object({ name: identifierNameSchema, value: identifierValueSchema });
const blockSchema = z.object({ reason: reasonSchema, until: futureDate.nullable().optional() });

type Assignment = z.output<typeof assignmentsSchema>[number];

interface StatusChange {
  readonly to: UserStatus;
  /** The states the change may start from. */
  readonly from: readonly UserStatus[];
  readonly reason: string | null;
  readonly until: Date | null;
  readonly action: string;
  readonly details: string;
}

/**
 * User administration: list, inspect, create, edit, approve, switch on and off, block,
 * delete, and assign roles. Every call takes the acting {@link Actor}, checks its
 * permission (`users:view`, `users:create`, `users:edit`, `users:block`, `users:delete`,
 * `roles:assign`) and the guard rails — an administrator never changes their own status,
 * deletes themselves or drops their own highest role (`SELF_PROTECTION`), and nobody acts
 * on a user whose level is at or above their own, nor grants a role at or above it or carrying
 * a permission they do not hold (`FORBIDDEN`).
 * Every change writes an activity with actor, before/after, reason and ip, and emits its events.
 */
export class UserAdminService {
  readonly #createSchema;
  readonly #editSchema;

  constructor(
    private readonly kernel: Kernel,
    private readonly access: AccessService,
  ) {
    this.#createSchema = z.object({
      email: emailSchema,
      name: nameSchema,
      password: kernel.policy.schema,
      roles: assignmentsSchema.optional(),
      locale: localeSchema.optional(),
      mustChangePassword: z.boolean().default(true),
      emailVerified: z.boolean().default(false),
    });
    this.#editSchema = z.object({
      name: nameSchema.optional(),
      email: emailSchema.optional(),
      password: kernel.policy.schema.optional(),
      locale: localeSchema.nullable().optional(),
    });
  }

  /**
   * A page of users matching every filter, newest first, with the total.
   * @throws {AuthError} FORBIDDEN — without `users:view`.
   */
  async list(actor: Actor | null, query: UserListQuery = {}): Promise<Page<User>> {
    this.access.assert(actor, 'users:view');
    const { status, role, q, page, pageSize } = parseInput(listQuery, query);
    const result = await this.kernel.store.listUsers({
      status,
      roleCode: role,
      text: q === undefined || q === '' ? undefined : q,
      offset: (page - 1) * pageSize,
      limit: pageSize,
      now: this.kernel.now(),
    });
    return { items: result.items.map(toUser), total: result.total };
  }

  /**
   * One user with roles, assignments and effective permissions.
   * @throws {AuthError} FORBIDDEN — without `users:view`.
   * @throws {AuthError} NOT_FOUND
   */
  async get(actor: Actor | null, userId: string): Promise<UserDetails> {
    this.access.assert(actor, 'users:view');
    const id = parseInput(idSchema, userId);
    const [record, grants] = await Promise.all([this.kernel.store.findUserById(id), this.kernel.store.listUserGrants(id)]);
    if (record === null) throw new AuthError('NOT_FOUND');
    return this.#details(record, grants);
  }

  /**
   * The user holding an external identifier (`legacyId`, `documentNumber`, …; see
   * `users.import()` and unique registration fields), or `null`. The value is compared exactly.
   * @throws {AuthError} FORBIDDEN — without `users:view`.
   * @throws {AuthError} VALIDATION_FAILED — a name that is no identifier name, or a value that cannot be one.
   * @example
   * ```ts
   * const owner = await auth.users.findByIdentifier(ctx, 'legacyId', String(order.usuario_id));
   * ```
   */
  async findByIdentifier(actor: Actor | null, name: string, value: string): Promise<User | null> {
    this.access.assert(actor, 'users:view');
    const input = parseInput(identifierLookup, { name, value });
    const record = await this.kernel.store.findUserByIdentifier(input.name, input.value);
    return record === null ? null : toUser(record);
  }

  /**
   * Imports users from another system, with their password hashes (bcrypt, argon2id,
   * argon2i, or a scheme of `passwordVerifiers`), identifiers, status, roles, password
   * history, TOTP secret and past activity. Each record is validated as {@link create}
   * validates its input, except the password policy; a refused record is reported and never
   * partly written, and never fails the others. Records are written in batches, one
   * transaction each, with one `user.imported` activity per user. Running it again matches
   * each record to the user it made (`matchBy`, then id, then email when listed): an
   * unchanged record is `skipped`, a changed one `updated`.
   * @throws {AuthError} FORBIDDEN — unless the actor is the system, or holds `users:create` and `roles:assign` (roles the actor may not grant refuse their records).
   * @throws {AuthError} VALIDATION_FAILED — malformed options.
   * @example
   * ```ts
   * const result = await auth.users.import(auth.system, records, { matchBy: ['legacyId'] });
   * console.log(result.imported, result.updated, result.skipped, result.refused);
   * ```
   */
  async import(actor: Actor | null, records: Iterable<ImportRecord> | AsyncIterable<ImportRecord>, options: ImportOptions = {}): Promise<ImportResult> {
    const who = requireActor(actor);
    if (who.kind !== 'system') {
      this.access.assert(actor, 'users:create');
      this.access.assert(actor, 'roles:assign');
    }
    return importUsers(this.kernel.importDependencies(), who, records, options);
  }

  /**
   * Active sessions, last sign-in, last activity and days inactive of a user.
   * @throws {AuthError} FORBIDDEN — without `users:view`.
   * @throws {AuthError} NOT_FOUND
   */
  async summary(actor: Actor | null, userId: string): Promise<UserSummary> {
    this.access.assert(actor, 'users:view');
    const id = parseInput(idSchema, userId);
    const store = this.kernel.store;
    const now = this.kernel.now();
    const [record, sessions, activity] = await Promise.all([
      store.findUserById(id),
      store.listUserSessions(id, now),
      store.listActivities({ subjectId: id, offset: 0, limit: 1 }),
    ]);
    if (record === null) throw new AuthError('NOT_FOUND');
    const lastActivityAt = activity.items[0]?.createdAt ?? null;
    const lastSeen = Math.max(
      record.createdAt.getTime(),
      record.lastLoginAt?.getTime() ?? 0,
      lastActivityAt?.getTime() ?? 0,
      ...sessions.map((session) => session.lastActiveAt.getTime()),
    );
    return {
      user: toUser(record),
      activeSessions: sessions.length,
      lastLoginAt: record.lastLoginAt,
      lastActivityAt,
      daysInactive: Math.max(0, Math.floor((now.getTime() - lastSeen) / 86_400_000)),
    };
  }

  /**
   * Creates an active user with roles and a password the administrator chose. Unless
   * `emailVerified`, an activation key is mailed to the address.
   * @throws {AuthError} FORBIDDEN — without `users:create`, or for a role at or above the actor's level or carrying a permission the actor does not hold.
   * @throws {AuthError} VALIDATION_FAILED | WEAK_PASSWORD | EMAIL_TAKEN
   */
  async create(actor: Actor | null, input: AdminCreateUserInput): Promise<UserDetails> {
    this.access.assert(actor, 'users:create');
    const who = requireActor(actor);
    const kernel = this.kernel;
    const { data, attributes } = await parseWithAppFields(this.#createSchema, kernel.options.registration.fields, input, { partial: false });
    await kernel.policy.assertAcceptable(data.password, data, 'password');
    const defaultRole = kernel.options.registration.defaultRole;
    const roles: Assignment[] = data.roles ?? (defaultRole === null ? [] : [{ code: defaultRole }]);
    const passwordHash = await kernel.hasher.hash(data.password);
    return kernel.transact(clientOf(who), async (uow) => {
      const { tx } = uow;
      if ((await tx.findUserByEmail(data.email)) !== null) throw new AuthError('EMAIL_TAKEN');
      await this.#assertGrantable(tx, who, roles);
      const now = kernel.now();
      const record = newUserRecord(
        {
          id: kernel.newId(),
          email: data.email,
          name: data.name,
          passwordHash,
          status: 'active',
          emailVerifiedAt: data.emailVerified ? now : null,
          mustChangePassword: data.mustChangePassword,
          locale: data.locale ?? null,
          attributes,
        },
        now,
      );
      await tx.insertUser(record);
      await writeUniqueFields(tx, record.id, kernel.options.registration.uniqueFields, record.attributes, { fresh: true });
      for (const role of roles) await tx.assignRole(assignmentOf(record.id, role, who, now));
      await tx.appendPasswordHistory({ id: kernel.newId(), userId: record.id, passwordHash, changedAt: now, reason: 'admin', forced: true });
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
      return this.#details(record, await tx.listUserGrants(record.id));
    });
  }

  /**
   * Edits a user's name, email, language, password or application fields. A new password
   * must be changed by the user at next sign-in, and ends their sessions. On their own
   * account an administrator edits only the name, language and application fields: a new
   * password or email goes through the self-service calls, which ask for the current password.
   * @throws {AuthError} FORBIDDEN — without `users:edit`, or on a user at or above the actor's level.
   * @throws {AuthError} SELF_PROTECTION — a new password or email for the actor's own account.
   * @throws {AuthError} NOT_FOUND | VALIDATION_FAILED | WEAK_PASSWORD | EMAIL_TAKEN
   */
  async edit(actor: Actor | null, userId: string, input: AdminEditUserInput): Promise<User> {
    this.access.assert(actor, 'users:edit');
    const who = requireActor(actor);
    const id = parseInput(idSchema, userId);
    const kernel = this.kernel;
    const { data, attributes } = await parseWithAppFields(this.#editSchema, kernel.options.registration.fields, input, { partial: true });
    const current = await kernel.store.findUserById(id);
    if (current === null) throw new AuthError('NOT_FOUND');
    assertNotSelfCredentialEdit(who, current, data);
    let passwordHash: string | undefined;
    if (data.password !== undefined) {
      await kernel.policy.assertAcceptable(data.password, { email: data.email ?? current.email, name: data.name ?? current.name }, 'password');
      passwordHash = await kernel.hasher.hash(data.password);
    }
    return kernel.transact(clientOf(who), async (uow) => {
      const { tx } = uow;
      const { record: before } = await this.#target(tx, who, id, 'edit');
      const now = kernel.now();
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
      await writeUniqueFields(tx, id, kernel.options.registration.uniqueFields, fields.attributes, { fresh: false });
      const updated = await tx.updateUser(id, {
        ...fields,
        ...(emailChanged ? { emailVerifiedAt: null } : {}),
        ...(passwordHash === undefined ? {} : { passwordHash, mustChangePassword: true }),
        updatedAt: now,
      });
      const user = toUser(updated ?? before);
      if (passwordHash !== undefined) {
        await tx.appendPasswordHistory({ id: kernel.newId(), userId: id, passwordHash, changedAt: now, reason: 'admin', forced: true });
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
   * Approves a user waiting for approval (pending → active) and tells them by mail.
   * @throws {AuthError} FORBIDDEN | SELF_PROTECTION | NOT_FOUND
   * @throws {AuthError} CONFLICT — the user is not pending.
   */
  async approve(actor: Actor | null, userId: string): Promise<User> {
    this.access.assert(actor, 'users:edit');
    const user = await this.#changeStatus(actor, userId, {
      to: 'active',
      from: ['pending'],
      reason: null,
      until: null,
      action: 'user.approved',
      details: 'Approved the account.',
    });
    return user;
  }

  /**
   * Switches an account off (active → inactive, ending its sessions) or back on.
   * @throws {AuthError} FORBIDDEN | SELF_PROTECTION | NOT_FOUND
   * @throws {AuthError} CONFLICT — the user is neither active nor inactive.
   */
  async toggle(actor: Actor | null, userId: string): Promise<User> {
    this.access.assert(actor, 'users:edit');
    return this.#changeStatus(actor, userId, (current) =>
      current === 'inactive'
        ? { to: 'active', from: ['inactive'], reason: null, until: null, action: 'user.enabled', details: 'Switched the account on.' }
        : { to: 'inactive', from: ['active'], reason: null, until: null, action: 'user.disabled', details: 'Switched the account off.' },
    );
  }

  /**
   * Blocks a user with a reason, optionally until a date; their sessions end at once and
   * they are told by mail.
   * @throws {AuthError} FORBIDDEN — without `users:block`, or on a user at or above the actor's level.
   * @throws {AuthError} SELF_PROTECTION | NOT_FOUND | VALIDATION_FAILED
   */
  block(actor: Actor | null, userId: string, input: BlockInput): Promise<User> {
    return this.#restrict(actor, userId, input, 'blocked');
  }

  /** Suspends a user: as {@link block}, with the status `suspended`. */
  suspend(actor: Actor | null, userId: string, input: BlockInput): Promise<User> {
    return this.#restrict(actor, userId, input, 'suspended');
  }

  /**
   * Lifts a block or suspension.
   * @throws {AuthError} FORBIDDEN | SELF_PROTECTION | NOT_FOUND
   * @throws {AuthError} CONFLICT — the user is neither blocked nor suspended.
   */
  async unblock(actor: Actor | null, userId: string): Promise<User> {
    this.access.assert(actor, 'users:block');
    return this.#changeStatus(actor, userId, {
      to: 'active',
      from: ['blocked', 'suspended'],
      reason: null,
      until: null,
      action: 'user.unblocked',
      details: 'Lifted the block.',
    });
  }

  /**
   * Soft-deletes a user: the account becomes inactive, its sessions end, its data stays.
   * @throws {AuthError} FORBIDDEN — without `users:delete`, or on a user at or above the actor's level.
   * @throws {AuthError} SELF_PROTECTION | NOT_FOUND
   */
  async delete(actor: Actor | null, userId: string): Promise<User> {
    this.access.assert(actor, 'users:delete');
    return this.#changeStatus(actor, userId, {
      to: 'inactive',
      from: ['pending', 'active', 'inactive', 'blocked', 'suspended'],
      reason: 'deleted',
      until: null,
      action: 'user.deleted',
      details: 'Deleted the account (soft).',
    });
  }

  /**
   * Erases a user and everything that is theirs (roles, sessions, keys, history); activity
   * entries stay, with the user's id cleared. For erasure requests; prefer {@link delete}.
   * @throws {AuthError} FORBIDDEN — without `users:delete`, or on a user at or above the actor's level.
   * @throws {AuthError} SELF_PROTECTION | NOT_FOUND
   */
  async erase(actor: Actor | null, userId: string): Promise<void> {
    this.access.assert(actor, 'users:delete');
    const who = requireActor(actor);
    const id = parseInput(idSchema, userId);
    await this.kernel.transact(clientOf(who), async (uow) => {
      const { record: before } = await this.#target(uow.tx, who, id, 'delete');
      await uow.emit('user.deleted', { user: toUser(before), actorId: actorIdOf(who), erased: true });
      await uow.tx.deleteUser(id);
      await uow.log({ action: 'user.erased', subjectId: null, actorId: actorIdOf(who), details: 'Erased an account and its data.', metadata: { userId: id } });
    });
  }

  /**
   * Makes a user choose a new password at their next sign-in.
   * @throws {AuthError} FORBIDDEN — without `users:edit`, or on a user at or above the actor's level.
   * @throws {AuthError} NOT_FOUND
   */
  async forcePasswordChange(actor: Actor | null, userId: string): Promise<User> {
    this.access.assert(actor, 'users:edit');
    const who = requireActor(actor);
    const id = parseInput(idSchema, userId);
    return this.kernel.transact(clientOf(who), async (uow) => {
      const { record: before } = await this.#target(uow.tx, who, id, 'edit');
      if (before.mustChangePassword) return toUser(before);
      const updated = await uow.tx.updateUser(id, { mustChangePassword: true, updatedAt: this.kernel.now() });
      await uow.log({
        action: 'user.password_change_forced',
        subjectId: id,
        actorId: actorIdOf(who),
        details: 'Required a password change at next sign-in.',
        metadata: { before: { mustChangePassword: false }, after: { mustChangePassword: true } },
      });
      return toUser(updated ?? before);
    });
  }

  /**
   * Signs a user out everywhere: ends every session they have, without changing their
   * status (they may sign in again). Resolves how many sessions ended.
   * @throws {AuthError} FORBIDDEN — without `users:block`, or on a user at or above the actor's level.
   * @throws {AuthError} SELF_PROTECTION — the actor's own sessions (sign out from the profile instead).
   * @throws {AuthError} NOT_FOUND
   */
  async revokeSessions(actor: Actor | null, userId: string): Promise<number> {
    this.access.assert(actor, 'users:block');
    const who = requireActor(actor);
    const id = parseInput(idSchema, userId);
    return this.kernel.transact(clientOf(who), async (uow) => {
      await this.#target(uow.tx, who, id, 'status');
      const revoked = await uow.tx.revokeUserSessions(id, { at: this.kernel.now() });
      await uow.log({
        action: 'user.sessions_revoked',
        subjectId: id,
        actorId: actorIdOf(who),
        details: `Signed the user out everywhere (${revoked} sessions).`,
        metadata: { sessionsRevoked: revoked },
      });
      return revoked;
    });
  }

  /**
   * Replaces a user's roles with exactly these (each optionally until a date).
   * @throws {AuthError} FORBIDDEN — without `roles:assign`, on a user at or above the actor's level, or granting a role at or above it or
   *   carrying a permission the actor does not hold.
   * @throws {AuthError} SELF_PROTECTION — an administrator dropping (or putting an end date on) their own highest role.
   * @throws {AuthError} NOT_FOUND | VALIDATION_FAILED — a role that does not exist.
   */
  async setRoles(actor: Actor | null, userId: string, roles: readonly RoleAssignmentInput[]): Promise<UserDetails> {
    const wanted = parseInput(assignmentsSchema, roles);
    return this.#changeRoles(actor, userId, () => wanted);
  }

  /** Gives a user one more role (or a new end date for one they hold), keeping the others: see {@link setRoles}. */
  async assignRole(actor: Actor | null, userId: string, role: RoleAssignmentInput): Promise<UserDetails> {
    const added = parseInput(assignmentsSchema, [role])[0]!;
    return this.#changeRoles(actor, userId, (held) => [...held.filter((assignment) => assignment.code !== added.code), added]);
  }

  /** Takes one role from a user, keeping the others: see {@link setRoles}. */
  async removeRole(actor: Actor | null, userId: string, roleCode: string): Promise<UserDetails> {
    const code = parseInput(roleCodeSchema, roleCode);
    return this.#changeRoles(actor, userId, (held) => held.filter((assignment) => assignment.code !== code));
  }

  /**
   * Replaces a user's roles with what `plan` makes of the roles they hold, reading and
   * writing in one transaction, so concurrent changes to one user's roles cannot drop each other's.
   */
  async #changeRoles(actor: Actor | null, userId: string, plan: (held: Assignment[]) => Assignment[]): Promise<UserDetails> {
    this.access.assert(actor, 'roles:assign');
    const who = requireActor(actor);
    const id = parseInput(idSchema, userId);
    return this.kernel.transact(clientOf(who), async (uow) => {
      const { tx } = uow;
      const { record: target, grants } = await this.#target(tx, who, id, 'roles');
      const now = this.kernel.now();
      const wanted = plan(grants.map((grant) => ({ code: grant.roleCode, expiresAt: grant.expiresAt })));
      const kept = new Map(wanted.map((role) => [role.code, role]));
      if (who.kind === 'session' && who.user.id === id) {
        // An administrator must keep their own principal role, without an end date.
        const principal = liveRoles(grants, now)[0];
        const keep = principal === undefined ? undefined : kept.get(principal.code);
        if (principal !== undefined && (keep === undefined || (keep.expiresAt ?? null) !== null)) throw new AuthError('SELF_PROTECTION');
      }
      const added = wanted.filter((role) => !grants.some((grant) => grant.roleCode === role.code && sameExpiry(grant.expiresAt, role.expiresAt)));
      await this.#assertGrantable(tx, who, added);
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
      return this.#details(target, after);
    });
  }

  async #restrict(actor: Actor | null, userId: string, input: BlockInput, to: 'blocked' | 'suspended'): Promise<User> {
    this.access.assert(actor, 'users:block');
    const { reason, until } = parseInput(blockSchema, input);
    if (until != null && until <= this.kernel.now()) {
      throw new AuthError('VALIDATION_FAILED', { issues: [{ path: ['until'], code: 'too_small', message: 'The end date must be in the future.' }] });
    }
    return this.#changeStatus(actor, userId, {
      to,
      from: ['pending', 'active', 'inactive', 'blocked', 'suspended'],
      reason,
      until: until ?? null,
      action: to === 'blocked' ? 'user.blocked' : 'user.suspended',
      details: to === 'blocked' ? `Blocked: ${reason}` : `Suspended: ${reason}`,
    });
  }

  /** Moves a user to another status; `plan` may depend on the status the user is in. */
  async #changeStatus(actor: Actor | null, userId: string, plan: StatusChange | ((current: UserStatus) => StatusChange)): Promise<User> {
    const who = requireActor(actor);
    const id = parseInput(idSchema, userId);
    const kernel = this.kernel;
    return kernel.transact(clientOf(who), async (uow) => {
      const { record: before } = await this.#target(uow.tx, who, id, 'status');
      const now = kernel.now();
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
      await this.#emitStatus(uow, change, user, before.status, actorId);
      return user;
    });
  }

  async #emitStatus(uow: UnitOfWork, change: StatusChange, user: User, before: UserStatus, actorId: string | null): Promise<void> {
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

  /**
   * Loads the target under its row lock, then its role assignments, inside the transaction,
   * and applies the guard rails. The lock holds until the change commits: concurrent changes
   * to one user (and sign-ins) run one after the other, each reading what the last one wrote.
   */
  async #target(tx: AuthStore, actor: Actor, id: string, action: AdminAction): Promise<{ record: UserRecord; grants: RoleGrant[] }> {
    const record = await tx.lockUser(id);
    if (record === null) throw new AuthError('NOT_FOUND');
    const grants = await tx.listUserGrants(id);
    assertMayActOn(actor, { id, level: principalLevel(liveRoles(grants, this.kernel.now())) }, action);
    return { record, grants };
  }

  /** Every role must exist, be below the actor's level and carry only permissions the actor holds. */
  async #assertGrantable(tx: AuthStore, actor: Actor, roles: readonly Assignment[]): Promise<void> {
    for (const [index, role] of roles.entries()) {
      const found = await tx.findRole(role.code);
      if (found === null) {
        throw new AuthError('VALIDATION_FAILED', { issues: [{ path: ['roles', index, 'code'], code: 'unknown_role', message: `No role ${role.code}.` }] });
      }
      assertMayGrantRole(actor, found, actor.kind === 'system' ? [] : await tx.listRolePermissions(found.code));
    }
  }

  #details(record: UserRecord, grants: readonly RoleGrant[]): UserDetails {
    const now = this.kernel.now();
    const roles = liveRoles(grants, now);
    return {
      user: toUser(record),
      roles,
      assignments: grants.map(({ role: _role, permissions: _permissions, ...assignment }) => assignment),
      permissions: livePermissions(grants, now),
      level: principalLevel(roles),
    };
  }
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

function assignmentOf(userId: string, role: Assignment, actor: Actor, now: Date): UserRole {
  return { userId, roleCode: role.code, assignedAt: now, assignedBy: actorIdOf(actor), expiresAt: role.expiresAt ?? null };
}

function sameExpiry(held: Date | null, wanted: Date | null | undefined): boolean {
  return (held?.getTime() ?? null) === (wanted?.getTime() ?? null);
}
