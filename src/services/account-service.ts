import { z } from 'zod';
import { normalizeClient, type ClientInfo } from '../domain/client.js';
import { diff } from '../domain/diff.js';
import { toUser, type User, type UserRecord } from '../domain/user.js';
import { AuthError, isAuthError } from '../errors.js';
import {
  emailSchema,
  givenPasswordSchema,
  localeSchema,
  nameSchema,
  parseInput,
  parseWithAppFields,
  tokenSchema,
} from '../validation/schemas.js';
import { requireContext, type AuthContext } from '../domain/principal.js';
import type { UnitOfWork, UnitsOfWork } from './unit-of-work.js';
import type { TwoFactorService } from './two-factor-service.js';
import type { AuthStore } from '../ports/auth-store.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import type { PasswordPolicy } from '../validation/password-policy.js';
import type { ResolvedOptions } from '../options.js';
import type { Stamps } from './stamps.js';
import { checkNewUser, newUserOf } from './new-users.js';
import type { BackgroundWork } from './background.js';
import type { MailDelivery } from './mail-delivery.js';
import type { LegacyAccounts } from './legacy-accounts.js';
import type { LoginThrottle } from './login-throttle.js';
import { writeUniqueFields } from './unique-fields.js';

/** What {@link AccountService.register} takes: gatehouse's fields plus the application's own. */
export interface RegisterInput {
  /** The address: checked, then lower-cased; activation mails go there. */
  email: string;
  /** The password in clear, checked against the password policy; only its hash is stored. */
  password: string;
  /** The display name. */
  name: string;
  /** Preferred language of messages, e.g. `es`. */
  locale?: string | undefined;
  /** The application's own fields, validated by `registration.fields`. */
  [field: string]: unknown;
}

/** What a call that changed an account answers. */
export interface UserResult {
  /** The account, after the change. */
  user: User;
}

/** What {@link AccountService.updateProfile} takes: any of the own editable fields. */
export interface ProfileInput {
  /** A new display name. */
  name?: string | undefined;
  /** A preferred language such as `es`, or `null` for the application's default. */
  locale?: string | null | undefined;
  /** The application's own fields. */
  [field: string]: unknown;
}

const keyInput = z.object({ key: tokenSchema });
const emailInput = z.object({ email: emailSchema });


/** What the account service works with. */
export interface AccountServiceDeps {
  readonly store: AuthStore;
  readonly hasher: PasswordHasher;
  readonly policy: PasswordPolicy;
  readonly options: Pick<ResolvedOptions, 'registration'>;
  readonly stamps: Stamps;
  readonly units: Pick<UnitsOfWork, 'transact'>;
  readonly work: Pick<BackgroundWork, 'background'>;
  readonly mail: Pick<MailDelivery, 'mayMail'>;
  readonly throttle: Pick<LoginThrottle, 'verifyPassword'>;
  /** Lazy migration: an address the legacy system still holds is taken. */
  readonly legacy: Pick<LegacyAccounts, 'enabled' | 'bringOver'>;
}
/** Registration, activation and each user's own profile. */
export class AccountService {
  readonly #registerSchema;

