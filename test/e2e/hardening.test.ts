/**
 * The security findings of issue 15 that show in the example apps, over real HTTP, on both
 * frameworks: redirects of the HTML sign-in, login CSRF on the HTML forms, the protective
 * headers, signing in over another session, refusals in the activity log, and the
 * development outbox in production.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, configFromEnv, PRODUCTION_NEEDS_SMTP } from '../../examples/shared/setup.js';
import { useSmtpSink } from '../mail/smtp-sink.js';
import { fastHasher } from '../support/harness.js';
import { ADMIN, APP_KINDS, Client, startApp, type RunningApp } from './apps.js';

const PASSWORD = 'correct horse battery staple';
const CROSS_SITE = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
let counter = 0;
const email = (prefix: string): string => `${prefix}${(counter += 1)}-${Date.now()}@example.com`;

/** A browser-like form post: urlencoded fields, no redirect followed. */
async function postForm(app: RunningApp, path: string, fields: Record<string, string>, headers: Record<string, string>): Promise<Response> {
  return fetch(app.url + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The `name=value` of the session cookie a response set. */
const sessionCookie = (response: Response): string | undefined =>
  response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .find((pair) => /^(__Host-)?gatehouse_session=./.test(pair));

for (const kind of APP_KINDS) {
  describe(`the ${kind} example app, hardened`, () => {
    let app: RunningApp;
    let customer: { email: string; id: string };
    const sameOrigin = (): Record<string, string> => ({ origin: app.url, 'sec-fetch-site': 'same-origin' });

    beforeAll(async () => {
      app = await startApp(kind);
      const client = new Client(app.url);
      const address = email('hardened');
      const registered = await client.post('/api/auth/register', { email: address, password: PASSWORD, name: 'Cliente' });
      const mails = (await client.get('/api/dev/outbox')).body as { to: string; key: string }[];
      await client.post('/api/auth/activate', { key: mails.filter((m) => m.to === address).at(-1)!.key });
      customer = { email: address, id: registered.body.user.id };
    });
    afterAll(async () => {
      await app?.stop();
    });

    it('the HTML sign-in never redirects off the site, whatever next says', async () => {
      for (const next of ['/.//evil.example', '/..//evil.example', '/x/..//evil.example', '/%2e//evil.example', '/%2f/evil.example', '/\\evil.example', 'https://evil.example']) {
        const signIn = await postForm(app, '/login', { email: customer.email, password: PASSWORD, next }, sameOrigin());
        expect([signIn.status, signIn.headers.get('location')], next).toEqual([303, '/profile']);
        const form = await (await fetch(`${app.url}/login?next=${encodeURIComponent(next)}`)).text();
        expect(form, next).toContain('name="next" value="/profile"');
      }
      const kept = await postForm(app, '/login', { email: customer.email, password: PASSWORD, next: '/profile/two-factor' }, sameOrigin());
      expect([kept.status, kept.headers.get('location')]).toEqual([303, '/profile/two-factor']);
    });

    it('another site cannot post the HTML forms: a cross-site sign-in (login CSRF) is refused with 403 and sets no cookie', async () => {
      const forms: [string, Record<string, string>][] = [
        ['/login', { email: customer.email, password: PASSWORD }],
        ['/login/two-factor', { challenge: 'A'.repeat(43), code: '123456' }],
        ['/register', { name: 'Bot', email: email('bot'), password: PASSWORD }],
        ['/forgot-password', { email: customer.email }],
        ['/activate', { key: 'A'.repeat(43) }],
        ['/reset-password', { key: 'A'.repeat(43), password: PASSWORD }],
        ['/logout', {}],
      ];
      for (const [path, fields] of forms) {
        const foreign: Record<string, string>[] = [CROSS_SITE, { 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }, { origin: 'null' }];
        for (const headers of foreign) {
          const refused = await postForm(app, path, fields, headers);
          expect(refused.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
          expect(sessionCookie(refused), path).toBeUndefined();
        }
      }
      const signedIn = await postForm(app, '/login', { email: customer.email, password: PASSWORD }, sameOrigin());
      expect(signedIn.status).toBe(303);
      expect(sessionCookie(signedIn)).toBeDefined();
    });

    it('every page and API answer carries the protective headers; the pages with a key in the URL send no Referer', async () => {
      for (const path of ['/activate?key=abc', '/reset-password?key=abc', '/login', '/', '/api/auth/me', '/api/dev/outbox']) {
        const response = await fetch(app.url + path);
        expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
        expect(response.headers.get('x-frame-options'), path).toBe('DENY');
        expect(response.headers.get('content-security-policy'), path).toBe("frame-ancestors 'none'");
        expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      }
    });

    it('signing in over another session ends it, through the HTML form and the JSON route', async () => {
      const first = sessionCookie(await postForm(app, '/login', { email: customer.email, password: PASSWORD }, sameOrigin()))!;
      const me = (cookie: string) => fetch(`${app.url}/api/auth/me`, { headers: { cookie } });
      expect((await me(first)).status).toBe(200);
      const second = sessionCookie(await postForm(app, '/login', { email: ADMIN.email, password: ADMIN.password }, { ...sameOrigin(), cookie: first }))!;
      expect((await me(first)).status).toBe(401);
      expect((await me(second)).status).toBe(200);
      const json = await fetch(`${app.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: app.url, cookie: second },
        body: JSON.stringify({ email: customer.email, password: PASSWORD }),
      });
      expect(json.status).toBe(200);
      expect((await me(second)).status).toBe(401);
    });

    it('403s of the pages and of the API, and cross-site posts, are in the activity log', async () => {
      const client = new Client(app.url);
      expect((await client.post('/api/auth/login', { email: customer.email, password: PASSWORD })).status).toBe(200);
      expect((await client.get('/admin/users')).status).toBe(403);
      expect((await client.get('/api/users')).status).toBe(403); // the same permission within the minute: not logged again
      expect((await client.post('/api/users', { email: email('x'), name: 'X', password: PASSWORD })).status).toBe(403);
      expect((await postForm(app, '/login', { email: customer.email, password: PASSWORD }, CROSS_SITE)).status).toBe(403);
      await app.runtime.auth.drain();
      const admin = new Client(app.url);
      await admin.post('/api/auth/login', ADMIN);
      const denied = (await admin.get(`/api/users/${customer.id}/activity?action=access.`)).body.items as { action: string; metadata: Record<string, string> }[];
      expect(denied.map((entry) => [entry.action, entry.metadata])).toEqual(
        expect.arrayContaining([
          ['access.denied', { permission: 'users:view', route: 'GET /admin/users' }],
          ['access.denied', { permission: 'users:create', route: 'POST /api/users' }],
        ]),
      );
      expect(denied).toHaveLength(2);
      const all = await app.runtime.auth.audit.query(app.runtime.auth.system, { action: 'access.cross_origin_refused' });
      expect(all.items.some((entry) => entry.metadata['route'] === 'POST /login' && entry.metadata['origin'] === 'https://evil.example')).toBe(true);
    });
  });
}

describe('the example apps in production', () => {
  const smtp = useSmtpSink();

  it('refuse to start without SMTP_URL, saying why', async () => {
    await expect(createRuntime(configFromEnv({ NODE_ENV: 'production', PORT: '3999' }), { hasher: fastHasher() })).rejects.toThrow(PRODUCTION_NEEDS_SMTP);
    expect(PRODUCTION_NEEDS_SMTP).toMatch(/SMTP_URL/);
  });

  for (const kind of APP_KINDS) {
    it(`${kind}: with SMTP_URL, mail goes out through SMTP and there is no outbox route`, async () => {
      const app = await startApp(kind, { NODE_ENV: 'production', SMTP_URL: smtp.sink.url, MAIL_FROM: 'shop@example.com' });
      try {
        expect(app.runtime.outbox).toBeUndefined();
        for (const path of ['/api/dev/outbox', '/dev/outbox']) expect((await fetch(app.url + path)).status, path).toBe(404);
        const address = email('production');
        const registered = await fetch(`${app.url}/api/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: app.url },
          body: JSON.stringify({ email: address, password: PASSWORD, name: 'Prod' }),
        });
        expect(registered.status).toBe(201);
        await app.runtime.auth.drain();
        expect(smtp.sink.received.map((mail) => mail.envelopeTo)).toContainEqual([address]);
        expect(await (await fetch(`${app.url}/register`)).text()).not.toContain('outbox');
        // Secure, and so with the __Host- prefix.
        const login = await fetch(`${app.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: app.url },
          body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
        });
        expect(login.headers.getSetCookie()[0]).toMatch(/^__Host-gatehouse_session=[^;]+;.*Secure/);
      } finally {
        await app.stop();
      }
    });
  }
});
