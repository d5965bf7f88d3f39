import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAuth, fieldIssueMessage, isAuthError, type AuthError, type FieldIssue } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { fastHasher } from '../support/harness.js';

const failure = async (promise: Promise<unknown>): Promise<AuthError> => {
  const error = await promise.catch((e: unknown) => e);
  if (!isAuthError(error)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error;
};

const byField = (issues: readonly FieldIssue[] | undefined, locale?: string): Record<string, { code: string; message: string }> =>
  Object.fromEntries((issues ?? []).map((issue) => [issue.path.join('.'), { code: issue.code, message: fieldIssueMessage(issue, locale) }]));

describe('field issue messages in Spanish and English', () => {
  const auth = createAuth({
    store: new MemoryAuthStore(),
    mailer: new MemoryMailer(),
    hasher: fastHasher(),
    registration: {
      fields: {
        nationalId: z.string().regex(/^[VE]-\d{6,9}$/, { error: 'Cédula: V-12345678' }),
        phone: z.string().max(20).optional(),
      },
    },
  });

  it('registration: gatehouse’s messages and zod’s defaults are translated, codes are the same in both languages', async () => {
    const error = await failure(auth.accounts.register({ email: 'not an email', password: 'short', name: '', nationalId: '123', phone: 'x'.repeat(30) }));
    expect(error.code).toBe('VALIDATION_FAILED');
    const english = byField(error.issues, 'en');
    const spanish = byField(error.issues, 'es-VE');
    expect(Object.keys(spanish)).toEqual(Object.keys(english));
    for (const field of Object.keys(english)) expect(spanish[field]!.code).toBe(english[field]!.code);
    expect(english['email']!.message).toBe('Enter a valid email address.');
    expect(spanish['email']!.message).toBe('Introduce un correo electrónico válido.');
    expect(spanish['password']!.message).toBe('Usa al menos 8 caracteres.');
    expect(spanish['name']!.message).toBe('Introduce un nombre.');
    // The application's own message is its own, in every language.
    expect(spanish['nationalId']!.message).toBe('Cédula: V-12345678');
    // zod's default for the application's field without a message of its own.
    expect(english['phone']!.message).toMatch(/^Too big/);
    expect(spanish['phone']!.message).toBe('Usa como máximo 20 caracteres.');
  });

  it('a missing field, a wrong type, an unknown option and an unknown key read naturally in Spanish', async () => {
    const missing = await failure(auth.accounts.register({ password: 'correct horse battery staple', name: 'Ana', nationalId: 'V-1234567' } as never));
    expect(byField(missing.issues, 'es')['email']!.message).toBe('Este campo es obligatorio.');
    const wrongType = await failure(auth.accounts.register({ email: 42, password: 'correct horse battery staple', name: 'Ana', nationalId: 'V-1234567' } as never));
    expect(byField(wrongType.issues, 'es')['email']!.message).toBe('Se esperaba un texto.');
    const listed = await failure(auth.users.list(auth.system, { status: 'gone' } as never));
    expect(byField(listed.issues, 'es')['status']!.message).toMatch(/^Elige uno de estos valores: pending, active/);
  });

  it('issues of the services (an unknown role) and of the password policy (a common password) are translated', async () => {
    const error = await failure(auth.users.create(auth.system, { email: 'bea@example.com', name: 'Bea', password: 'correct horse battery staple', nationalId: 'V-1234567', roles: [{ code: 'ghost' }] } as never));
    expect(byField(error.issues, 'es')['roles.0.code']!.message).toBe('No existe el rol ghost.');
    const weak = await failure(auth.accounts.register({ email: 'carla@example.com', password: 'password123', name: 'Carla', nationalId: 'V-1234567' }));
    expect(weak.code).toBe('WEAK_PASSWORD');
    expect(byField(weak.issues, 'es')['password']!.message).toBe('Esta contraseña es demasiado común o fácil de adivinar.');
  });

  it('English, a missing and an unknown language keep the issue’s own message', () => {
    const issue: FieldIssue = { path: ['email'], code: 'invalid_format', message: 'Enter a valid email address.' };
    expect(fieldIssueMessage(issue)).toBe(issue.message);
    expect(fieldIssueMessage(issue, 'fr')).toBe(issue.message);
    expect(fieldIssueMessage(issue, 'en-GB')).toBe(issue.message);
    expect(fieldIssueMessage({ ...issue, message: 'Something of the app.' }, 'es')).toBe('Something of the app.');
  });
});
