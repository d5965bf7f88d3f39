import { generateToken, hashToken, uuidv7Generator } from '../crypto/tokens.js';
import { Argon2PasswordHasher } from '../crypto/argon2-password-hasher.js';
import { withPasswordVerifiers } from '../crypto/legacy-hashes.js';
import { SecretBox } from '../crypto/secret-box.js';
import { LegacyAccounts } from './legacy-accounts.js';
import type { ImportDependencies } from './user-import.js';
import type { JsonObject, User, UserRecord } from '../domain/user.js';
import type { KeyPurpose, OneTimeKey } from '../domain/one-time-key.js';
import { normalizeClient, rateLimitKey, type ClientInfo, type NormalizedClient } from '../domain/client.js';
import { AuthError } from '../errors.js';
import type { AuthEventMap, AuthEventName, AuthEvents } from '../events.js';
import { buildCatalogs, en, renderMail, type MailCatalog, type MailData } from '../mail/templates.js';
import type { ResolvedOptions } from '../options.js';
import type { AuthStore } from '../ports/auth-store.js';
import type { Clock, RandomSource } from '../ports/clock.js';
import { cryptoRandom, systemClock } from '../ports/clock.js';
import type { MailKind, MailMessage, Mailer } from '../ports/mailer.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import type { RateLimitStore } from '../ports/rate-limit-store.js';
import { MemoryRateLimitStore } from '../rate-limits/memory-rate-limit-store.js';
import { PasswordPolicy } from '../validation/password-policy.js';
import { isValidEmail } from '../validation/schemas.js';
import { storableJson } from '../validation/text.js';

/** What an activity entry says, before the kernel stamps id, time and client. */
export interface ActivityInput {
  readonly action: string;
  readonly subjectId: string | null;
  readonly actorId: string | null;
  readonly details: string;
  readonly metadata?: JsonObject | undefined;
}

/** A mail to send once the change that caused it is committed. */
export interface PendingMail {
  readonly kind: MailKind;
  /** The stored user the mail is for; the recipient is read from here, never from a request. */
  readonly user: User;
  /** Overrides the recipient with another stored address (the new address of an email change). */
  readonly to?: string | undefined;
  readonly key?: string | undefined;
  readonly data?: Partial<MailData> | undefined;
}

/**
 * One transaction's worth of work: writes through `tx`, activity entries, events whose
 * transaction-phase listeners run now, and tasks (after-commit listeners, mails) that run
 * only once the transaction committed.
 */
export class UnitOfWork {
  readonly #afterCommit: (() => Promise<void>)[] = [];

  constructor(
    readonly tx: AuthStore,
    readonly kernel: Kernel,
    readonly client: NormalizedClient,
  ) {}

  /** Appends an activity stamped with the current time and this unit's client. */
  async log(entry: ActivityInput): Promise<void> {
    await this.tx.appendActivity({
      id: this.kernel.newId(),
      subjectId: entry.subjectId,
      actorId: entry.actorId,
      action: entry.action,
      // Inputs were validated; what else reaches the log (a mailer's error message) is made storable.
      details: storableJson(entry.details),
      ip: this.client.ip,
      userAgent: this.client.userAgent,
      metadata: storableJson(entry.metadata ?? {}),
      createdAt: this.kernel.now(),
    });
  }

  /** Runs the event's transaction-phase listeners now (a throw undoes the change) and queues the rest. */
  async emit<N extends AuthEventName>(event: N, payload: AuthEventMap[N]): Promise<void> {
    for (const listener of this.kernel.events.listeners('transaction', event)) {
      await listener(payload, { event, store: this.tx });
    }
    for (const listener of this.kernel.events.listeners('afterCommit', event)) {
      this.afterCommit(`event ${event}`, async () => {
        await listener(payload, { event, store: this.kernel.store });
      });
    }
  }

  /** Queues a mail for after the commit; a failed delivery is logged and never undoes the change. */
  mail(mail: PendingMail): void {
    this.afterCommit(`mail ${mail.kind}`, async () => {
      await this.kernel.deliver(mail, this.client);
    });
  }

