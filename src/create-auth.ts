import { AuthEvents } from './events.js';
import { resolveOptions, type AuthOptions } from './options.js';
import { AccessService } from './services/access-service.js';
import { AccountService } from './services/account-service.js';
import { AuditService } from './services/audit-service.js';
import { SYSTEM, type SystemActor } from './domain/principal.js';
import { Kernel } from './services/kernel.js';
import { PasswordService } from './services/password-service.js';
import { RateLimitService } from './services/rate-limit-service.js';
import { RoleService } from './services/role-service.js';
import { SessionService } from './services/session-service.js';
import { TwoFactorService } from './services/two-factor-service.js';
import { UserAdminService } from './services/user-admin-service.js';

/** A configured gatehouse: one object holding every service. */
export interface Auth {
  /** Registration, activation and each user's own profile. */
  readonly accounts: AccountService;
  /** Signing in, validating requests, and managing one's sessions. */
  readonly sessions: SessionService;
  /** Forgotten passwords and password changes. */
  readonly passwords: PasswordService;
  /** Permission and role checks on a validated session, in memory. */
  readonly access: AccessService;
  /** Roles and permissions: management and preset seeding. */
  readonly roles: RoleService;
  /** User administration: list, create, edit, approve, block, delete, assign roles. */
  readonly users: UserAdminService;
  /** The activity log: queries and retention. */
  readonly audit: AuditService;
  /** Two-factor authentication: TOTP enrolment, recovery codes, reset by an administrator. */
  readonly twoFactor: TwoFactorService;
  /** Rate limits counted in the rate-limit store (`rateLimits.store`), shared by every instance counting there. */
  readonly rateLimits: RateLimitService;
  /** Subscriptions to state changes, in the transaction or after commit. */
  readonly events: AuthEvents;
  /** The application itself as the actor of administrative calls (seeding, jobs). */
  readonly system: SystemActor;
  /**
   * Resolves once the background work started so far (mails of reset and resend requests)
   * has finished. Await it before shutting down, and in tests before reading an outbox.
   */
  drain(): Promise<void>;
  /**
   * Shuts gatehouse down: waits for the background work started so far, as {@link drain}
   * does (mails of reset and resend requests, new sign-in notices), then closes the store and
   * the mailer. Each closes only what it opened itself: a SQL store the pool it made from
   * `{ url }` (a `{ pool }` or `{ db }` of yours stays open), `SmtpMailer` the transport it
   * made from `{ url }` or `{ transport }` (a `{ transporter }` of yours stays open); the memory
   * store and mailer hold nothing. Call it once your server has stopped taking requests: a
   * call that reaches a closed SQL store rejects `STORAGE_FAILED`. It sets no deadline of
   * its own (a mail being sent finishes or fails first): race it against your shutdown's.
   * Calling it again returns the same promise.
   *
   * @example
   * ```ts
   * server.close(async () => {
   *   await auth.close();
   *   process.exit(0);
   * });
   * ```
   */
  close(): Promise<void>;
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
  const access = new AccessService();
  const twoFactor = new TwoFactorService(kernel, access);
  let closing: Promise<void> | undefined;
  return Object.freeze({
    accounts: new AccountService(kernel, twoFactor),
    sessions: new SessionService(kernel, twoFactor),
    passwords: new PasswordService(kernel, twoFactor),
    access,
    roles: new RoleService(kernel, access),
    users: new UserAdminService(kernel, access),
    audit: new AuditService(kernel, access),
    twoFactor,
    rateLimits: new RateLimitService(kernel),
    events,
    system: SYSTEM,
    drain: () => kernel.drain(),
    close: () => (closing ??= kernel.close()),
  });
}
