/**
 * The example app in a real browser: Debian's Chromium driven by playwright-core. Screenshots
 * of the main pages land in test-results/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, hotp, totpStep } from '../../src/crypto/totp.js';
import { ADMIN, startApp, type RunningApp } from '../e2e/apps.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');
const PASSWORD = 'correct horse battery staple';
const available = existsSync(CHROMIUM);
// CI installs Chromium (.ci/run): there, a missing browser is a failure, not a skip.
if (!available && process.env['CI'] === undefined) console.warn(`[gatehouse tests] browser flows skipped: no Chromium at ${CHROMIUM}`);
const suite = available || process.env['CI'] !== undefined ? describe : describe.skip;

suite('the example app in Chromium', () => {
  let app: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    app = await startApp('express');
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

  async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
    await page.goto(`${app.url}/login`);
    await page.fill('#email', email);
    await page.fill('#password', password);
    await page.click('button[type=submit]');
  }

  /** Registers through the form and activates through the link in the outbox. */
  async function registerAndActivate(page: Page, email: string, name: string): Promise<void> {
    await page.goto(`${app.url}/register`);
    await shot(page, '01-register');
    await page.fill('#name', name);
    await page.fill('#email', email);
    await page.fill('#password', 'short');
    await page.fill('#nationalId', 'V-12345678');
    await page.click('button[type=submit]');
    // The error shows next to the field, the other values stay.
    await expect(page.locator('#password-error').textContent()).resolves.toMatch(/at least 8/);
    expect(await page.inputValue('#email')).toBe(email);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await expect(page.locator('h1').textContent()).resolves.toBe('Check your mail');

    await page.goto(`${app.url}/dev/outbox`);
    await page.locator('tr', { hasText: email }).first().locator('a', { hasText: 'open link' }).click();
    await shot(page, '02-activate');
    await page.click('text=Activate my account');
    await expect(page.locator('h1').textContent()).resolves.toBe('Account activated');
  }

  it('a new user registers, activates from the outbox, signs in and sees the profile; the admin blocks them and their next request is refused', async () => {
    const user = await browser.newContext();
    const page = await user.newPage();
    const email = `browser-${Date.now()}@example.com`;
    await registerAndActivate(page, email, 'Beatriz Navegador');

    await signIn(page, email);
    await page.waitForURL(`${app.url}/profile`);
    await expect(page.locator('main').textContent()).resolves.toContain(email);
    await expect(page.locator('table').last().textContent()).resolves.toContain('this session');
    await shot(page, '03-profile');

    const adminContext = await browser.newContext();
    const adminPage = await adminContext.newPage();
    await signIn(adminPage, ADMIN.email, ADMIN.password);
    await adminPage.goto(`${app.url}/admin/users?q=${encodeURIComponent(email)}`);
    await shot(adminPage, '04-admin-users');
    const row = adminPage.locator('tr', { hasText: email });
    await row.locator('input[name=reason]').fill('Suspicious orders');
    await row.locator('button', { hasText: 'Block' }).click();
    await expect(adminPage.locator('[role=status]').textContent()).resolves.toContain('Blocked');
    await expect(adminPage.locator('tr', { hasText: email }).textContent()).resolves.toContain('Suspicious orders');
    await shot(adminPage, '05-admin-blocked');
    await adminPage.click(`text=Beatriz Navegador`);
    await expect(adminPage.locator('main').textContent()).resolves.toContain('user.blocked');
    await shot(adminPage, '06-admin-user-activity');

    // The blocked user's next request finds no session.
    await page.goto(`${app.url}/profile`);
    await page.waitForURL(/\/login\?next=/);
    await signIn(page, email);
    await expect(page.locator('[role=alert]').textContent()).resolves.toMatch(/blocked/i);
    await shot(page, '07-login-refused');
    await user.close();
    await adminContext.close();
  }, 60_000);

  it('another site cannot sign the visitor into its own account (login CSRF): its auto-submitting form gets 403', async () => {
    const attacker = { email: `attacker-${Date.now()}@example.com`, password: PASSWORD };
    const { auth } = app.runtime;
    await auth.users.create(auth.system, { ...attacker, name: 'Mallory', roles: [{ code: 'customer' }], emailVerified: true, mustChangePassword: false });
    const context = await browser.newContext();
    const page = await context.newPage();
    // The attacker's page, on a site of its own (served by the browser's router, not the network).
    await page.route('http://attacker.test/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><form id="f" method="post" action="${app.url}/login">
<input name="email" value="${attacker.email}"><input name="password" value="${attacker.password}"><input name="next" value="/profile"></form>
<script>document.getElementById('f').submit()</script>`,
      }),
    );
    const answered = page.waitForResponse((response) => response.url() === `${app.url}/login` && response.request().method() === 'POST');
    await page.goto('http://attacker.test/');
    expect((await answered).status()).toBe(403);
    expect((await context.cookies(app.url)).map((cookie) => cookie.name)).not.toContain('gatehouse_session');
    await page.goto(`${app.url}/profile`);
    await page.waitForURL(/\/login\?next=/);
    // The same form on the app's own page signs in.
    await signIn(page, attacker.email);
    await page.waitForURL(`${app.url}/profile`);
    await context.close();
  }, 60_000);

  it('two-factor: set up with the secret shown as text and QR code, then sign in with a code', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const email = `totp-${Date.now()}@example.com`;
    await registerAndActivate(page, email, 'Tomás Token');
    await signIn(page, email);
    await page.waitForURL(`${app.url}/profile`);
    await page.goto(`${app.url}/profile/two-factor`);
    await page.fill('#password', PASSWORD);
    await page.click('text=Set up two-step verification');
    const secret = (await page.locator('#totp-secret').textContent())!;
    expect(await page.locator('img[alt^="QR code"]').evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0)).toBe(true);
    await shot(page, '08-two-factor-setup');
    const code = (): string => hotp(base32Decode(secret)!, totpStep(new Date()));
    const setupCode = code();
    await page.fill('#code', setupCode);
    await page.click('text=Turn on');
    const recoveryCodes = await page.locator('#recovery-codes li').allTextContents();
    expect(recoveryCodes).toHaveLength(10);
    await shot(page, '09-recovery-codes');

    await page.click('text=Sign out');
    await signIn(page, email);
    await expect(page.locator('h1').textContent()).resolves.toBe('Two-step verification');
    await shot(page, '10-two-factor-sign-in');
    // The code the set-up just used is refused (no replay); a recovery code gets in.
    await page.fill('#code', setupCode);
    await page.click('button[type=submit]');
    await expect(page.locator('#code-error').textContent()).resolves.toMatch(/wrong or was already used/);
    await page.fill('#code', recoveryCodes[0]!.trim());
    await page.click('button[type=submit]');
    await page.waitForURL(`${app.url}/profile`);
    await expect(page.locator('main').textContent()).resolves.toContain('Two-step verification');
    await context.close();
  }, 60_000);
});
