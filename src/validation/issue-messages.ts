import { z } from 'zod';
import type { FieldIssue } from '../errors.js';

/**
 * The Spanish of every message gatehouse writes into a field issue, by its English text.
 * Codes never change with the language; only the `message` does.
 */
const SPANISH: ReadonlyMap<string, string> = new Map([
  ['Enter a valid email address.', 'Introduce un correo electrónico válido.'],
  ['Use one line of text, without control characters.', 'Usa una sola línea de texto, sin caracteres de control.'],
  ['The text contains characters that are not allowed.', 'El texto contiene caracteres que no se admiten.'],
  ['Enter a name.', 'Introduce un nombre.'],
  ['The name contains characters that are not allowed.', 'El nombre contiene caracteres que no se admiten.'],
  ['Enter the password.', 'Introduce la contraseña.'],
  ['The password contains characters that are not allowed.', 'La contraseña contiene caracteres que no se admiten.'],
  ['The key is malformed.', 'La clave no tiene un formato válido.'],
  ['Use a language tag such as en or es-VE.', 'Usa una etiqueta de idioma como es o es-VE.'],
  ['Not a valid id.', 'No es un identificador válido.'],
  ['Use module:action, module:action:own, module:* or *.', 'Usa la forma module:action, module:action:own, module:* o *.'],
  ['Use lower-case letters, digits, _ and -.', 'Usa letras minúsculas, dígitos, _ y -.'],
  ['This value could not be read.', 'No se pudo leer este valor.'],
  ['This value cannot be stored.', 'Este valor no se puede guardar.'],
  ['This password is too common or too easy to guess.', 'Esta contraseña es demasiado común o fácil de adivinar.'],
  ['This password is known from a data breach; choose another one.', 'Esta contraseña aparece en una filtración de datos; elige otra.'],
  ['The end date must be in the future.', 'La fecha de fin debe estar en el futuro.'],
  ['Enter the code.', 'Introduce el código.'],
  ['A role is listed twice.', 'Un rol aparece dos veces.'],
  ['Another account already has this value.', 'Otra cuenta ya tiene este valor.'],
  ['Use a dotted action such as user.blocked, or a prefix such as login.', 'Usa una acción con puntos como user.blocked, o un prefijo como login.'],
  ['Keep at least one day of activity.', 'Conserva al menos un día de actividad.'],
  ["Use 'cookie' or 'bearer'.", "Usa 'cookie' o 'bearer'."],
]);

/** Messages with a value inside: the English pattern and the Spanish built from what it captured. */
const SPANISH_PATTERNS: readonly (readonly [RegExp, (value: string) => string])[] = [
  [/^Use at least (\d+) characters\.$/, (n) => `Usa al menos ${n} caracteres.`],
  [/^Use at most (\d+) characters\.$/, (n) => `Usa como máximo ${n} caracteres.`],
  [/^Choose a password you have not used in your last (\d+) changes\.$/, (n) => `Elige una contraseña que no hayas usado en tus últimos ${n} cambios.`],
  [/^No role (.+)\.$/, (code) => `No existe el rol ${code}.`],
  [/^No permission (.+)\.$/, (code) => `No existe el permiso ${code}.`],
];

/** The Spanish of a message gatehouse wrote, or `undefined` for a message of someone else's. */
function spanishOfOwn(message: string): string | undefined {
  const exact = SPANISH.get(message);
  if (exact !== undefined) return exact;
  for (const [pattern, spanish] of SPANISH_PATTERNS) {
    const match = pattern.exec(message);
    if (match !== null) return spanish(match[1]!);
  }
  return undefined;
}

/** The Spanish of issues made from schema issues with the schema library's own English message (kept per issue object). */
const fromSchemaLibrary = new WeakMap<FieldIssue, string>();

/** What a zod 4 issue may carry, read defensively: an application's schema may come from another copy or library. */
interface LibraryIssue {
  readonly code?: unknown;
  readonly message: string;
  readonly origin?: unknown;
  readonly minimum?: unknown;
  readonly maximum?: unknown;
  readonly inclusive?: unknown;
  readonly expected?: unknown;
  readonly format?: unknown;
  readonly values?: unknown;
  readonly keys?: unknown;
  readonly divisor?: unknown;
}

const englishDefault = z.locales.en().localeError;

/** Whether the message is zod's own English for the issue (not one a schema set with `error`). */
function isLibraryDefault(issue: LibraryIssue): boolean {
  // zod words invalid_type with the received value, which the finished issue no longer holds.
  if (issue.code === 'invalid_type') return /^Invalid input: expected \S+, received \S+$/.test(issue.message);
  try {
    const english = englishDefault(issue as z.core.$ZodRawIssue);
    return (typeof english === 'string' ? english : english?.message) === issue.message;
  } catch {
    return false;
  }
}

