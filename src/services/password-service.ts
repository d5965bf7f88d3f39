import { z } from 'zod';
import { hashToken } from '../crypto/tokens.js';
import { normalizeClient, type ClientInfo } from '../domain/client.js';
import { toUser, type UserRecord } from '../domain/user.js';
import { AuthError } from '../errors.js';
import { emailSchema, givenPasswordSchema, parseInput, tokenSchema } from '../validation/schemas.js';
import { requireContext, type AuthContext } from '../domain/principal.js';
import type { UnitOfWork, UnitsOfWork } from './unit-of-work.js';
import type { TwoFactorService } from './two-factor-service.js';
import type { AuthStore } from '../ports/auth-store.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import type { PasswordPolicy } from '../validation/password-policy.js';
import type { ResolvedOptions } from '../options.js';
import type { Stamps } from './stamps.js';
import type { BackgroundWork } from './background.js';
import type { MailDelivery } from './mail-delivery.js';
import type { LoginThrottle } from './login-throttle.js';


/** What the password service works with. */
export interface PasswordServiceDeps {
  readonly store: AuthStore;
  readonly hasher: PasswordHasher;
  readonly policy: PasswordPolicy;
  readonly options: Pick<ResolvedOptions, 'passwords'>;
  readonly stamps: Stamps;
  readonly units: Pick<UnitsOfWork, 'transact'>;
  readonly work: Pick<BackgroundWork, 'background'>;
  readonly mail: Pick<MailDelivery, 'mayMail'>;
  readonly throttle: Pick<LoginThrottle, 'verifyPassword'>;
}
/** Forgotten passwords (`resetKey`, `resetDate`) and password changes. */
export class PasswordService {
  readonly #resetSchema;
  readonly #changeSchema;

  constructor(
    private readonly deps: PasswordServiceDeps,
    private readonly twoFactor: TwoFactorService,
  ) {
    this.#resetSchema = z.object({ key: tokenSchema, password: deps.policy.schema });
    this.#changeSchema = z.object({ currentPassword: givenPasswordSchema, newPassword: deps.policy.schema });
  }

  /**
   * Mails a `resetKey` to the account's stored address (never to the string submitted),
   * voiding earlier ones; the key's creation time is its `resetDate`, and it works for
   * `keys.passwordResetLifetime` seconds. At most `rateLimits.passwordResetMails` mails go
   * to one address (3 per 15 minutes by default, counted in the rate-limit store, so every
   * instance shares the count). Answers identically, and as fast, whether or not the email
   * belongs to an account and whether or not a mail is sent: the work happens in the background.
   * @throws {AuthError} VALIDATION_FAILED — not an acceptable email address.
   */
  async requestReset(input: { email: string }, client?: ClientInfo): Promise<void> {
    const { email } = parseInput(z.object({ email: emailSchema }), input);
    const deps = this.deps;
    const who = normalizeClient(client);
    deps.work.background('password reset request', async () => {
      const record = await deps.store.findUserByEmail(email);
      // At most `rateLimits.passwordResetMails` per address: past it, the answer is the same and nothing is sent.
      if (record === null || !(await deps.mail.mayMail('passwordResetMails', record.email))) return;
      await deps.units.transact(who, async (uow) => {
        const user = toUser(record);
        const key = await uow.issueKey(user, 'password-reset', user.email);
        await uow.log({ action: 'password.reset_requested', subjectId: user.id, actorId: null, details: 'Asked for a password reset.', metadata: {} });
        uow.mail({ kind: 'password-reset', user, key });
      });
    });
  }

