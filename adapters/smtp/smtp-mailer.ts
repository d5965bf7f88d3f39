import nodemailer from 'nodemailer';
import { isValidEmail, type MailMessage, type Mailer } from 'gatehouse';

/** An address with a display name, as nodemailer takes it without parsing a string. */
export interface MailAddress {
  /** The display name, e.g. `Mi Tienda`. */
  readonly name: string;
  /** The address itself, e.g. `no-reply@tienda.example`. */
  readonly address: string;
}

/** The message {@link SmtpMailer} hands to its transporter: every address already split into parts. */
export interface OutgoingMail {
  /** The sender (`from` of the options). */
  from: MailAddress;
  /** Where replies go (`replyTo` of the options), when set. */
  replyTo?: MailAddress | undefined;
  /** The one recipient. */
  to: MailAddress;
  /** The SMTP envelope, given explicitly so that it is never derived by parsing headers. */
  envelope: {
    /** The envelope sender (`MAIL FROM`). */
    from: string;
    /** The envelope recipients (`RCPT TO`): the one recipient. */
    to: string[];
  };
  /** The subject line. */
  subject: string;
  /** The plain-text part. */
  text: string;
  /** The HTML part. */
  html: string;
  /** Extra headers, e.g. `Auto-Submitted: auto-generated`. */
  headers: Record<string, string>;
  /** Always `true`: nodemailer must not read local files named in the message. */
  disableFileAccess: true;
  /** Always `true`: nodemailer must not fetch URLs named in the message. */
  disableUrlAccess: true;
}

/** What {@link SmtpMailer} needs of a nodemailer transporter (the object `nodemailer.createTransport()` returns). */
export interface MailTransporter {
  /** Sends one message; rejects with nodemailer's error (with `responseCode` for an SMTP answer). */
  sendMail(mail: OutgoingMail): Promise<unknown>;
  /** Closes the transporter's connections. */
  close(): void;
}

/**
 * nodemailer's SMTP transport options (see https://nodemailer.com/smtp/); the common ones
 * are typed, any other is passed through.
 */
export interface SmtpTransportOptions {
  /** The SMTP server's host name. @default 'localhost' */
  host?: string;
  /** @default 587, or 465 when `secure` */
  port?: number;
  /** `true` for implicit TLS (port 465); `false` upgrades with STARTTLS when offered. */
  secure?: boolean;
  /** Credentials: a user name and password, or another of nodemailer's authentication objects (OAuth2, …). */
  auth?:
    | {
        /** The user name. */
        user: string;
        /** The password. */
        pass: string;
      }
    | Record<string, unknown>;
  /** Refuse to send unless the connection is upgraded with STARTTLS. */
  requireTLS?: boolean;
  /** Never upgrade with STARTTLS, even when offered (a local test server). */
  ignoreTLS?: boolean;
  /** Node.js TLS options, e.g. `{ servername }` or a CA. */
  tls?: Record<string, unknown>;
  /** Keep a pool of connections open. */
  pool?: boolean;
  /** @default 10000 ms (nodemailer's own is 2 minutes) */
  connectionTimeout?: number;
  /** @default 10000 ms */
  greetingTimeout?: number;
  /** @default 30000 ms */
  socketTimeout?: number;
  [option: string]: unknown;
}

/** Where {@link createSmtpMailer} sends through. */
export type SmtpConnection =
  | {
      /** An SMTP URL, e.g. `smtps://user:pass@smtp.example.com` or `smtp://localhost:1025?ignoreTLS=true`; the mailer closes the transport it makes. */
      readonly url: string;
    }
  | {
      /** nodemailer SMTP transport options; the mailer closes the transport it makes. */
      readonly transport: SmtpTransportOptions;
    }
  | {
      /** A transporter you created and close yourself (any nodemailer transport: SES, a pool, …). */
      readonly transporter: MailTransporter;
    };

