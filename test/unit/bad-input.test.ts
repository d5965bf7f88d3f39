import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isAuthError, type AuthError } from 'gatehouse';
import { activeUser, harness, PASSWORD, rowCounts, signIn, type Harness } from '../support/harness.js';

const HUGE = 'x'.repeat(10 * 1024);
const SQL = "x' OR '1'='1'; DROP TABLE users; --";
const HTML = '<script>alert(1)</script>';
const UNICODE = 'ｊｏｓé＠ｅｘａｍｐｌｅ．ｃｏｍ';

/** An input that must be refused, and the field the refusal must name. */
type Case = readonly [label: string, input: unknown, field: string | null];

function badValues(field: string, valid: Record<string, unknown>, bad: readonly unknown[]): Case[] {
  const cases: Case[] = [
    [`${field} missing`, Object.fromEntries(Object.entries(valid).filter(([k]) => k !== field)), field],
    [`${field} null`, { ...valid, [field]: null }, field],
    [`${field} a number`, { ...valid, [field]: 12345 }, field],
    [`${field} an object`, { ...valid, [field]: { $ne: null } }, field],
    [`${field} an array`, { ...valid, [field]: ['a'] }, field],
  ];
  for (const value of bad) cases.push([`${field} = ${String(value).slice(0, 24)}`, { ...valid, [field]: value }, field]);
  return cases;
}

const notAnObject: Case[] = [
  ['input null', null, null],
  ['input a string', 'email=a@b.c', null],
  ['input an array', [], null],
];

const emailBad = ['', '   ', HUGE + '@example.com', SQL, HTML, UNICODE, 'a@b', '"a@evil.example"@victim.example', 'a@example.com\r\nBcc: x@evil.example'];
const keyBad = ['', '   ', HUGE, SQL, HTML, UNICODE, 'k'.repeat(42), 'k'.repeat(44)];

async function expectRefused(h: Harness, label: string, call: () => Promise<unknown>, field: string | null): Promise<void> {
  const before = await rowCounts(h);
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  await h.auth.drain();
  expect(isAuthError(error, 'VALIDATION_FAILED'), `${label}: ${String(error)}`).toBe(true);
  const issues = (error as AuthError).issues ?? [];
  expect(issues.length, label).toBeGreaterThan(0);
  if (field !== null) expect(issues.map((i) => i.path[0]), label).toContain(field);
  for (const issue of issues) {
    expect(typeof issue.code).toBe('string');
    expect(typeof issue.message).toBe('string');
  }
  expect(await rowCounts(h), `${label} stored something`).toEqual(before);
}

