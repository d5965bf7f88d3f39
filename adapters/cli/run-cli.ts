import { parseArgs } from 'node:util';
import { isAuthError } from 'gatehouse';
import { MysqlAuthStore } from '../mysql/mysql-auth-store.js';
import { PostgresAuthStore } from '../postgres/postgres-auth-store.js';
import type { SqlAuthStore } from '../sql/sql-auth-store.js';
import { cleanup } from './cleanup-command.js';
import { CommandFailure, EXIT, UsageError, type CliCommand, type CliIo, type CliOption } from './command.js';
import { createAdmin } from './create-admin-command.js';
import { describeError } from './describe-error.js';
import { importCommand } from './import-command.js';
import { PromptCancelled } from './hidden-prompt.js';
import { migrate, migrateStatus } from './migrate-commands.js';
import { rolesSeed } from './roles-seed-command.js';
import { usersForcePasswordChange, usersResetTwoFactor, usersRevokeSessions, usersSetRoles, usersShow, usersUnblock } from './users-commands.js';
import { GATEHOUSE_VERSION } from './version.js';

export { EXIT, type CliIo } from './command.js';

/** Every command, in the order `--help` lists them. */
const COMMANDS: readonly CliCommand[] = [
  migrate,
  migrateStatus,
  createAdmin,
  rolesSeed,
  usersSetRoles,
  usersUnblock,
  usersResetTwoFactor,
  usersForcePasswordChange,
  usersRevokeSessions,
  usersShow,
  cleanup,
  importCommand,
];

/** The options every command takes. */
const COMMON: Readonly<Record<string, CliOption>> = {
  'database-url': {
    type: 'string',
    value: '<url>',
    help: 'postgres://…, postgresql://…, mysql://… or mariadb://… (default: the DATABASE_URL environment variable)',
  },
  'table-prefix': {
    type: 'string',
    value: '<prefix>',
    help: "prefix of gatehouse's table names, e.g. auth_ (default: none); the tablePrefix of your store",
  },
  help: { type: 'boolean', help: 'show this help' },
};

const optionLines = (options: Readonly<Record<string, CliOption>>): string[] =>
  Object.entries(options).map(([name, option]) => {
    const flag = `${name === 'help' ? '-h, ' : ''}--${name}${option.value === undefined ? '' : ` ${option.value}`}`;
    return `  ${flag.padEnd(32)} ${option.help}`;
  });

/** The overview: every command with its line, or those of one group (`users`). */
function overview(group?: string): string {
  const listed = COMMANDS.filter((command) => group === undefined || command.name.startsWith(`${group} `));
  const width = Math.max(...listed.map((command) => command.name.length));
  return [
    `Usage: gatehouse ${group ?? '<command>'} ${group === undefined ? '' : '<command> '}[options]`,
    '',
    "Administers gatehouse's tables on PostgreSQL, MySQL or MariaDB. Every change is made as the system",
    'and written to the activity log.',
    '',
    'Commands:',
    ...listed.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options of every command:',
    ...optionLines(COMMON),
    ...(group === undefined ? ['  --version                        print the version of gatehouse'] : []),
    '',
    `Run gatehouse <command> --help for one command. Exit codes: 0 done, 1 failed, 2 wrong command line.`,
  ].join('\n');
}

function usage(command: CliCommand): string {
  return [
    `Usage: gatehouse ${command.name}${command.synopsis === '' ? '' : ` ${command.synopsis}`} [--database-url <url>] [--table-prefix <prefix>]`,
    '',
    command.description,
    '',
    ...optionLines({ ...(command.options ?? {}), ...COMMON }),
  ].join('\n');
}

/** Every option that takes a value, so that a first look at the command line tells values from command words. */
const VALUE_OPTIONS = Object.fromEntries(
  [COMMON, ...COMMANDS.map((command) => command.options ?? {})].flatMap((options) =>
    Object.entries(options)
      .filter(([, option]) => option.type === 'string')
      .map(([name]) => [name, { type: 'string' as const }]),
  ),
);

/** The command named by the first words, the longest name first (`migrate status` before `migrate`). */
function findCommand(words: readonly string[]): CliCommand | undefined {
  const byLength = [...COMMANDS].sort((a, b) => b.name.length - a.name.length);
  return byLength.find((command) => command.name.split(' ').every((word, index) => words[index] === word));
}

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

