/**
 * Regression tests of the adversarial review (issue 15), one block per finding, on the memory
 * store. The findings where the store matters run on PostgreSQL and MariaDB too
 * (test/sql/security-findings.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { isAuthError, type AuthError } from 'gatehouse';
import { base32Decode, base32Encode, hotp, totpStep } from '../../src/crypto/totp.js';
import { hashToken } from '../../src/crypto/tokens.js';
import { activeUser, harness, PASSWORD, signIn, uniqueEmail } from '../support/harness.js';
import { member, shop } from '../support/shop.js';

const KEY = '0123456789abcdef'.repeat(4);
const NEW_PASSWORD = 'a brand new passphrase';
const codeOf = async (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isAuthError(error) ? error.code : `threw ${String(error)}`),
  );

describe('finding 2: a hostile JSON value in place of a string is VALIDATION_FAILED, naming the field', () => {
  const hostile = JSON.parse('{"length":{"toString":null}}') as unknown;

  it('register, login, reset and the admin calls refuse it instead of throwing a TypeError', async () => {
    const h = await shop();
    const admin = await member(h, ['admin']);
    const user = await activeUser(h);
    const calls: [string, () => Promise<unknown>, string][] = [
      ['register email', () => h.auth.accounts.register({ email: hostile, password: PASSWORD, name: 'Ana' } as never), 'email'],
      ['register name', () => h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: hostile } as never), 'name'],
      ['login password', () => h.auth.sessions.login({ email: user.email, password: hostile } as never), 'password'],
      ['forgot-password', () => h.auth.passwords.requestReset({ email: hostile } as never), 'email'],
      ['reset password', () => h.auth.passwords.reset({ key: 'k'.repeat(43), password: hostile } as never), 'password'],
      ['admin edit name', () => h.auth.users.edit(admin.context, user.id, { name: hostile } as never), 'name'],
      ['block reason', () => h.auth.users.block(admin.context, user.id, { reason: hostile } as never), 'reason'],
      ['list page', () => h.auth.users.list(admin.context, { page: hostile } as never), 'page'],
    ];
    for (const [label, call, field] of calls) {
      const error = await call().catch((e: unknown) => e);
      expect(isAuthError(error, 'VALIDATION_FAILED'), `${label}: ${String(error)}`).toBe(true);
      expect((error as AuthError).issues?.map((issue) => issue.path[0]), label).toContain(field);
    }
  });

  it('an application field whose schema throws is refused on that field', async () => {
    const throwing = { '~standard': { version: 1 as const, vendor: 'test', validate: () => { throw new TypeError('boom'); } } };
    const h = harness({ registration: { fields: { nationalId: throwing } } });
    const error = await h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana', nationalId: 'x' }).catch((e: unknown) => e);
    expect(isAuthError(error, 'VALIDATION_FAILED')).toBe(true);
    expect((error as AuthError).issues?.map((issue) => issue.path.join('.'))).toEqual(['nationalId']);
  });
});

describe('finding 3 and 14: text no store keeps, and control characters in one-line fields', () => {
  it('refuses NUL, lone surrogates and CR/LF in names, reasons, role names and descriptions, and in app fields what no store keeps', async () => {
    const h = await shop({ registration: { fields: { note: { '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => ({ value }) } } } } });
    const admin = await member(h, ['admin']);
    const user = await activeUser(h);
    const refused: [string, () => Promise<unknown>][] = [
      ['name with a lone surrogate', () => h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana \ud800' })],
      ['name with CR/LF', () => h.auth.accounts.updateProfile(admin.context, { name: 'Ana\r\nBcc: x@evil.example' })],
      ['block reason with NUL', () => h.auth.users.block(admin.context, user.id, { reason: 'fraud\u0000' })],
      ['block reason with a lone surrogate', () => h.auth.users.block(admin.context, user.id, { reason: 'fraud \udfff' })],
      ['block reason with LF', () => h.auth.users.block(admin.context, user.id, { reason: 'fraud\nSecond line' })],
      ['block reason with a line separator', () => h.auth.users.block(admin.context, user.id, { reason: 'fraud\u2028x' })],
      ['suspend reason with CR', () => h.auth.users.suspend(admin.context, user.id, { reason: 'spam\rx' })],
      ['role name with LF', () => h.auth.roles.createRole(admin.context, { code: 'clerk', name: 'Clerk\nAdmin', level: 5 })],
      ['role description with NUL', () => h.auth.roles.createRole(admin.context, { code: 'clerk', name: 'Clerk', description: 'x\u0000', level: 5 })],
      ['permission name with CR', () => h.auth.roles.createPermission(admin.context, { code: 'shop:open', name: 'Open\rx' })],
      ['list filter with NUL', () => h.auth.users.list(admin.context, { q: 'a\u0000' })],
      ['list filter with a lone surrogate', () => h.auth.users.list(admin.context, { q: '\ud800' })],
      ['app field with NUL', () => h.auth.accounts.updateProfile(admin.context, { note: 'x\u0000y' })],
      ['app field with a lone surrogate in a key', () => h.auth.accounts.updateProfile(admin.context, { note: { ['\ud800']: 1 } })],
      ['new password with a lone surrogate', () => h.auth.passwords.change(admin.context, { currentPassword: PASSWORD, newPassword: 'a long passphrase \ud800' })],
    ];
    for (const [label, call] of refused) expect(await codeOf(call()), label).toBe('VALIDATION_FAILED');
    expect((await h.auth.users.get(admin.context, user.id)).user.status).toBe('active');
    // A multi-line description keeps its line breaks; a paired surrogate (an emoji) is fine everywhere.
    await expect(h.auth.roles.createRole(admin.context, { code: 'clerk', name: 'Clerk 🧾', description: 'Counts.\nAnd files.', level: 5 })).resolves.toBeDefined();
    await expect(h.auth.users.block(admin.context, user.id, { reason: 'Chargebacks 💳' })).resolves.toMatchObject({ status: 'blocked' });
  });

  it('a user agent with NUL, CR/LF or a lone surrogate does not break a login: it is stored sanitised', async () => {
    const h = harness();
    const user = await activeUser(h);
    const login = await h.auth.sessions.login({ email: user.email, password: PASSWORD }, { ip: '203.0.113.9', userAgent: 'Evil\u0000Agent\r\nX: y \ud800' });
    expect(login.session.userAgent).toBe('Evil\uFFFDAgent\uFFFD\uFFFDX: y \uFFFD');
    const entry = (await h.store.listActivities({ subjectId: user.id, action: 'login.succeeded', offset: 0, limit: 1 })).items[0];
    expect(entry?.userAgent).toBe('Evil\uFFFDAgent\uFFFD\uFFFDX: y \uFFFD');
  });
});

describe('finding 4: no self-edit of credentials through the admin API', () => {
  it('a users:edit holder cannot set their own password or email through users.edit (SELF_PROTECTION), but may edit their name', async () => {
    const h = await shop();
    const moderator = await member(h, ['moderator']);
    const id = moderator.user.id;
    expect(await codeOf(h.auth.users.edit(moderator.context, id, { password: 'a takeover passphrase' }))).toBe('SELF_PROTECTION');
    expect(await codeOf(h.auth.users.edit(moderator.context, id, { email: 'attacker@evil.example' }))).toBe('SELF_PROTECTION');
    expect(await codeOf(h.auth.users.edit(moderator.context, id, { name: 'Mod', email: 'attacker@evil.example' }))).toBe('SELF_PROTECTION');
    const after = await h.store.findUserById(id);
    expect(after?.email).toBe(moderator.user.email);
    expect(after?.name).toBe(moderator.user.name);
    await expect(h.auth.sessions.login({ email: moderator.user.email, password: 'a takeover passphrase' })).rejects.toSatisfy((e) => isAuthError(e, 'INVALID_CREDENTIALS'));
    // The unchanged address and the other fields are fine; so is the same edit of someone else.
    await expect(h.auth.users.edit(moderator.context, id, { name: 'Moderadora', email: moderator.user.email })).resolves.toMatchObject({ name: 'Moderadora' });
    const customer = await member(h, ['customer']);
    await expect(h.auth.users.edit(moderator.context, customer.user.id, { email: uniqueEmail() })).resolves.toBeDefined();
  });
});

describe('finding 5: pre-account takeover and two-step enrolment without re-authentication', () => {
  it('enrolling two-step verification asks for the password (a wrong one counts toward the lockout)', async () => {
    const h = await shop({ twoFactor: { encryptionKey: KEY } });
    const m = await member(h, ['customer']);
    expect(await codeOf(h.auth.twoFactor.enrol(m.context, {} as never))).toBe('VALIDATION_FAILED');
    expect(await codeOf(h.auth.twoFactor.enrol(m.context, { password: 'not the password' }))).toBe('INVALID_CREDENTIALS');
    expect(await h.auth.twoFactor.status(m.context)).toEqual({ enabled: false, pending: false });
    await expect(h.auth.twoFactor.enrol(m.context, { password: PASSWORD })).resolves.toHaveProperty('secret');
  });

  it('activation ends every session the account had', async () => {
    const h = harness({ registration: { requireEmailVerification: false } });
    const email = uniqueEmail();
    await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    const early = await signIn(h, email);
    await h.auth.accounts.activate({ key: h.mailer.last({ to: email, kind: 'activation' })!.key! });
    expect(await h.auth.sessions.validate(early.token)).toBeNull();
  });

  it('the whole sequence: a stranger pre-registers the address and sets up two-step verification; the owner activates, resets and signs in without the stranger', async () => {
    // Sign-in before activation is what lets a stranger act on an account they cannot prove.
    const h = await shop({ twoFactor: { encryptionKey: KEY }, registration: { defaultRole: 'customer', requireEmailVerification: false } });
    const victim = 'victim@example.com';
    const attackerPassword = 'attacker knows this one';
    await h.auth.accounts.register({ email: victim, password: attackerPassword, name: 'Not the victim' });
    const attacker = await signIn(h, victim, attackerPassword);
    const { secret } = await h.auth.twoFactor.enrol(attacker.context, { password: attackerPassword });
    await h.auth.twoFactor.confirm(attacker.context, { code: hotp(base32Decode(secret)!, totpStep(h.clock.now())) });

    // The victim is told the address is taken, asks for the activation mail again and activates.
    expect(await codeOf(h.auth.accounts.register({ email: victim, password: PASSWORD, name: 'Victim' }))).toBe('EMAIL_TAKEN');
    await h.auth.accounts.resendActivation({ email: victim });
    await h.auth.drain();
    await h.auth.accounts.activate({ key: h.mailer.last({ to: victim, kind: 'activation' })!.key! });
    expect(await h.auth.sessions.validate(attacker.token), "the stranger's session").toBeNull();

    // The victim resets the password and signs in with one step: the stranger's second factor is gone.
    await h.auth.passwords.requestReset({ email: victim });
    await h.auth.drain();
    await h.auth.passwords.reset({ key: h.mailer.last({ to: victim, kind: 'password-reset' })!.key!, password: PASSWORD });
    h.clock.advance(30);
    const owner = await h.auth.sessions.login({ email: victim, password: PASSWORD });
    expect(owner.token).toBeTypeOf('string');
    expect(await codeOf(h.auth.sessions.login({ email: victim, password: attackerPassword }))).toBe('INVALID_CREDENTIALS');
    const log = await h.store.listActivities({ subjectId: owner.user.id, action: 'two_factor.dropped', offset: 0, limit: 5 });
    expect(log.total).toBe(1);
  });

  it('a reset that first proves the address drops a two-step enrolment made before it; a reset of a verified account keeps it', async () => {
    const h = await shop({ twoFactor: { encryptionKey: KEY }, registration: { defaultRole: 'customer', requireEmailVerification: false } });
    const email = uniqueEmail();
    await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    const early = await signIn(h, email);
    const { secret } = await h.auth.twoFactor.enrol(early.context, { password: PASSWORD });
    await h.auth.twoFactor.confirm(early.context, { code: hotp(base32Decode(secret)!, totpStep(h.clock.now())) });
    const reset = async (password: string): Promise<void> => {
      await h.auth.passwords.requestReset({ email });
      await h.auth.drain();
      await h.auth.passwords.reset({ key: h.mailer.last({ to: email, kind: 'password-reset' })!.key!, password });
    };
    await reset(NEW_PASSWORD);
    h.clock.advance(30);
    const again = await signIn(h, email, NEW_PASSWORD);
    // Set up again, now that the address is proven: a later reset keeps it (email alone must not remove a second factor).
    const enrolment = await h.auth.twoFactor.enrol(again.context, { password: NEW_PASSWORD });
    await h.auth.twoFactor.confirm(again.context, { code: hotp(base32Decode(enrolment.secret)!, totpStep(h.clock.now())) });
    await reset('yet another passphrase');
    h.clock.advance(30);
    expect(await codeOf(h.auth.sessions.login({ email, password: 'yet another passphrase' }))).toBe('TWO_FACTOR_REQUIRED');
  });
});

describe('finding 7: a password change voids outstanding reset keys', () => {
  async function withResetKey() {
    const h = await shop();
    const m = await member(h, ['customer']);
    await h.auth.passwords.requestReset({ email: m.user.email });
    await h.auth.drain();
    const key = h.mailer.last({ to: m.user.email, kind: 'password-reset' })!.key!;
    return { h, m, key };
  }

  it('after the user changes their password', async () => {
    const { h, m, key } = await withResetKey();
    await h.auth.passwords.change(m.context, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(await codeOf(h.auth.passwords.reset({ key, password: 'what the thief wants' }))).toBe('KEY_INVALID');
  });

  it('after a reset with another key', async () => {
    const { h, m, key } = await withResetKey();
    // A key of another purpose does not void reset keys; a second reset key voids the first, so issue it directly.
    const other = 'B'.repeat(43);
    await h.store.insertOneTimeKey({ id: crypto.randomUUID(), userId: m.user.id, purpose: 'password-reset', keyHash: hashToken(other), sentTo: m.user.email, createdAt: h.clock.now(), expiresAt: new Date(h.clock.now().getTime() + 600_000), usedAt: null, usedIp: null, voidedAt: null });
    await h.auth.passwords.reset({ key: other, password: NEW_PASSWORD });
    expect(await codeOf(h.auth.passwords.reset({ key, password: 'what the thief wants' }))).toBe('KEY_INVALID');
  });

  it("after an administrator's new password", async () => {
    const { h, m, key } = await withResetKey();
    const admin = await member(h, ['admin']);
    await h.auth.users.edit(admin.context, m.user.id, { password: NEW_PASSWORD });
    expect(await codeOf(h.auth.passwords.reset({ key, password: 'what the thief wants' }))).toBe('KEY_INVALID');
  });
});

describe('finding 12: lateral escalation through role assignment', () => {
  async function assigner() {
    const h = await shop();
    // A moderator (30) who may assign roles: users:view/edit/block, orders:view/cancel, products:view, reports:view, audit:view, roles:view.
    await h.auth.roles.grantPermission(h.auth.system, 'moderator', 'roles:assign');
    const moderator = await member(h, ['moderator']);
    return { h, moderator };
  }

  it('nobody grants themselves or others a lower role that carries a permission they lack', async () => {
    const { h, moderator } = await assigner();
    const customer = await member(h, ['customer']);
    // seller (20) carries products:create, products:edit and orders:edit; content_manager (25) carries products:*.
    for (const code of ['seller', 'content_manager']) {
      expect(await codeOf(h.auth.users.assignRole(moderator.context, moderator.user.id, { code })), `self ${code}`).toBe('FORBIDDEN');
      expect(await codeOf(h.auth.users.assignRole(moderator.context, customer.user.id, { code })), `other ${code}`).toBe('FORBIDDEN');
      expect(await codeOf(h.auth.users.setRoles(moderator.context, customer.user.id, [{ code: 'customer' }, { code }])), `setRoles ${code}`).toBe('FORBIDDEN');
    }
    expect((await h.auth.users.get(h.auth.system, moderator.user.id)).roles.map((role) => role.code)).toEqual(['moderator']);
    expect((await h.auth.users.get(h.auth.system, customer.user.id)).roles.map((role) => role.code)).toEqual(['customer']);
  });

  it('nobody grants a role at their own level; wildcards count as the permissions they cover; the system may grant anything', async () => {
    const { h, moderator } = await assigner();
    const now = h.clock.now();
    await h.store.upsertRole({ code: 'peer', name: 'Peer', description: '', level: 30, active: true, createdAt: now, updatedAt: now });
    await h.store.upsertRole({ code: 'watcher', name: 'Watcher', description: '', level: 5, active: true, createdAt: now, updatedAt: now });
    await h.store.grantPermission('watcher', 'orders:view');
    const customer = await member(h, ['customer']);
    expect(await codeOf(h.auth.users.assignRole(moderator.context, customer.user.id, { code: 'peer' }))).toBe('FORBIDDEN');
    await expect(h.auth.users.assignRole(moderator.context, customer.user.id, { code: 'watcher' })).resolves.toBeDefined();
    const admin = await member(h, ['admin']); // holds *, so every permission of content_manager (products:*)
    await expect(h.auth.users.assignRole(admin.context, customer.user.id, { code: 'content_manager' })).resolves.toBeDefined();
    await expect(h.auth.users.assignRole(h.auth.system, customer.user.id, { code: 'admin' })).resolves.toBeDefined();
  });

  it('nor puts a permission they lack into a role (createRole, grantPermission)', async () => {
    const h = await shop();
    await h.auth.roles.grantPermission(h.auth.system, 'moderator', 'roles:edit');
    const moderator = await member(h, ['moderator']);
    expect(await codeOf(h.auth.roles.grantPermission(moderator.context, 'customer', 'users:delete'))).toBe('FORBIDDEN');
    expect(await codeOf(h.auth.roles.grantPermission(moderator.context, 'customer', '*'))).toBe('FORBIDDEN');
    expect(await codeOf(h.auth.roles.createRole(moderator.context, { code: 'helper', name: 'Helper', level: 5, permissions: ['products:*'] }))).toBe('FORBIDDEN');
    expect((await h.auth.roles.getRole(h.auth.system, 'customer')).permissions).toEqual(['orders:view:own', 'products:view']);
    await expect(h.auth.roles.grantPermission(moderator.context, 'customer', 'reports:view')).resolves.toBeUndefined();
  });
});

describe('finding 14: recovery codes', () => {
  it('are 120 bits (24 base32 characters in six groups), and a code of the older 80-bit format still works once', async () => {
    const h = await shop({ twoFactor: { encryptionKey: KEY } });
    const m = await member(h, ['customer']);
    const { secret } = await h.auth.twoFactor.enrol(m.context, { password: PASSWORD });
    const { recoveryCodes } = await h.auth.twoFactor.confirm(m.context, { code: hotp(base32Decode(secret)!, totpStep(h.clock.now())) });
    for (const code of recoveryCodes) {
      expect(code).toMatch(/^[A-Z2-7]{4}(?:-[A-Z2-7]{4}){5}$/);
      expect(base32Decode(code.replaceAll('-', ''))).toHaveLength(15);
    }
    const legacy = base32Encode(new Uint8Array(10).fill(7));
    const now = h.clock.now();
    await h.store.insertOneTimeKey({ id: crypto.randomUUID(), userId: m.user.id, purpose: 'recovery-code', keyHash: hashToken(legacy), sentTo: m.user.email, createdAt: now, expiresAt: new Date(now.getTime() + 86_400_000), usedAt: null, usedIp: null, voidedAt: null });
    const challenge = async (): Promise<string> => ((await h.auth.sessions.login({ email: m.user.email, password: PASSWORD }).catch((e: unknown) => e)) as AuthError).challenge!;
    const typed = legacy.match(/.{4}/g)!.join('-').toLowerCase();
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challenge(), code: typed })).resolves.toHaveProperty('token');
    expect(await codeOf(h.auth.sessions.verifyTwoFactor({ challenge: await challenge(), code: typed }))).toBe('TWO_FACTOR_INVALID');
    await expect(h.auth.sessions.verifyTwoFactor({ challenge: await challenge(), code: recoveryCodes[0]! })).resolves.toHaveProperty('token');
  });
});

describe('finding 11: createAuth refuses settings below the floors, naming the setting', () => {
  it('throws a TypeError for each weak setting, and accepts the floors themselves', async () => {
    const { createAuth, Argon2PasswordHasher } = await import('gatehouse');
    const { MemoryAuthStore, MemoryMailer } = await import('gatehouse/memory');
    const base = () => ({ store: new MemoryAuthStore(), mailer: new MemoryMailer() });
    const weak: [Record<string, unknown>, RegExp][] = [
      [{ passwords: { minLength: 4 } }, /passwords\.minLength/],
      [{ passwords: { maxLength: 32 } }, /passwords\.maxLength/],
      [{ keys: { passwordResetLifetime: 30 * 86_400 } }, /keys\.passwordResetLifetime/],
      [{ keys: { activationLifetime: 365 * 86_400 } }, /keys\.activationLifetime/],
      [{ keys: { emailChangeLifetime: 30 * 86_400 } }, /keys\.emailChangeLifetime/],
      [{ sessions: { rememberMeLifetime: 401 * 86_400 } }, /sessions\.rememberMeLifetime/],
      [{ sessions: { absoluteLifetime: 365 * 86_400 } }, /sessions\.absoluteLifetime/],
      [{ lockout: { maxFailures: 1000 } }, /lockout\.maxFailures/],
      [{ lockout: { window: 5 } }, /lockout\.window/],
      [{ twoFactor: { encryptionKey: KEY, challengeLifetime: 3600 } }, /twoFactor\.challengeLifetime/],
    ];
    for (const [options, name] of weak) expect(() => createAuth({ ...base(), ...options }), JSON.stringify(options)).toThrow(name);
    expect(() => new Argon2PasswordHasher({ memoryCost: 4096 })).toThrow(/memoryCost/);
    expect(() => new Argon2PasswordHasher({ timeCost: 1 })).toThrow(/timeCost/);
    expect(() =>
      createAuth({
        ...base(),
        hasher: new Argon2PasswordHasher({ memoryCost: 19456, timeCost: 2 }),
        passwords: { minLength: 8, maxLength: 64 },
        keys: { passwordResetLifetime: 86_400 },
        sessions: { rememberMeLifetime: 400 * 86_400 },
        lockout: { maxFailures: 100 },
      }),
    ).not.toThrow();
  });
});

describe('finding 15: registration.revealExistingEmail', () => {
  it('by default, registering a taken address is EMAIL_TAKEN (the seed behaviour)', async () => {
    const h = harness();
    const user = await activeUser(h);
    expect(await codeOf(h.auth.accounts.register({ email: user.email, password: PASSWORD, name: 'Again' }))).toBe('EMAIL_TAKEN');
    expect(h.auth.accounts.revealsExistingEmail).toBe(true);
  });

  it('off: a taken address answers as a new one (same shape, nothing stored), does the hashing work, and mails the owner in their language', async () => {
    const h = harness({ registration: { revealExistingEmail: false } });
    const email = uniqueEmail();
    await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana', locale: 'es' });
    const owner = (await h.store.findUserByEmail(email))!;
    const fresh = await h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Bo' });
    let hashed = 0;
    const hash = h.hasher.hash.bind(h.hasher);
    h.hasher.hash = (password) => ((hashed += 1), hash(password));
    const taken = await h.auth.accounts.register({ email: email.toUpperCase(), password: 'the intruder passphrase', name: 'Intruder' });
    expect(hashed).toBe(1);
    expect(Object.keys(taken.user).sort()).toEqual(Object.keys(fresh.user).sort());
    expect(taken.user).toMatchObject({ email, name: 'Intruder', status: 'active', emailVerifiedAt: null });
    expect(taken.user.id).not.toBe(owner.id);
    expect(await h.store.findUserById(taken.user.id)).toBeNull();
    expect(await h.store.findUserByEmail(email)).toEqual(owner);
    const notice = h.mailer.last({ to: email })!;
    expect(notice).toMatchObject({ kind: 'registration-attempt', locale: 'es' });
    expect(notice.subject).toMatch(/Alguien intentó registrarse/);
    expect(notice.link).toBe('http://localhost:3000/login');
    expect(h.mailer.outbox.filter((mail) => mail.to === email && mail.kind === 'activation')).toHaveLength(1);
    const log = await h.store.listActivities({ subjectId: owner.id, action: 'user.registration_attempted', offset: 0, limit: 5 });
    expect(log.total).toBe(1);
    // A wrong field is still refused as usual, and a weak password too: they say nothing about the address.
    expect(await codeOf(h.auth.accounts.register({ email, password: 'password1', name: 'X' }))).toBe('WEAK_PASSWORD');
  });
});
