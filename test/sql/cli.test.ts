import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuth, ecommercePreset, isAuthError, type Activity, type Auth } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { ManualClock, TestPasswordHasher } from 'gatehouse/testing';
import { EXIT, runCli } from '../../adapters/cli/run-cli.js';
import { cliNodeArgs, ROOT } from '../support/cli-process.js';
import { PASSWORD } from '../support/harness.js';
import { describeSql, SQL_KINDS, type TestDatabase } from '../support/sql-servers.js';
import { MIGRATIONS } from '../support/migrations.js';

const DAY = 86_400;

/** Runs the real command in a child process, from the sources through tsx. */
function gatehouse(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...cliNodeArgs(), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: '', ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI in-process (stdin not a terminal), collecting its output. */
async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * Runs the real command on a pseudo-terminal (util-linux `script`), answering each prompt
 * once it appears: `answers` maps a text the output shows to what is then typed.
 */
function onTerminal(args: string[], answers: readonly (readonly [string, string])[]): Promise<{ status: number | null; output: string }> {
  const quote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, ...cliNodeArgs(), ...args].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: '' } });
  let output = '';
  let answered = 0;
  let seen = 0;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
    // Answer each prompt once, in order, only once it is on the screen (the terminal is then in raw mode).
    while (answered < answers.length) {
      const at = output.indexOf(answers[answered]![0], seen);
      if (at === -1) break;
      seen = at + answers[answered]![0].length;
      child.stdin.write(`${answers[answered]![1]}\r`);
      answered += 1;
    }
  });
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, output })));
}

/** Gatehouse on its own tables of the run's database (migrated), for setting the scene and reading what the CLI did. */
async function scene(db: TestDatabase, prefix: string, clock?: ManualClock): Promise<{ auth: Auth; cli: (args: string[]) => ReturnType<typeof cli> }> {
  const store = db.store({ url: db.url }, { tablePrefix: prefix });
  await store.migrate();
  const auth = createAuth({ store, mailer: new MemoryMailer(), hasher: new TestPasswordHasher(), ...(clock === undefined ? {} : { clock }) });
  return { auth, cli: (args) => cli([...args, '--database-url', db.url, '--table-prefix', prefix]) };
}

/** Creates a verified, active user with these roles, as the system. */
async function account(auth: Auth, email: string, roles: string[]): Promise<string> {
  const { user } = await auth.users.create(auth.system, { email, name: 'Test', password: PASSWORD, roles: roles.map((code) => ({ code })), emailVerified: true, mustChangePassword: false });
  return user.id;
}

