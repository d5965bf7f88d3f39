/**
 * The projects the packaging test installs the packed gatehouse into to try it under
 * CommonJS tooling: a Jest project (Jest's own module system, which cannot require() an ES
 * module whatever Node allows) and a TypeScript project as NestJS sets one up
 * (`module: commonjs`, `moduleResolution: node`, which reads no `exports` map).
 */

/** The Jest project's test file: every entry required, the core used, JWT access tokens signed. */
export function jestTestFile(entryNames: readonly string[]): string {
  return `
const entries = ${JSON.stringify(entryNames)};

test.each(entries)('require(%s) loads', (name) => {
  expect(Object.keys(require(name)).length).toBeGreaterThan(0);
});

test('a user registers, activates and signs in, and the stores share the core’s AuthError', async () => {
  const core = require('gatehouse');
  const { MemoryAuthStore, MemoryMailer } = require('gatehouse/memory');
  const mailer = new MemoryMailer();
  const auth = core.createAuth({ store: new MemoryAuthStore(), mailer });
  const input = { email: 'ana@example.com', password: 'correct horse battery staple', name: 'Ana' };
  await auth.accounts.register(input);
  await auth.accounts.activate({ key: mailer.last().key });
  const { token } = await auth.sessions.login({ email: input.email, password: input.password });
  expect(await auth.sessions.validate(token)).not.toBeNull();
  const again = await auth.accounts.register(input).catch((error) => error);
  expect(again instanceof core.AuthError && core.isAuthError(again, 'EMAIL_TAKEN')).toBe(true);
});

test('JWT access tokens load jose (ES modules only) when first made: under Jest, the failure names the fix', async () => {
  const { generateAccessTokenKey, createAccessTokens } = require('gatehouse/jwt');
  for (const attempt of [generateAccessTokenKey(), createAccessTokens({ keys: [{ kid: 'k', alg: 'EdDSA', publicKey: {} }] })]) {
    const error = await attempt.catch((e) => e);
    expect(error.message).toContain('JWT access tokens need jose');
    expect(error.message).toContain('--experimental-vm-modules');
  }
});

test('the Express and Fastify entries wrap the core', () => {
  const core = require('gatehouse');
  const { MemoryAuthStore, MemoryMailer } = require('gatehouse/memory');
  const auth = core.createAuth({ store: new MemoryAuthStore(), mailer: new MemoryMailer() });
  expect(typeof require('gatehouse/express').expressAuth(auth).router).toBe('function');
  expect(typeof require('gatehouse/fastify').fastifyAuth).toBe('function');
});
`;
}

/** NestJS's TypeScript settings, strict. */
export const NEST_TSCONFIG = {
  compilerOptions: {
    module: 'commonjs',
    moduleResolution: 'node',
    target: 'ES2022',
    strict: true,
    esModuleInterop: true,
    // NestJS's default: ioredis's own declarations name an untyped module.
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  },
  files: ['index.ts'],
};

/** A TypeScript file importing every entry, with uses that fail to compile if a type resolved to `any`. */
export function typescriptFile(entryNames: readonly string[]): string {
  const namespaces = entryNames.map((name, index) => `import * as entry${index} from '${name}';`).join('\n');
  return `${namespaces}
import { createAuth, isAuthError, type AuthError } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { expressAuth } from 'gatehouse/express';
import { createPostgresStore, transactionKysely } from 'gatehouse/postgres';
import { createAccessTokens } from 'gatehouse/jwt';
import { HttpAuth, toErrorResponse } from 'gatehouse/http';

export const entries = [${entryNames.map((_, index) => `entry${index}`).join(', ')}];

const auth = createAuth({ store: new MemoryAuthStore(), mailer: new MemoryMailer() });
export const router = expressAuth(auth).router;
// The HTTP layer's declarations name the core's own types: an Auth from gatehouse fits, and
// an HttpAuth from gatehouse/http is the one the framework entry holds.
export const http: HttpAuth = expressAuth(auth).http;
export const layer = new HttpAuth(auth, { trustedOrigins: ['https://shop.example'] });
export const status: number = toErrorResponse(new Error('x')).status;
export const store = createPostgresStore({ url: 'postgres://localhost/app' }, { tablePrefix: 'auth_' });
export const tokens = createAccessTokens;
export const kysely = transactionKysely;
export function code(error: unknown): string | null {
  return isAuthError(error) ? (error as AuthError).code : null;
}
// The declarations are real, not \`any\`: each of these must fail to compile.
// @ts-expect-error — a number is not a store
createAuth({ store: 1, mailer: new MemoryMailer() });
// @ts-expect-error — register() takes an object
void auth.accounts.register('ana@example.com');
// @ts-expect-error — HttpAuth takes an Auth
new HttpAuth({});
// @ts-expect-error — no such option
createPostgresStore({ url: 'postgres://localhost/app' }, { tablePrefx: 'auth_' });
`;
}
