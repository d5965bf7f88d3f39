import { describe, expect, it } from 'vitest';
import { createAuth, isAuthError, type AuthError } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { base32Decode, hotp, totpStep } from '../../src/crypto/totp.js';
import { PASSWORD, signIn } from '../support/harness.js';
import { member, shop } from '../support/shop.js';

const KEY = '0123456789abcdef'.repeat(4);
const rejects = (code: string) => (e: unknown) => isAuthError(e, code as never);

async function twoFactorShop(overrides: Parameters<typeof shop>[0] = {}) {
  const h = await shop({ twoFactor: { encryptionKey: KEY }, ...overrides });
  const m = await member(h, ['customer']);
  const codeAt = (secret: string, offsetSteps = 0): string => hotp(base32Decode(secret)!, totpStep(h.clock.now()) + offsetSteps);
  return { h, m, codeAt };
}

/** Enrols the member and returns the secret and the recovery codes. */
async function enrolled(overrides: Parameters<typeof shop>[0] = {}) {
  const t = await twoFactorShop(overrides);
  const { secret } = await t.h.auth.twoFactor.enrol(t.m.context, { password: PASSWORD });
  const { recoveryCodes } = await t.h.auth.twoFactor.confirm(t.m.context, { code: t.codeAt(secret) });
  t.h.clock.advance(30); // the next sign-in needs a code of a newer step
  return { ...t, secret, recoveryCodes };
}

/** The challenge a password sign-in answers with. */
async function challengeFor(h: Awaited<ReturnType<typeof twoFactorShop>>['h'], email: string): Promise<string> {
  const error = (await h.auth.sessions.login({ email, password: PASSWORD }).catch((e: unknown) => e)) as AuthError;
  expect(error.code).toBe('TWO_FACTOR_REQUIRED');
  return error.challenge!;
}

describe('two-factor enrolment', () => {
  it('gives a base32 secret and an otpauth URI, stores the secret encrypted, and turns on only with a first code', async () => {
    const { h, m, codeAt } = await twoFactorShop();
    const { secret, uri } = await h.auth.twoFactor.enrol(m.context, { password: PASSWORD });
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toContain(`secret=${secret}`);
    expect(uri.startsWith('otpauth://totp/')).toBe(true);
    const stored = await h.store.findTwoFactor(m.user.id);
    expect(stored?.secret).not.toContain(secret);
    expect(await h.auth.twoFactor.status(m.context)).toEqual({ enabled: false, pending: true });
    // Still a plain sign-in until confirmed.
    await expect(h.auth.sessions.login({ email: m.user.email, password: PASSWORD })).resolves.toBeDefined();
    await expect(h.auth.twoFactor.confirm(m.context, { code: '000000' === codeAt(secret) ? '111111' : '000000' })).rejects.toSatisfy(rejects('TWO_FACTOR_INVALID'));
    const { recoveryCodes } = await h.auth.twoFactor.confirm(m.context, { code: codeAt(secret) });
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[A-Z2-7]{4}(?:-[A-Z2-7]{4}){5}$/); // 120 bits, in six groups
    expect(await h.auth.twoFactor.status(m.context)).toEqual({ enabled: true, pending: false });
    await expect(h.auth.twoFactor.enrol(m.context, { password: PASSWORD })).rejects.toSatisfy(rejects('CONFLICT'));
  });

  it('is refused with a TypeError when not configured, and createAuth refuses a store without the methods', async () => {
    const h = await shop();
    const m = await member(h, ['customer']);
    await expect(h.auth.twoFactor.enrol(m.context, { password: PASSWORD })).rejects.toThrow(TypeError);
    const bare = new MemoryAuthStore() as unknown as Record<string, unknown>;
    const store = Object.fromEntries(Object.getOwnPropertyNames(MemoryAuthStore.prototype).filter((n) => n !== 'constructor' && !n.includes('TwoFactor')).map((n) => [n, (bare[n] as (...a: unknown[]) => unknown).bind(bare)]));
    expect(() => createAuth({ store: store as never, mailer: new MemoryMailer(), twoFactor: { encryptionKey: KEY } })).toThrow(/findTwoFactor/);
  });
});

