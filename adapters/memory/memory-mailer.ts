import type { MailKind, MailMessage, Mailer } from 'gatehouse';

/**
 * A {@link Mailer} that keeps messages in an outbox instead of sending them: for tests,
 * demos and development servers (the example apps serve it at `GET /api/dev/outbox`).
 *
 * @example
 * ```ts
 * const mailer = new MemoryMailer();
 * const auth = createAuth({ store: new MemoryAuthStore(), mailer });
 * await auth.accounts.register({ email: 'ana@example.com', password: '…', name: 'Ana' });
 * const key = mailer.last({ to: 'ana@example.com', kind: 'activation' })?.key;
 * ```
 */
export class MemoryMailer implements Mailer {
  readonly #outbox: MailMessage[] = [];

  /** Puts the message in the outbox; never fails. */
  async send(message: MailMessage): Promise<void> {
    this.#outbox.push(Object.freeze({ ...message }));
  }

  /** Every message sent, oldest first. */
  get outbox(): readonly MailMessage[] {
    return [...this.#outbox];
  }

  /** The newest message, optionally only among those to one address and/or of one kind. */
  last(filter: { to?: string; kind?: MailKind } = {}): MailMessage | undefined {
    for (let i = this.#outbox.length - 1; i >= 0; i -= 1) {
      const message = this.#outbox[i]!;
      if ((filter.to === undefined || message.to === filter.to.toLowerCase()) && (filter.kind === undefined || message.kind === filter.kind)) return message;
    }
    return undefined;
  }

  /** Empties the outbox. */
  clear(): void {
    this.#outbox.length = 0;
  }
}