  /** Queues work for after the commit; its failure is reported, never thrown. */
  afterCommit(operation: string, task: () => Promise<void>): void {
    this.#afterCommit.push(async () => {
      try {
        await task();
      } catch (error) {
        this.kernel.report(error, operation);
      }
    });
  }

  /**
   * Issues a one-time key for a user, voiding their older unused keys of the same purpose.
   * Resolves the key itself, which only the mail will carry.
   */
  async issueKey(user: User, purpose: KeyPurpose, sentTo: string): Promise<string> {
    const now = this.kernel.now();
    const key = generateToken(this.kernel.random);
    await this.tx.voidOneTimeKeys(user.id, purpose, now);
    const record: OneTimeKey = {
      id: this.kernel.newId(),
      userId: user.id,
      purpose,
      keyHash: hashToken(key),
      sentTo,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.kernel.keyLifetime(purpose) * 1000),
      usedAt: null,
      usedIp: null,
      voidedAt: null,
    };
    await this.tx.insertOneTimeKey(record);
    return key;
  }

  /**
   * Consumes a one-time key exactly once.
   * @throws {AuthError} KEY_EXPIRED — the key exists, is unused and past its lifetime.
   * @throws {AuthError} KEY_INVALID — anything else: unknown, used, replaced, or for another purpose.
   */
  async consumeKey(key: string, purpose: KeyPurpose): Promise<OneTimeKey> {
    const keyHash = hashToken(key);
    const now = this.kernel.now();
    const consumed = await this.tx.consumeOneTimeKey(keyHash, { purpose, at: now, ip: this.client.ip });
    if (consumed !== null) return consumed;
    const found = await this.tx.findOneTimeKey(keyHash);
    const expired = found !== null && found.purpose === purpose && found.usedAt === null && found.voidedAt === null && found.expiresAt <= now;
    throw new AuthError(expired ? 'KEY_EXPIRED' : 'KEY_INVALID');
  }

  /** @internal Runs the queued after-commit work in order. */
  async flush(): Promise<void> {
    for (const task of this.#afterCommit) await task();
  }
}

/** A password or code attempt counted by the lockout before its check (see {@link Kernel.reserveAttempt}). */
export interface ReservedAttempt {
  /** The attempt's row: a failure until marked succeeded. */
  readonly attemptId: string;
  /** Seconds until the account or client may try again when the attempt is refused, `null` when it may be checked. */
  readonly retryAfter: number | null;
}

/** A password that matched, with its attempt, still counted as a failure until the caller marks it succeeded. */
export interface MatchedPassword {
  readonly user: UserRecord;
  readonly attemptId: string;
}

/**
 * The services' shared machinery: the ports, the resolved options, the unit of work,
 * background work, mail delivery and the login throttle.
 */
export class Kernel {
  readonly store: AuthStore;
  readonly mailer: Mailer;
  readonly hasher: PasswordHasher;
  /** Where rate limits are counted: `rateLimits.store`, else the store when it counts them, else this process. */
  readonly rateLimits: RateLimitStore;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly policy: PasswordPolicy;
  /** Lazy migration: brings a user of the legacy system over on first contact (`options.legacy`). */
  readonly legacy: LegacyAccounts;
  readonly #pending = new Set<Promise<void>>();
  readonly #onCommit: (() => void)[] = [];
  readonly #nextId: () => string;
  /** The mail catalogs by language tag: the built-in ones with the application's templates merged in. */
  readonly #catalogs: ReadonlyMap<string, MailCatalog>;
  #dummyHash: Promise<string> | undefined;

  constructor(
    readonly options: ResolvedOptions,
    readonly events: AuthEvents,
  ) {
    this.store = options.store;
    this.mailer = options.mailer;
    this.hasher = withPasswordVerifiers(options.hasher ?? new Argon2PasswordHasher(), options.passwordVerifiers);
    this.rateLimits = options.rateLimits.store ?? (isRateLimitStore(options.store) ? options.store : new MemoryRateLimitStore());
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? cryptoRandom;
    this.#nextId = uuidv7Generator(this.clock, this.random);
    this.policy = new PasswordPolicy({
      ...options.passwords,
      appName: options.appName,
      report: (error, operation) => this.report(error, operation),
    });
    this.#catalogs = buildCatalogs(options.mail.templates);
    this.legacy = new LegacyAccounts(options.legacy, this.importDependencies(), (error, operation) => this.report(error, operation));
  }