/** The same output, with the URL's password masked wherever a message would repeat it. */
function masking(io: CliIo, url: string): CliIo {
  let secrets: string[] = [];
  try {
    const { password } = new URL(url);
    // As written in the URL and as sent to the server; too short a password would mask ordinary text.
    secrets = [...new Set([password, decodeURIComponent(password)])].filter((secret) => secret.length >= 3);
  } catch {
    // no password to mask in a URL that does not parse
  }
  if (secrets.length === 0) return io;
  const mask = (line: string): string => secrets.reduce((masked, secret) => masked.split(secret).join('***'), line);
  return { ...io, out: (line) => io.out(mask(line)), err: (line) => io.err(mask(line)) };
}

function storeFor(url: string, tablePrefix: string | undefined): SqlAuthStore {
  if (/^postgres(?:ql)?:\/\//i.test(url)) return new PostgresAuthStore({ url }, { tablePrefix });
  if (/^(?:mysql|mariadb):\/\//i.test(url)) return new MysqlAuthStore({ url }, { tablePrefix });
  throw new TypeError('the database URL must start with postgres://, postgresql://, mysql:// or mariadb://');
}

/**
 * Runs the `gatehouse` command line and resolves its exit code: 0 done, 1 the command failed
 * (the message names the cause, with the URL's password masked), 2 the command line is wrong.
 * Commands: `migrate`, `migrate status`, `create-admin`, `roles seed`, `users …`, `cleanup`, `import`;
 * each takes `--database-url` (or `DATABASE_URL`), `--table-prefix` and `--help`.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const usageError = (message: string, help: string): number => {
    io.err(`gatehouse: ${message}\n\n${help}`);
    return EXIT.usage;
  };
  const first = parseArgs({ args: [...args], strict: false, allowPositionals: true, options: { ...VALUE_OPTIONS, help: { type: 'boolean', short: 'h' } } });
  const words = first.positionals;
  const command = findCommand(words);
  if (command === undefined) {
    if (first.values['version'] === true && words.length === 0 && args.length === 1) {
      io.out(`gatehouse ${GATEHOUSE_VERSION}`);
      return EXIT.ok;
    }
    const group = ['users', 'roles'].includes(words[0] ?? '') && words.length === 1 ? words[0] : undefined;
    if (first.values['help'] === true && (words.length === 0 || group !== undefined)) {
      io.out(overview(group));
      return EXIT.ok;
    }
    return usageError(words.length === 0 ? 'missing command' : `unknown command ${words.join(' ')}`, overview(group));
  }

  let parsed: ReturnType<typeof parseArgs>;
  try {
    const options = Object.fromEntries(
      Object.entries({ ...(command.options ?? {}), ...COMMON }).map(([name, option]) => [name, { type: option.type, ...(name === 'help' ? { short: 'h' } : {}) }]),
    );
    parsed = parseArgs({ args: [...args], strict: true, allowPositionals: true, options });
  } catch (error) {
    return usageError(describeError(error), usage(command));
  }
  const { values } = parsed;
  if (values['help'] === true) {
    io.out(usage(command));
    return EXIT.ok;
  }
  const rest = parsed.positionals.slice(command.name.split(' ').length);
  if (rest.length < command.arity.min || rest.length > command.arity.max) {
    return usageError(rest.length < command.arity.min ? 'missing arguments' : `unexpected argument ${rest[command.arity.max]}`, usage(command));
  }
  const url = (values['database-url'] as string | undefined) ?? io.env['DATABASE_URL'];
  if (url === undefined || url === '') return usageError('pass --database-url or set DATABASE_URL', usage(command));

  let store: SqlAuthStore;
  try {
    store = storeFor(url, values['table-prefix'] as string | undefined);
  } catch (error) {
    return usageError(describeError(error), usage(command));
  }
  const out = masking(io, url);
  const where = `${redact(url)}${store.tablePrefix === '' ? '' : ` (table prefix ${store.tablePrefix})`}`;
  try {
    return await command.run({ args: rest, options: values as Record<string, string | boolean | undefined>, store, where, io: out });
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message, usage(command));
    out.err(`gatehouse: ${command.name} failed: ${failure(error)}`);
    return EXIT.failed;
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** Why a command failed, in a line: the cause first. */
function failure(error: unknown): string {
  if (error instanceof CommandFailure || error instanceof PromptCancelled) return error.message;
  if (isAuthError(error) && error.code !== 'STORAGE_FAILED') return `${describeError(error)} (${error.code})`;
  return describeError(error);
}
