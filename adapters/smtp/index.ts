/**
 * `gatehouse/smtp` — sends gatehouse's mails through SMTP with nodemailer (an optional
 * peer dependency: `npm install nodemailer`).
 *
 * @example
 * ```ts
 * import { createAuth } from 'gatehouse';
 * import { createSmtpMailer } from 'gatehouse/smtp';
 *
 * const mailer = createSmtpMailer({ url: 'smtps://user:pass@smtp.example.com' }, { from: 'no-reply@shop.example' });
 * const auth = createAuth({ store, mailer, baseUrl: 'https://shop.example' });
 * ```
 * @packageDocumentation
 */
export {
  SmtpMailer,
  SmtpMailerError,
  createSmtpMailer,
  isTransientSmtpError,
  type SmtpConnection,
  type SmtpMailerOptions,
  type SmtpTransportOptions,
  type MailTransporter,
  type MailAddress,
  type OutgoingMail,
} from './smtp-mailer.js';