/** How {@link SmtpMailer} sends. */
export interface SmtpMailerOptions {
  /** The sender: an address, or an address with a display name (`{ name: 'Shop', address: 'no-reply@shop.example' }`). */
  readonly from: string | MailAddress;
  /**
   * Where replies go, in the same form as `from`.
   * @default none: replies go to `from`
   */
  readonly replyTo?: string | MailAddress | undefined;
  /**
   * Further attempts after a transient failure: an SMTP 4xx answer or a lost or refused
   * connection. A permanent refusal (5xx) is never retried.
   * @default 2
   */
  readonly retries?: number | undefined;
  /**
   * Milliseconds before the first retry; each further retry waits twice as long.
   * @default 1000
   */
  readonly retryDelay?: number | undefined;
}

// Connection-level failures worth another try; anything else without an SMTP code is not.
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether a sending failure may succeed if tried again: an SMTP 4xx answer ("try later",
 * greylisting, a full queue) or a network failure. A 5xx answer, a refused recipient or bad
 * credentials are permanent.
 */
export function isTransientSmtpError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { responseCode, code } = error as { responseCode?: unknown; code?: unknown };
  if (typeof responseCode === 'number') return responseCode >= 400 && responseCode < 500;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

/** An error of {@link SmtpMailer} itself, before anything reached the transport. */
export class SmtpMailerError extends Error {
  /** `INVALID_RECIPIENT`: the recipient is not an address gatehouse accepts. */
  readonly code: 'INVALID_RECIPIENT';

  constructor(code: 'INVALID_RECIPIENT', message: string) {
    super(message);
    this.name = 'SmtpMailerError';
    this.code = code;
  }
}

