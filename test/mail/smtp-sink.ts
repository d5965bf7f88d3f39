import { afterAll, afterEach, beforeAll } from 'vitest';
import type { SmtpMailer } from 'gatehouse/smtp';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

/** One message as the server read it. */
export interface ReceivedMail {
  readonly envelopeFrom: string;
  readonly envelopeTo: readonly string[];
  readonly raw: string;
}

/** An SMTP answer other than "250 OK". */
export interface SmtpAnswer {
  readonly code: number;
  readonly message: string;
}

/**
 * A real SMTP server (the `smtp-server` package) on a random loopback port, keeping what it
 * receives. `answer` decides the reply to each message once its data is read, so a refused
 * message is still readable in `attempts`.
 */
export class SmtpSink {
  /** Messages accepted, oldest first. */
  readonly received: ReceivedMail[] = [];
  /** Every message whose data arrived, accepted or refused. */
  readonly attempts: ReceivedMail[] = [];
  /** Connections opened so far, and how many are open now. */
  connections = 0;
  open = 0;
  /** RCPT TO commands seen. */
  recipients: string[] = [];
  /** The reply to the `n`th message (0-based), `undefined` to accept. */
  answer: (mail: ReceivedMail, n: number) => SmtpAnswer | undefined = () => undefined;
  /** When set, replies to messages wait until it resolves. */
  gate: Promise<void> | undefined;
  readonly #server: SMTPServer;

  private constructor() {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // No reverse DNS of the loopback client: it only slows each connection down.
      disableReverseLookup: true,
      onConnect: (_session, callback) => {
        this.connections += 1;
        this.open += 1;
        callback();
      },
      onClose: () => {
        this.open -= 1;
      },
      onRcptTo: (address, _session, callback) => {
        this.recipients.push(address.address);
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const mail: ReceivedMail = {
            envelopeFrom: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          };
          const n = this.attempts.length;
          this.attempts.push(mail);
          const reply = (): void => {
            const refusal = this.answer(mail, n);
            if (refusal === undefined) {
              this.received.push(mail);
              callback();
            } else {
              callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
            }
          };
          if (this.gate === undefined) reply();
          else void this.gate.then(reply);
        });
      },
    });
  }

  /** Starts a sink on 127.0.0.1 at a free port. */
  static async start(): Promise<SmtpSink> {
    const sink = new SmtpSink();
    await new Promise<void>((resolve, reject) => {
      sink.#server.once('error', reject);
      sink.#server.listen(0, '127.0.0.1', () => resolve());
    });
    return sink;
  }

  get port(): number {
    return (this.#server.server.address() as AddressInfo).port;
  }

  /** An SMTP URL for this sink, without TLS. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}?ignoreTLS=true`;
  }

  /** Forgets everything received and accepts again. */
  reset(): void {
    this.received.length = 0;
    this.attempts.length = 0;
    this.recipients = [];
    this.connections = 0;
    this.answer = () => undefined;
    this.gate = undefined;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** Polls until `condition` holds (the test's own timeout bounds the wait). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/**
 * One sink for a test file: started before its tests, reset after each (closing the
 * mailers the test tracked), closed after all.
 */
export function useSmtpSink(): { readonly sink: SmtpSink; track<M extends SmtpMailer>(mailer: M): M } {
  let sink: SmtpSink | undefined;
  const mailers: SmtpMailer[] = [];
  beforeAll(async () => {
    sink = await SmtpSink.start();
  });
  afterEach(() => {
    for (const mailer of mailers.splice(0)) mailer.close();
    sink?.reset();
  });
  afterAll(async () => {
    await sink?.close();
  });
  return {
    get sink(): SmtpSink {
      if (sink === undefined) throw new Error('the SMTP sink starts in beforeAll');
      return sink;
    },
    track: (mailer) => {
      mailers.push(mailer);
      return mailer;
    },
  };
}