describe('bad input for every entry point gives VALIDATION_FAILED with field issues, and stores nothing', () => {
  const fields = { nationalId: z.string().regex(/^[VE]-\d{6,9}$/).optional() };

  it('accounts.register()', async () => {
    const h = harness({ registration: { fields } });
    const valid = { email: 'ana@example.com', password: PASSWORD, name: 'Ana', nationalId: 'V-1234567' };
    const cases = [
      ...notAnObject,
      ...badValues('email', valid, emailBad),
      ...badValues('password', valid, ['', 'short', HUGE]),
      ...badValues('name', valid, ['', '   ', HUGE, HTML, 'Ana\u0000', 'Ana\u202Eevil']),
      ...badValues('locale', valid, ['', HUGE, SQL, 'english']).filter(([label]) => !label.startsWith('locale missing')),
      ['nationalId wrong', { ...valid, nationalId: SQL }, 'nationalId'],
      ['nationalId huge', { ...valid, nationalId: HUGE }, 'nationalId'],
    ] as Case[];
    for (const [label, input, field] of cases) await expectRefused(h, label, () => h.auth.accounts.register(input as never), field);
  });

  it('accounts.isEmailAvailable(), activate(), resendActivation(), confirmEmailChange()', async () => {
    const h = harness();
    for (const value of [...emailBad, null, 42]) await expectRefused(h, `isEmailAvailable ${String(value)}`, () => h.auth.accounts.isEmailAvailable(value as never), null);
    for (const [label, input, field] of [...notAnObject, ...badValues('key', { key: 'k'.repeat(43) }, keyBad)]) {
      await expectRefused(h, `activate ${label}`, () => h.auth.accounts.activate(input as never), field);
      await expectRefused(h, `confirmEmailChange ${label}`, () => h.auth.accounts.confirmEmailChange(input as never), field);
    }
    for (const [label, input, field] of [...notAnObject, ...badValues('email', { email: 'a@example.com' }, emailBad)]) {
      await expectRefused(h, `resendActivation ${label}`, () => h.auth.accounts.resendActivation(input as never), field);
    }
  });

  it('sessions.login()', async () => {
    const h = harness();
    await activeUser(h, { email: 'ana@example.com' });
    const valid = { email: 'ana@example.com', password: PASSWORD };
    const cases = [
      ...notAnObject,
      ...badValues('email', valid, emailBad),
      ...badValues('password', valid, ['', HUGE]),
      ['rememberMe a string', { ...valid, rememberMe: 'yes' }, 'rememberMe'],
    ] as Case[];
    for (const [label, input, field] of cases) await expectRefused(h, label, () => h.auth.sessions.login(input as never), field);
  });

  it('passwords.requestReset() and reset()', async () => {
    const h = harness();
    await activeUser(h, { email: 'ana@example.com' });
    for (const [label, input, field] of [...notAnObject, ...badValues('email', { email: 'ana@example.com' }, emailBad)]) {
      await expectRefused(h, `requestReset ${label}`, () => h.auth.passwords.requestReset(input as never), field);
    }
    const valid = { key: 'k'.repeat(43), password: 'a fine new password' };
    for (const [label, input, field] of [...notAnObject, ...badValues('key', valid, keyBad), ...badValues('password', valid, ['', 'short', HUGE])]) {
      await expectRefused(h, `reset ${label}`, () => h.auth.passwords.reset(input as never), field);
    }
  });

  it('passwords.change(), accounts.updateProfile(), requestEmailChange(), sessions.revoke()', async () => {
    const h = harness({ registration: { fields } });
    const user = await activeUser(h);
    const { context } = await signIn(h, user.email);
    const change = { currentPassword: PASSWORD, newPassword: 'a fine new password' };
    for (const [label, input, field] of [
      ...notAnObject,
      ...badValues('currentPassword', change, ['', HUGE]),
      ...badValues('newPassword', change, ['', 'short', HUGE]),
    ]) {
      await expectRefused(h, `change ${label}`, () => h.auth.passwords.change(context, input as never), field);
    }
    for (const [label, input, field] of [
      ...notAnObject,
      ['name empty', { name: '' }, 'name'],
      ['name huge', { name: HUGE }, 'name'],
      ['name html', { name: HTML }, 'name'],
      ['name number', { name: 7 }, 'name'],
      ['locale sql', { locale: SQL }, 'locale'],
      ['nationalId sql', { nationalId: SQL }, 'nationalId'],
    ] as Case[]) {
      await expectRefused(h, `updateProfile ${label}`, () => h.auth.accounts.updateProfile(context, input as never), field);
    }
    const move = { newEmail: 'new@example.com', currentPassword: PASSWORD };
    for (const [label, input, field] of [...notAnObject, ...badValues('newEmail', move, emailBad), ...badValues('currentPassword', move, ['', HUGE])]) {
      await expectRefused(h, `requestEmailChange ${label}`, () => h.auth.accounts.requestEmailChange(context, input as never), field);
    }
    for (const id of ['', SQL, HUGE, 'not-a-uuid', null]) {
      await expectRefused(h, `revoke ${String(id).slice(0, 10)}`, () => h.auth.sessions.revoke(context, id as never), null);
    }
  });

  it('keeps names people really have', async () => {
    const h = harness();
    for (const name of ["Seán O'Brien-Pérez", 'Zoë Ångström', '李小龍', 'Ñandú & Cía.', 'José "Pepe" Martí']) {
      const { user } = await h.auth.accounts.register({ email: `n${name.length}${Math.random().toString(36).slice(2)}@example.com`, password: PASSWORD, name });
      expect(user.name).toBe(name);
    }
  });
});
