import { createServer, type AddressInfo, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createAuth, type AuthOptions, type MailMessage } from 'gatehouse';
import { MemoryAuthStore } from 'gatehouse/memory';
import { createSmtpMailer, isTransientSmtpError, SmtpMailer, type MailTransporter, type OutgoingMail, type SmtpMailerOptions } from 'gatehouse/smtp';
import { fastHasher, PASSWORD, uniqueEmail } from '../support/harness.js';
import { firstHref, parseMail, type ParsedMail } from './mime.js';
import { until, useSmtpSink } from './smtp-sink.js';

const smtp = useSmtpSink();

const FROM = { name: 'Tienda Ñandú', address: 'no-reply@shop.example' };

function smtpMailer(options: Partial<SmtpMailerOptions> = {}): SmtpMailer {
  const mailer = createSmtpMailer({ url: smtp.sink.url }, { from: FROM, retryDelay: 1, ...options });
  smtp.track(mailer);
  return mailer;
}

function smtpAuth(overrides: Partial<AuthOptions> = {}) {
  const store = new MemoryAuthStore();
  const mailer = smtpMailer();
  const errors: unknown[] = [];
  const auth = createAuth({
    store,
    mailer,
    hasher: fastHasher(),
    appName: 'Tienda',
    baseUrl: 'https://shop.example/app/',
    onError: (error) => errors.push(error),
    ...overrides,
  });
  return { auth, store, mailer, errors };
}

const lastMail = (): ParsedMail => parseMail(smtp.sink.received.at(-1)!.raw);

/** The key of a mailed link, checked to point at the expected page of the base URL. */
function keyOf(mail: ParsedMail, path: string): string {
  const href = firstHref(mail.html!)!;
  const url = new URL(href);
  expect(`${url.origin}${url.pathname}`).toBe(`https://shop.example/app${path}`);
  expect(mail.text).toContain(href);
  return url.searchParams.get('key')!;
}

