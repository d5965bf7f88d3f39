import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entries } from '../../tsup.config.js';
import { describeSql, SQL_KINDS } from '../support/sql-servers.js';
import { MIGRATIONS } from '../support/migrations.js';
import { jestTestFile, NEST_TSCONFIG, typescriptFile } from './cjs-tools.js';

const root = new URL('../..', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>;
  typesVersions: { '*': Record<string, string[]> };
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
/** Public entry names, e.g. `gatehouse`, `gatehouse/memory`. */
const entryNames = Object.keys(entries).map((name) => (name === 'index' ? 'gatehouse' : `gatehouse/${name.replace(/\/index$/, '')}`));
const FORBIDDEN_IN_CORE = ['pg', 'mysql2', 'kysely', 'nodemailer', 'express', 'fastify', 'ioredis', 'rate-limiter-flexible', '@node-rs/argon2'];

let work: string;
let files: string[];
/** The packed tarball's path. */
let tarball: string;
const run = (command: string, args: string[], cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });

/**
 * `npm install` of `packages` in `cwd` (none: the project's own), from npm's cache where it can.
 * With `--prefer-offline` npm trusts a cached package index however old: when a dependency
 * published since asks for a version that index lacks (seen: `mysql2@3.25.0` wanting
 * `sql-escaper@^1.10.0`), npm answers ETARGET. Then it asks the registry once more.
 */
