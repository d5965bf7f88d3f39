#!/usr/bin/env node
/**
 * The `gatehouse` command (`npx gatehouse migrate --database-url …`); see `run-cli.ts`.
 * @packageDocumentation
 */
import { runCli } from './run-cli.js';

void runCli(process.argv.slice(2), { out: (line) => console.log(line), err: (line) => console.error(line), env: process.env }).then((code) => {
  process.exitCode = code;
});
