import type { NormalizedClient } from '../domain/client.js';
import type { KeyPurpose } from '../domain/one-time-key.js';
import { buildCatalogs, en, renderMail, type MailCatalog, type MailData } from '../mail/templates.js';
import type { ResolvedOptions } from '../options.js';
import type { MailKind, MailMessage, Mailer } from '../ports/mailer.js';
import type { RateLimitStore } from '../ports/rate-limit-store.js';
import { isValidEmail } from '../validation/schemas.js';
import type { ErrorReport } from './background.js';
import type { Stamps } from './stamps.js';
import { keyLifetime, type PendingMail, type UnitsOfWork } from './unit-of-work.js';

/** What mail delivery works with. */
export interface MailDeliveryDeps {
  readonly mailer: Mailer;
  readonly options: Pick<ResolvedOptions, 'appName' | 'baseUrl' | 'paths' | 'defaultLocale' | 'keys' | 'twoFactor' | 'rateLimits' | 'mail'>;
  /** Where the per-address mail limits are counted. */
  readonly rateLimits: RateLimitStore;
  readonly stamps: Stamps;
  readonly report: ErrorReport;
  /** Logs a failed delivery in the activity log. */
  readonly units: Pick<UnitsOfWork, 'transact'>;
}

const KEY_PURPOSE_OF: Partial<Record<MailKind, KeyPurpose>> = {
  activation: 'activation',
  'password-reset': 'password-reset',
  'email-change': 'email-change',
};

/** Mails to users: the catalogs by locale, the links keys open, rendering, sending and the per-address limits. */
export class MailDelivery {
  /** The mail catalogs by language tag: the built-in ones with the application's templates merged in. */
  readonly #catalogs: ReadonlyMap<string, MailCatalog>;

  constructor(private readonly deps: MailDeliveryDeps) {
    this.#catalogs = buildCatalogs(deps.options.mail.templates);
  }

  /** The catalog for a locale: exact, then its language, then the default locale (exact, then its language), then English. */
  catalogFor(locale: string | null): { locale: string; catalog: MailCatalog } {
    const fallback = this.deps.options.defaultLocale;
    for (const candidate of [locale, locale?.split('-')[0], fallback, fallback.split('-')[0], 'en']) {
      const catalog = candidate == null ? undefined : this.#catalogs.get(candidate);
      if (candidate != null && catalog !== undefined) return { locale: candidate, catalog };
    }
    return { locale: 'en', catalog: en };
  }

  /** The link a key opens. */
  link(purpose: KeyPurpose, key: string): string {
    const paths = this.deps.options.paths;
    const path = purpose === 'activation' ? paths.activation : purpose === 'password-reset' ? paths.passwordReset : paths.emailChange;
    return `${this.deps.options.baseUrl}${path}?key=${encodeURIComponent(key)}`;
  }

  /** Renders a mail for a stored user. */
  render(mail: PendingMail): MailMessage {
    const options = this.deps.options;
    const { locale, catalog } = this.catalogFor(mail.user.locale);
    const purpose = KEY_PURPOSE_OF[mail.kind];
    const keyLink = mail.key !== undefined && purpose !== undefined ? this.link(purpose, mail.key) : undefined;
    const signIn = mail.kind === 'account-approved' || mail.kind === 'registration-attempt' ? `${options.baseUrl}${options.paths.signIn}` : undefined;
    const link = mail.data?.link ?? keyLink ?? signIn;
    const data: MailData = {
      appName: options.appName,
      name: mail.user.name,
      expiresIn: purpose === undefined ? undefined : keyLifetime(options, purpose),
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
      await this.deps.mailer.send(message);
      return true;
    } catch (error) {
      this.deps.report(error, `mail ${mail.kind}`);
      await this.deps.units.transact(client, (uow) =>
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

  /**
   * Whether one more mail of this kind may go to this address now, by the per-address limit
   * of `rateLimits` (counted in the rate-limit store, so every instance shares it); counts it.
   */
  async mayMail(limit: 'passwordResetMails' | 'activationMails', address: string): Promise<boolean> {
    const rule = this.deps.options.rateLimits[limit];
    if (rule === false) return true;
    const decision = await this.deps.rateLimits.hitRateLimit(`mail:${limit}:${address.toLowerCase()}`, { limit: rule.limit, window: rule.window, at: this.deps.stamps.now() });
    return decision.allowed;
  }
}
