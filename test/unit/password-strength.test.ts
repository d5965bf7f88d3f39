import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isAuthError, pwnedPasswordsCheck, type AuthError, type PasswordCheck } from 'gatehouse';
import { harness, PASSWORD, uniqueEmail } from '../support/harness.js';

const weakness = async (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'accepted',
    (error: unknown) => (isAuthError(error, 'WEAK_PASSWORD') ? (error as AuthError).issues![0]!.code : String(error)),
  );

describe('finding 10: the password strength estimate', () => {
  it('refuses every password of the review, each accepted before', async () => {
    const h = harness();
    const accepted = ['passwordpassword', '123456789012345', 'aaaaaaaaaaaaaaaa', 'abcdefghijklmnop', 'password!', 'qwertyqwerty', 'iloveyou1234', 'Password1!', 'P@ssw0rd!', 'Winter2025!'];
    for (const password of accepted) expect(await weakness(h.auth.accounts.register({ email: uniqueEmail(), password, name: 'Ana' })), password).toBe('common_password');
    expect((await h.store.listUsers({ offset: 0, limit: 10, now: h.clock.now() })).total).toBe(0);
  });

  it('refuses passwords built on the owner\'s email, name or the app\'s name, and keyboard walks, in any case and with accents', async () => {
    const h = harness({ appName: 'Tienda Bolívar' });
    const cases: [string, string, string][] = [
      ['maria.fernanda@example.com', 'Ana', 'mariafernanda2024'],
      ['ana@example.com', 'Gumersindo Pérez', 'Gumersindo1985!'],
      ['ana@example.com', 'Ana', 'tiendabolivar2025'],
      ['ana@example.com', 'Ana', 'Contraseña2024'],
      ['ana@example.com', 'Ana', '1qaz2wsx3edc4rfv'],
      ['ana@example.com', 'Ana', 'zxcvbnmasdfghjkl'],
    ];
    for (const [email, name, password] of cases) expect(await weakness(h.auth.accounts.register({ email, password, name })), password).toBe('common_password');
  });

  it('accepts long passphrases and random passwords, and applies on every path that sets a password', async () => {
    const h = harness();
    for (const password of [PASSWORD, 'una contraseña nueva y larga', 'xK9#mPq2$vLw7!nB']) {
      expect(await weakness(h.auth.accounts.register({ email: uniqueEmail(), password, name: 'Ana' })), password).toBe('accepted');
    }
    const email = uniqueEmail();
    await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    await h.auth.accounts.activate({ key: h.mailer.last({ to: email })!.key! });
    const { token } = await h.auth.sessions.login({ email, password: PASSWORD });
    const ctx = (await h.auth.sessions.validate(token))!;
    expect(await weakness(h.auth.passwords.change(ctx, { currentPassword: PASSWORD, newPassword: 'qwertyuiop123' }))).toBe('common_password');
    await h.auth.passwords.requestReset({ email });
    await h.auth.drain();
    expect(await weakness(h.auth.passwords.reset({ key: h.mailer.last({ to: email, kind: 'password-reset' })!.key!, password: 'Summer2024!' }))).toBe('common_password');
    expect(await weakness(h.auth.users.create(h.auth.system, { email: uniqueEmail(), name: 'Bo', password: 'letmein123456' }))).toBe('common_password');
  });

  it('keeps passwords.blocklist working, as whole passwords and inside them', async () => {
    const h = harness({ passwords: { blocklist: ['Gatehouseshop', 'zanahoria'] } });
    expect(await weakness(h.auth.accounts.register({ email: uniqueEmail(), password: 'GatehouseShop', name: 'Ana' }))).toBe('common_password');
    expect(await weakness(h.auth.accounts.register({ email: uniqueEmail(), password: 'zanahoria!2024', name: 'Ana' }))).toBe('common_password');
  });
});

describe('passwords.check, with pwnedPasswordsCheck() against a local fake of the range API', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  /** A fake of api.pwnedpasswords.com/range/: it knows `breached` and records the prefixes asked for. */
  async function fakeRange(breached: readonly string[], status = 200): Promise<{ url: string; asked: string[] }> {
    const asked: string[] = [];
    const known = breached.map((password) => createHash('sha1').update(password).digest('hex').toUpperCase());
    const server = createServer((request, response) => {
      const prefix = (request.url ?? '').split('/').pop() ?? '';
      asked.push(prefix);
      const lines = known.filter((hash) => hash.startsWith(prefix)).map((hash) => `${hash.slice(5)}:42`);
      // Padding lines, as the real service sends with Add-Padding: count 0.
      lines.push(`${'0'.repeat(35)}:0`, `${'F'.repeat(35)}:0`);
      response.writeHead(status, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}/range/`, asked };
  }

  it('refuses a breached password (issue breached_password) sending only the 5-character prefix, and accepts others', async () => {
    const breachedPassphrase = 'tangerine orchestra velvet';
    const fake = await fakeRange([breachedPassphrase]);
    const h = harness({ passwords: { check: pwnedPasswordsCheck({ url: fake.url }) } });
    expect(await weakness(h.auth.accounts.register({ email: uniqueEmail(), password: breachedPassphrase, name: 'Ana' }))).toBe('breached_password');
    expect(await weakness(h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana' }))).toBe('accepted');
    expect(fake.asked).toHaveLength(2);
    for (const prefix of fake.asked) expect(prefix).toMatch(/^[0-9A-F]{5}$/);
  });

  it('fails open: a service that fails is reported to onError and the password is accepted', async () => {
    const fake = await fakeRange([PASSWORD], 503);
    const reported: string[] = [];
    const h = harness({ passwords: { check: pwnedPasswordsCheck({ url: fake.url }) }, onError: (_error, { operation }) => void reported.push(operation) });
    expect(await weakness(h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana' }))).toBe('accepted');
    expect(reported).toEqual(['password check']);
  });

  it('a check that never answers is given up after 5 seconds, its signal aborted, and the password accepted', async () => {
    let signal: AbortSignal | undefined;
    const never: PasswordCheck = (_password, context) => {
      signal = context.signal;
      return new Promise<boolean>(() => undefined);
    };
    const reported: unknown[] = [];
    const h = harness({ passwords: { check: never }, onError: (error) => void reported.push(error) });
    // Load the estimator's modules first (another harness): their first load is real I/O, which fake timers must not hold back.
    await harness().auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana' });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pending = weakness(h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana' }));
    await vi.waitFor(() => expect(signal).toBeDefined());
    expect(signal!.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await pending).toBe('accepted');
    expect(signal!.aborted).toBe(true);
    expect(String(reported[0])).toMatch(/5000 ms/);
  });

  it('the check is told the owner, and a check that refuses turns the password down', async () => {
    const seen: { email: string; name: string | null }[] = [];
    const h = harness({ passwords: { check: (_password, { email, name }) => (seen.push({ email, name }), false) } });
    expect(await weakness(h.auth.accounts.register({ email: 'ana@example.com', password: PASSWORD, name: 'Ana' }))).toBe('breached_password');
    expect(seen).toEqual([{ email: 'ana@example.com', name: 'Ana' }]);
  });
});
