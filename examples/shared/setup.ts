import { randomBytes } from 'node:crypto';
import { createAuth, ecommercePreset, escapeHtml, isAuthError, type Auth, type AuthOptions, type AuthStore, type Mailer } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { shopFields } from './fields.js';
import { catalog, pageLocale } from './i18n/index.js';
import { OrderBook } from './orders.js';

/** The settings of an example app, from the environment. */
export interface ExampleConfig {
  /** `postgres://…`, `mysql://…`, or unset for the in-memory store. */
  readonly databaseUrl: string | undefined;
  readonly port: number;
  readonly adminEmail: string;
  /** Generated (and printed) when unset. */
  readonly adminPassword: string | undefined;
  readonly requireApproval: boolean;
  /** Where the app is reached, for the links in mails. */
  readonly baseUrl: string;
  /** Development (`NODE_ENV` other than `production`): plain-HTTP cookies, and the outbox when no SMTP server is given. */
  readonly development: boolean;
  /** Where mails go (`smtp://…`, `smtps://…`); unset = the development outbox, which production refuses. */
  readonly smtpUrl: string | undefined;
  /** The sender of the mails. */
  readonly mailFrom: string;
  /** Encrypts TOTP secrets (64 hex characters); a random one per start when unset. */
  readonly totpKey: string | undefined;
  /**
   * Seals the pages' own cookies (flash messages, a two-step sign-in between its steps), in
   * hex (at least 64 characters); random per start when unset. Instances behind one load
   * balancer need the same one.
   */
  readonly cookieSecret: string | undefined;
}

/** Reads the example's settings from environment variables. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ExampleConfig {
  const port = Number(env['PORT'] ?? 3000);
  return {
    databaseUrl: env['DATABASE_URL'] || undefined,
    port,
    adminEmail: env['ADMIN_EMAIL'] ?? 'admin@example.com',
    adminPassword: env['ADMIN_PASSWORD'] || undefined,
    requireApproval: env['REQUIRE_APPROVAL'] === 'true',
    baseUrl: env['BASE_URL'] ?? `http://localhost:${port}`,
    development: env['NODE_ENV'] !== 'production',
    smtpUrl: env['SMTP_URL'] || undefined,
    mailFrom: env['MAIL_FROM'] || 'no-reply@example.com',
    totpKey: env['TOTP_ENCRYPTION_KEY'] || undefined,
    cookieSecret: env['COOKIE_SECRET'] || undefined,
  };
}

/** Everything an example app runs on. */
export interface ExampleRuntime {
  readonly auth: Auth;
  /** The memory mailer whose outbox `GET /api/dev/outbox` serves; `undefined` with a real mailer. */
  readonly outbox: MemoryMailer | undefined;
  readonly orders: OrderBook;
  /** The key of the pages' sealed cookies (`COOKIE_SECRET`, else random). */
  readonly cookieSecret: Buffer;
  readonly admin: { readonly email: string; readonly password: string; readonly generated: boolean };
  readonly config: ExampleConfig;
  /** Closes gatehouse: waits for mails being sent, then closes the database pool and the SMTP connections, if they were opened (`auth.close()`). */
  close(): Promise<void>;
}

/** Why a production start without SMTP_URL is refused. */
export const PRODUCTION_NEEDS_SMTP =
  'NODE_ENV=production needs a real mailer: set SMTP_URL (e.g. smtps://user:password@smtp.example.com:465) and MAIL_FROM. ' +
  'The development outbox shows every mail, reset keys included, to anyone who asks, so it is served in development only.';

/**
 * Builds gatehouse for an example app: the store from `DATABASE_URL` (migrated on start),
 * the mailer (SMTP from `SMTP_URL`, else the development outbox), the shop's registration
 * fields, the e-commerce preset, and the admin.
 * @throws {Error} {@link PRODUCTION_NEEDS_SMTP} — in production without `SMTP_URL`; a malformed `COOKIE_SECRET`.
 */
export async function createRuntime(config: ExampleConfig, overrides: Partial<AuthOptions> = {}): Promise<ExampleRuntime> {
  const cookieSecret = cookieSecretOf(config.cookieSecret);
  const { mailer, outbox } = await openMailer(config);
  const store = await openStore(config.databaseUrl);
  const auth = createAuth({
    store,
    mailer,
    appName: 'Gatehouse Shop',
    baseUrl: config.baseUrl,
    // One account per cédula (seed 001's unique:usuarios,cedula): stored as the identifier `nationalId`.
    registration: { defaultRole: 'customer', requireApproval: config.requireApproval, fields: shopFields, uniqueFields: ['nationalId'] },
    // With a database, set TOTP_ENCRYPTION_KEY: secrets sealed with a random key do not survive a restart.
    twoFactor: { encryptionKey: config.totpKey ?? randomBytes(32) },
    ...overrides,
  });
  await auth.roles.seed(auth.system, ecommercePreset);
  tellOldAddress(auth, mailer);
  const admin = await seedAdmin(auth, config);
  // auth.close() closes the store and the mailer, which end the pool and the SMTP connections they opened.
  return { auth, outbox, orders: new OrderBook(), cookieSecret, admin, config, close: () => auth.close() };
}

