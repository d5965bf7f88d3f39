import { z } from 'zod';
import type { User } from './domain/user.js';
import { MAIL_CATALOG_KEYS, type MailCatalog } from './mail/templates.js';
import type { AppTransaction } from './ports/app-transaction.js';
import type { AuthStore } from './ports/auth-store.js';
import { AUTH_STORE_METHODS } from './ports/auth-store.js';
import type { Clock, RandomSource } from './ports/clock.js';
import type { Mailer } from './ports/mailer.js';
import type { PasswordHasher } from './ports/password-hasher.js';
import { isVerifierScheme, type PasswordVerifier } from './crypto/legacy-hashes.js';
import { IDENTIFIER_NAME } from './domain/identifier.js';
import type { LegacyUserSource } from './ports/legacy-user-source.js';
import type { PasswordCheck } from './validation/password-policy.js';
import type { RateLimit, RateLimitStore } from './ports/rate-limit-store.js';
import type { StandardSchemaV1 } from './validation/standard-schema.js';
import { isStandardSchema } from './validation/standard-schema.js';
import { localeSchema } from './validation/schemas.js';
import { retentionSchema, type RetentionSetting } from './validation/retention-options.js';

/**
 * Called inside the registration transaction, after the user row exists, with the
 * transaction's view of the store and the application's handle on the same database
 * transaction ({@link AppTransaction}): rows the application writes through it commit with
 * the user, and a throw undoes both. It may run more than once for one registration: the
 * PostgreSQL and MySQL stores run the whole transaction again when the database breaks a
 * deadlock by rolling it back.
 */
export type OnRegister = (user: User, context: { readonly store: AuthStore; readonly transaction: AppTransaction }) => Promise<void> | void;

/** Reports a failure that cannot be thrown to a caller: a background mail delivery, an after-commit listener. */
export type ErrorReporter = (error: unknown, context: { operation: string }) => void;

