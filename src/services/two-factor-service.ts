import { z } from 'zod';
import { SecretBox } from '../crypto/secret-box.js';
import { hashToken } from '../crypto/tokens.js';
import { base32Decode, base32Encode, matchTotp, totpUri } from '../crypto/totp.js';
import type { TwoFactorRecord } from '../domain/two-factor.js';
import { liveRoles, principalLevel } from '../domain/role.js';
import type { UserRecord } from '../domain/user.js';
import { AuthError } from '../errors.js';
import { TWO_FACTOR_STORE_METHODS, type AuthStore, type TwoFactorStore } from '../ports/auth-store.js';
import { givenPasswordSchema, idSchema, parseInput } from '../validation/schemas.js';
import type { AccessService } from './access-service.js';
import { actorIdOf, requireActor, requireContext, type Actor, type AuthContext } from '../domain/principal.js';
import { assertMayActOn, clientOf } from './guards.js';
import type { ResolvedOptions } from '../options.js';
import type { Stamps } from './stamps.js';
import { keyLifetime, type UnitOfWork, type UnitsOfWork } from './unit-of-work.js';
import type { ErrorReport } from './background.js';
import type { LoginThrottle } from './login-throttle.js';

/** How many recovery codes a user gets. */
export const RECOVERY_CODE_COUNT = 10;

/** A TOTP secret: 160 bits, as RFC 4226 recommends. */
const SECRET_BYTES = 20;
/**
 * Recovery codes are 120 random bits (over the 112 NIST SP 800-63B asks of a look-up secret
 * stored as a plain hash): 24 base32 characters, shown as six groups of four. Codes of 16
 * characters (80 bits, issued before) still work until used or regenerated.
 */
const RECOVERY_CODE_BYTES = 15;
const RECOVERY_CODE = /^(?:[A-Z2-7]{24}|[A-Z2-7]{16})$/;

const codeInput = z.object({ code: z.string().max(64) });
const passwordInput = z.object({ password: givenPasswordSchema });

/** Where a user stands with two-factor authentication. */
export interface TwoFactorStatus {
  /** Codes are asked for at sign-in. */
  readonly enabled: boolean;
  /** An enrolment was started and waits for its first code. */
  readonly pending: boolean;
}

/** What {@link TwoFactorService.enrol} gives the user to put in their authenticator app. */
export interface TwoFactorEnrolment {
  /** The secret in base32, for typing into the app. */
  readonly secret: string;
  /** The `otpauth://` URI, for a QR code. */
  readonly uri: string;
}

/** Fresh recovery codes, to show the user once. */
export interface RecoveryCodes {
  /** Ten single-use codes, `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`; only their hashes are stored. */
  recoveryCodes: string[];
}

/** How a second step was proven. */
export type SecondFactor = 'totp' | 'recovery-code';


/** What the two-factor service works with. */
export interface TwoFactorServiceDeps {
  readonly store: AuthStore;
  readonly options: Pick<ResolvedOptions, 'appName' | 'twoFactor' | 'keys'>;
  readonly stamps: Stamps;
  readonly units: Pick<UnitsOfWork, 'transact'>;
  readonly report: ErrorReport;
  readonly throttle: Pick<LoginThrottle, 'verifyPassword'>;
}
/**
 * Two-factor authentication with TOTP (RFC 6238: SHA-1, 6 digits, 30 s, the format
 * authenticator apps read) and single-use recovery codes. The secret is stored encrypted
 * with the application's key; a code is accepted once, with one step of clock drift.
 *
 * @example
 * ```ts
 * const { secret, uri } = await auth.twoFactor.enrol(ctx, { password }); // show the URI as a QR code
 * const { recoveryCodes } = await auth.twoFactor.confirm(ctx, { code: '123456' }); // show once
 * // at sign-in: login() throws TWO_FACTOR_REQUIRED with a challenge, then
 * await auth.sessions.verifyTwoFactor({ challenge, code });
 * ```
 */
export class TwoFactorService {
  readonly #box: SecretBox | undefined;

