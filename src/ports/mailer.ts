/** The messages gatehouse sends. */
export type MailKind =
  | 'activation'
  | 'password-reset'
  | 'email-change'
  | 'password-changed'
  | 'account-approved'
  | 'account-blocked'
  | 'new-sign-in'
  /** Someone tried to register with the address of an existing account (`registration.revealExistingEmail: false`). */
  | 'registration-attempt';

/** One rendered message, ready to send. */
export interface MailMessage {
  /** The recipient: always an address read from the store, never one taken from a request. */
  readonly to: string;
  /** The subject line. */
  readonly subject: string;
  /** The plain-text body. */
  readonly text: string;
  /** The HTML body. */
  readonly html: string;
  /** Which message it is, e.g. `activation`. */
  readonly kind: MailKind;
  /** The language the message was rendered in. */
  readonly locale: string;
  /** The one-time key the message carries, when it carries one. */
  readonly key?: string | undefined;
  /** The link the message asks the recipient to open, when there is one. */
  readonly link?: string | undefined;
}

/** The mail port: delivers one message or rejects. */
export interface Mailer {
  /** Delivers one message: resolves once it is accepted for delivery, rejects otherwise (gatehouse logs the failure as `mail.failed`). */
  send(message: MailMessage): Promise<void>;
  /**
   * Releases what the mailer opened itself (a connection pool it made), so that the process
   * can exit; `auth.close()` calls it once no mail is being sent. Optional. It MUST leave open
   * what the application passed in, and do nothing when called again.
   */
  close?(): void | Promise<void>;
}
