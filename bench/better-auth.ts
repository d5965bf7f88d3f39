/**
 * Sign-in beside Better Auth (issue 21's target: at least its throughput), both on a fresh
 * database of the same server, both hashing with `@node-rs/argon2` at gatehouse's default
 * argon2id parameters, in alternating rounds at concurrency 1, 2, 4 and 8. Each worker signs in
 * as a user of its own. Better Auth's rate limiter is off (gatehouse's lockout stays on: it is
 * part of the cost of a sign-in).
 *
 * Better Auth is not a dependency of gatehouse: the first run installs the pinned version into
 * `.scratch/bench-peers` (ignored by git), from the npm registry. Runs only when named:
 * `npm run bench -- better-auth`.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { Argon2PasswordHasher, createAuth } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { createMysqlStore } from 'gatehouse/mysql';
import { createPostgresStore } from 'gatehouse/postgres';
import type { Benchmark, Figure } from './run.js';
import { onScratchDatabase, sideBySide, type ScratchPool } from './support/side-by-side.js';

export const onlyWhenNamed = true;

const BETTER_AUTH_VERSION = '1.7.25';
const PEERS = join(import.meta.dirname, '..', '.scratch', 'bench-peers');
const PASSWORD = 'correct horse battery staple';
/** gatehouse's default argon2id parameters (Argon2PasswordHasher). */
const ARGON2 = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
const LEVELS = [1, 2, 4, 8] as const;
const USERS = 8;

/** The part of Better Auth this bench calls. */
interface BetterAuth {
  api: {
    signUpEmail(request: { body: { email: string; password: string; name: string } }): Promise<unknown>;
    signInEmail(request: { body: { email: string; password: string }; headers: Headers }): Promise<{ token: string | null }>;
  };
}
interface BetterAuthModules {
  betterAuth(options: object): BetterAuth;
  getMigrations(options: object): Promise<{ runMigrations(): Promise<void> }>;
}

/** Better Auth from `.scratch/bench-peers`, installed there on first use. */
async function betterAuthModules(): Promise<BetterAuthModules> {
  const root = join(PEERS, 'node_modules', 'better-auth');
  if (!existsSync(join(root, 'package.json'))) {
    mkdirSync(PEERS, { recursive: true });
    writeFileSync(join(PEERS, 'package.json'), '{ "private": true }\n');
    console.error(`[bench] installing better-auth@${BETTER_AUTH_VERSION} into ${PEERS}`);
    execFileSync('npm', ['install', '--prefix', PEERS, '--no-audit', '--no-fund', '--loglevel=error', `better-auth@${BETTER_AUTH_VERSION}`], { stdio: 'inherit' });
  }
  const entry = (path: string): string => pathToFileURL(join(root, 'dist', path)).href;
  const { betterAuth } = (await import(entry('index.mjs'))) as Pick<BetterAuthModules, 'betterAuth'>;
  const { getMigrations } = (await import(entry('db/get-migration.mjs'))) as Pick<BetterAuthModules, 'getMigrations'>;
  return { betterAuth, getMigrations };
}

/** Better Auth on its own scratch database, with `USERS` users; resolves their sign-in. */
async function betterAuthSignIn(modules: BetterAuthModules, scratch: ScratchPool): Promise<(worker: number) => Promise<unknown>> {
  const options = {
    // Better Auth takes mysql2's promise pool (it hands Kysely the callback pool inside it).
    database: scratch.kind === 'postgres' ? scratch.pool : scratch.pool.promise(),
    secret: randomUUID() + randomUUID(),
    baseURL: 'http://localhost:3000',
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
    emailAndPassword: {
      enabled: true,
      password: { hash: (password: string) => argonHash(password, ARGON2), verify: ({ hash, password }: { hash: string; password: string }) => argonVerify(hash, password) },
    },
  };
  await (await modules.getMigrations(options)).runMigrations();
  const auth = modules.betterAuth(options);
  const emails = Array.from({ length: USERS }, (_, i) => `ba${i}-${randomUUID().slice(0, 8)}@example.com`);
  for (const email of emails) await auth.api.signUpEmail({ body: { email, password: PASSWORD, name: 'Bench' } });
  const headers = new Headers({ 'user-agent': 'bench/1.0', 'x-forwarded-for': '203.0.113.10' });
  return async (worker) => {
    const { token } = await auth.api.signInEmail({ body: { email: emails[worker % USERS]!, password: PASSWORD }, headers });
    if (token === null) throw new Error('a Better Auth sign-in failed');
  };
}

/** gatehouse on its own scratch database, with `USERS` active users; resolves their sign-in. */
async function gatehouseSignIn(scratch: ScratchPool): Promise<(worker: number) => Promise<unknown>> {
  const store = scratch.kind === 'postgres' ? createPostgresStore({ pool: scratch.pool }) : createMysqlStore({ pool: scratch.pool });
  await store.migrate();
  const auth = createAuth({ store, mailer: new MemoryMailer(), hasher: new Argon2PasswordHasher(), registration: { requireEmailVerification: false } });
  const emails = Array.from({ length: USERS }, (_, i) => `gh${i}-${randomUUID().slice(0, 8)}@example.com`);
  for (const email of emails) await auth.accounts.register({ email, password: PASSWORD, name: 'Bench' });
  const client = { ip: '203.0.113.10', userAgent: 'bench/1.0' };
  return (worker) => auth.sessions.login({ email: emails[worker % USERS]!, password: PASSWORD }, client);
}

/** Both sign-ins on one server, side by side at each concurrency. */
async function compare(kind: 'postgres' | 'mysql', label: string, modules: BetterAuthModules, emit: (figure: Figure) => void): Promise<void> {
  await onScratchDatabase(kind, (ours) =>
    onScratchDatabase(kind, async (theirs) => {
      const gatehouse = await gatehouseSignIn(ours);
      const betterAuth = await betterAuthSignIn(modules, theirs);
      for (const concurrency of LEVELS) {
        // The share is the median of the pairs' gatehouse / Better Auth ratios (b over a).
        const { rates: [other, own], ratio } = await sideBySide(betterAuth, gatehouse, concurrency);
        emit({ name: `${label}: sessions.login(), concurrency ${concurrency}`, value: Math.round(own * 10) / 10, unit: 'ops/s' });
        emit({ name: `${label}: Better Auth signInEmail (argon2id), concurrency ${concurrency}`, value: Math.round(other * 10) / 10, unit: 'ops/s' });
        emit({ name: `${label}: gatehouse sign-in as a share of Better Auth's, concurrency ${concurrency} (target ≥ 100%)`, value: Math.round(ratio * 1000) / 10, unit: '%' });
      }
    }),
  );
}

export const run: Benchmark = async (emit) => {
  const modules = await betterAuthModules();
  await compare('mysql', 'MySQL/MariaDB', modules, emit);
  await compare('postgres', 'PostgreSQL', modules, emit);
};
