import type { User, UserStatus } from './domain/user.js';
import type { AppTransaction } from './ports/app-transaction.js';
import type { AuthStore } from './ports/auth-store.js';

/** What every event says: the user it is about. */
export interface UserEventPayload {
  /** The user as they are after the change. */
  readonly user: User;
}

/** What an event of a change someone made says. */
export interface ActorEventPayload extends UserEventPayload {
  /** Who made the change: a user id, or `null` for the system (`auth.system`, the CLI). */
  readonly actorId: string | null;
}

/** Every state change the application can subscribe to, with its payload. */
export interface AuthEventMap {
  /** A user registered (their row exists; in the transaction phase, the registration may still be undone). */
  'user.registered': UserEventPayload;
  /** A user proved their address with the activation key. */
  'user.activated': UserEventPayload;
  /** An administrator approved a pending user. */
  'user.approved': ActorEventPayload;
  /** A user's status changed (approved, switched on or off, blocked, suspended, unblocked, deleted). */
  'user.statusChanged': ActorEventPayload & {
    /** The status before the change. */
    readonly before: UserStatus;
    /** The status after it. */
    readonly after: UserStatus;
    /** The reason given, for a block or suspension. */
    readonly reason: string | null;
  };
  /** A user was blocked or suspended. */
  'user.blocked': ActorEventPayload & {
    /** The reason given. */
    readonly reason: string;
    /** When it ends by itself, or `null` for until lifted. */
    readonly until: Date | null;
  };
  /** A user's roles changed. */
  'user.rolesChanged': ActorEventPayload & {
    /** The role codes before the change. */
    readonly before: readonly string[];
    /** The role codes after it. */
    readonly after: readonly string[];
  };
  /** A user's password was changed, by them or by an administrator. */
  'user.passwordChanged': ActorEventPayload;
  /** A user set a new password with a reset key. */
  'user.passwordReset': UserEventPayload;
  /** A user confirmed a new address. */
  'user.emailChanged': UserEventPayload & {
    /** The address before. */
    readonly before: string;
    /** The address after. */
    readonly after: string;
  };
  /** A user's profile fields changed, by them or by an administrator. */
  'user.profileUpdated': ActorEventPayload;
  /** A user was deleted: soft (inactive) or erased. */
  'user.deleted': ActorEventPayload & {
    /** `true` when the user's row is gone, `false` for a soft delete. */
    readonly erased: boolean;
  };
}

/** The name of an event. */
export type AuthEventName = keyof AuthEventMap;

/** When a listener runs. */
export type EventPhase = 'transaction' | 'afterCommit';

/** What a listener receives beside the payload. */
export interface AuthEventContext<N extends AuthEventName = AuthEventName> {
  /** The name of the event delivered, e.g. `user.registered`: lets one listener serve several events. */
  readonly event: N;
  /** In the `transaction` phase the transaction's view of the store; after the commit, the store. */
  readonly store: AuthStore;
  /**
   * In the `transaction` phase, the application's handle on the same database transaction
   * (see {@link AppTransaction}): rows written through it commit or roll back with the change.
   * In the `afterCommit` phase, a handle that refuses every query: the transaction has ended.
   */
  readonly transaction: AppTransaction;
}

/**
 * A listener. In the `transaction` phase it receives the transaction's store and a handle
 * on the database transaction, and a throw rolls the change back; such a listener may run
 * again when the database breaks a deadlock by rolling the transaction back (the PostgreSQL
 * and MySQL stores then run the whole change again). In the `afterCommit` phase the change
 * is durable and a throw is only reported to `onError`.
 */
export type AuthEventListener<N extends AuthEventName> = (payload: AuthEventMap[N], context: AuthEventContext<N>) => Promise<void> | void;

type AnyListener = (payload: unknown, context: AuthEventContext) => Promise<void> | void;

/**
 * Subscriptions to state changes.
 *
 * @example
 * ```ts
 * // Atomic with the change: deactivating a user deactivates the app's customer row.
 * auth.events.on('user.statusChanged', async ({ user, after }, { transaction }) => {
 *   if (after === 'inactive') await transaction.query('UPDATE clientes_winet SET estado = $1 WHERE id_user = $2', ['inactivo', user.id]);
 * }, { phase: 'transaction' });
 * // After commit: notifications.
 * auth.events.on('user.registered', ({ user }) => metrics.count('signup'));
 * ```
 */
export class AuthEvents {
  readonly #listeners: Record<EventPhase, Map<AuthEventName, AnyListener[]>> = {
    transaction: new Map(),
    afterCommit: new Map(),
  };

  /**
   * Subscribes to an event; resolves nothing, returns a function that unsubscribes.
   * @default phase 'afterCommit'
   */
  on<N extends AuthEventName>(event: N, listener: AuthEventListener<N>, options: { phase?: EventPhase } = {}): () => void {
    if (typeof listener !== 'function') throw new TypeError('events.on: listener must be a function');
    const phase = options.phase ?? 'afterCommit';
    if (phase !== 'transaction' && phase !== 'afterCommit') throw new TypeError(`events.on: unknown phase ${String(phase)}`);
    const list = this.#listeners[phase].get(event) ?? [];
    list.push(listener as AnyListener);
    this.#listeners[phase].set(event, list);
    return () => {
      const current = this.#listeners[phase].get(event);
      if (current !== undefined) this.#listeners[phase].set(event, current.filter((l) => l !== listener));
    };
  }

  /** @internal The listeners of one phase, in subscription order. */
  listeners(phase: EventPhase, event: AuthEventName): readonly AnyListener[] {
    return this.#listeners[phase].get(event) ?? [];
  }
}