describe('sign-in with two-factor on', () => {
  it('the password step answers TWO_FACTOR_REQUIRED with a challenge and no session; the code step starts one', async () => {
    const { h, m, secret, codeAt } = await enrolled();
    const before = (await h.store.listUserSessions(m.user.id, h.clock.now())).length;
    const challenge = await challengeFor(h, m.user.email);
    expect((await h.store.listUserSessions(m.user.id, h.clock.now())).length).toBe(before);
    const result = await h.auth.sessions.verifyTwoFactor({ challenge, code: codeAt(secret) });
    expect(await h.auth.sessions.validate(result.token)).not.toBeNull();
    const [entry] = (await h.auth.audit.query(h.auth.system, { subjectId: m.user.id, action: 'login.succeeded' })).items;
    expect(entry?.metadata).toMatchObject({ secondFactor: 'totp' });
  });

  it('accepts one step of clock drift either way and no more', async () => {
    const { h, m, secret, codeAt } = await enrolled();
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code: codeAt(secret, -2) })).rejects.toSatisfy(rejects('TWO_FACTOR_INVALID'));
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code: codeAt(secret, 2) })).rejects.toSatisfy(rejects('TWO_FACTOR_INVALID'));
    h.clock.advance(30); // the step before now must be newer than the one the enrolment used
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code: codeAt(secret, -1) })).resolves.toBeDefined();
    h.clock.advance(90);
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code: codeAt(secret, 1) })).resolves.toBeDefined();
  });

  it('refuses a code replayed within its window, and an older one after a newer step was used', async () => {
    const { h, m, secret, codeAt } = await enrolled();
    const code = codeAt(secret);
    await h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code });
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code })).rejects.toSatisfy(rejects('TWO_FACTOR_INVALID'));
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code: codeAt(secret, -1) })).rejects.toSatisfy(rejects('TWO_FACTOR_INVALID'));
  });

  it('lets exactly one of many concurrent uses of one code through', async () => {
    // Concurrent attempts count against the lockout until they are checked: room for all ten.
    const { h, m, secret, codeAt } = await enrolled({ lockout: { maxFailures: 20 } });
    const challenge = await challengeFor(h, m.user.email);
    const code = codeAt(secret);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => h.auth.sessions.verifyTwoFactor({ challenge, code })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('recovery codes work once each, in any case and spacing', async () => {
    const { h, m, recoveryCodes } = await enrolled();
    const first = recoveryCodes[0]!;
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code: first.toLowerCase().replaceAll('-', ' ') })).resolves.toBeDefined();
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code: first })).rejects.toSatisfy(rejects('TWO_FACTOR_INVALID'));
    const [entry] = (await h.auth.audit.query(h.auth.system, { subjectId: m.user.id, action: 'login.succeeded' })).items;
    expect(entry?.metadata).toMatchObject({ secondFactor: 'recovery-code' });
  });

  it("another user's recovery code is refused and stays usable by its owner", async () => {
    const { h, m, recoveryCodes } = await enrolled();
    const other = await member(h, ['customer']);
    const { secret } = await h.auth.twoFactor.enrol(other.context, { password: PASSWORD });
    await h.auth.twoFactor.confirm(other.context, { code: hotp(base32Decode(secret)!, totpStep(h.clock.now())) });
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, other.user.email), code: recoveryCodes[1]! })).rejects.toSatisfy(rejects('TWO_FACTOR_INVALID'));
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code: recoveryCodes[1]! })).resolves.toBeDefined();
  });

  it('a challenge expires, works once, and blank or forged challenges are refused', async () => {
    const { h, m, secret, codeAt } = await enrolled();
    const challenge = await challengeFor(h, m.user.email);
    h.clock.advance(301);
    await expect(h.auth.sessions.verifyTwoFactor({ challenge, code: codeAt(secret) })).rejects.toSatisfy(rejects('KEY_EXPIRED'));
    const fresh = await challengeFor(h, m.user.email);
    await h.auth.sessions.verifyTwoFactor({ challenge: fresh, code: codeAt(secret) });
    h.clock.advance(30);
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: fresh, code: codeAt(secret) })).rejects.toSatisfy(rejects('KEY_INVALID'));
    for (const bad of ['', ' ', 'x'.repeat(43)]) {
      await expect(h.auth.sessions.verifyTwoFactor({ challenge: bad, code: codeAt(secret) }), JSON.stringify(bad)).rejects.toSatisfy(
        (e: unknown) => isAuthError(e, 'VALIDATION_FAILED') || isAuthError(e, 'KEY_INVALID'),
      );
    }
  });

  it('wrong codes count toward the same lockout as passwords, and a locked account gets no session even with the right code', async () => {
    const { h, m, secret, codeAt } = await enrolled();
    const challenge = await challengeFor(h, m.user.email);
    for (let i = 0; i < 5; i += 1) {
      await expect(h.auth.sessions.verifyTwoFactor({ challenge, code: codeAt(secret, 5) })).rejects.toSatisfy(rejects('TWO_FACTOR_INVALID'));
    }
    await expect(h.auth.sessions.verifyTwoFactor({ challenge, code: codeAt(secret) })).rejects.toSatisfy(rejects('RATE_LIMITED'));
    await expect(h.auth.sessions.login({ email: m.user.email, password: PASSWORD })).rejects.toSatisfy(rejects('RATE_LIMITED'));
  });

  it('a user blocked between the two steps gets no session', async () => {
    const { h, m, secret, codeAt } = await enrolled();
    const challenge = await challengeFor(h, m.user.email);
    await h.auth.users.block(h.auth.system, m.user.id, { reason: 'fraud' });
    await expect(h.auth.sessions.verifyTwoFactor({ challenge, code: codeAt(secret) })).rejects.toSatisfy(rejects('ACCOUNT_BLOCKED'));
  });
});