function install(cwd: string, packages: string[] = []): void {
  const flags = ['--no-audit', '--no-fund'];
  try {
    run('npm', ['install', '--prefer-offline', ...flags, ...packages], cwd);
  } catch (error) {
    if (!String((error as { stderr?: unknown }).stderr).includes('ETARGET')) throw error;
    run('npm', ['install', '--prefer-online', ...flags, ...packages], cwd);
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'gatehouse-pack-'));
  // The tarball is made from a fresh build.
  run('npm', ['run', 'build'], root);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root)) as { filename: string; files: { path: string }[] }[];
  files = packed[0]!.files.map((f) => f.path).sort();
  const app = join(work, 'app');
  run('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  const peers = Object.entries(manifest.peerDependencies ?? {}).map(([name, range]) => `${name}@${range}`);
  tarball = join(work, packed[0]!.filename);
  install(app, [tarball, ...peers]);
  // A resolve hook that prints every module the app loads, for the tests of what loads when.
  writeFileSync(
    join(app, 'trace.mjs'),
    `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`export async function resolve(s, c, next) {
  const r = await next(s, c); process.stderr.write('RESOLVED ' + r.url + '\\\\n'); return r; }\`));`,
  );
}, 600_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds the build, README, CHANGELOG and LICENSE, and no sources, tests or examples', () => {
    for (const file of files) expect(file, file).toMatch(/^(dist\/.+\.(js|cjs|d\.ts|d\.cts)|README\.md|CHANGELOG\.md|LICENSE|package\.json)$/);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'LICENSE', 'package.json']));
  });

  it('builds every entry point as ESM, CJS and types, and maps each in exports', () => {
    for (const name of Object.keys(entries)) {
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) expect(files, `${name}.${ext}`).toContain(`dist/${name}.${ext}`);
    }
    const subpaths = entryNames.map((entry) => (entry === 'gatehouse' ? '.' : `./${entry.slice('gatehouse/'.length)}`));
    expect(Object.keys(manifest.exports).filter((key) => key !== './package.json').sort()).toEqual(subpaths.sort());
    // moduleResolution node reads no exports map: typesVersions names the types of every subpath.
    const typed = Object.entries(manifest.typesVersions['*']).map(([subpath, [file]]) => [`./${subpath}`, file]);
    expect(typed.map(([subpath]) => subpath).sort()).toEqual(subpaths.filter((subpath) => subpath !== '.').sort());
    for (const [subpath, file] of typed) expect(files, subpath).toContain(file!.slice(2));
  });

  it('every entry can be imported (ESM) and required (CJS), and all share one AuthError', () => {
    const app = join(work, 'app');
    const esm = `
      const core = await import('gatehouse');
      for (const name of ${JSON.stringify(entryNames)}) await import(name);
      const { MemoryAuthStore } = await import('gatehouse/memory');
      const store = new MemoryAuthStore();
      const user = { id: crypto.randomUUID(), email: 'a@example.com', name: 'A', passwordHash: null, status: 'active', statusReason: null, statusUntil: null,
        emailVerifiedAt: null, mustChangePassword: false, locale: null, attributes: {}, lastLoginAt: null, createdAt: new Date(), updatedAt: new Date() };
      await store.insertUser(user);
      const error = await store.insertUser({ ...user, id: crypto.randomUUID() }).catch((e) => e);
      console.log(JSON.stringify({ instance: error instanceof core.AuthError, brand: core.isAuthError(error, 'EMAIL_TAKEN') }));`;
    expect(JSON.parse(run('node', ['--input-type=module', '-e', esm], app))).toEqual({ instance: true, brand: true });

    const cjs = `
      const core = require('gatehouse');
      for (const name of ${JSON.stringify(entryNames)}) require(name);
      const { MemoryAuthStore } = require('gatehouse/memory');
      const store = new MemoryAuthStore();
      const user = { id: require('node:crypto').randomUUID(), email: 'a@example.com', name: 'A', passwordHash: null, status: 'active', statusReason: null, statusUntil: null,
        emailVerifiedAt: null, mustChangePassword: false, locale: null, attributes: {}, lastLoginAt: null, createdAt: new Date(), updatedAt: new Date() };
      store.insertUser(user).then(() => store.insertUser({ ...user, id: require('node:crypto').randomUUID() })).catch((error) => {
        console.log(JSON.stringify({ instance: error instanceof core.AuthError, brand: core.isAuthError(error, 'EMAIL_TAKEN') }));
      });`;
    expect(JSON.parse(run('node', ['-e', cjs], app))).toEqual({ instance: true, brand: true });
  });

  it('the framework and JWT entries load under require() although jose is ESM-only (Node >= 20.19), sharing the core and its HTTP layer', () => {
    const app = join(work, 'app');
    const cjs = `
      const core = require('gatehouse');
      const http = require('gatehouse/http');
      const jwt = require('gatehouse/jwt');
      const express = require('gatehouse/express');
      const fastify = require('gatehouse/fastify');
      const { MemoryAuthStore, MemoryMailer } = require('gatehouse/memory');
      const auth = core.createAuth({ store: new MemoryAuthStore(), mailer: new MemoryMailer() });
      const gate = express.expressAuth(auth);
      const error = http.toErrorResponse(new core.AuthError('FORBIDDEN'));
      jwt.generateAccessTokenKey().then((key) => jwt.createAccessTokens({ keys: [key] })).then((tokens) => {
        console.log(JSON.stringify({
          express: typeof gate.router, fastify: typeof fastify.fastifyAuth, jwks: tokens.jwks().keys.length,
          http: gate.http instanceof http.HttpAuth, status: error.status,
          frameworksExportNoJwt: ['createAccessTokens', 'generateAccessTokenKey', 'JwtAccessTokens'].filter((name) => name in express || name in fastify),
          coreExportsNoHttp: ['HttpAuth', 'toErrorResponse', 'SessionCookie', 'createAccessTokens'].filter((name) => name in core),
        }));
      });`;
    expect(JSON.parse(run('node', ['-e', cjs], app))).toEqual({ express: 'function', fastify: 'function', jwks: 1, http: true, status: 403, frameworksExportNoJwt: [], coreExportsNoHttp: [] });
    // The same in ES modules: one HttpAuth class behind gatehouse/http and the framework entries.
    const esm = `
      const [core, http, express, { MemoryAuthStore, MemoryMailer }] = await Promise.all([import('gatehouse'), import('gatehouse/http'), import('gatehouse/express'), import('gatehouse/memory')]);
      const auth = core.createAuth({ store: new MemoryAuthStore(), mailer: new MemoryMailer() });
      const denied = http.toErrorResponse(new core.AuthError('FORBIDDEN'));
      console.log(JSON.stringify({ http: express.expressAuth(auth).http instanceof http.HttpAuth, status: denied.status }));`;
    expect(JSON.parse(run('node', ['--input-type=module', '-e', esm], app))).toEqual({ http: true, status: 403 });
  });

  it('the SQL entries load their drivers and fail as the core’s STORAGE_FAILED (ESM and CJS); the gatehouse bin runs', () => {
    const app = join(work, 'app');
    const probe = (load: string) => `
      ${load}
      (async () => {
        const out = [];
        for (const store of [postgres.createPostgresStore({ url: 'postgres://u@127.0.0.1:1/none' }), mysql.createMysqlStore({ url: 'mysql://u@127.0.0.1:1/none' })]) {
          const error = await store.findUserById('00000000-0000-4000-8000-000000000000').catch((e) => e);
          out.push(error instanceof core.AuthError && core.isAuthError(error, 'STORAGE_FAILED'));
          await store.close();
        }
        console.log(JSON.stringify(out));
      })();`;
    const esm = probe("const [core, postgres, mysql] = await Promise.all([import('gatehouse'), import('gatehouse/postgres'), import('gatehouse/mysql')]);");
    expect(JSON.parse(run('node', ['--input-type=module', '-e', esm], app))).toEqual([true, true]);
    const cjs = probe("const core = require('gatehouse'), postgres = require('gatehouse/postgres'), mysql = require('gatehouse/mysql');");
    expect(JSON.parse(run('node', ['-e', cjs], app))).toEqual([true, true]);

    const help = spawnSync(join(app, 'node_modules', '.bin', 'gatehouse'), ['--help'], { cwd: app, encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: gatehouse <command>');
    expect(help.stdout).toMatch(/^ {2}migrate status +/m);
    const usage = spawnSync(join(app, 'node_modules', '.bin', 'gatehouse'), ['migrate'], { cwd: app, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
    expect(usage.status).toBe(2);
  });

  it('the password estimator (zxcvbn-ts) loads only when a password is first checked, not at import or createAuth()', () => {
    const app = join(work, 'app');
    // CommonJS, where require.cache tells synchronously what was loaded when.
    const script = `
      const loaded = () => Object.keys(require.cache).some((path) => path.includes('/node_modules/@zxcvbn-ts/'));
      const { createAuth } = require('gatehouse');
      const { MemoryAuthStore, MemoryMailer } = require('gatehouse/memory');
      const { TestPasswordHasher } = require('gatehouse/testing');
      const auth = createAuth({ store: new MemoryAuthStore(), mailer: new MemoryMailer(), hasher: new TestPasswordHasher() });
      const atStart = loaded();
      auth.accounts.register({ email: 'ana@example.com', password: 'correct horse battery staple', name: 'Ana' })
        .then(() => console.log(JSON.stringify({ atStart, afterRegister: loaded() })));`;
    expect(JSON.parse(run('node', ['-e', script], app))).toEqual({ atStart: false, afterRegister: true });
  });

  it('the Redis entry loads rate-limiter-flexible and fails as the core’s STORAGE_FAILED (ESM and CJS)', () => {
    const app = join(work, 'app');
    const probe = (load: string) => `
      ${load}
      const client = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      redis.createRedisRateLimitStore({ client }).hitRateLimit('k', { limit: 1, window: 60, at: new Date() }).catch((error) => {
        console.log(JSON.stringify([error instanceof core.AuthError, core.isAuthError(error, 'STORAGE_FAILED')]));
        client.disconnect();
      });`;
    const esm = probe("const [core, redis, { Redis }] = await Promise.all([import('gatehouse'), import('gatehouse/redis'), import('ioredis')]);");
    expect(JSON.parse(run('node', ['--input-type=module', '-e', esm], app))).toEqual([true, true]);
    const cjs = probe("const core = require('gatehouse'), redis = require('gatehouse/redis'), { Redis } = require('ioredis');");
    expect(JSON.parse(run('node', ['-e', cjs], app))).toEqual([true, true]);
  });

  it('importing the core loads no database driver or web framework', () => {
    const app = join(work, 'app');
    const traced = spawnSync('node', ['--import', './trace.mjs', '--input-type=module', '-e', "await import('gatehouse')"], { cwd: app, encoding: 'utf8' });
    expect(traced.status, traced.stderr).toBe(0);
    const resolved = traced.stderr.split('\n').filter((line) => line.startsWith('RESOLVED '));
    expect(resolved.some((line) => line.includes('/node_modules/gatehouse/dist/index.js'))).toBe(true);
    const cjsLoaded = JSON.parse(run('node', ['-e', "require('gatehouse'); console.log(JSON.stringify(Object.keys(require.cache)))"], app)) as string[];
    for (const name of FORBIDDEN_IN_CORE) {
      const pattern = new RegExp(`/node_modules/${name}/`);
      expect(resolved.filter((line) => pattern.test(line)), name).toEqual([]);
      expect(cjsLoaded.filter((path) => pattern.test(path)), name).toEqual([]);
    }
  });
});

describe('the npm package under CommonJS tooling: Jest on Node 20, TypeScript with moduleResolution node', () => {
  let project: string;
  const devDependencies = manifest.devDependencies ?? {};

  beforeAll(() => {
    project = join(work, 'cjs-tooling');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer-with-jest-and-nest-settings', private: true }));
    const peers = Object.entries(manifest.peerDependencies ?? {}).map(([name, range]) => `${name}@${range}`);
    // Jest from the npm registry into this project only: gatehouse itself does not depend on it.
    const tools = ['jest@^30', ...['@types/node', '@types/express', '@types/nodemailer'].map((name) => `${name}@${devDependencies[name]!}`)];
    install(project, [tarball, ...peers, ...tools]);
  }, 400_000);

  it('Jest requires every entry, signs a user in, and signs JWT access tokens (jose, ESM-only, is not required from node_modules)', () => {
    writeFileSync(join(project, 'entries.test.js'), jestTestFile(entryNames));
    const jest = spawnSync('node', [join(project, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--json', '--outputFile=jest-result.json'], {
      cwd: project,
      encoding: 'utf8',
    });
    const result = JSON.parse(readFileSync(join(project, 'jest-result.json'), 'utf8')) as { numPassedTests: number; numFailedTests: number; testResults: { message: string }[] };
    expect(result.numFailedTests, result.testResults.map((r) => r.message).join('\n') || jest.stderr).toBe(0);
    expect(result.numPassedTests).toBe(entryNames.length + 3);
  }, 120_000);

  it('plain require() of every entry loads no jose; making access tokens does (Node >= 20.19 requires it)', () => {
    const script = `
      for (const name of ${JSON.stringify(entryNames)}) require(name);
      const jose = () => Object.keys(require.cache).some((path) => path.includes('/node_modules/jose/'));
      const atImport = jose();
      require('gatehouse/jwt').generateAccessTokenKey()
        .then((key) => require('gatehouse/jwt').createAccessTokens({ keys: [key] }))
        .then((tokens) => console.log(JSON.stringify({ atImport, afterUse: jose(), keys: tokens.jwks().keys.length })));`;
    expect(JSON.parse(run('node', ['-e', script], project))).toEqual({ atImport: false, afterUse: true, keys: 1 });
  });

  it('TypeScript with module commonjs and moduleResolution node (NestJS) type-checks an import of every entry, with real types', () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(NEST_TSCONFIG));
    writeFileSync(join(project, 'index.ts'), typescriptFile(entryNames));
    const tsc = spawnSync('node', [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);
});

describe('the npm package where the argon2 binding is missing (a lockfile made on another platform)', () => {
  it('imports (ESM and CJS) and runs with a hasher of the app; the default hasher fails at first use with the fix in its message', () => {
    const app = join(work, 'no-argon2');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer-without-argon2-binary', private: true }));
    install(app, [tarball]);
    // What such an install lacks: the platform's binary package beside @node-rs/argon2 (e.g. @node-rs/argon2-linux-x64-gnu).
    const binaries = readdirSync(join(app, 'node_modules', '@node-rs')).filter((name) => name.startsWith('argon2-'));
    expect(binaries.length).toBeGreaterThan(0);
    for (const name of binaries) rmSync(join(app, 'node_modules', '@node-rs', name), { recursive: true });
    expect(spawnSync('node', ['-e', "require('@node-rs/argon2')"], { cwd: app, encoding: 'utf8' }).stderr).toContain('Cannot find native binding');

    const script = `
      import { scrypt, randomBytes, timingSafeEqual } from 'node:crypto';
      import { promisify } from 'node:util';
      import { createAuth, Argon2PasswordHasher } from 'gatehouse';
      import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
      const derive = promisify(scrypt);
      const own = {
        async hash(password) { const salt = randomBytes(16); return 'scrypt$' + salt.toString('hex') + '$' + (await derive(password, salt, 32)).toString('hex'); },
        async verify(hash, password) { const [, salt, key] = hash.split('$'); return timingSafeEqual(Buffer.from(key, 'hex'), await derive(password, Buffer.from(salt, 'hex'), 32)); },
        needsRehash: () => false,
      };
      const input = { email: 'ana@example.com', password: 'correct horse battery staple', name: 'Ana' };
      const mailer = new MemoryMailer();
      const auth = createAuth({ store: new MemoryAuthStore(), mailer, hasher: own });
      await auth.accounts.register(input);
      await auth.accounts.activate({ key: mailer.last().key });
      const { token } = await auth.sessions.login({ email: input.email, password: input.password });
      const withDefault = createAuth({ store: new MemoryAuthStore(), mailer: new MemoryMailer() });
      const failures = await Promise.all([
        withDefault.accounts.register(input).catch((error) => error),
        new Argon2PasswordHasher().verify('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g', 'x').catch((error) => error),
      ]);
      console.log(JSON.stringify({ signedIn: (await auth.sessions.validate(token)) !== null, failures: failures.map((error) => error.message) }));`;
    const result = JSON.parse(run('node', ['--input-type=module', '-e', script], app)) as { signedIn: boolean; failures: string[] };
    expect(result.signedIn).toBe(true);
    for (const message of result.failures) {
      expect(message).toContain('the argon2 binding (@node-rs/argon2)');
      expect(message).toContain('npm rebuild @node-rs/argon2');
      expect(message).toContain('npm install --force');
      expect(message).toContain('createAuth({ hasher })');
    }
    expect(result.failures).toHaveLength(2);
    const required = spawnSync('node', ['-e', "require('gatehouse'); require('gatehouse/memory'); require('gatehouse/testing')"], { cwd: app, encoding: 'utf8' });
    expect(required.status, required.stderr).toBe(0);
  }, 240_000);
});

/** Projects of their own on one Kysely, into which the packed gatehouse was then installed, by Kysely version. */
const projects = new Map<string, string>();

/** A project depending on Kysely `^<version>.0` (and both drivers), with `npm i gatehouse` run after: ERESOLVE throws here. */
function projectBeside(kysely: '0.28' | '0.29'): string {
  const known = projects.get(kysely);
  if (known !== undefined) return known;
  const app = join(work, `kysely-${kysely}`);
  mkdirSync(app);
  const dependencies = { kysely: `^${kysely}.0`, pg: manifest.peerDependencies!['pg'], mysql2: manifest.peerDependencies!['mysql2'] };
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: `consumer-of-kysely-${kysely}`, private: true, dependencies }));
  install(app);
  install(app, [tarball]);
  projects.set(kysely, app);
  return app;
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: the packed gatehouse beside Kysely 0.28 and 0.29`, (db) => {
    for (const kysely of ['0.28', '0.29'] as const) {
      it(`Kysely ${kysely}: npm i gatehouse resolves without ERESOLVE; the bin migrates and the CJS entry reads the migration status`, () => {
        const app = projectBeside(kysely);
        const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'kysely', 'package.json'), 'utf8')) as { version: string };
        expect(installed.version.startsWith(`${kysely}.`), installed.version).toBe(true);
        const prefix = `k${kysely.replace('.', '')}_`;
        const migrated = spawnSync(join(app, 'node_modules', '.bin', 'gatehouse'), ['migrate', '--database-url', db.url, '--table-prefix', prefix], { cwd: app, encoding: 'utf8' });
        expect(migrated.status, migrated.stderr).toBe(0);
        expect(migrated.stdout).toContain(`applied ${MIGRATIONS.at(-1)}`);
        // CommonJS too (Kysely 0.29 ships ES modules only: require() of them needs Node >= 20.19).
        const factory = kind === 'postgres' ? 'createPostgresStore' : 'createMysqlStore';
        const script = `
          const { ${factory} } = require('gatehouse/${kind}');
          const store = ${factory}({ url: ${JSON.stringify(db.url)} }, { tablePrefix: '${prefix}' });
          store.migrationStatus().then(async (status) => {
            console.log(JSON.stringify({ applied: status.applied.map((m) => m.name), pending: status.pending }));
            await store.close();
          });`;
        expect(JSON.parse(run('node', ['-e', script], app))).toEqual({ applied: MIGRATIONS, pending: [] });
      }, 240_000);
    }
  });
}
