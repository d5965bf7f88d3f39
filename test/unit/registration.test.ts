import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isAuthError } from 'gatehouse';
import { harness, PASSWORD, rowCounts, uniqueEmail } from '../support/harness.js';

const expectCode = async (promise: Promise<unknown>, code: string): Promise<void> => {
  await expect(promise).rejects.toSatisfy((error: unknown) => isAuthError(error, code as never));
};

describe('accounts.register()', () => {
  it('creates an active, unverified user with a lower-cased email, an argon2id hash, history and an activation mail', async () => {
    const h = harness();
    const { user } = await h.auth.accounts.register({ email: '  Ana.Gomez@Example.COM ', password: PASSWORD, name: ' Ana Gómez ' });
    expect(user).toMatchObject({ email: 'ana.gomez@example.com', name: 'Ana Gómez', status: 'active', emailVerifiedAt: null, mustChangePassword: false });
    expect(user).not.toHaveProperty('passwordHash');
    const stored = await h.store.findUserById(user.id);
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await h.hasher.verify(stored!.passwordHash!, PASSWORD)).toBe(true);
    expect(await h.store.listPasswordHistory(user.id, 10)).toHaveLength(1);
    const mail = h.mailer.last();
    expect(mail).toMatchObject({ to: 'ana.gomez@example.com', kind: 'activation' });
    expect(mail?.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mail?.link).toBe(`http://localhost:3000/activate?key=${mail?.key}`);
    expect(mail?.text).toContain(mail!.link!);
    const log = await h.store.listActivities({ subjectId: user.id, offset: 0, limit: 10 });
    expect(log.items.map((a) => a.action)).toEqual(['user.registered']);
  });

  it('stores only the SHA-256 of the activation key', async () => {
    const h = harness();
    const { user } = await h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana' });
    const key = h.mailer.last()!.key!;
    const { createHash } = await import('node:crypto');
    const stored = await h.store.findOneTimeKey(createHash('sha256').update(key).digest('hex'));
    expect(stored).toMatchObject({ userId: user.id, purpose: 'activation', usedAt: null });
    expect(JSON.stringify(stored)).not.toContain(key);
  });

  it('starts users pending when registration requires approval', async () => {
    const h = harness({ registration: { requireApproval: true } });
    const { user } = await h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana' });
    expect(user.status).toBe('pending');
  });

  it('assigns the default role in the same transaction', async () => {
    const h = harness({ registration: { defaultRole: 'customer' } });
    const now = h.clock.now();
    await h.store.upsertRole({ code: 'customer', name: 'Customer', description: '', level: 10, active: true, createdAt: now, updatedAt: now });
    const { user } = await h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana' });
    expect((await h.store.listUserGrants(user.id)).map((g) => g.roleCode)).toEqual(['customer']);
  });

  it('refuses with a TypeError, storing nothing, when the default role does not exist', async () => {
    const h = harness({ registration: { defaultRole: 'ghost' } });
    await expect(h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana' })).rejects.toThrow(TypeError);
    expect((await rowCounts(h)).users).toBe(0);
  });

  it('refuses an email taken in any letter case with EMAIL_TAKEN', async () => {
    const h = harness();
    await h.auth.accounts.register({ email: 'taken@example.com', password: PASSWORD, name: 'Ana' });
    await expectCode(h.auth.accounts.register({ email: 'TAKEN@Example.com', password: PASSWORD, name: 'Eve' }), 'EMAIL_TAKEN');
    expect((await rowCounts(h)).users).toBe(1);
  });

  it('20 parallel registrations of one email create exactly one user', async () => {
    const h = harness();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => h.auth.accounts.register({ email: 'race@example.com', password: PASSWORD, name: `Racer ${i}` })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(isAuthError(r.reason, 'EMAIL_TAKEN')).toBe(true);
    expect((await rowCounts(h)).users).toBe(1);
    expect(h.mailer.outbox).toHaveLength(1);
  });

  it('a failure thrown inside onRegister leaves no row behind and sends no mail', async () => {
    const h = harness({
      registration: {
        onRegister: async (_user, { store }) => {
          await store.appendActivity({
            id: '00000000-0000-4000-8000-00000000000a',
            subjectId: null,
            actorId: null,
            action: 'app.customer_created',
            details: 'app row',
            ip: null,
            userAgent: null,
            metadata: {},
            createdAt: new Date(),
          });
          throw new Error('customer table unavailable');
        },
      },
    });
    await expect(h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana' })).rejects.toThrow('customer table unavailable');
    expect(await rowCounts(h)).toEqual({ users: 0, activities: 0, sessions: 0, history: 0, mails: 0 });
  });

  it('onRegister runs inside the transaction and sees the new user', async () => {
    let seen: string | null | undefined;
    const h = harness({
      registration: {
        onRegister: async (user, { store }) => {
          seen = (await store.findUserById(user.id))?.email;
        },
      },
    });
    const email = uniqueEmail();
    await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    expect(seen).toBe(email);
  });

  it("validates and stores the application's own fields as attributes, reporting its issues with gatehouse's", async () => {
    const fields = {
      nationalId: z.string().regex(/^[VE]-\d{6,9}$/, 'Use V-12345678'),
      phone: z
        .string()
        .regex(/^\+58 4\d{2} \d{7}$/)
        .optional(),
    };
    const h = harness({ registration: { fields } });
    const { user } = await h.auth.accounts.register({ email: uniqueEmail(), password: PASSWORD, name: 'Ana', nationalId: 'V-12345678', phone: '+58 412 1234567' });
    expect(user.attributes).toEqual({ nationalId: 'V-12345678', phone: '+58 412 1234567' });

    const error = await h.auth.accounts.register({ email: 'bad', password: PASSWORD, name: 'Ana', nationalId: '123' }).catch((e: unknown) => e);
    expect(isAuthError(error, 'VALIDATION_FAILED')).toBe(true);
    const paths = (error as { issues: { path: string[] }[] }).issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['email', 'nationalId']));
    expect(paths).not.toContain('phone');
    expect((await rowCounts(h)).users).toBe(1);
  });

  it('refuses common passwords and the email itself with WEAK_PASSWORD', async () => {
    const h = harness();
    for (const password of ['password123', 'Contraseña123', '12345678', 'ana.gomez@example.com']) {
      const error = await h.auth.accounts.register({ email: 'ana.gomez@example.com', password, name: 'Ana' }).catch((e: unknown) => e);
      expect(isAuthError(error, 'WEAK_PASSWORD'), password).toBe(true);
      expect((error as { issues: { path: string[] }[] }).issues[0]?.path).toEqual(['password']);
    }
    expect((await rowCounts(h)).users).toBe(0);
  });

  it('applies an extra blocklist from the options', async () => {
    const h = harness({ passwords: { blocklist: ['babylovec2025'] } });
    await expectCode(h.auth.accounts.register({ email: uniqueEmail(), password: 'BabyLoveC2025', name: 'Ana' }), 'WEAK_PASSWORD');
  });

  it('refuses passwords outside the length bounds with VALIDATION_FAILED on the password field', async () => {
    const h = harness();
    for (const password of ['short1!', 'x'.repeat(129)]) {
      const error = await h.auth.accounts.register({ email: uniqueEmail(), password, name: 'Ana' }).catch((e: unknown) => e);
      expect(isAuthError(error, 'VALIDATION_FAILED')).toBe(true);
      expect((error as { issues: { path: string[] }[] }).issues.map((i) => i.path.join('.'))).toEqual(['password']);
    }
    const longest = '8lsImpgjaqtxjjB6Y961zcZyBw07gztFW9qKgsQdGkaZJsym84hQz0cIYm0zIRkQ+szImFsfPcUI6SrkqFN1j34IqhzzXdOLM/L0vyPJR2nJY59TPk+D8jj4kpoDVVHi';
    expect(longest).toHaveLength(128);
    await h.auth.accounts.register({ email: uniqueEmail(), password: longest, name: 'Ana' });
  });
});

describe('accounts.isEmailAvailable()', () => {
  it('answers whether an account uses the email, in any letter case', async () => {
    const h = harness();
    await h.auth.accounts.register({ email: 'used@example.com', password: PASSWORD, name: 'Ana' });
    expect(await h.auth.accounts.isEmailAvailable('USED@example.com')).toBe(false);
    expect(await h.auth.accounts.isEmailAvailable('free@example.com')).toBe(true);
    await expectCode(h.auth.accounts.isEmailAvailable('not an email'), 'VALIDATION_FAILED');
  });
});