/**
 * Once an email change is done, tells the old address, in the user's language: gatehouse
 * mails only the new one (to confirm it), and the owner of the old one must learn that the
 * account moved.
 */
function tellOldAddress(auth: Auth, mailer: Mailer): void {
  auth.events.on('user.emailChanged', async ({ user, before, after }) => {
    const locale = pageLocale({ user: user.locale });
    const t = catalog(locale);
    const text = t.mail.emailChangedText(user.name, after);
    const body = text.split('\n\n').map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`).join('');
    const html = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(t.mail.emailChangedSubject)}</title></head><body style="font-family:system-ui,sans-serif;line-height:1.5">${body}</body></html>`;
    await mailer.send({ to: before, subject: t.mail.emailChangedSubject, text, html, kind: 'email-change', locale });
  });
}

/** The bytes of `COOKIE_SECRET`, or random ones. */
function cookieSecretOf(hex: string | undefined): Buffer {
  if (hex === undefined) return randomBytes(32);
  if (!/^(?:[0-9a-fA-F]{2}){32,}$/.test(hex)) throw new Error('COOKIE_SECRET must be at least 64 hexadecimal characters (32 bytes)');
  return Buffer.from(hex, 'hex');
}

/** SMTP when `SMTP_URL` is set; otherwise, in development only, the outbox the app serves at `/dev/outbox`. */
async function openMailer(config: ExampleConfig): Promise<{ mailer: Mailer; outbox: MemoryMailer | undefined }> {
  if (config.smtpUrl !== undefined) {
    const { createSmtpMailer } = await import('gatehouse/smtp');
    return { mailer: createSmtpMailer({ url: config.smtpUrl }, { from: { name: 'Gatehouse Shop', address: config.mailFrom } }), outbox: undefined };
  }
  if (!config.development) throw new Error(PRODUCTION_NEEDS_SMTP);
  const outbox = new MemoryMailer();
  return { mailer: outbox, outbox };
}

async function openStore(url: string | undefined): Promise<AuthStore> {
  if (url === undefined) return new MemoryAuthStore();
  if (/^postgres(ql)?:\/\//.test(url)) {
    const { createPostgresStore } = await import('gatehouse/postgres');
    const store = createPostgresStore({ url });
    await store.migrate();
    return store;
  }
  if (/^(mysql|mariadb):\/\//.test(url)) {
    const { createMysqlStore } = await import('gatehouse/mysql');
    const store = createMysqlStore({ url: url.replace(/^mariadb:/, 'mysql:') });
    await store.migrate();
    return store;
  }
  throw new Error(`DATABASE_URL must start with postgres://, mysql:// or mariadb:// (got ${url.split(':')[0]}://…)`);
}

/** Creates the administrator unless the email is taken; a generated password is returned to be printed once. */
async function seedAdmin(auth: Auth, config: ExampleConfig): Promise<ExampleRuntime['admin']> {
  const generated = config.adminPassword === undefined;
  const password = config.adminPassword ?? `${randomBytes(12).toString('base64url')}-Aa1`;
  try {
    await auth.users.create(auth.system, {
      email: config.adminEmail,
      name: 'Administrator',
      password,
      roles: [{ code: 'admin' }],
      emailVerified: true,
      mustChangePassword: false,
    });
  } catch (error) {
    if (!isAuthError(error, 'EMAIL_TAKEN')) throw error;
    return { email: config.adminEmail, password: generated ? '(unchanged: the admin already existed)' : password, generated: false };
  }
  return { email: config.adminEmail, password, generated };
}

/** Prints why the app cannot start (production without SMTP_URL, a DATABASE_URL of another kind) and exits. */
export function cannotStart(error: unknown): never {
  console.error(`Gatehouse Shop cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

/** Prints where the app listens and how to sign in as the administrator. */
export function announce(runtime: ExampleRuntime, framework: string): void {
  const { config, admin, outbox } = runtime;
  const storage = config.databaseUrl === undefined ? 'in-memory store' : config.databaseUrl.split(':')[0];
  console.log(`Gatehouse Shop (${framework}, ${storage}) at ${config.baseUrl}`);
  console.log(`  admin: ${admin.email} / ${admin.password}${admin.generated ? '   (generated: set ADMIN_PASSWORD to choose one)' : ''}`);
  if (outbox !== undefined) console.log(`  mails: ${config.baseUrl}/dev/outbox  (JSON: ${config.baseUrl}/api/dev/outbox; development only)`);
  else console.log(`  mails: sent through SMTP as ${config.mailFrom}`);
  console.log('  stop with Ctrl+C');
}
