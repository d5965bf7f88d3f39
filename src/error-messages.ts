import { AUTH_ERROR_CODES, type AuthErrorCode } from './errors.js';

/** The text of every error code in one language. */
export type AuthErrorMessages = { readonly [C in AuthErrorCode]: string };

const english = Object.fromEntries(Object.entries(AUTH_ERROR_CODES).map(([code, entry]) => [code, entry.message])) as AuthErrorMessages;

// Every code needs its Spanish text: a code added to AUTH_ERROR_CODES without one fails the type check here.
const spanish: AuthErrorMessages = {
  VALIDATION_FAILED: 'La solicitud contiene campos no válidos.',
  WEAK_PASSWORD: 'La contraseña no cumple los requisitos de seguridad.',
  PASSWORD_REUSED: 'Usaste esta contraseña hace poco; elige otra.',
  EMAIL_TAKEN: 'Ya existe una cuenta con este correo electrónico.',
  IDENTIFIER_TAKEN: 'Otra cuenta ya tiene este identificador.',
  INVALID_CREDENTIALS: 'Correo electrónico o contraseña incorrectos.',
  KEY_INVALID: 'La clave no es válida o ya fue utilizada.',
  KEY_EXPIRED: 'La clave caducó; solicita una nueva.',
  ACCOUNT_PENDING: 'La cuenta está pendiente de aprobación.',
  ACCOUNT_NOT_ACTIVATED: 'La cuenta todavía no está activada.',
  ACCOUNT_INACTIVE: 'La cuenta está desactivada.',
  ACCOUNT_BLOCKED: 'La cuenta está bloqueada.',
  ACCOUNT_SUSPENDED: 'La cuenta está suspendida.',
  PASSWORD_CHANGE_REQUIRED: 'Debes cambiar tu contraseña antes de continuar.',
  TWO_FACTOR_REQUIRED: 'Introduce el código de tu aplicación de autenticación para terminar de iniciar sesión.',
  TWO_FACTOR_INVALID: 'El código de verificación es incorrecto o ya fue utilizado.',
  UNAUTHENTICATED: 'Debes iniciar sesión.',
  FORBIDDEN: 'No tienes permiso para hacer esto.',
  SELF_PROTECTION: 'Un administrador no puede hacer esto con su propia cuenta.',
  NOT_FOUND: 'No se encontró.',
  CONFLICT: 'La solicitud entra en conflicto con el estado actual.',
  RATE_LIMITED: 'Demasiados intentos; vuelve a intentarlo más tarde.',
  STORAGE_FAILED: 'El servicio no está disponible en este momento.',
};

/**
 * The texts of every error code by language: English (the `message` of an {@link AuthError})
 * and Spanish.
 */
export const AUTH_ERROR_MESSAGES: Readonly<Record<'en' | 'es', AuthErrorMessages>> = Object.freeze({
  en: Object.freeze(english),
  es: Object.freeze(spanish),
});

/**
 * The text of an error code in a language, for showing an {@link AuthError} to a person:
 * `locale` is a language tag such as `es` or `es-VE` (its region is ignored); a missing or
 * unknown language gets English, the text of `error.message`.
 *
 * @example
 * ```ts
 * authErrorMessage('ACCOUNT_BLOCKED', 'es-VE'); // 'La cuenta está bloqueada.'
 * authErrorMessage('ACCOUNT_BLOCKED', 'fr');    // 'The account is blocked.'
 * ```
 */
export function authErrorMessage(code: AuthErrorCode, locale?: string): string {
  const language = typeof locale === 'string' ? locale.trim().toLowerCase().split(/[-_;,\s]/)[0] : undefined;
  const table = language === 'es' ? AUTH_ERROR_MESSAGES.es : AUTH_ERROR_MESSAGES.en;
  return table[code];
}