  constructor(
    private readonly deps: TwoFactorServiceDeps,
    private readonly access: AccessService,
  ) {
    const options = deps.options.twoFactor;
    if (options !== undefined) {
      const missing = TWO_FACTOR_STORE_METHODS.filter((method) => typeof deps.store[method] !== 'function');
      if (missing.length > 0) throw new TypeError(`twoFactor needs a store with ${missing.join(', ')}`);
      this.#box = new SecretBox(options.encryptionKey, options.previousKeys);
    }
  }

  /** Whether two-factor authentication is configured. */
  get available(): boolean {
    return this.#box !== undefined;
  }

  /** The signed-in user's two-factor status. */
  async status(context: AuthContext | null): Promise<TwoFactorStatus> {
    const ctx = requireContext(context);
    if (this.#box === undefined) return { enabled: false, pending: false };
    const record = await this.#store(this.deps.store).findTwoFactor(ctx.user.id);
    return { enabled: record?.enabledAt != null, pending: record !== null && record.enabledAt === null };
  }

  /**
   * Starts an enrolment, after confirming the password: a fresh secret, stored encrypted,
   * that the user adds to their authenticator app. Nothing changes at sign-in until
   * {@link confirm} sees a first code. The password is asked because a second factor set by
   * whoever holds a session (a stolen one, or one opened before the owner proved the address)
   * would lock the owner out.
   * @throws {AuthError} VALIDATION_FAILED — no password given.
   * @throws {AuthError} RATE_LIMITED | INVALID_CREDENTIALS — the password is wrong (counts toward the lockout).
   * @throws {AuthError} CONFLICT — two-factor is already on.
   * @throws {TypeError} — two-factor is not configured (`twoFactor.encryptionKey`).
   */
  async enrol(context: AuthContext | null, input: { password: string }): Promise<TwoFactorEnrolment> {
    const ctx = requireContext(context);
    const box = this.#configured();
    await this.#confirmPassword(ctx, input);
    const deps = this.deps;
    const secret = base32Encode(deps.stamps.random.bytes(SECRET_BYTES));
    await deps.units.transact(ctx.client, async (uow) => {
      const store = this.#store(uow.tx);
      if ((await store.findTwoFactor(ctx.user.id))?.enabledAt != null) throw new AuthError('CONFLICT', { message: 'Two-step verification is already on.' });
      const now = deps.stamps.now();
      await store.upsertTwoFactor({ userId: ctx.user.id, secret: box.seal(secret), enabledAt: null, lastStep: 0, createdAt: now, updatedAt: now });
      await uow.log({ action: 'two_factor.enrolment_started', subjectId: ctx.user.id, actorId: ctx.user.id, details: 'Started setting up two-step verification.' });
    });
    const issuer = deps.options.twoFactor?.issuer ?? deps.options.appName;
    return { secret, uri: totpUri({ secret, issuer, account: ctx.user.email }) };
  }

  /**
   * Turns two-factor on with the first code from the app, and returns the recovery codes:
   * show them once, they are stored only as hashes.
   * @throws {AuthError} TWO_FACTOR_INVALID — the code does not match.
   * @throws {AuthError} CONFLICT — no enrolment waits for a code.
   */
  async confirm(context: AuthContext | null, input: { code: string }): Promise<RecoveryCodes> {
    const ctx = requireContext(context);
    const { code } = parseInput(codeInput, input);
    this.#configured();
    const deps = this.deps;
    return deps.units.transact(ctx.client, async (uow) => {
      const store = this.#store(uow.tx);
      const record = await store.findTwoFactor(ctx.user.id);
      if (record === null || record.enabledAt !== null) throw new AuthError('CONFLICT', { message: 'Start the set-up first.' });
      const step = this.#match(record, code);
      if (step === null || !(await store.advanceTwoFactorStep(ctx.user.id, step))) throw new AuthError('TWO_FACTOR_INVALID');
      await store.upsertTwoFactor({ ...record, lastStep: step, enabledAt: deps.stamps.now(), updatedAt: deps.stamps.now() });
      const recoveryCodes = await this.#issueRecoveryCodes(uow, ctx.user.id, ctx.user.email);
      await uow.log({ action: 'two_factor.enabled', subjectId: ctx.user.id, actorId: ctx.user.id, details: 'Turned on two-step verification.' });
      return { recoveryCodes };
    });
  }

  /**
   * Replaces the recovery codes with ten new ones, after confirming the password.
   * @throws {AuthError} RATE_LIMITED | INVALID_CREDENTIALS — the password is wrong (counts toward the lockout).
   * @throws {AuthError} CONFLICT — two-factor is off.
   */
  async regenerateRecoveryCodes(context: AuthContext | null, input: { password: string }): Promise<RecoveryCodes> {
    const ctx = requireContext(context);
    this.#configured();
    const record = await this.#confirmPassword(ctx, input);
    if (record?.enabledAt == null) throw new AuthError('CONFLICT', { message: 'Two-step verification is off.' });
    return this.deps.units.transact(ctx.client, async (uow) => {
      const recoveryCodes = await this.#issueRecoveryCodes(uow, ctx.user.id, ctx.user.email);
      await uow.log({ action: 'two_factor.recovery_codes_regenerated', subjectId: ctx.user.id, actorId: ctx.user.id, details: 'Made new recovery codes.' });
      return { recoveryCodes };
    });
  }

  /**
   * Turns two-factor off after confirming the password; the recovery codes stop working.
   * @throws {AuthError} RATE_LIMITED | INVALID_CREDENTIALS — the password is wrong (counts toward the lockout).
   */
  async disable(context: AuthContext | null, input: { password: string }): Promise<void> {
    const ctx = requireContext(context);
    this.#configured();
    await this.#confirmPassword(ctx, input);
    await this.deps.units.transact(ctx.client, (uow) => this.#remove(uow, ctx.user.id, ctx.user.id, 'two_factor.disabled', 'Turned off two-step verification.'));
  }

  /**
   * An administrator turns a user's two-factor off (a lost phone and lost codes); audited.
   * @throws {AuthError} FORBIDDEN — without `users:edit`, or on a user at or above the actor's level.
   * @throws {AuthError} SELF_PROTECTION — on one's own account: use {@link disable}, which asks for the password.
   * @throws {AuthError} NOT_FOUND
   */
  async reset(actor: Actor | null, userId: string): Promise<void> {
    this.access.assert(actor, 'users:edit');
    const who = requireActor(actor);
    const id = parseInput(idSchema, userId);
    this.#configured();
    await this.deps.units.transact(clientOf(who), async (uow) => {
      // Under the user's lock, as every administrative change: a sign-in's second step waits for it.
      const user = await uow.tx.lockUser(id);
      if (user === null) throw new AuthError('NOT_FOUND');
      const grants = await uow.tx.listUserGrants(id);
      assertMayActOn(who, { id, level: principalLevel(liveRoles(grants, this.deps.stamps.now())) }, 'status');
      await this.#remove(uow, id, actorIdOf(who), 'two_factor.reset', 'An administrator turned off two-step verification.');
    });
  }

  /**
   * @internal Drops a user's two-factor record (and recovery codes) inside a transaction that
   * proves their address for the first time (activation, or a reset of an unverified account):
   * an enrolment made before that proof may be a stranger's who registered the address first.
   */
  async dropUnprovenEnrolment(uow: UnitOfWork, userId: string): Promise<void> {
    if (this.#box === undefined) return;
    if ((await this.#store(uow.tx).findTwoFactor(userId)) === null) return;
    await this.#remove(uow, userId, userId, 'two_factor.dropped', 'Turned off two-step verification set up before the address was proven.');
  }

  /** @internal Whether sign-ins of this user need a second step. */
  async isEnabled(userId: string): Promise<boolean> {
    if (this.#box === undefined) return false;
    return (await this.#store(this.deps.store).findTwoFactor(userId))?.enabledAt != null;
  }

  /**
   * @internal Checks a second-step code inside the sign-in transaction: a TOTP code whose
   * step is newer than the last one used, or an unused recovery code of this user, each
   * spent by this call. Resolves how the step was proven, or `null`.
   */
  async verifyCode(tx: AuthStore, user: UserRecord, code: string, ip: string | null): Promise<SecondFactor | null> {
    if (this.#box === undefined) return null;
    const store = this.#store(tx);
    const record = await store.findTwoFactor(user.id);
    if (record?.enabledAt == null) return null;
    const compact = code.replace(/[\s-]/g, '').toUpperCase();
    if (/^\d{6}$/.test(compact)) {
      const step = this.#match(record, compact);
      // A code is good once: the step must be newer than the last accepted one (no replay).
      return step !== null && (await store.advanceTwoFactorStep(user.id, step)) ? 'totp' : null;
    }
    if (!RECOVERY_CODE.test(compact)) return null;
    const keyHash = hashToken(compact);
    const found = await tx.findOneTimeKey(keyHash);
    if (found === null || found.userId !== user.id) return null;
    const spent = await tx.consumeOneTimeKey(keyHash, { purpose: 'recovery-code', at: this.deps.stamps.now(), ip });
    return spent === null ? null : 'recovery-code';
  }

  #match(record: TwoFactorRecord, code: string): number | null {
    const secret = this.#configured().open(record.secret);
    const key = secret === null ? null : base32Decode(secret);
    if (key === null) {
      this.deps.report(new Error(`the two-factor secret of user ${record.userId} does not decrypt: was twoFactor.encryptionKey changed?`), 'two-factor');
      return null;
    }
    return matchTotp(key, code, this.deps.stamps.now());
  }

  async #issueRecoveryCodes(uow: UnitOfWork, userId: string, email: string): Promise<string[]> {
    const deps = this.deps;
    const now = deps.stamps.now();
    await uow.tx.voidOneTimeKeys(userId, 'recovery-code', now);
    const codes: string[] = [];
    for (let i = 0; i < RECOVERY_CODE_COUNT; i += 1) {
      const code = base32Encode(deps.stamps.random.bytes(RECOVERY_CODE_BYTES));
      await uow.tx.insertOneTimeKey({
        id: deps.stamps.newId(),
        userId,
        purpose: 'recovery-code',
        keyHash: hashToken(code),
        sentTo: email,
        createdAt: now,
        expiresAt: new Date(now.getTime() + keyLifetime(this.deps.options, 'recovery-code') * 1000),
        usedAt: null,
        usedIp: null,
        voidedAt: null,
      });
      codes.push(code.match(/.{4}/g)!.join('-'));
    }
    return codes;
  }

  async #remove(uow: UnitOfWork, userId: string, actorId: string | null, action: string, details: string): Promise<void> {
    const removed = await this.#store(uow.tx).deleteTwoFactor(userId);
    await uow.tx.voidOneTimeKeys(userId, 'recovery-code', this.deps.stamps.now());
    await uow.log({ action, subjectId: userId, actorId, details, metadata: { wasEnabled: removed } });
  }

  async #confirmPassword(ctx: AuthContext, input: { password: string }): Promise<TwoFactorRecord | null> {
    const { password } = parseInput(passwordInput, input);
    const deps = this.deps;
    const record = await deps.store.findUserById(ctx.user.id);
    if (record === null) throw new AuthError('UNAUTHENTICATED');
    await deps.throttle.verifyPassword({ email: record.email, user: record, password, client: ctx.client, action: 'password.confirm', actorId: record.id });
    return this.#store(deps.store).findTwoFactor(ctx.user.id);
  }

  #configured(): SecretBox {
    if (this.#box === undefined) throw new TypeError('Two-factor authentication is not configured: pass twoFactor.encryptionKey to createAuth()');
    return this.#box;
  }

  #store(store: AuthStore): TwoFactorStore {
    return store as TwoFactorStore;
  }
}
