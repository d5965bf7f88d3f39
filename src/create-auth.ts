import { AuthEvents } from './events.js';
import { resolveOptions, type AuthOptions } from './options.js';
import { AccountService } from './services/account-service.js';
import { SYSTEM, type SystemActor } from './services/context.js';
import { Kernel } from './services/kernel.js';
import { PasswordService } from './services/password-service.js';
import { SessionService } from './services/session-service.js';

/** A configured gatehouse: one object holding every service. */
export interface Auth {
  /** Registration, activation and each user's own profile. */
  readonly accounts: AccountService;
  /** Signing in, validating requests, and managing one's sessions. */
  readonly sessions: SessionService;
  /** Forgotten passwords and password changes. */
  readonly passwords: PasswordService;
  /** Subscriptions to state changes, in the transaction or after commit. */
  readonly events: AuthEvents;
  /** The application itself as the actor of administrative calls (seeding, jobs). */
  readonly system: SystemActor;
  /**
   * Resolves once the background work started so far (mails of reset and resend requests)
   * has finished. Await it before shutting down, and in tests before reading an outbox.
   */
  drain(): Promise<void>;
}

/**
 * Creates gatehouse from a store and a mailer.
 *
 * @throws {TypeError} when an option is missing or malformed.
 * @example
 * ```ts
 * import { createAuth } from 'gatehouse';
 * import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
 *
 * const mailer = new MemoryMailer();
 * const auth = createAuth({ store: new MemoryAuthStore(), mailer });
 * await auth.accounts.register({ email: 'ana@example.com', password: 'correct horse battery', name: 'Ana' });
 * await auth.accounts.activate({ key: mailer.last()!.key! });
 * const { token } = await auth.sessions.login({ email: 'ana@example.com', password: 'correct horse battery' });
 * const ctx = await auth.sessions.validate(token); // who is acting, with roles and permissions
 * ```
 */
export function createAuth(options: AuthOptions): Auth {
  const events = new AuthEvents();
  const kernel = new Kernel(resolveOptions(options), events);
  return Object.freeze({
    accounts: new AccountService(kernel),
    sessions: new SessionService(kernel),
    passwords: new PasswordService(kernel),
    events,
    system: SYSTEM,
    drain: () => kernel.drain(),
  });
}