  constructor(
    private readonly deps: AccountServiceDeps,
    private readonly twoFactor: TwoFactorService,
  ) {
    this.#registerSchema = z.object({
      email: emailSchema,
      password: deps.policy.schema,
      name: nameSchema,
      locale: localeSchema.optional(),
    });
  }

  /**
   * Registers a user: validates gatehouse's and the application's fields, refuses a taken
   * email, hashes the password with argon2id, creates the user (with the default role and
   * the `onRegister` hook) in one transaction, and mails an activation key. The user starts
   * `pending` when registration requires approval, otherwise `active` but unverified.
   *
   * @throws {AuthError} VALIDATION_FAILED — with every bad field, gatehouse's and the application's.
   * @throws {AuthError} WEAK_PASSWORD — a common password, or the user's email or name.
   * @throws {AuthError} EMAIL_TAKEN — the email belongs to an account, also when two registrations race; unless
   *   `registration.revealExistingEmail` is `false`: then the answer is that of a new account (a user that is not
   *   stored), after the same hashing work, and the owner of the address is mailed a `registration-attempt` notice.
   */
  async register(input: RegisterInput, client?: ClientInfo): Promise<UserResult> {
    const deps = this.deps;
    const options = deps.options.registration;
    const checked = await checkNewUser(deps, this.#registerSchema, input);
    const { data, passwordHash } = checked;
    const newRecord = (): UserRecord =>
      newUserOf(deps.stamps, checked, { status: options.requireApproval ? 'pending' : 'active', emailVerifiedAt: null, mustChangePassword: false }, deps.stamps.now());

    // An address the legacy system still holds is taken: its user comes over now, and the answer is the one for any taken address.
    if (deps.legacy.enabled && (await deps.store.findUserByEmail(data.email)) === null) await deps.legacy.bringOver(data.email);
    const registered = deps.units.transact(client, async (uow) => {
      const { tx } = uow;
      const existing = await tx.findUserByEmail(data.email);
      if (existing !== null) {
        if (options.revealExistingEmail) throw new AuthError('EMAIL_TAKEN');
        await this.#noticeAttempt(uow, existing);
        return null;
      }
      const record = newRecord();
      const now = record.createdAt;
      await tx.insertUser(record);
      await writeUniqueFields(tx, record.id, options.uniqueFields, record.attributes, { fresh: true });
      if (options.defaultRole !== null) {
        if ((await tx.findRole(options.defaultRole)) === null) {
          throw new TypeError(`registration.defaultRole '${options.defaultRole}' does not exist: create or seed it first`);
        }
        await tx.assignRole({ userId: record.id, roleCode: options.defaultRole, assignedAt: now, assignedBy: null, expiresAt: null });
      }
      const created = toUser(record);
      // The application's rows come right after the user's own: gatehouse's writes that follow are undone with them on failure.
      await options.onRegister?.(created, { store: tx, transaction: uow.appTransaction });
      await tx.appendPasswordHistory({ id: deps.stamps.newId(), userId: record.id, passwordHash, changedAt: now, reason: 'registered', forced: false });
      const key = await uow.issueKey(created, 'activation', created.email);
      await uow.log({
        action: 'user.registered',
        subjectId: record.id,
        actorId: record.id,
        details: 'Registered.',
        metadata: { email: record.email, status: record.status, role: options.defaultRole },
      });
      await uow.emit('user.registered', { user: created });
      uow.mail({ kind: 'activation', user: created, key });
      return created;
    });
    const user = await registered.catch((error: unknown) => {
      // Lost a race for the address: with revealExistingEmail off, that says nothing either.
      if (!options.revealExistingEmail && isAuthError(error, 'EMAIL_TAKEN')) return null;
      throw error;
    });
    // A taken address, not revealed: the answer of a new account, which is not stored.
    return { user: user ?? toUser(newRecord()) };
  }

  /**
   * Whether registration and the HTTP layer say that an address has an account
   * (`registration.revealExistingEmail`); the HTTP layer serves `check-email` only then.
   */
  get revealsExistingEmail(): boolean {
    return this.deps.options.registration.revealExistingEmail;
  }

  /** Tells the owner of an address that someone tried to register with it, and logs the attempt. */
  async #noticeAttempt(uow: UnitOfWork, existing: UserRecord): Promise<void> {
    const owner = toUser(existing);
    await uow.log({
      action: 'user.registration_attempted',
      subjectId: owner.id,
      actorId: null,
      details: 'Someone tried to register with this address.',
      metadata: { email: owner.email },
    });
    uow.mail({ kind: 'registration-attempt', user: owner, data: { at: this.deps.stamps.now() } });
  }

  /**
   * Whether no account uses this email.
   * @throws {AuthError} VALIDATION_FAILED — not an acceptable email address.
   */
  async isEmailAvailable(email: string): Promise<boolean> {
    const normalized = parseInput(emailSchema, email);
    return (await this.deps.store.findUserByEmail(normalized)) === null && (await this.deps.legacy.bringOver(normalized)) === null;
  }

  /**
   * Activates an account with the emailed `activationKey`: marks the email verified. The key
   * works once. Every session the account had ends, and a two-step enrolment made before the
   * address was verified is dropped: the activation proves the address, not who registered it.
   * @throws {AuthError} VALIDATION_FAILED — a blank or malformed key.
   * @throws {AuthError} KEY_EXPIRED — the key is past its lifetime.
   * @throws {AuthError} KEY_INVALID — unknown, used, or replaced by a newer key.
   */
  async activate(input: { key: string }, client?: ClientInfo): Promise<UserResult> {
    const { key } = parseInput(keyInput, input);
    const deps = this.deps;
    return deps.units.transact(client, async (uow) => {
      const consumed = await uow.consumeKey(key, 'activation');
      const record = await uow.tx.findUserById(consumed.userId);
      // A key mailed to an address the account no longer has proves nothing about the current one.
      if (record === null || record.email !== consumed.sentTo) throw new AuthError('KEY_INVALID');
      const now = deps.stamps.now();
      const updated = record.emailVerifiedAt === null ? await uow.tx.updateUser(record.id, { emailVerifiedAt: now, updatedAt: now }) : record;
      const user = toUser(updated ?? record);
      // The address owner proved it just now: whoever opened sessions (or set up a second factor)
      // before, perhaps a stranger who registered the address first, is shut out.
      const sessionsRevoked = await uow.tx.revokeUserSessions(user.id, { at: now });
      if (record.emailVerifiedAt === null) await this.twoFactor.dropUnprovenEnrolment(uow, user.id);
      await uow.log({ action: 'user.activated', subjectId: user.id, actorId: user.id, details: 'Activated the account.', metadata: { email: user.email, sessionsRevoked } });
      await uow.emit('user.activated', { user });
      return { user };
    });
  }

  /**
   * Mails a fresh activation key (voiding older ones) when the email belongs to an account
   * not yet activated, at most `rateLimits.activationMails` times per address (3 per 15
   * minutes by default, counted in the rate-limit store). Answers identically, and as fast,
   * whatever the email and whether or not a mail is sent: the work happens in the background.
   * @throws {AuthError} VALIDATION_FAILED — not an acceptable email address.
   */
  async resendActivation(input: { email: string }, client?: ClientInfo): Promise<void> {
    const { email } = parseInput(emailInput, input);
    const deps = this.deps;
    const who = normalizeClient(client);
    deps.work.background('resend activation', async () => {
      const record = await deps.store.findUserByEmail(email);
      if (record === null || record.emailVerifiedAt !== null || record.status === 'blocked' || record.status === 'suspended') return;
      // At most `rateLimits.activationMails` per address: past it, the answer is the same and nothing is sent.
      if (!(await deps.mail.mayMail('activationMails', record.email))) return;
      await deps.units.transact(who, async (uow) => {
        const user = toUser(record);
        const key = await uow.issueKey(user, 'activation', user.email);
        await uow.log({ action: 'user.activation_resent', subjectId: user.id, actorId: null, details: 'Sent a new activation key.', metadata: {} });
        uow.mail({ kind: 'activation', user, key });
      });
    });
  }

  /** The signed-in user's profile, read fresh from the store. */
  async getProfile(context: AuthContext | null): Promise<User> {
    const ctx = requireContext(context);
    const record = await this.deps.store.findUserById(ctx.user.id);
    if (record === null) throw new AuthError('UNAUTHENTICATED');
    return toUser(record);
  }

  /**
   * Updates the signed-in user's own name, language and application fields. The email is
   * changed through {@link requestEmailChange}; status, roles and password are not profile fields.
   * @throws {AuthError} VALIDATION_FAILED
   */
  async updateProfile(context: AuthContext | null, input: ProfileInput): Promise<User> {
    const ctx = requireContext(context);
    const deps = this.deps;
    const schema = z.object({ name: nameSchema.optional(), locale: localeSchema.nullable().optional() });
    const { data, attributes } = await parseWithAppFields(schema, deps.options.registration.fields, input, { partial: true });
    return deps.units.transact(ctx.client, async (uow) => {
      // Under the user's lock: the attributes merged here are the ones stored now, not before a concurrent change.
      const before = await uow.tx.lockUser(ctx.user.id);
      if (before === null) throw new AuthError('UNAUTHENTICATED');
      const after = {
        name: data.name ?? before.name,
        locale: data.locale === undefined ? before.locale : data.locale,
        attributes: { ...before.attributes, ...attributes },
      };
      const changed = diff({ name: before.name, locale: before.locale, attributes: before.attributes }, after);
      if (changed === null) return toUser(before);
      await writeUniqueFields(uow.tx, before.id, deps.options.registration.uniqueFields, after.attributes, { fresh: false });
      const updated = await uow.tx.updateUser(before.id, { ...after, updatedAt: deps.stamps.now() });
      const user = toUser(updated ?? before);
      await uow.log({ action: 'profile.updated', subjectId: user.id, actorId: user.id, details: 'Updated the profile.', metadata: changed });
      await uow.emit('user.profileUpdated', { user, actorId: user.id });
      return user;
    });
  }

  /**
   * Starts an email change: after the current password is confirmed, mails a key to the
   * new address; the account keeps its current address until that key is used.
   * @throws {AuthError} VALIDATION_FAILED
   * @throws {AuthError} RATE_LIMITED | INVALID_CREDENTIALS — the current password is wrong (counts toward the lockout).
   * @throws {AuthError} EMAIL_TAKEN — another account has the new address.
   */
  async requestEmailChange(context: AuthContext | null, input: { newEmail: string; currentPassword: string }): Promise<void> {
    const ctx = requireContext(context);
    const deps = this.deps;
    const { newEmail, currentPassword } = parseInput(z.object({ newEmail: emailSchema, currentPassword: givenPasswordSchema }), input);
    const record = await deps.store.findUserById(ctx.user.id);
    if (record === null) throw new AuthError('UNAUTHENTICATED');
    await deps.throttle.verifyPassword({ email: record.email, user: record, password: currentPassword, client: ctx.client, action: 'password.confirm', actorId: record.id });
    if (newEmail === record.email) return;
    if ((await deps.store.findUserByEmail(newEmail)) !== null) throw new AuthError('EMAIL_TAKEN');
    await deps.units.transact(ctx.client, async (uow) => {
      const user = toUser(record);
      const key = await uow.issueKey(user, 'email-change', newEmail);
      await uow.log({ action: 'email.change_requested', subjectId: user.id, actorId: user.id, details: 'Asked to change the email address.', metadata: { from: user.email, to: newEmail } });
      uow.mail({ kind: 'email-change', user, to: newEmail, key });
    });
  }

  /**
   * Completes an email change with the key mailed to the new address.
   * @throws {AuthError} VALIDATION_FAILED | KEY_EXPIRED | KEY_INVALID
   * @throws {AuthError} EMAIL_TAKEN — the address was taken in the meantime.
   */
  async confirmEmailChange(input: { key: string }, client?: ClientInfo): Promise<UserResult> {
    const { key } = parseInput(keyInput, input);
    const deps = this.deps;
    return deps.units.transact(client, async (uow) => {
      const consumed = await uow.consumeKey(key, 'email-change');
      const before = await uow.tx.findUserById(consumed.userId);
      if (before === null) throw new AuthError('KEY_INVALID');
      const now = deps.stamps.now();
      const updated = await uow.tx.updateUser(before.id, { email: consumed.sentTo, emailVerifiedAt: now, updatedAt: now });
      const user = toUser(updated ?? before);
      await uow.log({ action: 'email.changed', subjectId: user.id, actorId: user.id, details: 'Changed the email address.', metadata: { before: { email: before.email }, after: { email: user.email } } });
      await uow.emit('user.emailChanged', { user, before: before.email, after: user.email });
      return { user };
    });
  }
}