  /** What `users.import()` and lazy migration need. */
  importDependencies(): ImportDependencies {
    const twoFactor = this.options.twoFactor;
    return {
      store: this.store,
      now: () => this.now(),
      newId: () => this.newId(),
      fields: this.options.registration.fields,
      secretBox: twoFactor === undefined ? null : new SecretBox(twoFactor.encryptionKey, twoFactor.previousKeys),
      verifierSchemes: new Set(Object.keys(this.options.passwordVerifiers)),
    };
  }

  now(): Date {
    return this.clock.now();
  }

  newId(): string {
    return this.#nextId();
  }

  keyLifetime(purpose: KeyPurpose): number {
    const keys = this.options.keys;
    switch (purpose) {
      case 'activation':
        return keys.activationLifetime;
      case 'password-reset':
        return keys.passwordResetLifetime;
      case 'email-change':
        return keys.emailChangeLifetime;
      case 'two-factor-challenge':
        return this.options.twoFactor?.challengeLifetime ?? 300;
      case 'recovery-code':
        return RECOVERY_CODE_LIFETIME;
    }
  }

  /** Runs `fn` as one transaction, then its after-commit work. */
  async transact<T>(client: ClientInfo | NormalizedClient | undefined, fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    const normalized = normalizeClient(client);
    let unit: UnitOfWork | undefined;
    const result = await this.store.transaction(async (tx) => {
      unit = new UnitOfWork(tx, this, normalized);
      return fn(unit);
    });
    // Anything written may be part of a cached session bundle (a revocation, a role, a status).
    for (const listener of this.#onCommit) listener();
    await unit?.flush();
    return result;
  }

  /** Calls `listener` after every committed transaction (the session cache empties itself). */
  onCommit(listener: () => void): void {
    this.#onCommit.push(listener);
  }

  /**
   * Starts work the caller does not wait for — so that a response takes the same time
   * whether or not the work happens (an unknown email does nothing). Failures are reported.
   */
  background(operation: string, task: () => Promise<void>): void {
    const running: Promise<void> = task()
      .catch((error: unknown) => this.report(error, operation))
      .finally(() => this.#pending.delete(running));
    this.#pending.add(running);
  }

  /** Resolves once every background task started so far has finished. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /**
   * Waits for the background work, then closes the store and the mailer (each closes only
   * what it opened itself); rejects with the first failure once both were asked.
   */
  async close(): Promise<void> {
    await this.drain();
    const closed = await Promise.allSettled([this.store.close?.(), this.mailer.close?.()]);
    const failure = closed.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  }

  report(error: unknown, operation: string): void {
    if (this.options.onError !== undefined) {
      try {
        this.options.onError(error, { operation });
        return;
      } catch {
        // a failing reporter must not hide the original error: fall through to the console
      }
    }
    console.error(`[gatehouse] ${operation} failed:`, error);
  }

  /** The catalog for a locale: exact, then its language, then the default locale (exact, then its language), then English. */
  catalogFor(locale: string | null): { locale: string; catalog: MailCatalog } {
    const fallback = this.options.defaultLocale;
    for (const candidate of [locale, locale?.split('-')[0], fallback, fallback.split('-')[0], 'en']) {
      const catalog = candidate == null ? undefined : this.#catalogs.get(candidate);
      if (candidate != null && catalog !== undefined) return { locale: candidate, catalog };
    }
    return { locale: 'en', catalog: en };
  }

  /** The link a key opens. */
  link(purpose: KeyPurpose, key: string): string {
    const paths = this.options.paths;
    const path = purpose === 'activation' ? paths.activation : purpose === 'password-reset' ? paths.passwordReset : paths.emailChange;
    return `${this.options.baseUrl}${path}?key=${encodeURIComponent(key)}`;
  }

  /** Renders a mail for a stored user. */
  render(mail: PendingMail): MailMessage {
    const { locale, catalog } = this.catalogFor(mail.user.locale);
    const purpose = KEY_PURPOSE_OF[mail.kind];
    const keyLink = mail.key !== undefined && purpose !== undefined ? this.link(purpose, mail.key) : undefined;
    const signIn = mail.kind === 'account-approved' || mail.kind === 'registration-attempt' ? `${this.options.baseUrl}${this.options.paths.signIn}` : undefined;
    const link = mail.data?.link ?? keyLink ?? signIn;
    const data: MailData = {
      appName: this.options.appName,
      name: mail.user.name,
      expiresIn: purpose === undefined ? undefined : this.keyLifetime(purpose),
      ...mail.data,
      link,
    };
    return { to: mail.to ?? mail.user.email, kind: mail.kind, locale, key: mail.key, link, ...renderMail(catalog, mail.kind, locale, data) };
  }

  /**
   * Sends a mail. A failure is logged in the activity log and reported, never thrown:
   * the change that caused the mail stands, and a key it carried can be re-sent.
   */
  async deliver(mail: PendingMail, client: NormalizedClient): Promise<boolean> {
    try {
      const message = this.render(mail);
      // Only an address the core itself accepts reaches a mailer, whatever wrote it to the store:
      // mail libraries parse quoted local parts and look-alike `@`s differently (next-auth GHSA-5jpx-9hw9-2fx4).
      if (!isValidEmail(message.to)) throw new Error('Refused to send: the recipient is not a valid email address.');
      await this.mailer.send(message);
      return true;
    } catch (error) {
      this.report(error, `mail ${mail.kind}`);
      await this.transact(client, (uow) =>
        uow.log({
          action: 'mail.failed',
          subjectId: mail.user.id,
          actorId: null,
          details: `Sending the ${mail.kind} mail failed.`,
          metadata: { kind: mail.kind, error: error instanceof Error ? error.message : String(error) },
        }),
      );
      return false;
    }
  }

  /** A hash of a random password, computed once, verified when there is no real hash so that timing does not tell. */
  dummyHash(): Promise<string> {
    this.#dummyHash ??= this.hasher.hash(generateToken(this.random));
    return this.#dummyHash;
  }

  /**
   * Counts an attempt at a password or code before it is checked, and says whether it may be
   * checked. The attempt is recorded as a failure and committed first, then the failures in
   * the window are counted, this one included: of any number of concurrent attempts (in any
   * number of processes on one store), the k-th to commit counts at least k, so at most the
   * limit are ever checked in a window. The caller marks the attempt succeeded when it matched.
   * Failures before the account's last successful login do not count against it.
   */
  async reserveAttempt(args: { email: string; userId: string | null; lastLoginAt: Date | null; client: NormalizedClient }): Promise<ReservedAttempt> {
    const now = this.now();
    const ipKey = rateLimitKey(args.client.ip);
    const attemptId = this.newId();
    await this.store.insertLoginAttempt({ id: attemptId, email: args.email, userId: args.userId, ip: ipKey, success: false, createdAt: now });
    const { window, maxFailures, maxFailuresPerIp } = this.options.lockout;
    const windowStart = now.getTime() - window * 1000;
    const accountSince = new Date(Math.max(windowStart, args.lastLoginAt?.getTime() ?? 0));
    const [byAccount, byIp] = await Promise.all([
      this.store.listLoginFailures({ email: args.email }, { since: accountSince, limit: maxFailures + 1 }),
      ipKey === null ? Promise.resolve([]) : this.store.listLoginFailures({ ip: ipKey }, { since: new Date(windowStart), limit: maxFailuresPerIp + 1 }),
    ]);
    // Past the limit, locked until the oldest of the newest `max + 1` failures (this one among them) leaves the window.
    const until = (failures: Date[], max: number): number => (failures.length > max ? failures[max]!.getTime() + window * 1000 : 0);
    const unlockAt = Math.max(until(byAccount, maxFailures), until(byIp, maxFailuresPerIp));
    return { attemptId, retryAfter: unlockAt > now.getTime() ? Math.ceil((unlockAt - now.getTime()) / 1000) : null };
  }

  /**
   * Checks a password against a user with the lockout applied ({@link reserveAttempt}), doing
   * the same work whether or not the user exists, and logs a failure. Resolves the user and
   * the attempt when the password matched; the attempt counts as a failure until the caller
   * marks it succeeded, in the transaction that ends the sign-in.
   * @throws {AuthError} RATE_LIMITED — too many recent failures for the account or the client.
   * @throws {AuthError} INVALID_CREDENTIALS — unknown email or wrong password, indistinguishably.
   */
  async attemptPassword(args: {
    email: string;
    user: UserRecord | null;
    password: string;
    client: NormalizedClient;
    /** Activity action prefix: `login` or `password.confirm`. */
    action: string;
    actorId: string | null;
  }): Promise<MatchedPassword> {
    const { email, user, client } = args;
    const { attemptId, retryAfter } = await this.reserveAttempt({ email, userId: user?.id ?? null, lastLoginAt: user?.lastLoginAt ?? null, client });
    // Awaited on every path so that the first call for an unknown email is not the slow one.
    const dummy = await this.dummyHash();
    let failure: string | null = null;
    if (retryAfter === null) {
      const matched = await this.hasher.verify(user?.passwordHash ?? dummy, args.password);
      if (user === null) failure = 'unknown_email';
      else if (user.passwordHash === null) failure = 'no_password';
      else if (!matched) failure = 'wrong_password';
    } else {
      failure = 'locked';
    }
    if (failure === null && user !== null) return { user, attemptId };
    await this.recordFailure({ email, userId: user?.id ?? null, client, action: args.action, actorId: args.actorId, reason: failure ?? 'unknown' });
    if (retryAfter !== null) throw new AuthError('RATE_LIMITED', { retryAfter });
    throw new AuthError('INVALID_CREDENTIALS');
  }

  /**
   * Confirms the password of a user who is acting already (a password change, an email
   * change, turning two-factor off), under the same lockout as sign-ins.
   * @throws {AuthError} RATE_LIMITED — too many recent failures for the account or the client.
   * @throws {AuthError} INVALID_CREDENTIALS — wrong password.
   */
  async verifyPassword(args: Parameters<Kernel['attemptPassword']>[0]): Promise<UserRecord> {
    const { user, attemptId } = await this.attemptPassword(args);
    await this.store.markLoginAttemptSucceeded(attemptId);
    return user;
  }

  /**
   * Logs a refused sign-in step in the activity log; its attempt was counted as a failure
   * when it was reserved ({@link reserveAttempt}).
   */
  async recordFailure(args: { email: string; userId: string | null; client: NormalizedClient; action: string; actorId: string | null; reason: string }): Promise<void> {
    const locked = args.reason === 'locked';
    await this.transact(args.client, (uow) =>
      uow.log({
        action: locked ? `${args.action}.locked` : `${args.action}.failed`,
        subjectId: args.userId,
        actorId: args.actorId,
        details: locked ? 'Refused: too many failed attempts.' : args.reason === 'wrong_code' ? 'Wrong verification code.' : 'Wrong email or password.',
        metadata: { email: args.email, reason: args.reason },
      }),
    );
  }

  /**
   * Whether one more mail of this kind may go to this address now, by the per-address limit
   * of `rateLimits` (counted in the rate-limit store, so every instance shares it); counts it.
   */
  async mayMail(limit: 'passwordResetMails' | 'activationMails', address: string): Promise<boolean> {
    const rule = this.options.rateLimits[limit];
    if (rule === false) return true;
    const decision = await this.rateLimits.hitRateLimit(`mail:${limit}:${address.toLowerCase()}`, { limit: rule.limit, window: rule.window, at: this.now() });
    return decision.allowed;
  }

  /**
   * Refuses a new password that matches the user's current one or one of their last
   * `historyDepth` passwords.
   * @throws {AuthError} PASSWORD_REUSED
   */
  async assertNotReused(user: UserRecord, password: string, field: string): Promise<void> {
    const depth = this.options.passwords.historyDepth;
    if (depth === 0) return;
    const history = await this.store.listPasswordHistory(user.id, depth);
    const hashes = new Set(history.map((entry) => entry.passwordHash));
    if (user.passwordHash !== null) hashes.add(user.passwordHash);
    const matches = await Promise.all([...hashes].map((hash) => this.hasher.verify(hash, password)));
    if (matches.some(Boolean)) {
      throw new AuthError('PASSWORD_REUSED', {
        issues: [{ path: [field], code: 'password_reused', message: `Choose a password you have not used in your last ${depth} changes.` }],
      });
    }
  }
}

/** Whether a store counts rate limits itself (the memory and SQL stores do). */
function isRateLimitStore(store: AuthStore): store is AuthStore & RateLimitStore {
  return typeof (store as Partial<RateLimitStore>).hitRateLimit === 'function';
}

/** Recovery codes last until used or regenerated; the store needs an end date: ten years. */
const RECOVERY_CODE_LIFETIME = 10 * 365 * 24 * 60 * 60;

const KEY_PURPOSE_OF: Partial<Record<MailKind, KeyPurpose>> = {
  activation: 'activation',
  'password-reset': 'password-reset',
  'email-change': 'email-change',
};