/** Everything {@link createAuth} accepts. Durations are in seconds. */
export interface AuthOptions extends RetentionSetting {
  /** Where accounts, sessions and the rest live: `gatehouse/memory`, `gatehouse/postgres`, `gatehouse/mysql` or your own. */
  store: AuthStore;
  /** Delivers activation, reset and notification mails. */
  mailer: Mailer;
  /**
   * Hashes and verifies passwords.
   * @default new Argon2PasswordHasher() — argon2id, m=19456 KiB, t=2, p=1
   */
  hasher?: PasswordHasher;
  /**
   * Verifiers of password schemes other than bcrypt, argon2id and argon2i, by scheme name,
   * for hashes brought over by `users.import()` with `password: { scheme, hash }`. A hash of
   * such a scheme verifies through its verifier and is replaced by an argon2id hash at the
   * user's first sign-in.
   * @default {}
   * @example
   * ```ts
   * passwordVerifiers: { sha1salted: (hash, password) => timingSafeEqual(...) }
   * ```
   */
  passwordVerifiers?: Record<string, PasswordVerifier>;
  /**
   * Lazy migration: where sign-in looks for a user gatehouse does not have yet. When a
   * sign-in, a registration, an availability check or a password reset names an address
   * gatehouse has no account for, `findUser(email)` is asked (the address as gatehouse
   * stores it); a record it returns is imported on the spot, as `users.import()` does (same
   * validation and audit), and the call goes on with that account: a sign-in signs the user
   * in (the legacy hash upgraded), a registration is refused as for any taken address.
   * Resolve `null` for an address the legacy system does not hold. A rejection fails the
   * call with `STORAGE_FAILED`.
   * @default undefined — no legacy system
   */
  legacy?: LegacyUserSource;
  /** @default the system clock */
  clock?: Clock;
  /** @default `crypto.randomBytes` */
  random?: RandomSource;
  /**
   * The application's name, used in mail subjects.
   * @default 'gatehouse'
   */
  appName?: string;
  /**
   * The public origin links in mails point to.
   * @default 'http://localhost:3000'
   */
  baseUrl?: string;
  /** Paths of the pages that take a key from a mailed link (`?key=` is appended). */
  paths?: {
    /** @default '/activate' */
    activation?: string;
    /** @default '/reset-password' */
    passwordReset?: string;
    /** @default '/confirm-email' */
    emailChange?: string;
    /**
     * The sign-in page, linked from the mail telling a user their account was approved.
     * @default '/login'
     */
    signIn?: string;
  };
  /**
   * Language of messages for users without a `locale`, and for users whose language has no
   * messages.
   * @default 'en'
   */
  defaultLocale?: string;
  /** The mails gatehouse sends. */
  mail?: {
    /**
     * Messages by language tag (`fr`, `es-VE`), merged over the built-in English and Spanish
     * ones: add a language, or replace some messages of one. Each template returns the parts
     * of a message (subject, paragraphs, button label), rendered as plain text and HTML; it
     * may also return its own `text` and `html`. A user's mail is in their `locale`, else its
     * language, else `defaultLocale`, else English; messages missing from a new language are
     * taken from English.
     * @default {}
     * @example
     * ```ts
     * import { MAIL_CATALOGS } from 'gatehouse';
     * const templates = {
     *   en: { activation: (d) => ({ ...MAIL_CATALOGS.en.activation(d), subject: `Welcome to ${d.appName}!` }) },
     *   fr: { greeting: (name) => `Bonjour ${name},`, activation: (d) => ({ subject: `Activez votre compte ${d.appName}`, intro: [], action: 'Activer', outro: [] }) },
     * };
     * ```
     */
    templates?: Readonly<Record<string, Partial<MailCatalog>>>;
    /**
     * Mail a user when they sign in from a device none of their recent sign-ins came from
     * (compared by user agent, ignoring version numbers, and by network: the IPv4 address or
     * the IPv6 /64). Never on a user's first sign-in. Sent in the background: sign-in does not
     * wait for it.
     * @default true
     */
    notifyNewSignIn?: boolean;
  };
  /** How accounts are created: approval, email verification, the default role, fields of your own, `onRegister`. */
  registration?: {
    /**
     * New users start `pending` and cannot sign in until an administrator approves them.
     * @default false
     */
    requireApproval?: boolean;
    /**
     * Users cannot sign in until they used their activation key.
     * @default true
     */
    requireEmailVerification?: boolean;
    /**
     * Whether registration and the HTTP layer say that an address has an account. `true`:
     * registering a taken address fails with `EMAIL_TAKEN` (409) and `GET /check-email`
     * answers `{ available }` — friendly, but anyone can learn who has an account. `false`:
     * registering a taken address answers exactly as for a new one (the same hashing work, a
     * user object of the same shape that is not stored) and mails the owner that someone tried
     * to register with their address; the HTTP layer does not serve `check-email` (404).
     * `accounts.isEmailAvailable()` keeps answering for the application's own use.
     * @default true
     */
    revealExistingEmail?: boolean;
    /**
     * Code of the role given to every new user; the role must exist.
     * @default null — no role
     */
    defaultRole?: string | null;
    /**
     * The application's own registration and profile fields, each validated by its schema
     * (zod or any Standard Schema) and stored in `user.attributes`.
     * @default {}
     */
    fields?: Record<string, StandardSchemaV1>;
    /**
     * Fields of `fields` whose value no two users may share (a national id number): each is
     * also stored as an identifier of the same name, unique and indexed. Registration, a
     * profile change or an administrator's edit that would give a user another user's value
     * fails `IDENTIFIER_TAKEN` (409), with the field in `issues` — checked in the writing
     * transaction, so that of concurrent registrations with one value exactly one succeeds.
     * @default []
     * @example
     * ```ts
     * registration: { fields: { nationalId: z.string().regex(/^[VE]-\d{6,9}$/) }, uniqueFields: ['nationalId'] }
     * ```
     */
    uniqueFields?: readonly string[];
    /**
     * Runs inside the registration transaction: a throw undoes the registration. It may run
     * again when the database retries the transaction after a deadlock, so write through
     * the transaction it is given and keep other side effects for after `register()` resolves.
     */
    onRegister?: OnRegister;
  };
  /** Session lifetimes, renewal and caching. */
  sessions?: {
    /**
     * A session unused for this long expires.
     * @default 1800 (30 minutes)
     */
    idleTimeout?: number;
    /**
     * No session outlives this, however active. At most 30 days (2592000).
     * @default 43200 (12 hours)
     */
    absoluteLifetime?: number;
    /**
     * Lifetime of a "remember me" session, fixed from sign-in. At most 400 days (34560000).
     * @default 2592000 (30 days)
     */
    rememberMeLifetime?: number;
    /**
     * Validation writes a session's new expiry to the store at most once per this interval.
     * @default 60
     */
    renewInterval?: number;
    /**
     * Validated sessions kept, each checked by its revision alone (a change by any instance applies on the next request); `0` reads in full.
     * @default 10000
     */
    cacheSize?: number;
    /**
     * Seconds a validated session is reused without reading its revision; expiry, status and this process's changes still apply at once, another instance's after up to this long.
     * @default 0 (off)
     */
    cacheTtl?: number;
  };
  /** Lifetimes of mailed keys, each at least 60 seconds. */
  keys?: {
    /** At most 30 days (2592000). @default 86400 (24 hours) */
    activationLifetime?: number;
    /** At most 24 hours (86400): whoever reads the mailbox later must not reset the password. @default 1800 (30 minutes) */
    passwordResetLifetime?: number;
    /** At most 7 days (604800). @default 86400 (24 hours) */
    emailChangeLifetime?: number;
  };
  /** The password policy: length, history, blocklist, an extra check. */
  passwords?: {
    /** At least 8 (NIST SP 800-63B). @default 8 */
    minLength?: number;
    /** At least 64 (NIST SP 800-63B), at most 1024. @default 128 */
    maxLength?: number;
    /**
     * How many recent passwords (the current one included) cannot be chosen again.
     * @default 5
     */
    historyDepth?: number;
    /**
     * Extra words to refuse, on top of the strength estimate's own list of common passwords:
     * as whole passwords and, through the estimator, inside them (the shop's name, its products).
     * @default []
     */
    blocklist?: readonly string[];
    /**
     * An asynchronous check of a new password after gatehouse's own, e.g. a breached-password
     * service ({@link pwnedPasswordsCheck}): resolve `false` to refuse the password
     * (`WEAK_PASSWORD`). It fails open: a check that throws or takes more than 5 seconds (abort
     * your request on the `signal` it is given) is reported to `onError` and the password is
     * accepted, because it already passed the strength estimate and an outage of the service
     * must not stop every registration and reset.
     * @default none
     */
    check?: PasswordCheck;
  };
  /** Failed sign-ins allowed per account and per client address before further tries are refused. */
  lockout?: {
    /**
     * Failed logins for one email within `window` after which further tries are refused. At most 100.
     * Each attempt is counted before its password (or code) is checked, so at most this many
     * are checked in a window however many arrive at once, on however many instances.
     * @default 5
     */
    maxFailures?: number;
    /**
     * Failed logins from one client address within `window` after which it is refused.
     * @default 100
     */
    maxFailuresPerIp?: number;
    /** Between 60 seconds and 24 hours. @default 900 (15 minutes) */
    window?: number;
  };
  /**
   * Rate limits counted in a store, so that every instance of the app counting in the same
   * store shares them: the HTTP layer's per-IP limits, the per-address mail limits below, and
   * the application's own (`auth.rateLimits`).
   */
  rateLimits?: {
    /**
     * Where rate limits are counted.
     * @default the `store` when it counts rate limits itself, as the memory, PostgreSQL and
     * MySQL stores do (in the database: every instance on it shares the counts); otherwise a
     * `MemoryRateLimitStore` in this process
     */
    store?: RateLimitStore;
    /**
     * Password reset mails to one address (`passwords.requestReset`) per window; further
     * requests are answered as ever but mail nothing. `false` for no limit.
     * @default { limit: 3, window: 900 }
     */
    passwordResetMails?: RateLimit | false;
    /**
     * Activation mails re-sent to one address (`accounts.resendActivation`) per window;
     * further requests are answered as ever but mail nothing. `false` for no limit.
     * @default { limit: 3, window: 900 }
     */
    activationMails?: RateLimit | false;
  };
  /**
   * Two-factor authentication with TOTP codes (authenticator apps). Off unless an
   * `encryptionKey` is given; the store must implement the two-factor methods.
   */
  twoFactor?: {
    /**
     * Encrypts TOTP secrets at rest (AES-256-GCM): 32 bytes, as 64 hex characters, base64,
     * or bytes. Keep it out of the database, e.g. in an environment variable.
     */
    encryptionKey: string | Uint8Array;
    /** Older keys, still accepted for decryption after the key was rotated. @default [] */
    previousKeys?: readonly (string | Uint8Array)[];
    /** The name authenticator apps show. @default the `appName` */
    issuer?: string;
    /** How long the second step of a sign-in may take, in seconds; at most 15 minutes. @default 300 */
    challengeLifetime?: number;
  };
  /**
   * Receives failures that cannot reach a caller.
   * @default logs to `console.error`
   */
  onError?: ErrorReporter;
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;
const hasMethods = (value: unknown, methods: readonly string[]): boolean =>
  isObject(value) && methods.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');
const port = <T>(name: string, methods: readonly string[]) =>
  z.custom<T>((value) => hasMethods(value, methods), {
    error: (issue) => {
      const missing = methods.filter((m) => !isObject(issue.input) || typeof (issue.input as Record<string, unknown>)[m] !== 'function');
      return `${name} must implement ${missing.join(', ')}`;
    },
  });
const fn = <T>() => z.custom<T>((value) => typeof value === 'function', { error: 'must be a function' });
const catalogOverrides = z.custom<Partial<MailCatalog>>(
  (value) =>
    isObject(value) &&
    Object.entries(value).every(([key, template]) => (MAIL_CATALOG_KEYS as readonly string[]).includes(key) && (template === undefined || typeof template === 'function')),
  { error: `must map some of ${MAIL_CATALOG_KEYS.join(', ')} to functions` },
);
const mailLimit = z
  .union([z.object({ limit: z.number().int().positive(), window: z.number().int().positive() }), z.literal(false)])
  .default({ limit: 3, window: 15 * 60 });
const seconds = (fallback: number) => z.number().int().positive().default(fallback);
const DAY = 24 * 60 * 60;
/** A duration in seconds between `min` and `max`: longer ones are mistakes an attacker profits from. */
const bounded = (fallback: number, min: number, max: number) =>
  z.number().int().min(min, { error: `must be at least ${min} seconds` }).max(max, { error: `must be at most ${max} seconds` }).default(fallback);
const path = (fallback: string) => z.string().startsWith('/').default(fallback);
const optionsSchema = z.object({
  store: port<AuthStore>('store', AUTH_STORE_METHODS),
  mailer: port<Mailer>('mailer', ['send']),
  hasher: port<PasswordHasher>('hasher', ['hash', 'verify', 'needsRehash']).optional(),
  legacy: z.custom<LegacyUserSource>((value) => isObject(value) && typeof (value as { findUser?: unknown }).findUser === 'function', { error: 'must have a findUser(email) method' }).optional(),
  passwordVerifiers: z
    .custom<Record<string, PasswordVerifier>>(
      (value) => isObject(value) && Object.entries(value).every(([scheme, verify]) => isVerifierScheme(scheme) && !['bcrypt', 'argon2id', 'argon2i'].includes(scheme) && typeof verify === 'function'),
      { error: 'must map scheme names (a letter, then letters, digits, _ or -; not bcrypt, argon2id or argon2i) to functions' },
    )
    .default({}),
  clock: port<Clock>('clock', ['now']).optional(),
  random: port<RandomSource>('random', ['bytes']).optional(),
  appName: z.string().min(1).default('gatehouse'),
  baseUrl: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')).default('http://localhost:3000'),
  paths: z
    .object({ activation: path('/activate'), passwordReset: path('/reset-password'), emailChange: path('/confirm-email'), signIn: path('/login') })
    .prefault({}),
  defaultLocale: z.string().min(2).default('en'),
  mail: z
    .object({
      templates: z.record(localeSchema, catalogOverrides).default({}),
      notifyNewSignIn: z.boolean().default(true),
    })
    .prefault({}),
  registration: z
    .object({
      requireApproval: z.boolean().default(false),
      requireEmailVerification: z.boolean().default(true),
      revealExistingEmail: z.boolean().default(true),
      defaultRole: z.string().min(1).nullable().default(null),
      fields: z
        .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.custom<StandardSchemaV1>(isStandardSchema, { error: 'must be a zod or Standard Schema' }))
        .default({}),
      onRegister: fn<OnRegister>().optional(),
      uniqueFields: z.array(z.string().regex(IDENTIFIER_NAME)).readonly().default([]),
    })
    .refine((r) => r.uniqueFields.every((name) => Object.hasOwn(r.fields, name)), { error: 'every uniqueFields entry must name one of fields', path: ['uniqueFields'] })
    .prefault({}),
  sessions: z
    .object({
      idleTimeout: bounded(30 * 60, 1, 30 * DAY),
      absoluteLifetime: bounded(12 * 60 * 60, 1, 30 * DAY),
      rememberMeLifetime: bounded(30 * DAY, 1, 400 * DAY),
      renewInterval: seconds(60),
      cacheSize: z.number().int().min(0).max(1_000_000).default(10_000), cacheTtl: z.number().int().min(0).max(300).default(0),
    })
    .prefault({}),
  keys: z
    .object({
      activationLifetime: bounded(DAY, 60, 30 * DAY),
      passwordResetLifetime: bounded(30 * 60, 60, DAY),
      emailChangeLifetime: bounded(DAY, 60, 7 * DAY),
    })
    .prefault({}),
  passwords: z
    .object({
      minLength: z.number().int().min(8, { error: 'must be at least 8 (NIST SP 800-63B)' }).default(8),
      maxLength: z.number().int().min(64, { error: 'must be at least 64 (NIST SP 800-63B)' }).max(1024).default(128),
      historyDepth: z.number().int().min(0).max(50).default(5),
      blocklist: z.array(z.string()).readonly().default([]),
      check: fn<PasswordCheck>().optional(),
    })
    .refine((p) => p.minLength <= p.maxLength, { error: 'minLength must not exceed maxLength' })
    .prefault({}),
  lockout: z
    .object({
      maxFailures: z.number().int().positive().max(100, { error: 'must be at most 100: more lets a guesser try too long' }).default(5),
      maxFailuresPerIp: z.number().int().positive().max(100_000).default(100),
      window: bounded(15 * 60, 60, DAY),
    })
    .prefault({}),
  retention: retentionSchema,
  rateLimits: z
    .object({
      store: port<RateLimitStore>('rateLimits.store', ['hitRateLimit']).optional(),
      passwordResetMails: mailLimit,
      activationMails: mailLimit,
    })
    .prefault({}),
  twoFactor: z
    .object({
      encryptionKey: z.union([z.string(), z.instanceof(Uint8Array)]),
      previousKeys: z.array(z.union([z.string(), z.instanceof(Uint8Array)])).readonly().default([]),
      issuer: z.string().min(1).max(100).optional(),
      challengeLifetime: bounded(5 * 60, 30, 15 * 60),
    })
    .optional(),
  onError: fn<ErrorReporter>().optional(),
});

/** Options after defaults: what the services read. */
export type ResolvedOptions = z.output<typeof optionsSchema>;

/**
 * Checks options and fills in defaults.
 * @throws {TypeError} when an option is missing or malformed — a programming error, reported at construction.
 */
export function resolveOptions(options: AuthOptions): ResolvedOptions {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new TypeError(`createAuth: invalid options\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
