import { AuthEvents } from './events.js';
import { resolveOptions, type AuthOptions } from './options.js';
import { AccessService } from './services/access-service.js';
import { AccountService } from './services/account-service.js';
import { AuditService } from './services/audit-service.js';
import { SYSTEM, type SystemActor } from './domain/principal.js';
import { Argon2PasswordHasher } from './crypto/argon2-password-hasher.js';
import { withPasswordVerifiers } from './crypto/legacy-hashes.js';
import { SecretBox } from './crypto/secret-box.js';
import { LegacyAccounts } from './services/legacy-accounts.js';
import type { ImportDependencies } from './services/user-import.js';
import { cryptoRandom, systemClock } from './ports/clock.js';
import type { AuthStore } from './ports/auth-store.js';
import type { RateLimitStore } from './ports/rate-limit-store.js';
import { MemoryRateLimitStore } from './rate-limits/memory-rate-limit-store.js';
import { BackgroundWork, errorReporter } from './services/background.js';
import { LoginThrottle } from './services/login-throttle.js';
import { MailDelivery } from './services/mail-delivery.js';
import { Stamps } from './services/stamps.js';
import { UnitsOfWork } from './services/unit-of-work.js';
import { PasswordPolicy } from './validation/password-policy.js';
import { PasswordService } from './services/password-service.js';
import { RateLimitService } from './services/rate-limit-service.js';
import { RoleService } from './services/role-service.js';
import { SessionService } from './services/session-service.js';
import { SignInService } from './services/sign-in-service.js';
import { TwoFactorService } from './services/two-factor-service.js';
import { UserAdminService } from './services/user-admin-service.js';
import { MaintenanceService } from './services/maintenance-service.js';

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
  /** Retention: deletes sign-in attempts, ended sessions, spent keys and old activity past `options.retention`. */
  readonly maintenance: MaintenanceService;
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
export function createAuth(input: AuthOptions): Auth {
  const events = new AuthEvents();
  const options = resolveOptions(input);
  const { store, mailer } = options;
  // Hashes of a plugged-in scheme (users.import) verify through their verifier and are replaced at the first sign-in.
  const hasher = withPasswordVerifiers(options.hasher ?? new Argon2PasswordHasher(), options.passwordVerifiers);
  // Where rate limits are counted: `rateLimits.store`, else the store when it counts them, else this process.
  const rateLimits = options.rateLimits.store ?? (isRateLimitStore(store) ? store : new MemoryRateLimitStore());
  const stamps = new Stamps(options.clock ?? systemClock, options.random ?? cryptoRandom);
  const report = errorReporter(options.onError);
  const work = new BackgroundWork(report);
  const policy = new PasswordPolicy({ ...options.passwords, appName: options.appName, report });
  // Mail delivery logs a failed sending in a unit of work; a unit of work sends its mails after its commit.
  const units: UnitsOfWork = new UnitsOfWork({ store, events, stamps, options, report, deliver: (mail, client) => delivery.deliver(mail, client) });
  const delivery = new MailDelivery({ mailer, options, rateLimits, stamps, report, units });
  const throttle = new LoginThrottle({ store, hasher, options, stamps, units });
  const twoFactorKeys = options.twoFactor;
  const imports: ImportDependencies = {
    store,
    now: () => stamps.now(),
    newId: () => stamps.newId(),
    fields: options.registration.fields,
    secretBox: twoFactorKeys === undefined ? null : new SecretBox(twoFactorKeys.encryptionKey, twoFactorKeys.previousKeys),
    verifierSchemes: new Set(Object.keys(options.passwordVerifiers)),
  };
  // Lazy migration (`legacy`): an address gatehouse does not know is looked up in the legacy system.
  const legacy = new LegacyAccounts(options.legacy, imports, report);
  const access = new AccessService();
  const twoFactor = new TwoFactorService({ store, options, stamps, units, report, throttle }, access);
  let closing: Promise<void> | undefined;
  return Object.freeze({
    accounts: new AccountService({ store, hasher, policy, options, stamps, units, work, mail: delivery, throttle, legacy }, twoFactor),
    sessions: new SessionService(
      { store, options, rateLimits, stamps, units },
      new SignInService({ store, hasher, options, stamps, units, work, report, mail: delivery, throttle, legacy }, twoFactor),
    ),
    passwords: new PasswordService({ store, hasher, policy, options, stamps, units, work, mail: delivery, throttle, legacy }, twoFactor),
    access,
    roles: new RoleService({ store, stamps, units }, access),
    users: new UserAdminService({ store, hasher, policy, options, stamps, units, imports }, access),
    audit: new AuditService({ store, options, stamps, units, work }, access),
    twoFactor,
    rateLimits: new RateLimitService({ rateLimits, stamps }),
    maintenance: new MaintenanceService({ store, rateLimits, options, stamps }),
    events,
    system: SYSTEM,
    drain: () => work.drain(),
    close: () => (closing ??= closeAll(work, store, mailer)),
  });
}

/**
 * Waits for the background work, then closes the store and the mailer (each closes only
 * what it opened itself); rejects with the first failure once both were asked.
 */
async function closeAll(work: BackgroundWork, store: AuthStore, mailer: { close?(): Promise<void> | void }): Promise<void> {
  await work.drain();
  const closed = await Promise.allSettled([store.close?.(), mailer.close?.()]);
  const failure = closed.find((outcome) => outcome.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** Whether a store counts rate limits itself (the memory and SQL stores do). */
function isRateLimitStore(store: AuthStore): store is AuthStore & RateLimitStore {
  return typeof (store as Partial<RateLimitStore>).hitRateLimit === 'function';
}
