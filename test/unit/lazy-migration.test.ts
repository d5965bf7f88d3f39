import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { ecommercePreset, isAuthError, type ImportRecord, type LegacyUserSource } from 'gatehouse';
import { harness, PASSWORD } from '../support/harness.js';

const HASH = bcrypt.hashSync('clave-vieja', 4).replace(/^\$2b\$/, '$2y$');

function legacyRecord(email: string, legacyId: string): ImportRecord {
  return {
    source: `usuarios.id ${legacyId}`,
    id: null,
    email,
    legacyEmail: null,
    name: 'Legacy User',
    password: { hash: HASH, scheme: 'bcrypt' },
    identifiers: { legacyId },
    status: 'active',
    statusReason: null,
    statusUntil: null,
    emailVerifiedAt: new Date('2024-01-01T00:00:00Z'),
    createdAt: new Date('2023-01-01T00:00:00Z'),
    lastLoginAt: null,
    locale: null,
    attributes: {},
    roles: [{ code: 'customer', assignedAt: new Date('2023-01-01T00:00:00Z'), expiresAt: null }],
    passwordHistory: [],
    twoFactor: null,
    activities: [],
  };
}

/** A legacy system holding two users, counting the lookups. */
function legacySystem() {
  const users = new Map([
    ['ana@example.com', legacyRecord('ana@example.com', '1')],
    ['diego@xn--pealara-5za.com.co', legacyRecord('diego@xn--pealara-5za.com.co', '2')],
  ]);
  const asked: string[] = [];
  const source: LegacyUserSource = {
    findUser: async (email) => {
      asked.push(email);
      return users.get(email) ?? null;
    },
  };
  return { source, asked, users };
}

describe('lazy migration: createAuth({ legacy })', () => {
  it('an unknown address is looked up in the legacy system, imported on the spot (audited) and signed in, the hash upgraded; afterwards gatehouse answers alone', async () => {
    const legacy = legacySystem();
    const h = harness({ legacy: legacy.source });
    await h.auth.roles.seed(h.auth.system, ecommercePreset);
    const { user } = await h.auth.sessions.login({ email: 'Ana@Example.com', password: 'clave-vieja' });
    expect(legacy.asked).toEqual(['ana@example.com']);
    expect((await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '1'))?.id).toBe(user.id);
    expect((await h.store.findUserById(user.id))?.passwordHash).toMatch(/^\$argon2id\$/);
    expect((await h.auth.users.get(h.auth.system, user.id)).roles.map((r) => r.code)).toEqual(['customer']);
    const actions = (await h.store.listActivities({ subjectId: user.id, offset: 0, limit: 10 })).items.map((a) => a.action);
    expect(actions).toContain('user.imported');
    await h.auth.sessions.login({ email: 'ana@example.com', password: 'clave-vieja' });
    expect(legacy.asked).toEqual(['ana@example.com']);
  });

  it('a wrong password is refused INVALID_CREDENTIALS (the user is imported all the same); an address neither system holds too', async () => {
    const legacy = legacySystem();
    const h = harness({ legacy: legacy.source });
    await h.auth.roles.seed(h.auth.system, ecommercePreset);
    await expect(h.auth.sessions.login({ email: 'diego@peñalara.com.co', password: 'wrong' })).rejects.toSatisfy((e: unknown) => isAuthError(e, 'INVALID_CREDENTIALS'));
    expect(legacy.asked).toEqual(['diego@xn--pealara-5za.com.co']);
    await expect(h.auth.sessions.login({ email: 'nobody@example.com', password: 'wrong' })).rejects.toSatisfy((e: unknown) => isAuthError(e, 'INVALID_CREDENTIALS'));
    expect((await h.auth.sessions.login({ email: 'DIEGO@Peñalara.com.co', password: 'clave-vieja' })).user.email).toBe('diego@xn--pealara-5za.com.co');
  });

  it('sign-up refuses an address the legacy system still holds; an availability check says it is taken; a password reset reaches its user', async () => {
    const legacy = legacySystem();
    const h = harness({ legacy: legacy.source });
    await h.auth.roles.seed(h.auth.system, ecommercePreset);
    await expect(h.auth.accounts.register({ email: 'ana@example.com', password: PASSWORD, name: 'Impostor' })).rejects.toSatisfy((e: unknown) => isAuthError(e, 'EMAIL_TAKEN'));
    expect(await h.auth.accounts.isEmailAvailable('diego@xn--pealara-5za.com.co')).toBe(false);
    expect(await h.auth.accounts.isEmailAvailable('free@example.com')).toBe(true);
    legacy.users.set('late@example.com', legacyRecord('late@example.com', '3'));
    await h.auth.passwords.requestReset({ email: 'late@example.com' });
    await h.auth.drain();
    expect(h.mailer.last({ to: 'late@example.com', kind: 'password-reset' })).toBeDefined();
    await h.auth.accounts.register({ email: 'free@example.com', password: PASSWORD, name: 'Free' });
  });

  it('a record for another address than the one asked is ignored; a legacy system that fails makes the sign-in fail STORAGE_FAILED', async () => {
    const h = harness({ legacy: { findUser: async () => legacyRecord('someone-else@example.com', '9') } });
    await h.auth.roles.seed(h.auth.system, ecommercePreset);
    await expect(h.auth.sessions.login({ email: 'ana@example.com', password: 'clave-vieja' })).rejects.toSatisfy((e: unknown) => isAuthError(e, 'INVALID_CREDENTIALS'));
    expect(await h.store.findUserByEmail('someone-else@example.com')).toBeNull();
    const broken = harness({ legacy: { findUser: () => Promise.reject(new Error('legacy down')) } });
    await expect(broken.auth.sessions.login({ email: 'ana@example.com', password: 'x' })).rejects.toSatisfy((e: unknown) => isAuthError(e, 'STORAGE_FAILED'));
  });
});
