import { generateToken, hashToken } from '../crypto/tokens.js';
import { normalizeClient, type ClientInfo, type NormalizedClient } from '../domain/client.js';
import type { KeyPurpose, OneTimeKey } from '../domain/one-time-key.js';
import type { JsonObject, User } from '../domain/user.js';
import { AuthError } from '../errors.js';
import type { AuthEventMap, AuthEventName, AuthEvents } from '../events.js';
import type { MailData } from '../mail/templates.js';
import type { ResolvedOptions } from '../options.js';
import { ENDED_APP_TRANSACTION, NO_APP_TRANSACTION, type AppTransaction } from '../ports/app-transaction.js';
import type { AuthStore } from '../ports/auth-store.js';
import type { MailKind } from '../ports/mailer.js';
import { storableJson } from '../validation/text.js';
import type { ErrorReport } from './background.js';
import type { Stamps } from './stamps.js';

/** What an activity entry says, before the unit of work stamps id, time and client. */
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

/** Recovery codes last until used or regenerated; the store needs an end date: ten years. */
const RECOVERY_CODE_LIFETIME = 10 * 365 * 24 * 60 * 60;

/** How long a one-time key of a purpose is accepted, in seconds. */
export function keyLifetime(options: Pick<ResolvedOptions, 'keys' | 'twoFactor'>, purpose: KeyPurpose): number {
  const keys = options.keys;
  switch (purpose) {
    case 'activation':
      return keys.activationLifetime;
    case 'password-reset':
      return keys.passwordResetLifetime;
    case 'email-change':
      return keys.emailChangeLifetime;
    case 'two-factor-challenge':
      return options.twoFactor?.challengeLifetime ?? 300;
    case 'recovery-code':
      return RECOVERY_CODE_LIFETIME;
  }
}

/** What units of work are made with. */
export interface UnitOfWorkDeps {
  readonly store: AuthStore;
  readonly events: AuthEvents;
  readonly stamps: Stamps;
  readonly options: Pick<ResolvedOptions, 'keys' | 'twoFactor'>;
  readonly report: ErrorReport;
  /** Sends a mail queued by a unit, after its commit (mail delivery). */
  readonly deliver: (mail: PendingMail, client: NormalizedClient) => Promise<unknown>;
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
    private readonly deps: UnitOfWorkDeps,
    readonly client: NormalizedClient,
  ) {}

  /** Appends an activity stamped with the current time and this unit's client. */
  async log(entry: ActivityInput): Promise<void> {
    await this.tx.appendActivity({
      id: this.deps.stamps.newId(),
      subjectId: entry.subjectId,
      actorId: entry.actorId,
      action: entry.action,
      // Inputs were validated; what else reaches the log (a mailer's error message) is made storable.
      details: storableJson(entry.details),
      ip: this.client.ip,
      userAgent: this.client.userAgent,
      metadata: storableJson(entry.metadata ?? {}),
      createdAt: this.deps.stamps.now(),
    });
  }

  /** The application's handle on this unit's database transaction, for `onRegister` and transaction-phase listeners. */
  get appTransaction(): AppTransaction {
    return this.tx.appTransaction?.() ?? NO_APP_TRANSACTION;
  }

  /** Runs the event's transaction-phase listeners now (a throw undoes the change) and queues the rest. */
  async emit<N extends AuthEventName>(event: N, payload: AuthEventMap[N]): Promise<void> {
    for (const listener of this.deps.events.listeners('transaction', event)) {
      await listener(payload, { event, store: this.tx, transaction: this.appTransaction });
    }
    for (const listener of this.deps.events.listeners('afterCommit', event)) {
      this.afterCommit(`event ${event}`, async () => {
        await listener(payload, { event, store: this.deps.store, transaction: ENDED_APP_TRANSACTION });
      });
    }
  }

  /** Queues a mail for after the commit; a failed delivery is logged and never undoes the change. */
  mail(mail: PendingMail): void {
    this.afterCommit(`mail ${mail.kind}`, async () => {
      await this.deps.deliver(mail, this.client);
    });
  }

  /** Queues work for after the commit; its failure is reported, never thrown. */
  afterCommit(operation: string, task: () => Promise<void>): void {
    this.#afterCommit.push(async () => {
      try {
        await task();
      } catch (error) {
        this.deps.report(error, operation);
      }
    });
  }

  /**
   * Issues a one-time key for a user, voiding their older unused keys of the same purpose.
   * Resolves the key itself, which only the mail will carry.
   */
  async issueKey(user: User, purpose: KeyPurpose, sentTo: string): Promise<string> {
    const now = this.deps.stamps.now();
    const key = generateToken(this.deps.stamps.random);
    await this.tx.voidOneTimeKeys(user.id, purpose, now);
    const record: OneTimeKey = {
      id: this.deps.stamps.newId(),
      userId: user.id,
      purpose,
      keyHash: hashToken(key),
      sentTo,
      createdAt: now,
      expiresAt: new Date(now.getTime() + keyLifetime(this.deps.options, purpose) * 1000),
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
    const now = this.deps.stamps.now();
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

/** Runs units of work: one transaction each, then its after-commit work. */
export class UnitsOfWork {
  readonly #onCommit: (() => void)[] = [];

  constructor(private readonly deps: UnitOfWorkDeps) {}

  /** Runs `fn` as one transaction, then its after-commit work. */
  async transact<T>(client: ClientInfo | NormalizedClient | undefined, fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    const normalized = normalizeClient(client);
    let unit: UnitOfWork | undefined;
    const result = await this.deps.store.transaction(async (tx) => {
      unit = new UnitOfWork(tx, this.deps, normalized);
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
}
