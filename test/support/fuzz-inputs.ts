/**
 * A property-based test (fast-check) of every public input of every service: each field of
 * each call — and each whole input — gets arbitrary JSON values and hostile ones (objects
 * whose `toString` is not callable, NUL bytes, lone surrogates, CR/LF, huge strings and
 * numbers). The only acceptable outcomes are success, `VALIDATION_FAILED`, or the documented
 * domain code a well-formed input may meet (`INVALID_CREDENTIALS` for a wrong password, …):
 * never a `TypeError`, never `STORAGE_FAILED`. Run on the memory store (test/unit) and on
 * PostgreSQL and MariaDB (test/sql), which refuse text the memory store would keep.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { isAuthError, type AuthContext, type AuthErrorCode, type AuthStore } from 'gatehouse';
import { PASSWORD, signIn, uniqueEmail, type Harness } from './harness.js';
import { member, shop } from './shop.js';

/** Values no schema expects: `{"length":{"toString":null}}` made zod throw a TypeError in safeParse. */
const HOSTILE: readonly unknown[] = [
  JSON.parse('{"length":{"toString":null}}'),
  JSON.parse('{"toString":null,"valueOf":null}'),
  JSON.parse('{"toString":{"toString":null}}'),
  JSON.parse('[{"length":{"toString":null}}]'),
  JSON.parse('{"__proto__":{"toString":null}}'),
  JSON.parse('{"constructor":{"prototype":null}}'),
  { length: 1e9 },
  [],
  [null],
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udfffy',
  'Ana\r\nBcc: x@evil.example',
  '\u2028',
  'x'.repeat(5000),
  -0,
  1e308,
  -1,
  2 ** 53,
  true,
  null,
  '2030-01-01T00:00:00Z',
  'admin',
  '*',
];

/** Any JSON value, a hostile one, or any string of UTF-16 code units (lone surrogates included). */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(...HOSTILE),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 24 }).map((codes) => String.fromCharCode(...codes)),
);

/** One public call: its named parts (the fields of its input, its positional arguments), a valid example, and the codes it may answer. */
interface Entry {
  readonly name: string;
  readonly valid: Record<string, unknown>;
  readonly call: (parts: Record<string, unknown>) => Promise<unknown>;
  readonly allowed?: readonly AuthErrorCode[];
  /** Whether the whole first input may be replaced (an input object), besides each field. */
  readonly whole?: boolean;
}

/** Everything the calls act on: a seeded shop with an administrator, signed-in users and two-step verification on. */
async function world(store: AuthStore | undefined) {
  const h = await shop({
    ...(store === undefined ? {} : { store }),
    twoFactor: { encryptionKey: '0123456789abcdef'.repeat(4) },
    registration: { defaultRole: 'customer', fields: { nationalId: z.string().regex(/^[VE]-\d{6,9}$/).optional() } },
  });
  const admin = await member(h, ['admin']);
  const target = await member(h, ['customer']);
  const self = async (): Promise<AuthContext> => (await member(h, ['customer'])).context;
  return { h, admin: admin.context, target: target.user.id, self: { profile: await self(), password: await self(), twoFactor: await self(), sessions: await self() } };
}

const omit = (parts: Record<string, unknown>, ...names: string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(parts).filter(([name]) => !names.includes(name)));

