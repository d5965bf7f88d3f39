import { afterEach, describe, expect, it, vi } from 'vitest';
import { isAuthError } from 'gatehouse';
import { loginSchema, parseLoginInput } from '../../src/validation/login-input.js';
import { parseInput } from '../../src/validation/schemas.js';
import { activeUser, harness, PASSWORD } from '../support/harness.js';
import { seededRandom } from '../support/seeded-random.js';

/** What a parse answers: the fields, or the error's code and issues. */
function outcome(parse: () => unknown): unknown {
  try {
    return { ok: parse() };
  } catch (error) {
    return isAuthError(error) ? { code: error.code, issues: error.issues } : { thrown: String(error) };
  }
}

const EMAILS: unknown[] = ['ana@example.com', 'Ana.B+x@Example.COM', ' ana@example.com ', 'ana@peñalara.com.co', 'ana@', 'no-at', '', `${'a'.repeat(310)}@example.com`, `a@${'b'.repeat(320)}.com`, 7, null, undefined, ['ana@example.com'], { toString: () => 'ana@example.com' }];
const PASSWORDS: unknown[] = [PASSWORD, 'x', '', 'p'.repeat(1024), 'p'.repeat(1025), ' ', 'ñ\u0301', 0, null, undefined, ['x']];
const REMEMBER: unknown[] = [undefined, true, false, 'true', 1, null];

afterEach(() => vi.restoreAllMocks());

describe('the sign-in input without zod (validation/login-input.ts)', () => {
  it('a well-formed sign-in does not run the schema; a malformed one does, and gets its issues', async () => {
    const h = harness();
    const user = await activeUser(h);
    const parse = vi.spyOn(loginSchema, 'safeParse');
    await h.auth.sessions.login({ email: user.email.toUpperCase(), password: PASSWORD, rememberMe: true });
    expect(parse).not.toHaveBeenCalled();
    await expect(h.auth.sessions.login({ email: user.email, password: '' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', issues: [expect.objectContaining({ path: ['password'] })] });
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('answers every input as the schema does', () => {
    const inputs: unknown[] = [null, undefined, 'ana@example.com', 42, [], Object.assign([], { email: 'ana@example.com', password: PASSWORD })];
    for (const email of EMAILS) for (const password of PASSWORDS) for (const rememberMe of REMEMBER) inputs.push({ email, password, rememberMe });
    const next = seededRandom(21);
    for (let i = 0; i < 300; i += 1) {
      const base: Record<string, unknown> = { email: EMAILS[Math.floor(next() * EMAILS.length)], password: PASSWORDS[Math.floor(next() * PASSWORDS.length)] };
      if (next() < 0.5) base['rememberMe'] = REMEMBER[Math.floor(next() * REMEMBER.length)];
      if (next() < 0.3) base['extra'] = 'ignored';
      inputs.push(next() < 0.2 ? Object.create(base) : base);
    }
    // A getter that throws, as a hostile JSON reviver or proxy could.
    inputs.push(Object.defineProperty({ password: PASSWORD }, 'email', { enumerable: true, get: () => { throw new Error('boom'); } }));
    for (const [i, input] of inputs.entries()) {
      expect(outcome(() => parseLoginInput(input)), `input ${i}`).toEqual(outcome(() => parseInput(loginSchema, input)));
    }
  });
});
