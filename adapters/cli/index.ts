#!/usr/bin/env node
/**
 * The `gatehouse` command (`npx gatehouse migrate --database-url …`); see `run-cli.ts`.
 * @packageDocumentation
 */
import { runCli } from './run-cli.js';

void runCli(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: process.env,
  // Passwords are asked for only on a terminal; prompts go to stderr, so that stdout stays the command's output.
  terminal: process.stdin.isTTY ? { input: process.stdin, output: process.stderr } : undefined,
  // A progress line only where a person watches it; a log file gets the summary alone.
  progress: process.stderr.isTTY ? (line) => void process.stderr.write(`\r\u001b[K${line}`) : undefined,
}).then((code) => {
  process.exitCode = code;
});
