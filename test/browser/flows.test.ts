/**
 * The example shop in a real browser: Debian's Chromium driven by playwright-core, one
 * browser for the whole file, pages reused. Screenshots land in test-results/screenshots/.
 *
 * The tour opens every page in English and in Spanish (by Accept-Language), on a desktop and
 * at 375 px; the flows go through registration, the profile, the shop and the
 * administration, and check after every administrative action that a refresh changes nothing.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, hotp, totpStep } from '../../src/crypto/totp.js';
import { en } from '../../examples/shared/i18n/en.js';
import { es } from '../../examples/shared/i18n/es.js';
import type { Catalog } from '../../examples/shared/i18n/index.js';
import { ADMIN, startApp, type RunningApp } from '../e2e/apps.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');
const PASSWORD = 'correct horse battery staple';
const DAY = 86_400_000;
/** A desktop Chrome on Windows, so that the activity view's "browser on system" is known. */
const DESKTOP_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const available = existsSync(CHROMIUM);
// CI installs Chromium (.ci/run): there, a missing browser is a failure, not a skip.
if (!available && process.env['CI'] === undefined) console.warn(`[gatehouse tests] browser flows skipped: no Chromium at ${CHROMIUM}`);
const suite = available || process.env['CI'] !== undefined ? describe : describe.skip;

