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
}).then((code) => {
  process.exitCode = code;
});
