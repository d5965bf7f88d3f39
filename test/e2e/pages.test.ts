/**
 * The example shop's HTML pages over real HTTP, on both frameworks (the browser suite drives
 * Express): every form answers with a redirect, every form route refuses another site, the
 * language follows Accept-Language and the switch, and 404s and failures get styled pages.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { htmlPages } from '../../examples/shared/routes.js';
import { configFromEnv, createRuntime } from '../../examples/shared/setup.js';
import { fastHasher } from '../support/harness.js';
import { en } from '../../examples/shared/i18n/en.js';
import { es } from '../../examples/shared/i18n/es.js';
import { HttpAuth } from 'gatehouse/http';
import { base32Decode, hotp, totpStep } from '../../src/crypto/totp.js';
import { ADMIN, APP_KINDS, startApp, type RunningApp } from './apps.js';

const PASSWORD = 'correct horse battery staple';
const CROSS_SITE = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
let counter = 0;
const email = (prefix: string): string => `${prefix}${(counter += 1)}-${Date.now()}@example.com`;

/** A browser on the app's own origin: a cookie jar, forms posted urlencoded, redirects not followed. */
class Browser {
  readonly #cookies = new Map<string, string>();
  constructor(
    readonly app: RunningApp,
    readonly headers: Record<string, string> = {},
  ) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.#send('GET', path, undefined, headers);
  }

  async post(path: string, fields: Record<string, string | string[]> = {}, headers: Record<string, string> = { origin: this.app.url, 'sec-fetch-site': 'same-origin' }): Promise<Response> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) body.append(name, one);
    return this.#send('POST', path, body.toString(), { 'content-type': 'application/x-www-form-urlencoded', ...headers });
  }

  /** Follows a 303 as a browser would, and answers the page it lands on. */
  async follow(response: Response): Promise<{ url: string; status: number; html: string }> {
    expect(response.status).toBe(303);
    const url = response.headers.get('location')!;
    const page = await this.get(url);
    return { url, status: page.status, html: await page.text() };
  }

  async #send(method: string, path: string, body: string | undefined, headers: Record<string, string>): Promise<Response> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(this.app.url + path, { method, body, redirect: 'manual', headers: { ...this.headers, ...(cookie === '' ? {} : { cookie }), ...headers } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, index), pair!.slice(index + 1)];
      if (value === '' || /max-age=0/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }
}

const title = (html: string): string => /<h1>([^<]*)<\/h1>/.exec(html)?.[1] ?? '';
const lang = (html: string): string => /<html lang="([a-z]+)">/.exec(html)?.[1] ?? '';