suite('the example shop in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;
  /** Moves gatehouse's clock, to make users who have been away for weeks. */
  const clock = { offset: 0, now: () => new Date(Date.now() + clock.offset) };
  const run = Date.now().toString(36);
  let counter = 0;
  const address = (prefix: string): string => `${prefix}-${run}-${(counter += 1)}@example.com`;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    app = await startApp('express', { REQUIRE_APPROVAL: 'true' }, { clock });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const context = (language: 'en' | 'es', options: BrowserContextOptions = {}): Promise<BrowserContext> =>
    browser.newContext({ locale: language === 'es' ? 'es-VE' : 'en-US', timezoneId: 'America/Caracas', userAgent: DESKTOP_CHROME, ...options });
  const heading = (page: Page): Promise<string> => page.locator('h1').innerText();
  const notice = (page: Page): Promise<string> => page.locator('main [role=status]').first().innerText();

  async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
    await page.goto(`${app.url}/login`);
    await page.fill('#email', email);
    await page.fill('#password', password);
    await page.click('main button[type=submit]');
  }

  /** The newest mail to an address, once the background sending is done. */
  async function mail(to: string, kind?: string) {
    await app.runtime.auth.drain();
    const found = app.runtime.outbox!.outbox.filter((m) => m.to === to && (kind === undefined || m.kind === kind)).at(-1);
    if (found === undefined) throw new Error(`no ${kind ?? ''} mail to ${to}`);
    return found;
  }

  /** A verified, active customer made by the system (fast), with a name of the run. */
  async function customer(name: string, options: { mustChangePassword?: boolean; roles?: string[]; locale?: string } = {}) {
    const { auth } = app.runtime;
    const email = address(name.split(' ')[0]!.toLowerCase());
    const { user } = await auth.users.create(auth.system, {
      email,
      name: `${name} ${run}`,
      password: PASSWORD,
      roles: (options.roles ?? ['customer']).map((code) => ({ code })),
      emailVerified: true,
      mustChangePassword: options.mustChangePassword ?? false,
      locale: options.locale,
    });
    return user;
  }

  /** How many entries of an action the log holds about a user. */
  const logged = async (subjectId: string, action: string): Promise<number> =>
    (await app.runtime.auth.audit.query(app.runtime.auth.system, { subjectId, action, pageSize: 100 })).items.filter((entry) => entry.action === action).length;
  const statusOf = async (id: string): Promise<string> => (await app.runtime.auth.users.get(app.runtime.auth.system, id)).user.status;

  /**
   * Every page, by who opens it: its path and its title in the page's language. `{customer}`
   * and `{key}` are filled in by the tour.
   */
  const TOUR: readonly { who: 'visitor' | 'customer' | 'admin'; slug: string; path: string; title: (t: Catalog, names: { customer: string }) => string }[] = [
    { who: 'visitor', slug: 'home', path: '/', title: (t) => t.home.title },
    { who: 'visitor', slug: 'shop', path: '/shop', title: (t) => t.shop.title },
    { who: 'visitor', slug: 'login', path: '/login', title: (t) => t.login.title },
    { who: 'visitor', slug: 'register', path: '/register', title: (t) => t.register.title },
    { who: 'visitor', slug: 'activate', path: '/activate?key={key}', title: (t) => t.activate.title },
    { who: 'visitor', slug: 'forgot-password', path: '/forgot-password', title: (t) => t.forgot.title },
    { who: 'visitor', slug: 'reset-password', path: '/reset-password?key={key}', title: (t) => t.reset.title },
    { who: 'visitor', slug: 'confirm-email', path: '/confirm-email?key={key}', title: (t) => t.confirmEmail.title },
    { who: 'visitor', slug: 'outbox', path: '/dev/outbox', title: (t) => t.outbox.title },
    { who: 'visitor', slug: 'not-found', path: '/no/such/page', title: (t) => t.errors.notFoundTitle },
    { who: 'customer', slug: 'dashboard', path: '/', title: (t, names) => t.home.hello(names.customer) },
    { who: 'customer', slug: 'shop-signed-in', path: '/shop', title: (t) => t.shop.title },
    { who: 'customer', slug: 'profile', path: '/profile', title: (t) => t.profile.title },
    { who: 'customer', slug: 'password', path: '/profile/password', title: (t) => t.password.title },
    { who: 'customer', slug: 'email', path: '/profile/email', title: (t) => t.email.title },
    { who: 'customer', slug: 'two-factor', path: '/profile/two-factor', title: (t) => t.twoFactor.title },
    { who: 'customer', slug: 'forbidden', path: '/admin', title: (t) => t.errors.forbiddenTitle },
    { who: 'customer', slug: 'outbox-signed-in', path: '/dev/outbox', title: (t) => t.outbox.title },
    { who: 'admin', slug: 'admin-dashboard', path: '/admin', title: (t) => t.admin.dashboard },
    { who: 'admin', slug: 'admin-users', path: '/admin/users', title: (t) => t.admin.users },
    { who: 'admin', slug: 'admin-new-user', path: '/admin/users/new', title: (t) => t.admin.newUser },
    { who: 'admin', slug: 'admin-user', path: '/admin/users/{customerId}', title: (_t, names) => names.customer },
    { who: 'admin', slug: 'admin-edit-user', path: '/admin/users/{customerId}/edit', title: (t, names) => t.admin.editTitle(names.customer) },
    { who: 'admin', slug: 'admin-activity', path: '/admin/activity', title: (t) => t.activity.title },
    { who: 'admin', slug: 'admin-user-activity', path: '/admin/activity?user={customerId}', title: (t, names) => t.activity.forUser(names.customer) },
  ];

  // One test per language: each tours 2 widths × every page, which takes minutes on a loaded machine.
  it.each(['en', 'es'] as const)('every page in %s (by Accept-Language), on a desktop and at 375 px: translated, and nothing wider than the screen', async (language) => {
    const { auth } = app.runtime;
    const shopper = await customer('Tomasa Tour');
    await auth.users.setRoles(auth.system, shopper.id, [{ code: 'customer' }, { code: 'seller', expiresAt: new Date(Date.now() + 30 * DAY) }]);
    const dormant = await customer('Dora Dormida');
    void dormant;
    const key = 'A'.repeat(43);
    app.runtime.orders.add(shopper.id, 'coffee', 2);
    {
      const t = language === 'en' ? en : es;
      const pages: Record<'visitor' | 'customer' | 'admin', Page> = {
        visitor: await (await context(language)).newPage(),
        customer: await (await context(language)).newPage(),
        admin: await (await context(language)).newPage(),
      };
      await signIn(pages.customer, shopper.email);
      await signIn(pages.admin, ADMIN.email, ADMIN.password);
      for (const width of [1280, 375]) {
        for (const page of Object.values(pages)) await page.setViewportSize({ width, height: width === 375 ? 740 : 900 });
        for (const stop of TOUR) {
          const page = pages[stop.who];
          const path = stop.path.replace('{key}', key).replaceAll('{customerId}', shopper.id);
          await page.goto(app.url + path);
          const where = `${language} ${width} ${path}`;
          expect(await page.getAttribute('html', 'lang'), where).toBe(language);
          expect(await heading(page), where).toBe(stop.title(t, { customer: shopper.name }));
          const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
          expect(overflow, `${where} is ${overflow}px wider than the window`).toBeLessThanOrEqual(0);
          await shot(page, `tour-${language}-${width}-${stop.slug}`);
        }
      }
      for (const page of Object.values(pages)) await page.context().close();
    }
  }, 180_000);

  it('a customer in Spanish: registers (errors by the fields, values kept), activates, is approved, orders, clears the phone, changes the email (both addresses mailed in Spanish) and switches to English, which is remembered', async () => {
    const { auth } = app.runtime;
    const browserContext = await context('es');
    const page = await browserContext.newPage();
    const email = address('lucia');
    const name = `Lucía Registro ${run}`;
    await page.goto(`${app.url}/register`);
    expect(await heading(page)).toBe(es.register.title);
    // Seed 001's checkEmail: the page says at once whether the address is free.
    await page.fill('#email', ADMIN.email);
    await page.locator('#email').blur();
    await page.locator('#email-availability', { hasText: es.register.emailTaken }).waitFor();
    await page.fill('#name', name);
    await page.fill('#email', email);
    await page.locator('#email').blur();
    await page.locator('#email-availability', { hasText: es.register.emailFree }).waitFor();
    await page.fill('#password', 'short');
    await page.fill('#nationalId', 'v12.345.678');
    await page.fill('#phone', '0212-1234567'); // a landline: seed 001's ve_phone takes mobiles only
    await page.click('main button[type=submit]');
    await page.waitForURL(`${app.url}/register`);
    expect(await page.locator('#password-error').innerText()).toBe('Usa al menos 8 caracteres.');
    expect(await page.locator('#phone-error').innerText()).toBe('Usa un celular venezolano, p. ej. 0414-1234567 o +58 414 1234567.');
    expect([await page.inputValue('#name'), await page.inputValue('#email'), await page.inputValue('#nationalId'), await page.inputValue('#password')]).toEqual([name, email, 'v12.345.678', '']);
    await shot(page, 'flow-es-register-errors');
    // A refresh shows the form again; it sends nothing.
    await page.reload();
    expect(await page.locator('.error').count()).toBe(0);
    await page.fill('#name', name);
    await page.fill('#email', email);
    await page.fill('#password', PASSWORD);
    await page.fill('#nationalId', 'v12.345.678');
    await page.fill('#phone', '0414 123 4567');
    await page.click('main button[type=submit]');
    await page.waitForURL(`${app.url}/login`);
    expect(await notice(page)).toBe(es.register.checkMail);
    const registered = (await auth.users.list(auth.system, { q: email })).items[0]!;
    expect(registered).toMatchObject({ status: 'pending', locale: 'es', attributes: { nationalId: 'V-12345678', phone: '+58 414 1234567' } });

    const activation = await mail(email, 'activation');
    expect(activation.subject).toBe('Activa tu cuenta de Gatehouse Shop');
    await page.goto(activation.link!);
    await page.click(`text=${es.activate.submit}`);
    await page.waitForURL(`${app.url}/login`);
    expect(await notice(page)).toBe(es.activate.doneWaiting);
    await auth.users.approve(auth.system, registered.id);

    await signIn(page, email);
    await page.waitForURL(`${app.url}/profile`);
    expect(await heading(page)).toBe(es.profile.title);
    expect(await page.locator('main').innerText()).toContain('V-12345678');
    // The phone is cleared by leaving it empty.
    expect(await page.inputValue('#phone')).toBe('+58 414 1234567');
    await page.fill('#phone', '');
    await page.click(`main form[action="/profile"] button`);
    await page.waitForURL(`${app.url}/profile`);
    expect(await notice(page)).toBe(es.profile.saved);
    expect((await auth.users.get(auth.system, registered.id)).user.attributes['phone']).toBeNull();

    // An order: the refresh after it orders nothing more.
    await page.goto(`${app.url}/shop`);
    await page.fill('#quantity-coffee', '2');
    await page.click('form.buy:has(input[value="coffee"]) button');
    await page.waitForURL(`${app.url}/shop`);
    expect(await notice(page)).toBe(es.shop.ordered(2, es.products['coffee']!));
    await page.reload();
    expect(app.runtime.orders.totalsOf(registered.id)).toEqual({ count: 1, total: 2500 });
    await page.goto(`${app.url}/profile`);
    expect(await page.locator('.facts').first().innerText()).toMatch(/Pedidos\s+1[\s\S]*25,00/);

    // A wrong current password: one message, next to the field.
    await page.goto(`${app.url}/profile/password`);
    await page.fill('#currentPassword', 'not my password at all');
    await page.fill('#newPassword', 'another long passphrase');
    await page.click('main button[type=submit]');
    await page.waitForURL(`${app.url}/profile/password`);
    expect(await page.locator('#currentPassword-error').innerText()).toBe(es.errors.wrongPassword);
    expect(await page.locator('main [role=alert], main .error').count()).toBe(1);
    await shot(page, 'flow-es-wrong-password');

    // The email address: a link to the new one, a notice to the old one once it is used.
    const moved = address('lucia-nueva');
    await page.goto(`${app.url}/profile/email`);
    await page.fill('#newEmail', moved);
    await page.fill('#currentPassword', PASSWORD);
    await page.click('main button[type=submit]');
    await page.waitForURL(`${app.url}/profile`);
    expect(await notice(page)).toBe(es.email.sent(moved));
    const confirmation = await mail(moved, 'email-change');
    expect(confirmation.subject).toBe('Confirma tu nuevo correo de Gatehouse Shop');
    await page.goto(confirmation.link!);
    expect(await heading(page)).toBe(es.confirmEmail.title);
    await shot(page, 'flow-es-confirm-email');
    await page.click(`text=${es.confirmEmail.submit}`);
    await page.waitForURL(`${app.url}/profile`);
    expect(await notice(page)).toBe(es.confirmEmail.done(moved));
    expect((await mail(email)).subject).toBe(es.mail.emailChangedSubject);
    expect((await mail(email)).text).toContain(moved);

    // The switch: English from now on, although the browser asks for Spanish; the account's mails follow.
    await page.click('form.languages button[value="en"]');
    await page.waitForURL(`${app.url}/profile`);
    expect(await heading(page)).toBe(en.profile.title);
    await page.goto(`${app.url}/shop`);
    expect(await heading(page)).toBe(en.shop.title);
    expect((await auth.users.get(auth.system, registered.id)).user.locale).toBe('en');
    // Signed in, /login goes on to the profile.
    await page.goto(`${app.url}/login`);
    await page.waitForURL(`${app.url}/profile`);
    await browserContext.close();
  }, 60_000);

  it('sign out everywhere else, then everywhere; the sessions table names the browser and system', async () => {
    const user = await customer('Sesiones Varias');
    const [first, second] = [await (await context('en')).newPage(), await (await context('en', { userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1' })).newPage()];
    await signIn(first, user.email);
    await signIn(second, user.email);
    await first.goto(`${app.url}/profile`);
    const devices = await first.locator('table.stack tbody').innerText();
    expect(devices).toContain('Chrome 124 on Windows 10');
    expect(devices).toContain('Safari 17 on iOS 17.5');
    await first.click(`text=${en.profile.signOutOthers}`);
    await first.waitForURL(`${app.url}/profile`);
    expect(await notice(first)).toBe(en.profile.othersEnded(1));
    await second.goto(`${app.url}/profile`);
    await second.waitForURL(/\/login\?next=/);
    await signIn(second, user.email);
    await first.click(`text=${en.profile.signOutAll}`);
    await first.waitForURL(`${app.url}/login`);
    expect(await notice(first)).toBe(en.signedOut);
    for (const page of [first, second]) {
      await page.goto(`${app.url}/profile`);
      await page.waitForURL(/\/login\?next=/);
      await page.context().close();
    }
  }, 60_000);

  it('a user who must change their password is sent to the password page from every page until they do', async () => {
    const user = await customer('Cambio Obligado', { mustChangePassword: true });
    const page = await (await context('en')).newPage();
    await signIn(page, user.email);
    await page.waitForURL(`${app.url}/profile/password`);
    expect(await page.locator('main [role=status]').innerText()).toBe(en.profile.mustChange);
    expect(await page.locator('header nav').innerText()).not.toContain(en.nav.profile);
    await shot(page, 'flow-en-must-change-password');
    for (const path of ['/profile', '/shop', '/', '/profile/email']) {
      await page.goto(app.url + path);
      await page.waitForURL(`${app.url}/profile/password`);
    }
    await page.fill('#currentPassword', PASSWORD);
    await page.fill('#newPassword', 'a completely new passphrase');
    await page.click('main button[type=submit]');
    await page.waitForURL(`${app.url}/profile`);
    expect(await notice(page)).toBe(en.password.done);
    await page.goto(`${app.url}/shop`);
    expect(await heading(page)).toBe(en.shop.title);
    await page.context().close();
  }, 60_000);

  /**
   * Runs an administrative action, then refreshes the page it landed on: the action was
   * logged once, and neither the refresh nor anything else logged it again or changed the status.
   */
  async function actOnce(page: Page, subjectId: string, action: string, act: () => Promise<unknown>, done: string): Promise<void> {
    const before = await logged(subjectId, action);
    await act();
    await page.locator('main [role=status]', { hasText: done }).waitFor();
    const landed = page.url();
    const status = await statusOf(subjectId);
    expect(await logged(subjectId, action), action).toBe(before + 1);
    await page.reload();
    expect(page.url(), action).toBe(landed);
    expect(await logged(subjectId, action), `${action} after a refresh`).toBe(before + 1);
    expect(await statusOf(subjectId), `${action} after a refresh`).toBe(status);
  }

  it('the administration: dashboard, filters kept, create with roles until a date, every action once whatever the refreshes, no button the guard rails would refuse', async () => {
    const { auth } = app.runtime;
    const moderator = await customer('Mario Moderador', { roles: ['moderator'] });
    const peer = await customer('Ada Administradora', { roles: ['admin'] });
    const carla = await customer('Carla Cliente');
    const pendingEmail = address('pedro');
    const { user: pedro } = await auth.accounts.register({ email: pendingEmail, password: PASSWORD, name: `Pedro Pendiente ${run}` });
    clock.offset = -40 * DAY; // Dora registered 40 days ago and never came back
    const dora = await customer('Dora Dormida');
    clock.offset = 0;

    const page = await (await context('en')).newPage();
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(`${app.url}/admin`);
    const pendingRow = page.locator('tr', { hasText: pedro.name });
    const inactive = page.locator('section', { hasText: en.admin.inactive });
    expect(await inactive.innerText()).toContain(dora.name);
    expect(await inactive.innerText()).not.toContain(carla.name);
    await shot(page, 'flow-en-admin-dashboard');
    await actOnce(page, pedro.id, 'user.approved', () => pendingRow.locator('button', { hasText: en.admin.approve }).click(), en.admin.approved);
    expect(page.url()).toBe(`${app.url}/admin`);
    expect(await statusOf(pedro.id)).toBe('active');

    // The list keeps its filters after an action.
    const filtered = `${app.url}/admin/users?${new URLSearchParams({ q: carla.name, status: 'active' }).toString()}`;
    await page.goto(filtered);
    await actOnce(page, carla.id, 'user.disabled', () => page.locator('tr', { hasText: carla.name }).locator('button', { hasText: en.admin.deactivate }).click(), en.admin.toggled(en.status.inactive));
    expect(page.url()).toBe(filtered);
    expect(await page.locator('main').innerText()).toContain(en.admin.noUsers);
    expect(await statusOf(carla.id)).toBe('inactive');

    // No button the guard rails would refuse: not on one's own row, not on a user at one's level.
    await page.goto(`${app.url}/admin/users?q=${run}&pageSize=100`);
    const row = (name: string) => page.locator('tbody tr', { hasText: name });
    expect(await row(peer.name).locator('form, a.button').count()).toBe(0);
    expect(await row(moderator.name).locator('form').count()).toBe(1);
    await page.goto(`${app.url}/admin/users?q=${encodeURIComponent(ADMIN.email)}`);
    expect(await row(ADMIN.email).locator('form').count()).toBe(0);
    expect(await row(ADMIN.email).locator('a.button', { hasText: en.admin.edit }).count()).toBe(1);
    await page.goto(`${app.url}/admin/users/${peer.id}`);
    expect(await page.locator('main form').count()).toBe(0);
    await shot(page, 'flow-en-admin-peer-no-buttons');

    // Create with roles, one of them until a date given in the browser's zone (America/Caracas, UTC−4).
    const created = address('nuevo');
    await page.goto(`${app.url}/admin/users/new`);
    await page.fill('#name', `Nelson Nuevo ${run}`);
    await page.fill('#email', created);
    await page.fill('#password', 'Temporal-2026!');
    await page.fill('#nationalId', 'E-87654321');
    await page.check('input[name=roles][value=seller]');
    await page.fill('input[name="until-seller"]', '2030-01-15T10:00');
    await page.click('main button[type=submit]');
    await page.locator('main [role=status]', { hasText: en.admin.createdNotice }).waitFor();
    await page.reload();
    const made = await auth.users.list(auth.system, { q: created });
    expect(made.total).toBe(1);
    const madeDetails = await auth.users.get(auth.system, made.items[0]!.id);
    expect(madeDetails.assignments.map((a) => [a.roleCode, a.expiresAt?.toISOString() ?? null]).sort()).toEqual([
      ['customer', null],
      ['seller', '2030-01-15T14:00:00.000Z'],
    ]);
    expect(madeDetails.user).toMatchObject({ mustChangePassword: true, attributes: { nationalId: 'E-87654321' } });
    expect(await page.locator('ul.roles').innerText()).toMatch(/Seller \(until 15 Jan 2030, 10:00\)/);

    // Every action of a user's page, once each.
    const carlaPage = `${app.url}/admin/users/${carla.id}`;
    await page.goto(carlaPage);
    const button = (label: string) => page.locator('main button', { hasText: label }).first();
    await actOnce(page, carla.id, 'user.enabled', () => button(en.admin.activateUser).click(), en.admin.toggled(en.status.active));
    await page.fill('#reason', 'Chargebacks');
    await page.fill('#until', '2030-02-01T08:30');
    await actOnce(page, carla.id, 'user.blocked', () => button(en.admin.block).click(), en.admin.blocked);
    expect((await auth.users.get(auth.system, carla.id)).user).toMatchObject({ status: 'blocked', statusReason: 'Chargebacks', statusUntil: new Date('2030-02-01T12:30:00.000Z') });
    await shot(page, 'flow-en-admin-blocked');
    await actOnce(page, carla.id, 'user.unblocked', () => button(en.admin.unblock).click(), en.admin.unblocked);
    await page.fill('#reason', 'Under review');
    await actOnce(page, carla.id, 'user.suspended', () => page.locator('main button', { hasText: en.admin.suspend }).click(), en.admin.suspended);
    await actOnce(page, carla.id, 'user.unblocked', () => button(en.admin.unblock).click(), en.admin.unblocked);
    await actOnce(page, carla.id, 'user.password_change_forced', () => button(en.admin.forcePassword).click(), en.admin.forced);
    expect(await page.locator('main button', { hasText: en.admin.forcePassword }).count()).toBe(0);
    await auth.sessions.login({ email: carla.email, password: PASSWORD });
    await page.reload();
    await actOnce(page, carla.id, 'user.sessions_revoked', () => button(en.admin.signOutEverywhere).click(), en.admin.signedOut(1));
    await actOnce(page, carla.id, 'two_factor.reset', () => button(en.admin.resetTwoFactor).click(), en.admin.twoFactorReset);
    await page.check('input[name=roles][value=seller]');
    await page.fill('input[name="until-seller"]', '2031-06-30T18:00');
    await actOnce(page, carla.id, 'user.roles_changed', () => button(en.admin.saveRoles).click(), en.admin.rolesSaved);
    expect(await page.locator('ul.roles').innerText()).toContain('Seller (until 30 Jun 2031, 18:00)');

    await page.click(`main a:has-text("${en.admin.edit}")`);
    expect(await heading(page)).toBe(en.admin.editTitle(carla.name));
    await page.fill('#name', `Carla Renombrada ${run}`);
    await page.fill('#phone', '0426-7654321');
    await actOnce(page, carla.id, 'user.updated', () => page.click('main button[type=submit]'), en.admin.savedNotice);
    expect((await auth.users.get(auth.system, carla.id)).user).toMatchObject({ name: `Carla Renombrada ${run}`, attributes: { phone: '+58 426 7654321' } });
    await actOnce(page, carla.id, 'user.deleted', () => button(en.admin.deleteUser).click(), en.admin.deleted);
    expect(await statusOf(carla.id)).toBe('inactive');
    expect(await page.locator('main button', { hasText: en.admin.deleteUser }).count()).toBe(0);
    await shot(page, 'flow-en-admin-user-after-actions');

    // A moderator sees the users but has no buttons for what they may not do.
    const moderatorPage = await (await context('en')).newPage();
    await signIn(moderatorPage, moderator.email);
    await moderatorPage.goto(`${app.url}/admin/users/${pedro.id}`);
    const buttons = await moderatorPage.locator('main button').allInnerTexts();
    expect(buttons).toEqual(expect.arrayContaining([en.admin.deactivate, en.admin.block, en.admin.suspend]));
    expect(buttons).not.toContain(en.admin.saveRoles); // no roles:assign
    expect(buttons).not.toContain(en.admin.deleteUser); // no users:delete
    await moderatorPage.goto(`${app.url}/admin/users`);
    expect(await moderatorPage.locator('a', { hasText: en.admin.newUser }).count()).toBe(0); // no users:create
    await moderatorPage.goto(`${app.url}/admin/users/new`);
    expect(await heading(moderatorPage)).toBe(en.errors.forbiddenTitle);
    await moderatorPage.context().close();
    await page.context().close();
  }, 90_000);

  it('the activity view in Spanish: actor, subject, a label per action, before and after, local time, browser and system', async () => {
    const { auth } = app.runtime;
    const subject = await customer('Rosa Registro');
    const page = await (await context('es')).newPage();
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.goto(`${app.url}/admin/users/${subject.id}`);
    await page.fill('#reason', 'Pagos rechazados');
    await page.click(`main button:has-text("${es.admin.block}")`);
    await page.locator('main [role=status]', { hasText: es.admin.blocked }).waitFor();
    await page.goto(`${app.url}/admin/activity?user=${subject.id}`);
    expect(await heading(page)).toBe(es.activity.forUser(subject.name));
    const entry = page.locator('tbody tr', { hasText: es.activity.labels['user.blocked']! });
    const text = await entry.innerText();
    expect(text).toContain('Administrator');
    expect(text).toMatch(/Estado:\s*Activo\s*→\s*Bloqueado/);
    expect(text).toMatch(/Motivo:\s*—\s*→\s*Pagos rechazados/);
    expect(text).toContain('Chrome 124 en Windows 10');
    // The time is the browser's own (America/Caracas), in Spanish.
    const time = entry.locator('time');
    const at = new Date((await time.getAttribute('datetime'))!);
    expect(await time.innerText()).toBe(new Intl.DateTimeFormat('es-VE', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'America/Caracas' }).format(at));
    expect(await page.locator('main').innerText()).toContain(es.activity.labels['user.created']!);
    await shot(page, 'flow-es-activity');
    // The kind filter: accounts only.
    await page.selectOption('#kind', 'login.');
    await page.click(`main form.filters button`);
    await page.waitForURL(/kind=login\./);
    expect(await page.locator('tbody tr').count()).toBe(0);
    const all = await auth.audit.query(auth.system, { subjectId: subject.id });
    expect(all.items.some((item) => item.action === 'user.blocked' && item.actorId !== null)).toBe(true);
    await page.context().close();
  }, 60_000);

  it('two-factor: set up with the secret as text and QR code, recovery codes shown once, then sign in with a code step', async () => {
    const user = await customer('Tomas Token');
    const page = await (await context('en')).newPage();
    await signIn(page, user.email);
    await page.waitForURL(`${app.url}/profile`);
    await page.goto(`${app.url}/profile/two-factor`);
    await page.fill('#password', 'not the password');
    await page.click(`text=${en.twoFactor.setUp}`);
    expect(await page.locator('#password-error').innerText()).toBe(en.errors.wrongPassword);
    await page.fill('#password', PASSWORD);
    await page.click(`text=${en.twoFactor.setUp}`);
    const secret = (await page.locator('#totp-secret').innerText()).trim();
    expect(await page.locator('img.qr').evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0)).toBe(true);
    await shot(page, 'flow-en-two-factor-setup');
    // A refresh shows the same secret: it does not start the set-up again.
    await page.reload();
    expect((await page.locator('#totp-secret').innerText()).trim()).toBe(secret);
    const code = (): string => hotp(base32Decode(secret)!, totpStep(new Date()));
    const setupCode = code();
    await page.fill('#code', setupCode);
    await page.click(`text=${en.twoFactor.turnOn}`);
    const recoveryCodes = await page.locator('#recovery-codes li').allInnerTexts();
    expect(recoveryCodes).toHaveLength(10);
    await shot(page, 'flow-en-recovery-codes');
    await page.reload();
    expect(await page.locator('#recovery-codes').count()).toBe(0);

    await page.click(`text=${en.nav.signOut}`);
    await signIn(page, user.email);
    await page.waitForURL(`${app.url}/login/two-factor`);
    expect(await heading(page)).toBe(en.twoFactorSignIn.title);
    await shot(page, 'flow-en-two-factor-sign-in');
    // The code the set-up just used is refused (no replay); a recovery code gets in.
    await page.fill('#code', setupCode);
    await page.click('main button[type=submit]');
    await page.waitForURL(`${app.url}/login/two-factor`);
    expect(await page.locator('#code-error').innerText()).toMatch(/wrong or was already used/);
    await page.fill('#code', recoveryCodes[0]!.trim());
    await page.click('main button[type=submit]');
    await page.waitForURL(`${app.url}/profile`);
    expect(await page.locator('main').innerText()).toContain(`${en.profile.twoFactor}: ${en.profile.twoFactorOn}`);
    await page.context().close();
  }, 60_000);

  it('another site cannot sign the visitor into its own account (login CSRF): its auto-submitting form gets 403', async () => {
    const attacker = await customer('Mallory Atacante');
    const browserContext = await context('en');
    const page = await browserContext.newPage();
    // The attacker's page, on a site of its own (served by the browser's router, not the network).
    await page.route('http://attacker.test/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><form id="f" method="post" action="${app.url}/login">
<input name="email" value="${attacker.email}"><input name="password" value="${PASSWORD}"><input name="next" value="/profile"></form>
<script>document.getElementById('f').submit()</script>`,
      }),
    );
    const answered = page.waitForResponse((response) => response.url() === `${app.url}/login` && response.request().method() === 'POST');
    await page.goto('http://attacker.test/');
    expect((await answered).status()).toBe(403);
    expect(await heading(page)).toBe(en.errors.forbiddenTitle);
    expect((await browserContext.cookies(app.url)).map((cookie) => cookie.name)).not.toContain('gatehouse_session');
    await shot(page, 'flow-en-login-csrf-refused');
    await page.goto(`${app.url}/profile`);
    await page.waitForURL(/\/login\?next=/);
    // The same form on the app's own page signs in.
    await signIn(page, attacker.email);
    await page.waitForURL(`${app.url}/profile`);
    await browserContext.close();
  }, 60_000);
});