const TYPES: Readonly<Record<string, string>> = {
  string: 'un texto',
  number: 'un número',
  int: 'un número entero',
  bigint: 'un número entero',
  boolean: 'verdadero o falso',
  object: 'un objeto',
  array: 'una lista',
  date: 'una fecha',
};

const FORMATS: Readonly<Record<string, string>> = {
  email: 'Introduce un correo electrónico válido.',
  uuid: 'No es un identificador válido.',
  guid: 'No es un identificador válido.',
  url: 'Introduce una URL válida.',
  datetime: 'Introduce una fecha y hora válidas.',
  date: 'Introduce una fecha válida.',
  time: 'Introduce una hora válida.',
};

const list = (value: unknown): string[] => (Array.isArray(value) ? value.map((item) => String(item)) : []);

/** The Spanish of zod's own message for an issue, worded as gatehouse words its messages. */
function spanishOfLibrary(issue: LibraryIssue): string {
  const origin = String(issue.origin);
  const text = origin === 'string';
  const many = origin === 'array' || origin === 'set';
  const inclusive = issue.inclusive !== false;
  switch (issue.code) {
    case 'too_small': {
      const n = String(issue.minimum);
      if (text) return n === '1' ? 'Este campo no puede estar vacío.' : `Usa al menos ${n} caracteres.`;
      if (many) return `Incluye al menos ${n} elementos.`;
      return inclusive ? `Debe ser como mínimo ${n}.` : `Debe ser mayor que ${n}.`;
    }
    case 'too_big': {
      const n = String(issue.maximum);
      if (text) return `Usa como máximo ${n} caracteres.`;
      if (many) return `Incluye como máximo ${n} elementos.`;
      return inclusive ? `Debe ser como máximo ${n}.` : `Debe ser menor que ${n}.`;
    }
    case 'invalid_type':
      if (issue.message.endsWith(', received undefined')) return 'Este campo es obligatorio.';
      return `Se esperaba ${TYPES[String(issue.expected)] ?? String(issue.expected)}.`;
    case 'invalid_format':
      return FORMATS[String(issue.format)] ?? 'El formato no es válido.';
    case 'invalid_value':
      return `Elige uno de estos valores: ${list(issue.values).join(', ')}.`;
    case 'unrecognized_keys': {
      const keys = list(issue.keys);
      return keys.length === 1 ? `Campo no admitido: ${keys[0]}.` : `Campos no admitidos: ${keys.join(', ')}.`;
    }
    case 'not_multiple_of':
      return `Debe ser múltiplo de ${String(issue.divisor)}.`;
    default:
      return 'El valor no es válido.';
  }
}

/**
 * Notes the Spanish of a field issue made from a schema library's issue: the message gatehouse
 * wrote, or the library's own English default; a message the application's schema set itself
 * is its own and stays as it is in every language. Returns the field issue.
 * @internal
 */
export function withTranslation(field: FieldIssue, source: LibraryIssue): FieldIssue {
  if (spanishOfOwn(source.message) === undefined && typeof source.code === 'string' && isLibraryDefault(source)) {
    fromSchemaLibrary.set(field, spanishOfLibrary(source));
  }
  return field;
}

/** A copy of a field issue at another path, keeping its translation. @internal */
export function movedIssue(issue: FieldIssue, path: readonly (string | number)[]): FieldIssue {
  const moved: FieldIssue = { ...issue, path };
  const spanish = fromSchemaLibrary.get(issue);
  if (spanish !== undefined) fromSchemaLibrary.set(moved, spanish);
  return moved;
}

/** The languages field issues are worded in. */
export const ISSUE_LANGUAGES = ['en', 'es'] as const;

/**
 * The message of a field issue (`VALIDATION_FAILED`, `WEAK_PASSWORD`, `PASSWORD_REUSED`) in a
 * language, for showing it to a person: `locale` is a language tag such as `es` or `es-VE`
 * (its region is ignored); English, a missing or an unknown language gets the issue's own
 * message. gatehouse's messages and the validation library's defaults are translated; a
 * message set by the application's own schema is returned as it is. The `code` is the same
 * in every language.
 *
 * @example
 * ```ts
 * const error = await auth.accounts.register({ email: 'nope', password: 'x', name: '' }).catch((e) => e);
 * error.issues.map((issue) => fieldIssueMessage(issue, 'es-VE'));
 * // ['Introduce un correo electrónico válido.', 'Usa al menos 8 caracteres.', 'Introduce un nombre.']
 * ```
 */
export function fieldIssueMessage(issue: FieldIssue, locale?: string): string {
  const language = typeof locale === 'string' ? locale.trim().toLowerCase().split(/[-_;,\s]/)[0] : undefined;
  if (language !== 'es') return issue.message;
  return fromSchemaLibrary.get(issue) ?? spanishOfOwn(issue.message) ?? issue.message;
}
