import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isAuthError } from 'gatehouse';
import { activeUser, harness, PASSWORD, signIn } from '../support/harness.js';

const codeOf = (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (error: unknown) => (isAuthError(error) ? error.code : `not an AuthError: ${String(error)}`),
  );

describe('accounts.getProfile() and updateProfile()', () => {
  it("reads and updates the signed-in user's own name, language and app fields, logging before and after", async () => {
    const h = harness({ registration: { fields: { phone: z.string().regex(/^\+\d{6,15}$/).optional() } } });
    const user = await activeUser(h, { name: 'Ana' });
    const { context } = await signIn(h, user.email);
    expect((await h.auth.accounts.getProfile(context)).name).toBe('Ana');
    const updated = await h.auth.accounts.updateProfile(context, { name: 'Ana María', locale: 'es', phone: '+584121234567' });
    expect(updated).toMatchObject({ name: 'Ana María', locale: 'es', attributes: { phone: '+584121234567' } });
    const log = await h.store.listActivities({ subjectId: user.id, action: 'profile.updated', offset: 0, limit: 5 });
    expect(log.items[0]?.metadata).toEqual({
      before: { name: 'Ana', locale: null, attributes: {} },
      after: { name: 'Ana María', locale: 'es', attributes: { phone: '+584121234567' } },
    });
  });

  it('leaves absent fields alone and writes nothing when nothing changed', async () => {
    const h = harness({ registration: { fields: { phone: z.string().optional() } } });
    const user = await activeUser(h, { name: 'Ana' });
    const { context } = await signIn(h, user.email);
    await h.auth.accounts.updateProfile(context, { phone: '+1' });
    await h.auth.accounts.updateProfile(context, {});
    await h.auth.accounts.updateProfile(context, { name: 'Ana' });
    const profile = await h.auth.accounts.getProfile(context);
    expect(profile).toMatchObject({ name: 'Ana', attributes: { phone: '+1' } });
    expect((await h.store.listActivities({ subjectId: user.id, action: 'profile.updated', offset: 0, limit: 5 })).total).toBe(1);
  });

  it('cannot change email, status, roles or password through the profile', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { context } = await signIn(h, user.email);
    await h.auth.accounts.updateProfile(context, { email: 'x@example.com', status: 'blocked', mustChangePassword: true, passwordHash: 'x', roles: ['admin'] } as never);
    expect(await h.store.findUserById(user.id)).toMatchObject({ email: user.email, status: 'active', mustChangePassword: false });
    await h.auth.sessions.login({ email: user.email, password: PASSWORD });
  });
});

describe('email change', () => {
  it('keeps the old address until the key mailed to the new one is used, then re-verifies', async () => {
    const h = harness();
    const user = await activeUser(h, { email: 'old@example.com' });
    const { context } = await signIn(h, user.email);
    await h.auth.accounts.requestEmailChange(context, { newEmail: 'New@Example.com', currentPassword: PASSWORD });
    const mail = h.mailer.last({ kind: 'email-change' });
    expect(mail?.to).toBe('new@example.com');
    expect(mail?.link).toBe(`http://localhost:3000/confirm-email?key=${mail?.key}`);
    expect((await h.store.findUserById(user.id))?.email).toBe('old@example.com');
    h.clock.advance(5);
    const { user: changed } = await h.auth.accounts.confirmEmailChange({ key: mail!.key! });
    expect(changed.email).toBe('new@example.com');
    expect(changed.emailVerifiedAt).toEqual(h.clock.now());
    await h.auth.sessions.login({ email: 'new@example.com', password: PASSWORD });
    expect(await codeOf(h.auth.sessions.login({ email: 'old@example.com', password: PASSWORD }))).toBe('INVALID_CREDENTIALS');
    expect(await codeOf(h.auth.accounts.confirmEmailChange({ key: mail!.key! }))).toBe('KEY_INVALID');
  });

  it('requires the current password and refuses a taken address', async () => {
    const h = harness();
    const user = await activeUser(h);
    const other = await activeUser(h);
    const { context } = await signIn(h, user.email);
    expect(await codeOf(h.auth.accounts.requestEmailChange(context, { newEmail: 'free@example.com', currentPassword: 'not the password' }))).toBe('INVALID_CREDENTIALS');
    expect(await codeOf(h.auth.accounts.requestEmailChange(context, { newEmail: other.email.toUpperCase(), currentPassword: PASSWORD }))).toBe('EMAIL_TAKEN');
    expect(h.mailer.last()?.kind).toBe('activation');
  });

  it('refuses the change when the address was taken meanwhile, changing nothing', async () => {
    const h = harness();
    const user = await activeUser(h);
    const { context } = await signIn(h, user.email);
    await h.auth.accounts.requestEmailChange(context, { newEmail: 'contested@example.com', currentPassword: PASSWORD });
    const key = h.mailer.last({ kind: 'email-change' })!.key!;
    await activeUser(h, { email: 'contested@example.com' });
    expect(await codeOf(h.auth.accounts.confirmEmailChange({ key }))).toBe('EMAIL_TAKEN');
    expect((await h.store.findUserById(user.id))?.email).toBe(user.email);
  });

  it('an activation key mailed to the old address no longer activates after the change', async () => {
    const h = harness({ registration: { requireEmailVerification: false } });
    const { user } = await h.auth.accounts.register({ email: 'first@example.com', password: PASSWORD, name: 'Ana' });
    const activationKey = h.mailer.last({ kind: 'activation' })!.key!;
    const { context } = await signIn(h, user.email);
    await h.auth.accounts.requestEmailChange(context, { newEmail: 'second@example.com', currentPassword: PASSWORD });
    await h.auth.accounts.confirmEmailChange({ key: h.mailer.last({ kind: 'email-change' })!.key! });
    expect(await codeOf(h.auth.accounts.activate({ key: activationKey }))).toBe('KEY_INVALID');
  });
});
