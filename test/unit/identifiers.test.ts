import { describe, expect, it } from 'vitest';
import { isAuthError } from 'gatehouse';
import { activeUser, harness, signIn } from '../support/harness.js';

const codeOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isAuthError(error) ? error.code : `not an AuthError: ${String(error)}`),
  );

describe('users.findByIdentifier()', () => {
  it('finds the user holding an identifier, exactly, or answers null', async () => {
    const h = harness();
    const ana = await activeUser(h);
    await h.store.setUserIdentifiers(ana.id, { legacyId: '42', documentNumber: 'V-1020' });
    expect((await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '42'))?.id).toBe(ana.id);
    expect((await h.auth.users.findByIdentifier(h.auth.system, 'documentNumber', 'V-1020'))?.email).toBe(ana.email);
    expect(await h.auth.users.findByIdentifier(h.auth.system, 'documentNumber', 'v-1020')).toBeNull();
    expect(await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '43')).toBeNull();
    const found = await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '42');
    expect(found).not.toHaveProperty('passwordHash');
  });

  it('refuses a malformed name or value with VALIDATION_FAILED, and an actor without users:view with FORBIDDEN', async () => {
    const h = harness();
    for (const [name, value] of [
      ['1legacy', '42'],
      ['legacy-id', '42'],
      ['a'.repeat(65), '42'],
      ['gatehouse.import', 'x'],
      ['legacyId', ''],
      ['legacyId', ' 42'],
      ['legacyId', '4\n2'],
      ['legacyId', 'x'.repeat(256)],
    ] as const) {
      expect(await codeOf(h.auth.users.findByIdentifier(h.auth.system, name, value)), `${name}=${value}`).toBe('VALIDATION_FAILED');
    }
    await activeUser(h, { email: 'eve@example.com' });
    const { context } = await signIn(h, 'eve@example.com');
    expect(await codeOf(h.auth.users.findByIdentifier(context, 'legacyId', '42'))).toBe('FORBIDDEN');
  });
});