for (const kind of APP_KINDS) {
  describe(`the ${kind} example shop's pages`, () => {
    let app: RunningApp;
    let customer: { email: string; id: string };

    beforeAll(async () => {
      app = await startApp(kind);
      const { auth } = app.runtime;
      const created = await auth.users.create(auth.system, { email: email('pages'), name: 'Página Cliente', password: PASSWORD, roles: [{ code: 'customer' }], emailVerified: true, mustChangePassword: false });
      customer = { email: created.user.email, id: created.user.id };
    });
    afterAll(async () => {
      await app?.stop();
    });
    afterEach(() => {
      vi.restoreAllMocks();
    });
    const signInAs = async (address: string) => {
      const login = await app.runtime.auth.sessions.login({ email: address, password: PASSWORD });
      return { context: (await app.runtime.auth.sessions.validate(login.token))! };
    };

    it('every form answers with a 303 and carries its outcome to the page it lands on, once', async () => {
      const browser = new Browser(app);
      const failed = await browser.follow(await browser.post('/login', { email: customer.email, password: 'wrong password here' }));
      expect(failed.url).toBe('/login');
      expect(failed.html).toContain('Invalid email or password.');
      expect(failed.html).toContain(`value="${customer.email}"`);
      // The flash is spent: the same page again shows neither the error nor the address.
      const again = await (await browser.get('/login')).text();
      expect(again).not.toContain('Invalid email or password.');
      expect(again).not.toContain(customer.email);

      const signedIn = await browser.follow(await browser.post('/login', { email: customer.email, password: PASSWORD }));
      expect([signedIn.url, title(signedIn.html)]).toEqual(['/profile', en.profile.title]);
      const saved = await browser.follow(await browser.post('/profile', { name: 'Página Renombrada', phone: '+58 416 1234567' }));
      expect(saved.html).toContain(en.profile.saved);
      const ordered = await browser.follow(await browser.post('/shop/orders', { product: 'cacao', quantity: '3' }));
      expect(ordered.html).toContain(en.shop.ordered(3, en.products['cacao']!));
      expect(app.runtime.orders.totalsOf(customer.id)).toEqual({ count: 1, total: 2700 });
      const profile = await (await browser.get('/profile')).text();
      expect(profile).toMatch(/US\$27\.00/);
      const refused = await browser.follow(await browser.post('/shop/orders', { product: 'cacao', quantity: '-1' }));
      expect(refused.html).toContain(en.shop.badQuantity);
      // A signed-in user asking for /login goes on to the profile.
      expect((await browser.get('/login')).headers.get('location')).toBe('/profile');
    });

    it('the two-step sign-in keeps its challenge in a sealed cookie between the steps, also over another session of the browser', async () => {
      const { auth } = app.runtime;
      const created = await auth.users.create(auth.system, { email: email('two-step'), name: 'Dos Pasos', password: PASSWORD, roles: [{ code: 'customer' }], emailVerified: true, mustChangePassword: false });
      const { context } = await signInAs(created.user.email);
      const { secret } = await auth.twoFactor.enrol(context, { password: PASSWORD });
      const { recoveryCodes } = await auth.twoFactor.confirm(context, { code: hotp(base32Decode(secret)!, totpStep(new Date())) });
      const browser = new Browser(app);
      await browser.post('/login', { email: customer.email, password: PASSWORD });
      const first = await browser.post('/login', { email: created.user.email, password: PASSWORD, next: '/shop' });
      const step = await browser.follow(first);
      expect([step.url, step.status, title(step.html)]).toEqual(['/login/two-factor', 200, en.twoFactorSignIn.title]);
      expect(step.html).not.toContain('challenge'); // the challenge stays in the sealed cookie, not in the page
      const wrong = await browser.follow(await browser.post('/login/two-factor', { code: '000000' }));
      expect(wrong.url).toBe('/login/two-factor');
      expect(wrong.html).toContain('id="code-error"');
      const done = await browser.post('/login/two-factor', { code: recoveryCodes[0]! });
      expect([done.status, done.headers.get('location')]).toEqual([303, '/shop']);
      // Used up: the step's page sends the browser back to the sign-in.
      expect((await browser.get('/login/two-factor')).headers.get('location')).toBe('/login');
      expect(title(await (await browser.get('/')).text())).toBe(en.home.hello('Dos Pasos'));
    });

    it('every form route refuses a post from another site with 403 and a styled page, signed in or not', async () => {
      const { routes } = htmlPages(app.runtime, new HttpAuth(app.runtime.auth));
      const posts = routes.filter((route) => route.method === 'POST').map((route) => route.path.replace(':id', customer.id));
      expect(posts.length).toBeGreaterThan(30);
      const browser = new Browser(app);
      await browser.post('/login', { email: ADMIN.email, password: ADMIN.password });
      for (const path of posts) {
        const refused = await browser.post(path, {}, CROSS_SITE);
        expect(refused.status, path).toBe(403);
        const html = await refused.text();
        expect(title(html), path).toBe(en.errors.forbiddenTitle);
      }
      expect((await app.runtime.auth.users.get(app.runtime.auth.system, customer.id)).user.status).toBe('active');
    });

    it('pages follow Accept-Language by its q-values, and the switch, which is remembered', async () => {
      const cases: [string, string][] = [
        ['es-VE,es;q=0.9,en;q=0.5', 'es'],
        ['fr, en;q=0.1, es;q=0.8', 'es'],
        ['es;q=0.1, en;q=0.9', 'en'],
        ['de-DE', 'en'],
        ['', 'en'],
      ];
      for (const [header, expected] of cases) {
        const html = await (await fetch(`${app.url}/login`, { headers: header === '' ? {} : { 'accept-language': header } })).text();
        expect(lang(html), header).toBe(expected);
        expect(title(html), header).toBe((expected === 'es' ? es : en).login.title);
      }
      const browser = new Browser(app, { 'accept-language': 'en-US,en;q=0.9' });
      const switched = await browser.post('/language', { lang: 'es', next: '/register?x=1' });
      expect([switched.status, switched.headers.get('location')]).toEqual([303, '/register?x=1']);
      expect(lang(await (await browser.get('/shop')).text())).toBe('es');
      // Never off the site.
      expect((await browser.post('/language', { lang: 'en', next: 'https://evil.example/' })).headers.get('location')).toBe('/');
      expect(lang(await (await browser.get('/shop')).text())).toBe('en');
    });

    it('the register page refuses a cédula another account has, beside the field, in the page’s language, keeping what was typed', async () => {
      const browser = new Browser(app, { 'accept-language': 'es-VE,es;q=0.9' });
      const fields = { name: 'Carla', password: 'correct horse battery staple', nationalId: 'V-20111222' };
      await browser.follow(await browser.post('/register', { ...fields, email: `carla-${Date.now()}@example.com` }));
      const again = await browser.follow(await browser.post('/register', { ...fields, email: `carla2-${Date.now()}@example.com`, nationalId: 'v 20.111.222' }));
      expect(again.url).toBe('/register');
      expect(again.html).toContain('Otra cuenta ya tiene este valor.');
      expect(again.html).toContain('value="v 20.111.222"');
    });

    it('a 404 is a styled page in the visitor’s language; under /api it is JSON', async () => {
      const page = await fetch(`${app.url}/no/such/page`, { headers: { 'accept-language': 'es' } });
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      const html = await page.text();
      expect([lang(html), title(html)]).toEqual(['es', es.errors.notFoundTitle]);
      expect(html).toContain('/assets/shop.css');
      const api = await fetch(`${app.url}/api/no/such/route`);
      expect([api.status, ((await api.json()) as { error: { code: string } }).error.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('a failure is a styled 500 page without internals, reported; a body too large is a 413 page', async () => {
      const reported = vi.spyOn(console, 'error').mockImplementation(() => undefined);
      const browser = new Browser(app);
      await browser.post('/login', { email: customer.email, password: PASSWORD });
      vi.spyOn(app.runtime.orders, 'totalsOf').mockImplementation(() => {
        throw new Error('secret internals: orders database at 10.0.0.7 is down');
      });
      const failed = await browser.get('/');
      expect(failed.status).toBe(500);
      const html = await failed.text();
      expect(title(html)).toBe(en.errors.serverTitle);
      expect(html).not.toMatch(/secret internals|10\.0\.0\.7|at .+:\d+:\d+/);
      expect(reported).toHaveBeenCalled();
      const unreadable = await browser.post('/profile', { name: 'x'.repeat(20_000) });
      expect(unreadable.status).toBe(413);
      expect(unreadable.headers.get('content-type')).toMatch(/text\/html/);
    });

    it('pages are never cached; the assets are', async () => {
      const page = await fetch(`${app.url}/login`);
      expect(page.headers.get('cache-control')).toBe('no-store');
      for (const [path, type] of [['/assets/shop.css', 'text/css'], ['/assets/shop.js', 'text/javascript']]) {
        const asset = await fetch(app.url + path);
        expect([asset.status, asset.headers.get('content-type')?.split(';')[0], asset.headers.get('cache-control')], path).toEqual([200, type, 'public, max-age=3600']);
        expect(asset.headers.get('x-content-type-options'), path).toBe('nosniff');
      }
    });
  });
}

describe('COOKIE_SECRET', () => {
  it('a malformed one stops the start, saying why', async () => {
    await expect(createRuntime(configFromEnv({ COOKIE_SECRET: 'not hex at all', PORT: '3998' }), { hasher: fastHasher() })).rejects.toThrow(/COOKIE_SECRET must be at least 64 hexadecimal/);
  });

  it('instances given the same one carry a flash from one to the other (behind a load balancer); others ignore it', async () => {
    const secret = 'ab'.repeat(32);
    const [one, two, other] = await Promise.all([startApp('express', { COOKIE_SECRET: secret }), startApp('fastify', { COOKIE_SECRET: secret }), startApp('fastify')]);
    try {
      const failed = await new Browser(one).post('/login', { email: 'nobody@example.com', password: 'wrong password here' });
      const flash = failed.headers.getSetCookie().map((line) => line.split(';')[0]!).find((pair) => pair.startsWith('shop_flash='))!;
      const shown = async (app: RunningApp): Promise<boolean> => (await (await fetch(`${app.url}/login`, { headers: { cookie: flash } })).text()).includes('Invalid email or password.');
      expect([await shown(two), await shown(other)]).toEqual([true, false]);
    } finally {
      await Promise.all([one.stop(), two.stop(), other.stop()]);
    }
  });
});
