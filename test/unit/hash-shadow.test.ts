import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { Argon2PasswordHasher, type PasswordHasher, type RandomSource } from 'gatehouse';
import { activeUser, harness, PASSWORD, uniqueEmail, type Harness } from '../support/harness.js';

// The binding's verify, watched (and still run).
const binding = vi.hoisted(() => ({ verify: undefined as unknown as ReturnType<typeof vi.fn> }));
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@node-rs/argon2')>();
  binding.verify = vi.fn(actual.verify);
  return { ...actual, verify: binding.verify };
});

/** A hasher whose verifies wait, from their call, until the test lets them answer; `called()` resolves at the next call. */
function heldHasher(inner: PasswordHasher) {
  const held: (() => void)[] = [];
  let onCall: (() => void) | undefined;
  const hasher: PasswordHasher = {
    hash: (password) => inner.hash(password),
    needsRehash: (hash) => inner.needsRehash(hash),
    verify: async (hash, password) => {
      const answer = new Promise<void>((resolve) => held.push(resolve));
      onCall?.();
      await answer;
      return inner.verify(hash, password);
    },
  };
  const called = (): Promise<void> => new Promise<void>((resolve) => (onCall = resolve)).then(settle);
  return { hasher, held, called };
}

/** Counts the session tokens drawn (32 random bytes each). */
function countingRandom(): RandomSource & { tokens: number } {
  const source = { tokens: 0, bytes: (size: number) => ((source.tokens += size === 32 ? 1 : 0), randomBytes(size)) };
  return source;
}

/** Lets everything run that can run without the held verify. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A gatehouse over `base`'s store whose verifies are held, with its random draws counted, warmed by one sign-in (the dummy hash is made on first use). */
async function heldGatehouse(base: Harness, email: string) {
  const { hasher, held, called } = heldHasher(base.hasher);
  const random = countingRandom();
  const h = harness({ hasher, random }, base.store);
  const verified = called();
  const warm = h.auth.sessions.login({ email, password: PASSWORD });
  await verified;
  held.shift()!();
  await warm;
  return { h, held, random, called };
}

describe('work in the password hash shadow (services/hash-shadow.ts)', () => {
  it("a sign-in makes its session's token while the password is verified, and nothing of it after", async () => {
    const base = harness();
    const user = await activeUser(base);
    const { h, held, random, called } = await heldGatehouse(base, user.email);
    const before = random.tokens;
    const verified = called();
    const login = h.auth.sessions.login({ email: user.email, password: PASSWORD });
    await verified;
    expect(held).toHaveLength(1);
    expect(random.tokens - before).toBe(1);
    held.shift()!();
    const { token } = await login;
    expect(random.tokens - before).toBe(1);
    expect(await h.auth.sessions.validate(token)).not.toBeNull();
  });

  it('a wrong password and an unknown email make a token alike while verified, and no session', async () => {
    const base = harness();
    const user = await activeUser(base);
    const { h, held, random, called } = await heldGatehouse(base, user.email);
    const sessions = (await base.store.listActivities({ offset: 0, limit: 100, action: 'login.succeeded' })).items.length;
    for (const email of [user.email, uniqueEmail('nobody')]) {
      const before = random.tokens;
      const verified = called();
      const login = h.auth.sessions.login({ email, password: 'not the password' });
      await verified;
      expect(held, email).toHaveLength(1);
      expect(random.tokens - before, email).toBe(1);
      held.shift()!();
      await expect(login).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    }
    expect((await base.store.listActivities({ offset: 0, limit: 100, action: 'login.succeeded' })).items).toHaveLength(sessions);
  });

  it('the default hasher calls the argon2id binding at the call of verify(), not a microtask later', async () => {
    const hasher = new Argon2PasswordHasher();
    const hash = await hasher.hash(PASSWORD);
    expect(await hasher.verify(hash, PASSWORD)).toBe(true); // the binding is loaded
    const calls = binding.verify.mock.calls.length;
    const verifying = hasher.verify(hash, PASSWORD);
    expect(binding.verify.mock.calls.length).toBe(calls + 1);
    expect(await verifying).toBe(true);
  });
});
