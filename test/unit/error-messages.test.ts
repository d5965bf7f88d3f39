import { describe, expect, it } from 'vitest';
import { AUTH_ERROR_CODES, AUTH_ERROR_MESSAGES, AuthError, authErrorMessage, type AuthErrorCode } from 'gatehouse';

const CODES = Object.keys(AUTH_ERROR_CODES) as AuthErrorCode[];

describe('authErrorMessage()', () => {
  it('gives every code an English text equal to the error message, and a distinct Spanish one', () => {
    for (const code of CODES) {
      expect(authErrorMessage(code), code).toBe(new AuthError(code).message);
      expect(authErrorMessage(code, 'en'), code).toBe(AUTH_ERROR_CODES[code].message);
      const spanish = authErrorMessage(code, 'es');
      expect(spanish, code).toMatch(/\S/);
      expect(spanish, code).not.toBe(authErrorMessage(code, 'en'));
    }
    expect(new Set(CODES.map((code) => authErrorMessage(code, 'es'))).size).toBe(CODES.length);
    expect(Object.keys(AUTH_ERROR_MESSAGES.es).sort()).toEqual([...CODES].sort());
  });

  it('speaks the words of our users', () => {
    expect(authErrorMessage('INVALID_CREDENTIALS', 'es')).toBe('Correo electrónico o contraseña incorrectos.');
    expect(authErrorMessage('ACCOUNT_BLOCKED', 'es')).toBe('La cuenta está bloqueada.');
    expect(authErrorMessage('KEY_INVALID', 'es')).toBe('La clave no es válida o ya fue utilizada.');
    expect(authErrorMessage('FORBIDDEN', 'es')).toBe('No tienes permiso para hacer esto.');
  });

  it('reads the language of a regional or differently written tag, and falls back to English', () => {
    for (const tag of ['es', 'es-VE', 'es_MX', 'ES', ' es-419 ', 'es-ES,es;q=0.9']) {
      expect(authErrorMessage('RATE_LIMITED', tag), tag).toBe('Demasiados intentos; vuelve a intentarlo más tarde.');
    }
    for (const tag of [undefined, '', 'fr', 'pt-BR', 'e', 'english', 'spanish', '*']) {
      expect(authErrorMessage('RATE_LIMITED', tag), String(tag)).toBe('Too many attempts; try again later.');
    }
  });
});
