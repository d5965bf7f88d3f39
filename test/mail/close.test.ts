import { describe, expect, it } from 'vitest';
import { createAuth } from 'gatehouse';
import { MemoryAuthStore } from 'gatehouse/memory';
import { createSmtpMailer } from 'gatehouse/smtp';
import { fastHasher, PASSWORD, uniqueEmail } from '../support/harness.js';
import { until, useSmtpSink } from './smtp-sink.js';

const smtp = useSmtpSink();

describe('auth.close() with an SMTP mailer', () => {
  it('lets a mail being sent reach the server, then closes the pooled connections the mailer opened', async () => {
    const mailer = smtp.track(createSmtpMailer({ transport: { host: '127.0.0.1', port: smtp.sink.port, pool: true, ignoreTLS: true } }, { from: 'no-reply@shop.example' }));
    const auth = createAuth({ store: new MemoryAuthStore(), mailer, hasher: fastHasher(), baseUrl: 'https://shop.example' });
    const email = uniqueEmail('closing');
    await auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    expect(smtp.sink.open).toBe(1); // the pool keeps its connection

    let release!: () => void;
    smtp.sink.gate = new Promise((resolve) => (release = resolve));
    await auth.passwords.requestReset({ email });
    await until(() => smtp.sink.attempts.length === 2);
    const closing = auth.close();
    release();
    await closing;
    expect(smtp.sink.received.map((mail) => mail.envelopeTo[0])).toEqual([email, email]);
    await until(() => smtp.sink.open === 0);
  });
});