  /**
   * Sets a new password with a `resetKey`, which works exactly once even under concurrent
   * use. Also proves the address, so an unverified account becomes verified and loses a
   * two-step enrolment made before; every session of the account is revoked and its other
   * reset keys are voided (so an account pre-registered by someone else is taken back).
   * @throws {AuthError} VALIDATION_FAILED — a blank or malformed key, or a password outside the length bounds.
   * @throws {AuthError} KEY_EXPIRED | KEY_INVALID
   * @throws {AuthError} WEAK_PASSWORD | PASSWORD_REUSED
   */
  async reset(input: { key: string; password: string }, client?: ClientInfo): Promise<void> {
    const { key, password } = parseInput(this.#resetSchema, input);
    const deps = this.deps;
    // Read the key first to check the password against its owner; consuming it happens atomically below.
    const found = await deps.store.findOneTimeKey(hashToken(key));
    if (found === null || found.purpose !== 'password-reset' || found.usedAt !== null || found.voidedAt !== null) throw new AuthError('KEY_INVALID');
    if (found.expiresAt <= deps.stamps.now()) throw new AuthError('KEY_EXPIRED');
    const record = await deps.store.findUserById(found.userId);
    if (record === null) throw new AuthError('KEY_INVALID');
    const passwordHash = await this.#checkedHash(record, password, 'password');

    await deps.units.transact(client, async (uow) => {
      const consumed = await uow.consumeKey(key, 'password-reset');
      const current = await uow.tx.findUserById(consumed.userId);
      if (current === null || current.email !== consumed.sentTo) throw new AuthError('KEY_INVALID');
      const now = deps.stamps.now();
      await this.#setPassword(uow, current, passwordHash, {
        reason: 'reset',
        keepSessionId: undefined,
        extra: current.emailVerifiedAt === null ? { emailVerifiedAt: now } : {},
      });
      // This reset is the first proof of the address: a second factor set up before it is not the owner's to keep.
      if (current.emailVerifiedAt === null) await this.twoFactor.dropUnprovenEnrolment(uow, current.id);
      await uow.log({ action: 'password.reset', subjectId: current.id, actorId: current.id, details: 'Reset the password with a mailed key.', metadata: { keyId: consumed.id } });
      await uow.emit('user.passwordReset', { user: toUser(current) });
    });
  }

  /**
   * Changes the signed-in user's password after confirming the current one, and signs out
   * their other sessions. Clears a forced change.
   * @throws {AuthError} VALIDATION_FAILED
   * @throws {AuthError} RATE_LIMITED | INVALID_CREDENTIALS — the current password is wrong (counts toward the lockout).
   * @throws {AuthError} WEAK_PASSWORD | PASSWORD_REUSED
   */
  async change(context: AuthContext | null, input: { currentPassword: string; newPassword: string }): Promise<void> {
    const ctx = requireContext(context);
    const { currentPassword, newPassword } = parseInput(this.#changeSchema, input);
    const deps = this.deps;
    const record = await deps.store.findUserById(ctx.user.id);
    if (record === null) throw new AuthError('UNAUTHENTICATED');
    await deps.throttle.verifyPassword({ email: record.email, user: record, password: currentPassword, client: ctx.client, action: 'password.confirm', actorId: record.id });
    const passwordHash = await this.#checkedHash(record, newPassword, 'newPassword');
    await deps.units.transact(ctx.client, async (uow) => {
      await this.#setPassword(uow, record, passwordHash, { reason: 'changed', keepSessionId: ctx.session.id, extra: {} });
      await uow.log({ action: 'password.changed', subjectId: record.id, actorId: record.id, details: 'Changed the password.', metadata: { forced: record.mustChangePassword } });
      await uow.emit('user.passwordChanged', { user: toUser(record), actorId: record.id });
    });
  }

  /** Applies the policy and history to a new password, then hashes it (outside any transaction: hashing is slow). */
  async #checkedHash(user: UserRecord, password: string, field: string): Promise<string> {
    await this.deps.policy.assertAcceptable(password, user, field);
    await this.#assertNotReused(user, password, field);
    return this.deps.hasher.hash(password);
  }

  /**
   * Refuses a new password that matches the user's current one or one of their last
   * `historyDepth` passwords.
   * @throws {AuthError} PASSWORD_REUSED
   */
  async #assertNotReused(user: UserRecord, password: string, field: string): Promise<void> {
    const depth = this.deps.options.passwords.historyDepth;
    if (depth === 0) return;
    const history = await this.deps.store.listPasswordHistory(user.id, depth);
    const hashes = new Set(history.map((entry) => entry.passwordHash));
    if (user.passwordHash !== null) hashes.add(user.passwordHash);
    const matches = await Promise.all([...hashes].map((hash) => this.deps.hasher.verify(hash, password)));
    if (matches.some(Boolean)) {
      throw new AuthError('PASSWORD_REUSED', {
        issues: [{ path: [field], code: 'password_reused', message: `Choose a password you have not used in your last ${depth} changes.` }],
      });
    }
  }

  /** Stores a new password hash with its history entry, revokes sessions, voids outstanding reset keys and queues the notice. */
  async #setPassword(
    uow: UnitOfWork,
    user: UserRecord,
    passwordHash: string,
    options: { reason: string; keepSessionId: string | undefined; extra: Partial<UserRecord> },
  ): Promise<void> {
    const now = this.deps.stamps.now();
    const updated = await uow.tx.updateUser(user.id, { ...options.extra, passwordHash, mustChangePassword: false, updatedAt: now });
    await uow.tx.appendPasswordHistory({
      id: this.deps.stamps.newId(),
      userId: user.id,
      passwordHash,
      changedAt: now,
      reason: options.reason,
      forced: user.mustChangePassword,
    });
    await uow.tx.revokeUserSessions(user.id, { at: now, exceptId: options.keepSessionId });
    // A reset key mailed before the change must not undo it.
    await uow.tx.voidOneTimeKeys(user.id, 'password-reset', now);
    uow.mail({ kind: 'password-changed', user: toUser(updated ?? user), data: { at: now } });
  }
}