/** The activity entries with this action, newest first. */
async function logged(auth: Auth, action: string): Promise<Activity[]> {
  return (await auth.audit.query(auth.system, { action })).items;
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: npx gatehouse`, (db) => {
    it('migrate applies the migrations, then finds nothing to do the second time (exit code 0 both times)', async () => {
      const first = gatehouse(['migrate', '--database-url', db.url]);
      expect(first.stderr).toBe('');
      expect(first.status).toBe(0);
      expect(first.stdout).toContain('applied 0001_initial');
      expect(first.stdout).toContain('applied 0002_two_factor');
      expect(await db.tables()).toContain('users');

      const second = gatehouse(['migrate', '--database-url', db.url]);
      expect(second.status).toBe(0);
      expect(second.stdout).not.toContain('applied 0001_initial');
      expect(second.stdout).toContain('already up to date');
    });

    it('migrate: --table-prefix creates prefixed tables; DATABASE_URL stands in for --database-url; the migration is logged as the system', async () => {
      const result = await cli(['migrate', '--table-prefix', 'cli_'], { DATABASE_URL: db.url });
      expect(result).toMatchObject({ code: EXIT.ok, err: '' });
      expect(result.out).toContain('table prefix cli_');
      expect(await db.tables()).toEqual(expect.arrayContaining(['cli_users', 'cli_sessions', 'cli_gatehouse_migration']));
      expect((await cli(['migrate', '--table-prefix', 'cli_', '--database-url', db.url])).out).toContain('already up to date');
      const rows = await db.query("select action, actor_id, user_agent from cli_activities where action = 'schema.migrated'");
      expect(rows).toEqual([{ action: 'schema.migrated', actor_id: null, user_agent: 'gatehouse-cli' }]);
    });

    it('migrate status lists every migration as pending on an empty database, creating nothing; then each as applied', async () => {
      const before = await cli(['migrate', 'status', '--database-url', db.url, '--table-prefix', 'st_']);
      expect(before).toMatchObject({ code: EXIT.ok, err: '' });
      for (const name of MIGRATIONS) expect(before.out).toMatch(new RegExp(`pending +${name}`));
      expect(before.out).toContain(`0 applied, ${MIGRATIONS.length} pending`);
      expect((await db.tables()).filter((table) => table.startsWith('st_'))).toEqual([]);

      await cli(['migrate', '--database-url', db.url, '--table-prefix', 'st_']);
      const after = gatehouse(['migrate', 'status', '--database-url', db.url, '--table-prefix', 'st_']);
      expect(after.status).toBe(EXIT.ok);
      for (const name of MIGRATIONS) expect(after.stdout).toMatch(new RegExp(`applied +${name} +\\d{4}-\\d{2}-\\d{2}T`));
      expect(after.stdout).toContain(`${MIGRATIONS.length} applied, 0 pending; up to date`);
    });

    it('create-admin without a terminal prints a generated password that signs in and must be changed; seeds the preset first; logged as the system', async () => {
      const { auth, cli } = await scene(db, 'ca_');
      const result = await cli(['create-admin', '--email', 'Root@Example.com', '--name', 'Root']);
      expect(result).toMatchObject({ code: EXIT.ok, err: '' });
      expect(result.out).toContain('seeded the e-commerce preset (5 roles');
      const password = /generated password: (\S+)/.exec(result.out)?.[1];
      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);

      const login = await auth.sessions.login({ email: 'root@example.com', password: password! });
      expect(login.mustChangePassword).toBe(true);
      const admin = await auth.users.get(auth.system, login.user.id);
      expect(admin.roles.map((role) => role.code)).toEqual(['admin']);
      expect(admin.user).toMatchObject({ name: 'Root', status: 'active' });
      expect(admin.user.emailVerifiedAt).not.toBeNull();
      expect(await logged(auth, 'user.created')).toEqual([expect.objectContaining({ subjectId: admin.user.id, actorId: null })]);
      expect(await logged(auth, 'roles.seeded')).toEqual([expect.objectContaining({ actorId: null })]);

      // The email is taken now: refused (exit 1), unless --promote.
      const again = await cli(['create-admin', '--email', 'root@example.com']);
      expect(again.code).toBe(EXIT.failed);
      expect(again.err).toMatch(/exists; pass --promote/);
      expect((await auth.users.list(auth.system)).total).toBe(1);
    });

    it('create-admin --promote gives an existing account the admin role and keeps the rest; the preset is not seeded again', async () => {
      const { auth, cli } = await scene(db, 'pr_');
      expect((await cli(['roles', 'seed', '--preset', 'ecommerce'])).code).toBe(EXIT.ok);
      const id = await account(auth, 'ana@example.com', ['seller']);
      const result = await cli(['create-admin', '--email', 'ana@example.com', '--promote']);
      expect(result).toMatchObject({ code: EXIT.ok, err: '' });
      expect(result.out).not.toContain('seeded');
      expect(result.out).not.toContain('password');
      const ana = await auth.users.get(auth.system, id);
      expect(ana.roles.map((role) => role.code)).toEqual(['admin', 'seller']);
      expect((await auth.sessions.login({ email: 'ana@example.com', password: PASSWORD })).mustChangePassword).toBe(false);
      expect(await logged(auth, 'user.roles_changed')).toEqual([expect.objectContaining({ subjectId: id, actorId: null })]);
      expect((await cli(['create-admin', '--email', 'nobody@example.com', '--promote'])).code).toBe(EXIT.failed);
      expect((await cli(['create-admin', '--email', 'ana@example.com', '--promote', '--generate-password'])).code).toBe(EXIT.usage);
    });

    it('create-admin on a terminal asks for the password twice with echo off, again when the two differ, and never shows it', async () => {
      const { auth } = await scene(db, 'tty_');
      const typed = 'Caballo-Correcto-Bateria-9';
      const result = await onTerminal(
        ['create-admin', '--email', 'tty@example.com', '--database-url', db.url, '--table-prefix', 'tty_'],
        [
          ['Password for tty@example.com: ', typed],
          ['The same password again: ', 'something else'],
          ['Password for tty@example.com: ', typed],
          ['The same password again: ', typed],
        ],
      );
      expect(result.output).toContain('the two passwords differ; try again');
      expect(result.output).toContain('created the administrator tty@example.com');
      expect(result.status, result.output).toBe(EXIT.ok);
      expect(result.output).not.toContain(typed);
      expect(result.output).not.toContain('something else');
      expect(result.output).not.toContain('generated password');
      const login = await auth.sessions.login({ email: 'tty@example.com', password: typed });
      expect(login.mustChangePassword).toBe(false);

      // --generate-password on a terminal: no question, a printed password.
      const generated = await onTerminal(['create-admin', '--generate-password', '--email', 'gen@example.com', '--database-url', db.url, '--table-prefix', 'tty_'], []);
      expect(generated.status, generated.output).toBe(EXIT.ok);
      expect(generated.output).not.toContain('Password for');
      expect(generated.output).toMatch(/generated password: \S{32}/);
      // Two real processes that compile the CLI with tsx at start: under a loaded CI machine
      // (load 14 on 2 cores seen) that alone passed the default 30 s.
    }, 120_000);

    it('roles seed --preset ecommerce adds what is missing, then nothing; logged as the system', async () => {
      const { auth, cli } = await scene(db, 'rs_');
      const first = await cli(['roles', 'seed', '--preset', 'ecommerce']);
      expect(first).toMatchObject({ code: EXIT.ok, err: '' });
      expect(first.out).toMatch(/5 roles, \d+ permissions and \d+ grants added/);
      expect((await auth.roles.listRoles(auth.system)).map((role) => role.code).sort()).toEqual(['admin', 'content_manager', 'customer', 'moderator', 'seller']);
      expect((await cli(['roles', 'seed', '--preset', 'ecommerce'])).out).toContain('(nothing was missing)');
      expect(await logged(auth, 'roles.seeded')).toEqual([expect.objectContaining({ actorId: null })]);
      expect((await cli(['roles', 'seed', '--preset', 'bank'])).code).toBe(EXIT.usage);
      expect((await cli(['roles', 'seed'])).code).toBe(EXIT.usage);
    });

    it('users commands get two administrators of one level out of a deadlock: set-roles, unblock, force-password-change, revoke-sessions, show', async () => {
      const { auth, cli } = await scene(db, 'us_');
      await auth.roles.seed(auth.system, ecommercePreset);
      const aliceId = await account(auth, 'alice@example.com', ['admin']);
      const bobId = await account(auth, 'bob@example.com', ['admin']);
      const alice = await auth.sessions.validate((await auth.sessions.login({ email: 'alice@example.com', password: PASSWORD })).token);
      // By design, Alice cannot act on Bob, her peer.
      await expect(auth.users.setRoles(alice, bobId, [{ code: 'customer' }])).rejects.toSatisfy((e) => isAuthError(e, 'FORBIDDEN'));

      const demoted = await cli(['users', 'set-roles', 'BOB@example.com', 'customer', 'seller:2099-12-31']);
      expect(demoted).toMatchObject({ code: EXIT.ok, err: '' });
      expect(demoted.out).toContain('bob@example.com: now holds seller (until 2099-12-31), customer');
      const bob = await auth.users.get(auth.system, bobId);
      expect(bob.assignments.find((a) => a.roleCode === 'seller')?.expiresAt?.toISOString()).toBe('2100-01-01T00:00:00.000Z');
      expect(await logged(auth, 'user.roles_changed')).toEqual([expect.objectContaining({ subjectId: bobId, actorId: null })]);

      await auth.users.block(auth.system, aliceId, { reason: 'locked out by mistake' });
      const unblocked = await cli(['users', 'unblock', 'alice@example.com']);
      expect(unblocked).toMatchObject({ code: EXIT.ok, out: 'gatehouse: alice@example.com: unblocked' });
      expect((await auth.users.get(auth.system, aliceId)).user.status).toBe('active');
      expect(await logged(auth, 'user.unblocked')).toEqual([expect.objectContaining({ subjectId: aliceId, actorId: null })]);
      const again = await cli(['users', 'unblock', 'alice@example.com']);
      expect(again.code).toBe(EXIT.failed);
      expect(again.err).toMatch(/The account is active.*\(CONFLICT\)/);

      expect((await cli(['users', 'force-password-change', 'alice@example.com'])).code).toBe(EXIT.ok);
      expect((await auth.sessions.login({ email: 'alice@example.com', password: PASSWORD })).mustChangePassword).toBe(true);
      expect(await logged(auth, 'user.password_change_forced')).toEqual([expect.objectContaining({ subjectId: aliceId, actorId: null })]);

      const token = (await auth.sessions.login({ email: 'bob@example.com', password: PASSWORD })).token;
      const revoked = await cli(['users', 'revoke-sessions', 'bob@example.com']);
      expect(revoked).toMatchObject({ code: EXIT.ok, out: 'gatehouse: bob@example.com: signed out of 1 session' });
      expect(await auth.sessions.validate(token)).toBeNull();
      expect(await logged(auth, 'user.sessions_revoked')).toEqual([expect.objectContaining({ subjectId: bobId, actorId: null })]);

      const shown = await cli(['users', 'show', 'alice@example.com']);
      expect(shown.code).toBe(EXIT.ok);
      expect(shown.out).toMatch(/id +[0-9a-f-]{36}/);
      expect(shown.out).toMatch(/roles +admin \(level 50\)/);
      expect(shown.out).toMatch(/must change password +yes/);

      const unknown = await cli(['users', 'unblock', 'nobody@example.com']);
      expect(unknown).toMatchObject({ code: EXIT.failed, err: 'gatehouse: users unblock failed: no account has the email nobody@example.com' });
      for (const args of [['users', 'unblock', 'not-an-email'], ['users', 'set-roles', 'bob@example.com'], ['users', 'set-roles', 'bob@example.com', 'seller:2099-02-30'], ['users', 'set-roles', 'bob@example.com', 'seller:2001-01-01']]) {
        expect((await cli(args)).code, args.join(' ')).toBe(EXIT.usage);
      }
      expect((await cli(['users', 'set-roles', 'bob@example.com', 'emperor'])).err).toMatch(/No role emperor/);
    });

    it('users reset-two-factor turns off a second factor without the application’s key; logged as the system', async () => {
      const { auth, cli } = await scene(db, 'tf_');
      const id = await account(auth, 'carol@example.com', []);
      const store = db.store({ url: db.url }, { tablePrefix: 'tf_' });
      const now = new Date();
      await store.upsertTwoFactor({ userId: id, secret: 'sealed-with-the-app-key', enabledAt: now, lastStep: 0, createdAt: now, updatedAt: now });
      const result = await cli(['users', 'reset-two-factor', 'carol@example.com']);
      expect(result).toMatchObject({ code: EXIT.ok, out: 'gatehouse: carol@example.com: two-step verification is off' });
      expect(await store.findTwoFactor(id)).toBeNull();
      expect(await logged(auth, 'two_factor.reset')).toEqual([expect.objectContaining({ subjectId: id, actorId: null, metadata: { wasEnabled: true } })]);
    });

    it('cleanup runs auth.maintenance.run(): deletes ended sessions, old sign-in attempts, spent keys and ended rate-limit windows, and activity only past --activity-older-than; logged as the system', async () => {
      const clock = new ManualClock(new Date(Date.now() - 40 * DAY * 1000));
      const { auth, cli } = await scene(db, 'cl_', clock);
      await account(auth, 'dan@example.com', []);
      const old = (await auth.sessions.login({ email: 'dan@example.com', password: PASSWORD })).token; // expired 40 days ago
      await expect(auth.sessions.login({ email: 'dan@example.com', password: 'wrong password' })).rejects.toSatisfy((e) => isAuthError(e, 'INVALID_CREDENTIALS'));
      const store = db.store({ url: db.url }, { tablePrefix: 'cl_' });
      await store.hitRateLimit('cli-test', { limit: 5, window: 60, at: clock.now() });
      clock.set(new Date());
      const fresh = (await auth.sessions.login({ email: 'dan@example.com', password: PASSWORD })).token;
      const count = async (table: string): Promise<number> => Number((await db.query(`select count(*) as n from cl_${table}`))[0]?.['n']);
      const activitiesBefore = await count('activities');

      const kept = await cli(['cleanup']);
      expect(kept).toMatchObject({ code: EXIT.ok, err: '' });
      // 40 days ago: a sign-in (its session and attempt) and a refused one (its attempt).
      expect(kept.out).toBe('gatehouse: deleted 1 ended session, 2 old sign-in attempts, 0 spent one-time keys, 1 ended rate-limit window');
      expect(await auth.sessions.validate(fresh)).not.toBeNull();
      expect(await auth.sessions.validate(old)).toBeNull();
      expect(await count('sessions')).toBe(1);
      expect(await count('login_attempts')).toBe(1);
      expect(await count('rate_limits')).toBe(0);
      expect(await count('activities')).toBe(activitiesBefore + 1); // none deleted; the cleanup's own entry added
      expect(await logged(auth, 'maintenance.cleanup')).toEqual([
        expect.objectContaining({ actorId: null, metadata: { sessions: 1, loginAttempts: 2, oneTimeKeys: 0, rateLimits: 1, activities: null, complete: true } }),
      ]);

      const cutoff = new Date(Date.now() - 30 * DAY * 1000);
      const older = (await auth.audit.query(auth.system, { to: cutoff })).total;
      expect(older).toBeGreaterThanOrEqual(3); // the account's creation, the sign-in and the refused one
      const purged = await cli(['cleanup', '--activity-older-than', '30']);
      expect(purged.code).toBe(EXIT.ok);
      expect(purged.out).toContain(`, ${older} activity-log entries older than 30 days`);
      expect((await auth.audit.query(auth.system, { to: cutoff })).total).toBe(0);
      expect(await count('activities')).toBe(activitiesBefore + 1 - older + 2); // the purge's and the second cleanup's own entries
      expect(await logged(auth, 'audit.purged')).toEqual([expect.objectContaining({ actorId: null })]);
      for (const days of ['0', '-3', 'x', '1.5', '99999']) expect((await cli(['cleanup', '--activity-older-than', days])).code, days).toBe(EXIT.usage);
    });
  });
}

describe('gatehouse CLI errors', () => {
  it('an unreachable database: exit code 1 and a message naming the cause, password masked', async () => {
    const result = gatehouse(['migrate', '--database-url', 'postgres://app:s3cret@127.0.0.1:1/none']);
    expect(result.status).toBe(EXIT.failed);
    expect(result.stderr).toMatch(/migrate failed: .*ECONNREFUSED/);
    expect(result.stdout + result.stderr).not.toContain('s3cret');
    const mysql = await cli(['migrate', '--database-url', 'mysql://root@127.0.0.1:1/none']);
    expect(mysql.code).toBe(EXIT.failed);
    expect(mysql.err).toMatch(/ECONNREFUSED/);
    for (const args of [['migrate', 'status'], ['users', 'show', 'ana@example.com'], ['create-admin', '--email', 'ana@example.com'], ['cleanup'], ['import', '--from', 'mysql://root@127.0.0.1:3306/none', '--timezone', 'UTC']]) {
      const failed = await cli([...args, '--database-url', 'mysql://app:s3cret-pw@127.0.0.1:1/none']);
      expect(failed.code, args.join(' ')).toBe(EXIT.failed);
      expect(failed.err, args.join(' ')).toMatch(/ECONNREFUSED/);
      expect(failed.out + failed.err, args.join(' ')).not.toContain('s3cret');
    }
  });

  it('a wrong command line: exit code 2 with the usage', async () => {
    for (const args of [
      [],
      ['migrate'],
      ['frobnicate'],
      ['users'],
      ['users', 'frobnicate', 'a@example.com'],
      ['migrate', '--nope'],
      ['migrate', 'status', 'extra'],
      ['migrate', '--database-url', 'sqlite://x.db'],
      ['migrate', '--database-url', 'postgres://h/db', '--table-prefix', 'Bad-'],
      ['create-admin', '--database-url', 'postgres://h/db'],
      ['create-admin', '--email', 'not an email', '--database-url', 'postgres://h/db'],
      ['users', 'unblock', '--database-url', 'postgres://h/db'],
      ['migrate', '--version'],
      ['import', '--database-url', 'postgres://h/db'],
      ['import', '--from', 'mysql://h/legacy', '--database-url', 'postgres://h/db'],
      ['import', '--from', 'mysql://h/legacy', '--timezone', 'UTC', '--batch', '0', '--database-url', 'postgres://h/db'],
      ['import', '--from', 'mysql://h/legacy', '--timezone', 'UTC', '--preset', 'wordpress', '--database-url', 'postgres://h/db'],
      ['import', '--from', 'mysql://h/legacy', '--timezone', 'UTC', '--verified-if-active', '--no-verified-if-active', '--database-url', 'postgres://h/db'],
    ]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(EXIT.usage);
      expect(result.err, args.join(' ')).toMatch(/^gatehouse: .*\n\nUsage: gatehouse /);
    }
  });

  it('--help for the whole and for each command (exit code 0); --version prints the package’s version', async () => {
    const overview = await cli(['--help']);
    expect(overview).toMatchObject({ code: EXIT.ok, err: '' });
    const commands = ['migrate', 'migrate status', 'create-admin', 'roles seed', 'users set-roles', 'users unblock', 'users reset-two-factor', 'users force-password-change', 'users revoke-sessions', 'users show', 'cleanup', 'import'];
    for (const command of commands) {
      expect(overview.out).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
      const help = await cli([...command.split(' '), '--help']);
      expect(help, command).toMatchObject({ code: EXIT.ok, err: '' });
      expect(help.out, command).toContain(`Usage: gatehouse ${command}`);
      expect(help.out, command).toContain('--database-url <url>');
      expect(help.out, command).toContain('--table-prefix <prefix>');
    }
    expect((await cli(['users', '-h'])).out).toContain('users revoke-sessions');

    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const printed = gatehouse(['--version']);
    expect(printed).toMatchObject({ status: EXIT.ok, stdout: `gatehouse ${version}\n`, stderr: '' });
  });
});