describe('gatehouse/smtp delivering through a real SMTP server', () => {
  it('sends the activation mail to the stored address, with a text and an HTML part whose link activates the account', async () => {
    const { auth } = smtpAuth();
    const email = uniqueEmail('ana');
    const { user } = await auth.accounts.register({ email: email.toUpperCase(), password: PASSWORD, name: 'Ana' });

    expect(smtp.sink.received).toHaveLength(1);
    const received = smtp.sink.received[0]!;
    expect(received.envelopeTo).toEqual([email]);
    expect(received.envelopeFrom).toBe('no-reply@shop.example');
    const mail = parseMail(received.raw);
    expect(mail.contentType).toBe('multipart/alternative');
    expect(mail.to).toBe(email);
    expect(mail.from).toBe('Tienda Ñandú <no-reply@shop.example>');
    expect(mail.subject).toBe('Activate your Tienda account');
    expect(mail.headers.get('content-language')).toBe('en');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.text).toContain('Hello Ana,');
    expect(mail.text).toContain('expires in 24 hours');
    expect(mail.html).toContain('<html lang="en">');
    expect(mail.html).toContain('Activate my account');

    const key = keyOf(mail, '/activate');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const activated = await auth.accounts.activate({ key });
    expect(activated.user.id).toBe(user.id);
    expect(activated.user.emailVerifiedAt).not.toBeNull();
    await expect(auth.sessions.login({ email, password: PASSWORD })).resolves.toMatchObject({ user: { id: user.id } });
  });

  it('writes to a user in their language: Spanish subject, text, HTML and Content-Language for es-VE', async () => {
    const { auth } = smtpAuth();
    const email = uniqueEmail('maria');
    await auth.accounts.register({ email, password: PASSWORD, name: 'María Núñez', locale: 'es-VE' });

    const activation = lastMail();
    expect(activation.subject).toBe('Activa tu cuenta de Tienda');
    expect(activation.headers.get('content-language')).toBe('es');
    expect(activation.text).toContain('Hola, María Núñez:');
    expect(activation.text).toContain('caduca en 24 horas');
    expect(activation.html).toContain('<html lang="es">');
    expect(activation.html).toContain('Activar mi cuenta');
    await auth.accounts.activate({ key: keyOf(activation, '/activate') });

    await auth.passwords.requestReset({ email });
    await auth.drain();
    const reset = lastMail();
    expect(reset.subject).toBe('Restablece tu contraseña de Tienda');
    expect(reset.text).toContain('caduca en 30 minutos');
    await auth.passwords.reset({ key: keyOf(reset, '/reset-password'), password: 'una contraseña nueva y larga' });

    const changed = lastMail();
    expect(changed.subject).toBe('Se cambió tu contraseña de Tienda');
    expect(changed.html).not.toContain('href=');
    await expect(auth.sessions.login({ email, password: 'una contraseña nueva y larga' })).resolves.toBeDefined();
  });

  it('sends the approval and block notices, the approval linking to the sign-in page of the base URL', async () => {
    const { auth } = smtpAuth({ registration: { requireApproval: true } });
    const email = uniqueEmail('pending');
    const { user } = await auth.accounts.register({ email, password: PASSWORD, name: 'Pat', locale: 'es' });
    await auth.accounts.activate({ key: keyOf(lastMail(), '/activate') });

    await auth.users.approve(auth.system, user.id);
    const approved = lastMail();
    expect(approved.subject).toBe('Tu cuenta de Tienda fue aprobada');
    expect(firstHref(approved.html!)).toBe('https://shop.example/app/login');
    expect(approved.text).toContain('Iniciar sesión: https://shop.example/app/login');

    await auth.users.block(auth.system, user.id, { reason: 'Pagos rechazados <3 veces>' });
    const blocked = lastMail();
    expect(blocked.subject).toBe('Tu cuenta de Tienda fue bloqueada');
    expect(blocked.text).toContain('Motivo: Pagos rechazados <3 veces>');
    expect(blocked.html).toContain('Motivo: Pagos rechazados &lt;3 veces&gt;');
  });

  it('retries a transient 4xx refusal with backoff and delivers the message once', async () => {
    const mailer = smtpMailer({ retries: 3 });
    smtp.sink.answer = (_mail, n) => (n < 2 ? { code: 451, message: 'Greylisted, try again later' } : undefined);
    await mailer.send(message('ana@example.com'));
    expect(smtp.sink.attempts).toHaveLength(3);
    expect(smtp.sink.received).toHaveLength(1);
    expect(parseMail(smtp.sink.received[0]!.raw).subject).toBe('Hello');
  });

  it('gives up after the configured retries, rejecting with the last SMTP error', async () => {
    const mailer = smtpMailer({ retries: 2 });
    smtp.sink.answer = () => ({ code: 421, message: 'Service not available' });
    const error = await mailer.send(message('ana@example.com')).catch((e: unknown) => e);
    expect(error).toMatchObject({ responseCode: 421 });
    expect(smtp.sink.attempts).toHaveLength(3);
    expect(smtp.sink.received).toHaveLength(0);
  });

  it('never retries a permanent 5xx refusal', async () => {
    const mailer = smtpMailer({ retries: 3 });
    smtp.sink.answer = () => ({ code: 554, message: 'Message refused' });
    await expect(mailer.send(message('ana@example.com'))).rejects.toMatchObject({ responseCode: 554 });
    expect(smtp.sink.attempts).toHaveLength(1);
  });

  it('retries when the connection drops, then fails with the connection error', async () => {
    let connections = 0;
    const dropper: Server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    try {
      const port = (dropper.address() as AddressInfo).port;
      const mailer = createSmtpMailer({ transport: { host: '127.0.0.1', port, ignoreTLS: true } }, { from: FROM.address, retries: 2, retryDelay: 1 });
      smtp.track(mailer);
      const error = await mailer.send(message('ana@example.com')).catch((e: unknown) => e);
      expect(isTransientSmtpError(error)).toBe(true);
      expect(connections).toBe(3);
    } finally {
      await new Promise((resolve) => dropper.close(resolve));
    }
  });

  it('close() closes the pooled connections of the transport it created', async () => {
    const mailer = createSmtpMailer({ transport: { host: '127.0.0.1', port: smtp.sink.port, ignoreTLS: true, pool: true } }, { from: FROM });
    await mailer.send(message('ana@example.com'));
    expect(smtp.sink.received).toHaveLength(1);
    // A pool keeps its connection open for the next message…
    expect(smtp.sink.open).toBe(1);
    mailer.close();
    // …until the mailer is closed.
    await until(() => smtp.sink.open === 0);
    mailer.close(); // idempotent
  });

  it('leaves a transporter it was given open, and hands it only split addresses with file and URL access off', async () => {
    const sent: OutgoingMail[] = [];
    let closed = 0;
    const transporter: MailTransporter = {
      sendMail: async (mail) => {
        sent.push(mail);
        return {};
      },
      close: () => {
        closed += 1;
      },
    };
    const mailer = createSmtpMailer({ transporter }, { from: FROM, replyTo: 'help@shop.example' });
    await mailer.send({ ...message('ana@example.com'), locale: 'es-VE' });
    mailer.close();
    expect(closed).toBe(0);
    expect(sent).toEqual([
      expect.objectContaining({
        from: FROM,
        replyTo: { name: '', address: 'help@shop.example' },
        to: { name: '', address: 'ana@example.com' },
        envelope: { from: 'no-reply@shop.example', to: ['ana@example.com'] },
        headers: { 'Auto-Submitted': 'auto-generated', 'Content-Language': 'es-VE' },
        disableFileAccess: true,
        disableUrlAccess: true,
      }),
    ]);
  });

  it('refuses bad options at construction with a TypeError', () => {
    const transporter: MailTransporter = { sendMail: async () => ({}), close: () => undefined };
    expect(() => createSmtpMailer({ transporter }, { from: 'Shop <no-reply@shop.example>' })).toThrow(TypeError);
    expect(() => createSmtpMailer({ transporter }, { from: { name: 'Shop\r\nBcc: x@evil.example', address: 'no-reply@shop.example' } })).toThrow(TypeError);
    expect(() => createSmtpMailer({ transporter }, { from: FROM, replyTo: '"a@evil.example"@shop.example' })).toThrow(TypeError);
    expect(() => createSmtpMailer({ transporter }, { from: FROM, retries: -1 })).toThrow(TypeError);
    expect(() => createSmtpMailer({ transporter }, { from: FROM, retryDelay: Number.NaN })).toThrow(TypeError);
    expect(() => createSmtpMailer({ url: 'http://smtp.example.com' }, { from: FROM })).toThrow(TypeError);
    expect(() => createSmtpMailer({} as never, { from: FROM })).toThrow(TypeError);
  });
});

describe('isTransientSmtpError()', () => {
  it('calls 4xx answers and network failures transient, 5xx answers and anything else permanent', () => {
    expect(isTransientSmtpError({ code: 'EMESSAGE', responseCode: 451 })).toBe(true);
    expect(isTransientSmtpError({ code: 'EENVELOPE', responseCode: 452 })).toBe(true);
    expect(isTransientSmtpError({ code: 'ECONNECTION' })).toBe(true);
    expect(isTransientSmtpError({ code: 'ETIMEDOUT' })).toBe(true);
    expect(isTransientSmtpError({ code: 'ESOCKET' })).toBe(true);
    expect(isTransientSmtpError({ code: 'EENVELOPE', responseCode: 550 })).toBe(false);
    expect(isTransientSmtpError({ code: 'EAUTH', responseCode: 535 })).toBe(false);
    expect(isTransientSmtpError({ code: 'ETLS' })).toBe(false);
    expect(isTransientSmtpError(new Error('boom'))).toBe(false);
    expect(isTransientSmtpError(null)).toBe(false);
  });
});

function message(to: string): MailMessage {
  return { to, subject: 'Hello', text: 'Hello there', html: '<p>Hello there</p>', kind: 'password-changed', locale: 'en' };
}