// A display name is sent encoded by nodemailer; control characters and angle brackets have no place in one.
const NAME_FORBIDDEN = /[\p{Cc}\p{Cf}<>"]/u;
// A language tag for the Content-Language header.
const LANGUAGE_TAG = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;

function toAddress(value: string | MailAddress, option: string): MailAddress {
  const parts = typeof value === 'string' ? { name: '', address: value } : value;
  if (typeof parts !== 'object' || parts === null || !isValidEmail(parts.address)) {
    throw new TypeError(`gatehouse/smtp: ${option} must be an email address or { name, address } (a "Name <address>" string is not parsed)`);
  }
  if (typeof parts.name !== 'string' || NAME_FORBIDDEN.test(parts.name)) {
    throw new TypeError(`gatehouse/smtp: the name of ${option} must be text without control characters, quotes or angle brackets`);
  }
  return { name: parts.name, address: parts.address };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A {@link Mailer} that sends through SMTP with nodemailer, retrying transient failures with
 * exponential backoff. Recipients are checked with the core's email rules before anything
 * reaches nodemailer, and every address is handed over already split (never as a string for
 * nodemailer to parse); nodemailer may not read files or fetch URLs for a message.
 *
 * A send that still fails rejects: gatehouse then logs a `mail.failed` activity and keeps
 * the change that caused the mail (the key stays valid and can be re-sent).
 *
 * @example
 * ```ts
 * const mailer = createSmtpMailer({ url: process.env.SMTP_URL! }, { from: { name: 'Shop', address: 'no-reply@shop.example' } });
 * const auth = createAuth({ store, mailer, baseUrl: 'https://shop.example' });
 * // on shutdown
 * mailer.close();
 * ```
 */
export class SmtpMailer implements Mailer {
  readonly #transporter: MailTransporter;
  readonly #owned: boolean;
  readonly #from: MailAddress;
  readonly #replyTo: MailAddress | undefined;
  readonly #retries: number;
  readonly #retryDelay: number;
  #closed = false;

  /**
   * Sends through `transporter`. Prefer {@link createSmtpMailer}, which also builds the transporter.
   * @param owned Whether {@link close} closes the transporter.
   * @throws {TypeError} bad options.
   */
  constructor(transporter: MailTransporter, options: SmtpMailerOptions, owned = false) {
    if (typeof transporter?.sendMail !== 'function') throw new TypeError('gatehouse/smtp: the transporter must have sendMail()');
    const retries = options.retries ?? 2;
    const retryDelay = options.retryDelay ?? 1000;
    if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw new TypeError('gatehouse/smtp: retries must be an integer from 0 to 10');
    if (!Number.isFinite(retryDelay) || retryDelay < 0) throw new TypeError('gatehouse/smtp: retryDelay must be a number of milliseconds, 0 or more');
    this.#transporter = transporter;
    this.#owned = owned;
    this.#from = toAddress(options.from, 'from');
    this.#replyTo = options.replyTo === undefined ? undefined : toAddress(options.replyTo, 'replyTo');
    this.#retries = retries;
    this.#retryDelay = retryDelay;
  }

  /**
   * Sends one message, retrying transient failures.
   * @throws {SmtpMailerError} INVALID_RECIPIENT — nothing was handed to the transport.
   * @throws the transport's last error when sending failed for good.
   */
  async send(message: MailMessage): Promise<void> {
    // Checked here too, whoever calls: an address mailers parse differently must never reach one.
    if (!isValidEmail(message.to)) throw new SmtpMailerError('INVALID_RECIPIENT', 'Refused to send: the recipient is not a valid email address.');
    const headers: Record<string, string> = { 'Auto-Submitted': 'auto-generated' };
    if (LANGUAGE_TAG.test(message.locale)) headers['Content-Language'] = message.locale;
    const mail: OutgoingMail = {
      from: this.#from,
      ...(this.#replyTo === undefined ? {} : { replyTo: this.#replyTo }),
      to: { name: '', address: message.to },
      envelope: { from: this.#from.address, to: [message.to] },
      subject: message.subject,
      text: message.text,
      html: message.html,
      headers,
      disableFileAccess: true,
      disableUrlAccess: true,
    };
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.#transporter.sendMail(mail);
        return;
      } catch (error) {
        if (attempt >= this.#retries || !isTransientSmtpError(error) || this.#closed) throw error;
        await sleep(this.#retryDelay * 2 ** attempt);
      }
    }
  }

  /** Closes the transporter when this mailer created it (its pooled connections, if any). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) this.#transporter.close();
  }
}

/**
 * Creates an {@link SmtpMailer} from an SMTP URL, nodemailer SMTP transport options, or a
 * transporter of your own. Needs the `nodemailer` package (an optional peer dependency).
 *
 * @throws {TypeError} bad options.
 * @example
 * ```ts
 * import { createSmtpMailer } from 'gatehouse/smtp';
 *
 * const mailer = createSmtpMailer(
 *   { transport: { host: 'smtp.example.com', port: 587, auth: { user: 'apikey', pass: process.env.SMTP_PASSWORD! } } },
 *   { from: { name: 'Shop', address: 'no-reply@shop.example' }, retries: 3 },
 * );
 * ```
 */
export function createSmtpMailer(connection: SmtpConnection, options: SmtpMailerOptions): SmtpMailer {
  if (typeof connection !== 'object' || connection === null) throw new TypeError('gatehouse/smtp: pass { url }, { transport } or { transporter }');
  if ('transporter' in connection) return new SmtpMailer(connection.transporter, options, false);
  let settings: SmtpTransportOptions;
  if ('url' in connection) {
    if (typeof connection.url !== 'string' || !/^smtps?:\/\//i.test(connection.url)) throw new TypeError('gatehouse/smtp: url must start with smtp:// or smtps://');
    settings = { url: connection.url };
  } else if ('transport' in connection && typeof connection.transport === 'object' && connection.transport !== null) {
    settings = connection.transport;
  } else {
    throw new TypeError('gatehouse/smtp: pass { url }, { transport } or { transporter }');
  }
  const transporter: MailTransporter = nodemailer.createTransport({
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    ...settings,
    // Messages are plain strings: nothing should make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return new SmtpMailer(transporter, options, true);
}