function entries(w: Awaited<ReturnType<typeof world>>): Entry[] {
  const { h, admin, target, self } = w;
  const a = h.auth;
  const key = 'k'.repeat(43);
  return [
    { name: 'accounts.register', whole: true, valid: { email: 'fuzz@example.com', password: PASSWORD, name: 'Ana', locale: 'es', nationalId: 'V-1234567' }, call: (p) => a.accounts.register(p as never), allowed: ['WEAK_PASSWORD', 'EMAIL_TAKEN'] },
    { name: 'accounts.isEmailAvailable', valid: { email: 'a@example.com' }, call: (p) => a.accounts.isEmailAvailable(p['email'] as never) },
    { name: 'accounts.activate', whole: true, valid: { key }, call: (p) => a.accounts.activate(p as never), allowed: ['KEY_INVALID'] },
    { name: 'accounts.resendActivation', whole: true, valid: { email: 'a@example.com' }, call: (p) => a.accounts.resendActivation(p as never) },
    { name: 'accounts.updateProfile', whole: true, valid: { name: 'Ana', locale: 'es', nationalId: 'V-1234567' }, call: (p) => a.accounts.updateProfile(self.profile, p as never) },
    { name: 'accounts.requestEmailChange', whole: true, valid: { newEmail: 'new@example.com', currentPassword: PASSWORD }, call: (p) => a.accounts.requestEmailChange(self.profile, p as never), allowed: ['INVALID_CREDENTIALS', 'RATE_LIMITED', 'EMAIL_TAKEN'] },
    { name: 'accounts.confirmEmailChange', whole: true, valid: { key }, call: (p) => a.accounts.confirmEmailChange(p as never), allowed: ['KEY_INVALID'] },
    { name: 'sessions.login', whole: true, valid: { email: 'a@example.com', password: PASSWORD, rememberMe: true }, call: (p) => a.sessions.login(p as never, { ip: '203.0.113.5', userAgent: 'fuzz\u0000' }), allowed: ['INVALID_CREDENTIALS', 'RATE_LIMITED'] },
    { name: 'sessions.verifyTwoFactor', whole: true, valid: { challenge: key, code: '123456', rememberMe: false }, call: (p) => a.sessions.verifyTwoFactor(p as never), allowed: ['KEY_INVALID'] },
    { name: 'sessions.revoke', valid: { id: '00000000-0000-4000-8000-000000000000' }, call: (p) => a.sessions.revoke(self.sessions, p['id'] as never), allowed: ['NOT_FOUND'] },
    { name: 'passwords.requestReset', whole: true, valid: { email: 'a@example.com' }, call: (p) => a.passwords.requestReset(p as never) },
    { name: 'passwords.reset', whole: true, valid: { key, password: 'a brand new passphrase' }, call: (p) => a.passwords.reset(p as never), allowed: ['KEY_INVALID'] },
    { name: 'passwords.change', whole: true, valid: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' }, call: (p) => a.passwords.change(self.password, p as never), allowed: ['INVALID_CREDENTIALS', 'RATE_LIMITED', 'WEAK_PASSWORD', 'PASSWORD_REUSED'] },
    { name: 'twoFactor.enrol', whole: true, valid: { password: PASSWORD }, call: (p) => a.twoFactor.enrol(self.twoFactor, p as never), allowed: ['INVALID_CREDENTIALS', 'RATE_LIMITED', 'CONFLICT'] },
    { name: 'twoFactor.confirm', whole: true, valid: { code: '123456' }, call: (p) => a.twoFactor.confirm(self.twoFactor, p as never), allowed: ['CONFLICT', 'TWO_FACTOR_INVALID'] },
    { name: 'twoFactor.regenerateRecoveryCodes', whole: true, valid: { password: PASSWORD }, call: (p) => a.twoFactor.regenerateRecoveryCodes(self.twoFactor, p as never), allowed: ['INVALID_CREDENTIALS', 'RATE_LIMITED', 'CONFLICT'] },
    { name: 'twoFactor.disable', whole: true, valid: { password: PASSWORD }, call: (p) => a.twoFactor.disable(self.twoFactor, p as never), allowed: ['INVALID_CREDENTIALS', 'RATE_LIMITED'] },
    { name: 'twoFactor.reset', valid: { id: target }, call: (p) => a.twoFactor.reset(admin, p['id'] as never), allowed: ['NOT_FOUND'] },
    { name: 'users.list', whole: true, valid: { status: 'active', role: 'customer', q: 'ana', page: 1, pageSize: 10 }, call: (p) => a.users.list(admin, p as never) },
    { name: 'users.get', valid: { id: target }, call: (p) => a.users.get(admin, p['id'] as never), allowed: ['NOT_FOUND'] },
    { name: 'users.summary', valid: { id: target }, call: (p) => a.users.summary(admin, p['id'] as never), allowed: ['NOT_FOUND'] },
    {
      name: 'users.create',
      whole: true,
      valid: { email: 'created@example.com', name: 'Bo', password: PASSWORD, roles: [{ code: 'customer' }], locale: 'en', mustChangePassword: true, emailVerified: false, nationalId: 'E-1234567' },
      call: (p) => a.users.create(admin, p as never),
      allowed: ['WEAK_PASSWORD', 'EMAIL_TAKEN'],
    },
    { name: 'users.edit', valid: { id: target, name: 'Bo', email: 'edited@example.com', password: 'a brand new passphrase', locale: null, nationalId: 'V-7654321' }, call: (p) => a.users.edit(admin, p['id'] as never, omit(p, 'id') as never), allowed: ['NOT_FOUND', 'WEAK_PASSWORD', 'EMAIL_TAKEN'] },
    { name: 'users.block', valid: { id: target, reason: 'Chargebacks', until: '2031-01-01T00:00:00Z' }, call: (p) => a.users.block(admin, p['id'] as never, omit(p, 'id') as never), allowed: ['NOT_FOUND'] },
    { name: 'users.suspend', valid: { id: target, reason: 'Spam', until: null }, call: (p) => a.users.suspend(admin, p['id'] as never, omit(p, 'id') as never), allowed: ['NOT_FOUND'] },
    ...(['approve', 'toggle', 'unblock', 'delete', 'forcePasswordChange'] as const).map((method) => ({
      name: `users.${method}`,
      valid: { id: target },
      call: (p: Record<string, unknown>) => a.users[method](admin, p['id'] as never),
      allowed: ['NOT_FOUND', 'CONFLICT'] as AuthErrorCode[],
    })),
    { name: 'users.setRoles', valid: { id: target, roles: [{ code: 'customer', expiresAt: null }] }, call: (p) => a.users.setRoles(admin, p['id'] as never, p['roles'] as never), allowed: ['NOT_FOUND'] },
    { name: 'users.assignRole', valid: { id: target, role: { code: 'seller', expiresAt: '2031-01-01' } }, call: (p) => a.users.assignRole(admin, p['id'] as never, p['role'] as never), allowed: ['NOT_FOUND'] },
    { name: 'users.removeRole', valid: { id: target, code: 'seller' }, call: (p) => a.users.removeRole(admin, p['id'] as never, p['code'] as never), allowed: ['NOT_FOUND'] },
    { name: 'roles.getRole', valid: { code: 'customer' }, call: (p) => a.roles.getRole(admin, p['code'] as never), allowed: ['NOT_FOUND'] },
    { name: 'roles.createRole', whole: true, valid: { code: 'clerk', name: 'Clerk', description: 'Counts.', level: 5, active: true, permissions: ['orders:view'] }, call: (p) => a.roles.createRole(admin, p as never), allowed: ['CONFLICT'] },
    { name: 'roles.updateRole', valid: { code: 'seller', name: 'Vendor', description: 'Sells.', level: 21, active: true }, call: (p) => a.roles.updateRole(admin, p['code'] as never, omit(p, 'code') as never), allowed: ['NOT_FOUND'] },
    { name: 'roles.createPermission', whole: true, valid: { code: 'shop:open', name: 'Open the shop', active: true }, call: (p) => a.roles.createPermission(admin, p as never), allowed: ['CONFLICT'] },
    { name: 'roles.updatePermission', valid: { code: 'orders:view', name: 'See orders', active: true }, call: (p) => a.roles.updatePermission(admin, p['code'] as never, omit(p, 'code') as never), allowed: ['NOT_FOUND'] },
    { name: 'roles.grantPermission', valid: { role: 'seller', permission: 'reports:export' }, call: (p) => a.roles.grantPermission(admin, p['role'] as never, p['permission'] as never), allowed: ['NOT_FOUND'] },
    { name: 'roles.revokePermission', valid: { role: 'seller', permission: 'reports:export' }, call: (p) => a.roles.revokePermission(admin, p['role'] as never, p['permission'] as never), allowed: ['NOT_FOUND'] },
    { name: 'audit.query', whole: true, valid: { subjectId: target, actorId: target, action: 'login.', from: '2029-01-01', to: '2031-01-01', page: 1, pageSize: 5 }, call: (p) => a.audit.query(admin, p as never) },
    { name: 'audit.purge', whole: true, valid: { olderThan: 86_400 * 365 }, call: (p) => a.audit.purge(admin, p as never) },
  ];
}

/** What an outcome was, for the assertion message. */
function outcome(error: unknown): string {
  if (error === undefined) return 'resolved';
  if (isAuthError(error)) return error.code;
  return `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
}

/**
 * Declares one test per public call. `store` gives the store of a fresh world (undefined: the
 * memory store); `numRuns` bounds each call's generated cases; the seed is fixed.
 */
export function fuzzEveryInput(store: () => Promise<AuthStore | undefined>, options: { numRuns: number; seed?: number }): void {
  let shared: { w: Awaited<ReturnType<typeof world>>; list: Entry[] } | undefined;
  const setUp = async () => {
    if (shared === undefined) {
      const w = await world(await store());
      shared = { w, list: entries(w) };
    }
    return shared;
  };
  // The names are known before any world exists: the calls themselves are only read in the tests.
  const names = entries({ h: { auth: {} } as Harness, admin: null as never, target: '', self: null as never }).map((entry) => entry.name);
  for (const name of names) {
    it(`${name}() answers any JSON value in any field with success, VALIDATION_FAILED or its documented codes`, async () => {
      const { w, list } = await setUp();
      const entry = list.find((candidate) => candidate.name === name)!;
      const fields = [...Object.keys(entry.valid), ...(entry.whole ? ['(whole input)'] : [])];
      const allowed = new Set<string>(['resolved', 'VALIDATION_FAILED', ...(entry.allowed ?? [])]);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...fields), anyValue, async (field, value) => {
          const parts = field === '(whole input)' ? (value as Record<string, unknown>) : { ...entry.valid, [field]: value };
          const error = await entry.call(parts).then(
            () => undefined,
            (e: unknown) => e,
          );
          await w.h.auth.drain();
          const result = outcome(error);
          expect(allowed.has(result), `${name} with ${field} = ${JSON.stringify(value)?.slice(0, 80)}: ${result}`).toBe(true);
        }),
        { numRuns: options.numRuns, seed: options.seed ?? 15, endOnFailure: true },
      );
    });
  }
  it('afterwards, the users and sessions made for the run still work (nothing was left half-written)', async () => {
    const { w } = await setUp();
    const email = uniqueEmail();
    await w.h.auth.users.create(w.h.auth.system, { email, name: 'After', password: PASSWORD, emailVerified: true, mustChangePassword: false });
    await expect(signIn(w.h, email)).resolves.toHaveProperty('token');
  });
}
