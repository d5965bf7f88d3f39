import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../adapters/cli/run-cli.js';
import { describeSql, SQL_KINDS } from '../support/sql-servers.js';

const root = new URL('../..', import.meta.url).pathname;

/** Runs the real command in a child process, from the sources through tsx. */
function gatehouse(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'adapters/cli/index.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: '', ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI in-process, collecting its output. */
async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (line) => out.push(line), err: (line) => err.push(line), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: npx gatehouse migrate`, (db) => {
    it('applies the migrations, then finds nothing to do the second time (exit code 0 both times)', async () => {
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

    it('--table-prefix creates prefixed tables; DATABASE_URL stands in for --database-url', async () => {
      const result = await cli(['migrate', '--table-prefix', 'cli_'], { DATABASE_URL: db.url });
      expect(result).toMatchObject({ code: EXIT.ok, err: '' });
      expect(result.out).toContain('table prefix cli_');
      expect(await db.tables()).toEqual(expect.arrayContaining(['cli_users', 'cli_sessions', 'cli_gatehouse_migration']));
      expect((await cli(['migrate', '--table-prefix', 'cli_', '--database-url', db.url])).out).toContain('already up to date');
    });
  });
}

describe('gatehouse CLI errors', () => {
  it('an unreachable database: exit code 1 and a message naming the cause, password masked', async () => {
    const result = gatehouse(['migrate', '--database-url', 'postgres://app:s3cret@127.0.0.1:1/none']);
    expect(result.status).toBe(EXIT.failed);
    expect(result.stderr).toMatch(/migration failed: .*ECONNREFUSED/);
    expect(result.stdout + result.stderr).not.toContain('s3cret');
    const mysql = await cli(['migrate', '--database-url', 'mysql://root@127.0.0.1:1/none']);
    expect(mysql.code).toBe(EXIT.failed);
    expect(mysql.err).toMatch(/ECONNREFUSED/);
  });

  it('a wrong command line: exit code 2 with the usage', async () => {
    for (const args of [[], ['migrate'], ['frobnicate'], ['migrate', '--nope'], ['migrate', '--database-url', 'sqlite://x.db'], ['migrate', '--database-url', 'postgres://h/db', '--table-prefix', 'Bad-']]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(EXIT.usage);
      expect(result.err, args.join(' ')).toMatch(/^gatehouse: /);
    }
    expect(await cli(['--help'])).toMatchObject({ code: EXIT.ok, err: '' });
  });
});
