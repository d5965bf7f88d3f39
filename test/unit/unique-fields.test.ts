import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAuth, isAuthError, type AuthError } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { activeUser, harness, PASSWORD, rowCounts, signIn } from '../support/harness.js';

const failure = (promise: Promise<unknown>): Promise<AuthError> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      if (!isAuthError(error)) throw error;
      return error;
    },
  );

const fields = { nationalId: z.string().regex(/^[VE]-\d{6,9}$/).optional(), phone: z.string().optional() };
const unique = () => harness({ registration: { fields, uniqueFields: ['nationalId'] } });

describe('registration.uniqueFields (seed 001: unique:usuarios,cedula)', () => {
  it('a second registration with a taken value is refused IDENTIFIER_TAKEN (409) naming the field, storing nothing; the value is an identifier', async () => {
    const h = unique();
    const { user } = await h.auth.accounts.register({ email: 'ana@example.com', password: PASSWORD, name: 'Ana', nationalId: 'V-12345678' });
    expect((await h.auth.users.findByIdentifier(h.auth.system, 'nationalId', 'V-12345678'))?.id).toBe(user.id);
    expect(user.attributes).toEqual({ nationalId: 'V-12345678' });
    const before = await rowCounts(h);
    const error = await failure(h.auth.accounts.register({ email: 'bob@example.com', password: PASSWORD, name: 'Bob', nationalId: 'V-12345678' }));
    expect(error.code).toBe('IDENTIFIER_TAKEN');
    expect(error.status).toBe(409);
    expect(error.issues?.map((i) => i.path)).toEqual([['nationalId']]);
    expect(await rowCounts(h)).toEqual(before);
    // Without the field, or with another value, registration goes on.
    await h.auth.accounts.register({ email: 'carla@example.com', password: PASSWORD, name: 'Carla' });
    await h.auth.accounts.register({ email: 'dora@example.com', password: PASSWORD, name: 'Dora', nationalId: 'E-7654321' });
  });

  it('a profile change or an administrator’s edit to a taken value is refused; to a free one it moves the identifier, keeping the user’s others', async () => {
    const h = unique();
    await h.auth.accounts.register({ email: 'ana@example.com', password: PASSWORD, name: 'Ana', nationalId: 'V-111111' });
    const bob = await activeUser(h, { email: 'bob@example.com' });
    await h.store.setUserIdentifiers(bob.id, { legacyId: '42' });
    const { context } = await signIn(h, 'bob@example.com');
    expect((await failure(h.auth.accounts.updateProfile(context, { nationalId: 'V-111111' }))).code).toBe('IDENTIFIER_TAKEN');
    await h.auth.accounts.updateProfile(context, { nationalId: 'V-222222' });
    await h.auth.accounts.updateProfile(context, { nationalId: 'V-333333' });
    expect(await h.auth.users.findByIdentifier(h.auth.system, 'nationalId', 'V-222222')).toBeNull();
    expect((await h.auth.users.findByIdentifier(h.auth.system, 'nationalId', 'V-333333'))?.id).toBe(bob.id);
    expect((await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '42'))?.id).toBe(bob.id);
    expect((await failure(h.auth.users.edit(h.auth.system, bob.id, { nationalId: 'V-111111' }))).code).toBe('IDENTIFIER_TAKEN');
    const created = h.auth.users.create(h.auth.system, { email: 'eve@example.com', name: 'Eve', password: PASSWORD, nationalId: 'V-333333' });
    expect((await failure(created)).code).toBe('IDENTIFIER_TAKEN');
    expect(await h.store.findUserByEmail('eve@example.com')).toBeNull();
  });

  it('a uniqueFields entry that is not a field is a TypeError at construction', () => {
    expect(() => createAuth({ store: new MemoryAuthStore(), mailer: new MemoryMailer(), registration: { fields, uniqueFields: ['cedula'] } })).toThrow(TypeError);
  });
});