describe('turning two-factor off', () => {
  it('disable() needs the password, then sign-in is one step again and recovery codes die', async () => {
    const { h, m, recoveryCodes } = await enrolled();
    await expect(h.auth.twoFactor.disable(m.context, { password: 'wrong password!' })).rejects.toSatisfy(rejects('INVALID_CREDENTIALS'));
    await h.auth.twoFactor.disable(m.context, { password: PASSWORD });
    await expect(signIn(h, m.user.email)).resolves.toBeDefined();
    expect(await h.store.consumeOneTimeKey((await import('../../src/crypto/tokens.js')).hashToken(recoveryCodes[0]!.replaceAll('-', '')), { purpose: 'recovery-code', at: h.clock.now(), ip: null })).toBeNull();
  });

  it('regenerateRecoveryCodes() voids the old codes', async () => {
    const { h, m, recoveryCodes } = await enrolled();
    const { recoveryCodes: fresh } = await h.auth.twoFactor.regenerateRecoveryCodes(m.context, { password: PASSWORD });
    expect(fresh.some((code) => recoveryCodes.includes(code))).toBe(false);
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code: recoveryCodes[0]! })).rejects.toSatisfy(rejects('TWO_FACTOR_INVALID'));
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challengeFor(h, m.user.email), code: fresh[0]! })).resolves.toBeDefined();
  });

  it('an administrator resets a user\'s two-factor (audited), never their own, never above their level', async () => {
    const { h, m } = await enrolled();
    const admin = await member(h, ['admin']);
    const moderator = await member(h, ['moderator']);
    await expect(h.auth.twoFactor.reset(admin.context, admin.user.id)).rejects.toSatisfy(rejects('SELF_PROTECTION'));
    await expect(h.auth.twoFactor.reset(moderator.context, admin.user.id)).rejects.toSatisfy(rejects('FORBIDDEN'));
    await h.auth.twoFactor.reset(admin.context, m.user.id);
    await expect(signIn(h, m.user.email)).resolves.toBeDefined();
    const [entry] = (await h.auth.audit.query(admin.context, { subjectId: m.user.id, action: 'two_factor.reset' })).items;
    expect(entry).toMatchObject({ actorId: admin.user.id, metadata: { wasEnabled: true } });
  });
});
