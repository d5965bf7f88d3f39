import type { SqlAuthStore } from '../sql/sql-auth-store.js';
import type { Terminal } from './hidden-prompt.js';

/** Where the CLI writes and what it reads; the real process's by default. */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The terminal a password is asked on, with echo off; absent when stdin is not a TTY (a password is then generated). */
  readonly terminal?: Terminal | undefined;
  /** Redraws one status line in place (a progress bar); absent when stderr is not a terminal. */
  readonly progress?: ((line: string) => void) | undefined;
}

/** Exit codes: 0 done, 1 the command failed (the message says why), 2 the command line is wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** An option of one command, with its line of help. */
export interface CliOption {
  readonly type: 'string' | 'boolean';
  /** What the value is called in the help (`<email>`); string options only. */
  readonly value?: string;
  readonly help: string;
}

/** What a command runs with: its arguments and options, checked against its declaration, and the store. */
export interface CommandInput {
  /** The arguments after the command's words. */
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  /** The store on `--database-url`, with `--table-prefix`; closed by the runner. */
  readonly store: SqlAuthStore;
  /** The database, for messages: the URL with its password masked, and the table prefix. */
  readonly where: string;
  readonly io: CliIo;
}

/** One command of `gatehouse`, e.g. `users set-roles`. */
export interface CliCommand {
  /** Its words, e.g. `users set-roles`. */
  readonly name: string;
  /** What follows the words in the usage line, e.g. `<email> <role[:YYYY-MM-DD]>…`. */
  readonly synopsis: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** What it does, in a few lines, for its `--help`. */
  readonly description: string;
  /** How many arguments it takes after its words. */
  readonly arity: { readonly min: number; readonly max: number };
  /** Options of its own, beside `--database-url`, `--table-prefix` and `--help`. */
  readonly options?: Readonly<Record<string, CliOption>>;
  /** Runs it and resolves the exit code; throws {@link UsageError} for a wrong argument. */
  run(input: CommandInput): Promise<number>;
}

/** A wrong command line found by a command (a malformed date, a missing option): exit code 2 with the usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that could not be done for a reason the message states (no such account): exit code 1. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
}

/** `n thing` or `n things`. */
export const count = (n: number, thing: string): string => `${n} ${thing}${n === 1 ? '' : 's'}`;
