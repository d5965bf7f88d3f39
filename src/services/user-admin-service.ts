import { z } from 'zod';
import type { ListPage } from '../domain/activity.js';
import { cursorText, readCursor, toListPage, userCountLimit } from './list-paging.js';
import { toUser, type User, type UserStatus } from '../domain/user.js';
import { AuthError } from '../errors.js';
import {
  identifierNameSchema,
  identifierValueSchema,
  idSchema,
  pagingShape,
  parseInput,
  reasonSchema,
  roleCodeSchema,
  singleLineSchema,
  statusSchema,
} from '../validation/schemas.js';
import type { AccessService } from './access-service.js';
import { actorIdOf, requireActor, type Actor } from '../domain/principal.js';
import { clientOf } from './guards.js';
import type { AdminCreateUserInput, AdminEditUserInput, BlockInput, RoleAssignmentInput, UserDetails, UserListQuery, UserSummary } from './user-admin-types.js';
import { assignmentsSchema, changeRoles, type Assignment } from './user-role-assignments.js';
import { changeStatus, type StatusChange } from './user-status-changes.js';
import { lockTarget, userDetails } from './user-targets.js';
import { accountEditSchemas, createUser, editUser, type AccountEditDeps, type AccountEditSchemas } from './user-account-edits.js';
import type { ImportOptions, ImportRecord, ImportResult } from '../domain/import.js';
import { importUsers, type ImportDependencies } from './user-import.js';

const identifierLookup = z.object({ name: identifierNameSchema, value: identifierValueSchema });

const futureDate = z.coerce.date();
/** The cursors of each order of the list: a cursor of one order is refused by the other. */
const CURSOR_KIND = { newest: 'users', oldest: 'users-oldest' } as const;
const listQuery = z
  .object({
    status: statusSchema.optional(),
    role: roleCodeSchema.optional(),
    q: singleLineSchema(100, 0).optional(),
    order: z.enum(['newest', 'oldest']).default('newest'),
    cursor: cursorText.optional(),
    ...pagingShape,
  })
  .transform(({ cursor, ...query }, ctx) => ({ ...query, cursor: cursor === undefined ? undefined : readCursor(CURSOR_KIND[query.order], cursor, ctx, ['cursor']) }));
const blockSchema = z.object({ reason: reasonSchema, until: futureDate.nullable().optional() });

/** What the user administration service works with: what creating and editing accounts needs, and the import's. */
export interface UserAdminServiceDeps extends AccountEditDeps {
  /** What `import()` needs. */
  readonly imports: ImportDependencies;
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
  readonly #schemas: AccountEditSchemas;

  constructor(
    private readonly deps: UserAdminServiceDeps,
    private readonly access: AccessService,
  ) {
    this.#schemas = accountEditSchemas(deps.policy);
  }

  /**
   * A page of users matching every filter, newest first (or oldest first with `order:
   * 'oldest'`: the last page of the one order is the first of the other). The total is exact up to 1,000
   * matches; past that it is 1,000 with `totalExact: false` ("more than 1,000"). When filters
   * combine — two or more of `status`, `role` and the words of `q` (an address counts as one
   * word) — it is exact up to 100 only, and past that 100 with `totalExact: false` ("more than
   * 100"): each match of such a count is checked against every filter. Page on with
   * `nextCursor` (the same cost at any depth) or with `page` numbers.
   * @throws {AuthError} FORBIDDEN — without `users:view`.
   * @throws {AuthError} VALIDATION_FAILED — a malformed filter, or a `cursor` this list did not hand out.
   * @example
   * ```ts
   * const first = await auth.users.list(ctx, { status: 'blocked', pageSize: 50 });
   * const next = first.nextCursor === null ? null : await auth.users.list(ctx, { status: 'blocked', pageSize: 50, cursor: first.nextCursor });
   * ```
   */
  async list(actor: Actor | null, query: UserListQuery = {}): Promise<ListPage<User>> {
    this.access.assert(actor, 'users:view');
    const { status, role, q, order, cursor, page, pageSize } = parseInput(listQuery, query);
    // A cursor says where the page starts: the page number is then ignored.
    const offset = cursor === undefined ? (page - 1) * pageSize : 0;
    const result = await this.deps.store.listUsers({
      status,
      roleCode: role,
      text: q === undefined || q === '' ? undefined : q,
      offset,
      limit: pageSize,
      now: this.deps.stamps.now(),
      order,
      after: cursor,
      countLimit: userCountLimit({ status, role, q }),
    });
    return toListPage(CURSOR_KIND[order], result, toUser, { offset, limit: pageSize, byCursor: cursor !== undefined });
  }

