import { parseArgs } from 'node:util';
import { MysqlAuthStore } from '../mysql/mysql-auth-store.js';
import { PostgresAuthStore } from '../postgres/postgres-auth-store.js';
import type { SqlAuthStore } from '../sql/sql-auth-store.js';

/** Where the CLI writes and what environment it reads; the real process's by default. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Exit codes: 0 done, 1 the database failed, 2 the command line is wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const USAGE = `Usage: gatehouse migrate --database-url <url> [--table-prefix <prefix>]

Creates or upgrades gatehouse's tables; running it again is a no-op.

  --database-url <url>     postgres://…, postgresql://…, mysql://… or mariadb://…
                           (default: the DATABASE_URL environment variable)
  --table-prefix <prefix>  prefix of gatehouse's table names, e.g. auth_ (default: none);
                           use the same tablePrefix in createPostgresStore/createMysqlStore
  -h, --help               show this help`;

/** The URL with its password masked, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

function storeFor(url: string, tablePrefix: string | undefined): SqlAuthStore {
  if (/^postgres(?:ql)?:\/\//i.test(url)) return new PostgresAuthStore({ url }, { tablePrefix });
  if (/^(?:mysql|mariadb):\/\//i.test(url)) return new MysqlAuthStore({ url }, { tablePrefix });
  throw new TypeError('the database URL must start with postgres://, postgresql://, mysql:// or mariadb://');
}

/** The message of an error and of its causes, one after the other. */
function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth += 1) {
    const message = current instanceof Error ? current.message || current.name : String(current);
    if (!parts.some((part) => part.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ');
}

/**
 * Runs the `gatehouse` command line and resolves its exit code. The only command is
 * `migrate`, which applies gatehouse's migrations to a PostgreSQL, MySQL or MariaDB database.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    io.err(`gatehouse: ${describeError(error)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.out(USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== 1 || positionals[0] !== 'migrate') {
    io.err(`gatehouse: ${positionals.length === 0 ? 'missing command' : `unknown command ${positionals.join(' ')}`}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const url = values['database-url'] ?? io.env['DATABASE_URL'];
  if (url === undefined || url === '') {
    io.err(`gatehouse: pass --database-url or set DATABASE_URL\n\n${USAGE}`);
    return EXIT.usage;
  }

  let store: SqlAuthStore;
  try {
    store = storeFor(url, values['table-prefix']);
  } catch (error) {
    io.err(`gatehouse: ${describeError(error)}`);
    return EXIT.usage;
  }
  const prefix = store.tablePrefix === '' ? '' : ` (table prefix ${store.tablePrefix})`;
  io.out(`gatehouse: migrating ${redact(url)}${prefix}`);
  try {
    const report = await store.migrate();
    for (const name of report.applied) io.out(`  applied ${name}`);
    io.out(
      report.applied.length === 0
        ? `gatehouse: already up to date (${report.known.length} migration${report.known.length === 1 ? '' : 's'})`
        : `gatehouse: applied ${report.applied.length} migration${report.applied.length === 1 ? '' : 's'}`,
    );
    return EXIT.ok;
  } catch (error) {
    io.err(`gatehouse: migration failed: ${describeError(error)}`);
    return EXIT.failed;
  } finally {
    await store.close().catch(() => undefined);
  }
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      'database-url': { type: 'string' },
      'table-prefix': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