  /**
   * One user with roles, assignments and effective permissions.
   * @throws {AuthError} FORBIDDEN — without `users:view`.
   * @throws {AuthError} NOT_FOUND
   */
  async get(actor: Actor | null, userId: string): Promise<UserDetails> {
    this.access.assert(actor, 'users:view');
    const id = parseInput(idSchema, userId);
    const [record, grants] = await Promise.all([this.deps.store.findUserById(id), this.deps.store.listUserGrants(id)]);
    if (record === null) throw new AuthError('NOT_FOUND');
    return userDetails(this.deps.stamps, record, grants);
  }

  /**
   * The user holding an external identifier (`legacyId`, `documentNumber`, a unique
   * registration field), or `null`; the value is compared exactly.
   * @throws {AuthError} FORBIDDEN — without `users:view`.
   * @throws {AuthError} VALIDATION_FAILED — not an identifier name, or a value no identifier can have.
   * @example
   * ```ts
   * const owner = await auth.users.findByIdentifier(ctx, 'legacyId', String(order.usuario_id));
   * ```
   */
  async findByIdentifier(actor: Actor | null, name: string, value: string): Promise<User | null> {
    this.access.assert(actor, 'users:view');
    const input = parseInput(identifierLookup, { name, value });
    const record = await this.deps.store.findUserByIdentifier(input.name, input.value);
    return record === null ? null : toUser(record);
  }

  /**
   * Imports users from another system with their password hashes, identifiers, status,
   * roles, history, TOTP secret and past activity, in batches, idempotently: each record is
   * validated as `users.create` validates its input (except the password policy), matched to the
   * user a previous run made ({@link ImportOptions.matchBy}), and written with its batch in one
   * transaction. See docs/guides/migrating-from-php.md.
   * @throws {AuthError} FORBIDDEN — unless the actor is the system, or holds `users:create` and `roles:assign` (a role the actor may not grant refuses its records).
   * @throws {AuthError} VALIDATION_FAILED — malformed options.
   * @example
   * ```ts
   * const { imported, updated, skipped, refused } = await auth.users.import(auth.system, records);
   * ```
   */
  async import(actor: Actor | null, records: Iterable<ImportRecord> | AsyncIterable<ImportRecord>, options: ImportOptions = {}): Promise<ImportResult> {
    const who = requireActor(actor);
    if (who.kind !== 'system') {
      this.access.assert(actor, 'users:create');
      this.access.assert(actor, 'roles:assign');
    }
    return importUsers(this.deps.imports, who, records, options);
  }

  /**
   * Active sessions, last sign-in, last activity and days inactive of a user.
   * @throws {AuthError} FORBIDDEN — without `users:view`.
   * @throws {AuthError} NOT_FOUND
   */
  async summary(actor: Actor | null, userId: string): Promise<UserSummary> {
    this.access.assert(actor, 'users:view');
    const id = parseInput(idSchema, userId);
    const store = this.deps.store;
    const now = this.deps.stamps.now();
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
    return createUser(this.deps, this.#schemas, requireActor(actor), input);
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
    return editUser(this.deps, this.#schemas, requireActor(actor), parseInput(idSchema, userId), input);
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
    await this.deps.units.transact(clientOf(who), async (uow) => {
      const { record: before } = await lockTarget(uow.tx, this.deps.stamps, who, id, 'delete');
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
    return this.deps.units.transact(clientOf(who), async (uow) => {
      const { record: before } = await lockTarget(uow.tx, this.deps.stamps, who, id, 'edit');
      if (before.mustChangePassword) return toUser(before);
      const updated = await uow.tx.updateUser(id, { mustChangePassword: true, updatedAt: this.deps.stamps.now() });
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
    return this.deps.units.transact(clientOf(who), async (uow) => {
      await lockTarget(uow.tx, this.deps.stamps, who, id, 'status');
      const revoked = await uow.tx.revokeUserSessions(id, { at: this.deps.stamps.now() });
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
  #changeRoles(actor: Actor | null, userId: string, plan: (held: Assignment[]) => Assignment[]): Promise<UserDetails> {
    this.access.assert(actor, 'roles:assign');
    return changeRoles(this.deps, requireActor(actor), parseInput(idSchema, userId), plan);
  }

  /** Moves a user to another status; `plan` may depend on the status the user is in. */
  #changeStatus(actor: Actor | null, userId: string, plan: StatusChange | ((current: UserStatus) => StatusChange)): Promise<User> {
    return changeStatus(this.deps, requireActor(actor), parseInput(idSchema, userId), plan);
  }

  async #restrict(actor: Actor | null, userId: string, input: BlockInput, to: 'blocked' | 'suspended'): Promise<User> {
    this.access.assert(actor, 'users:block');
    const { reason, until } = parseInput(blockSchema, input);
    if (until != null && until <= this.deps.stamps.now()) {
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


}
