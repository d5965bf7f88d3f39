import { z } from 'zod';
import { TOKEN_PATTERN } from '../crypto/tokens.js';
import { AuthError, type FieldIssue } from '../errors.js';
import { USER_STATUSES } from '../domain/user.js';
import { PERMISSION_CODE } from '../domain/permission.js';
import type { JsonObject } from '../domain/user.js';
import { validateAppFields } from './app-fields.js';
import { movedIssue, withTranslation } from './issue-messages.js';
import { isMultiLineText, isSingleLineText, isStorableText } from './text.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/**
 * An email address: ASCII only, no quoted local part, no IP-literal domain (zod's
 * conservative pattern), at most 254 characters, then lower-cased.
 *
 * The pattern is checked on the string as given and lower-casing comes after: lower-casing
 * first would turn the Kelvin sign `K` (U+212A) into `k` and let `Kate@…` reach the
 * account of `kate@…` (Django CVE-2019-19844). Non-ASCII addresses are refused, which also
 * rules out look-alike characters and addresses that mailers parse differently.
 */
export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ error: 'Enter a valid email address.' }))
  .transform((email) => email.toLowerCase());

/**
 * Whether a string is an email address gatehouse accepts, exactly as given (no surrounding
 * space): the check a mailer makes before handing a recipient to its transport, so that an
 * address a mail library would parse differently (`"a@evil.example"@victim.example`, a
 * full-width `＠`, look-alike letters, a list, a display name) never reaches it, whatever
 * wrote it to the store.
 *
 * @example
 * ```ts
 * isValidEmail('ana@example.com');                  // true
 * isValidEmail('"a@evil.example"@victim.example');  // false
 * isValidEmail('ana＠example.com');                 // false (U+FF20)
 * ```
 */
export function isValidEmail(address: unknown): address is string {
  return typeof address === 'string' && address === address.trim() && emailSchema.safeParse(address).success;
}

/** A one-line free text of at most `max` characters after trimming, as {@link isSingleLineText} says. */
export function singleLineSchema(max: number, min = 1): z.ZodString {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine(isSingleLineText, { error: 'Use one line of text, without control characters.' });
}

/** A multi-line free text of at most `max` characters after trimming: tabs and line breaks, no other control character. */
export function multiLineSchema(max: number): z.ZodString {
  return z
    .string()
    .trim()
    .max(max)
    .refine(isMultiLineText, { error: 'The text contains characters that are not allowed.' });
}

// Control characters, format characters (bidi overrides), lone surrogates and angle brackets have no place in a person's name.
const NAME_FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029<>]/u;

/** A person's display name: 1–100 characters after trimming, no control characters or `<` `>`. */
export const nameSchema = z
  .string()
  .trim()
  .normalize('NFC')
  .min(1, { error: 'Enter a name.' })
  .max(100)
  .refine((name) => !NAME_FORBIDDEN.test(name), { error: 'The name contains characters that are not allowed.' });

/** A password being checked (login, current password): any text up to 1024 characters. */
export const givenPasswordSchema = z.string().min(1, { error: 'Enter the password.' }).max(1024);

/** A new password, within the configured length bounds (its strength is checked afterwards). */
export function newPasswordSchema(minLength: number, maxLength: number): z.ZodString {
  return z
    .string()
    .min(minLength, { error: `Use at least ${minLength} characters.` })
    .max(maxLength, { error: `Use at most ${maxLength} characters.` })
    // A lone surrogate becomes U+FFFD when the password is encoded for hashing: two different passwords would match.
    .refine(isStorableText, { error: 'The password contains characters that are not allowed.' });
}

/** A session token or one-time key: 43 base64url characters. Blank or malformed keys never reach the store. */
export const tokenSchema = z.string().regex(TOKEN_PATTERN, { error: 'The key is malformed.' });

/** A language tag such as `en`, `es` or `es-VE`. */
export const localeSchema = z.string().regex(/^[a-z]{2,3}(?:-[A-Z]{2})?$/, { error: 'Use a language tag such as en or es-VE.' });

/** A UUID, as used for user and session ids. */
export const idSchema = z.uuid({ error: 'Not a valid id.' });

/** An account status. */
export const statusSchema = z.enum(USER_STATUSES);

/** A permission code. */
export const permissionCodeSchema = z.string().regex(PERMISSION_CODE, { error: 'Use module:action, module:action:own, module:* or *.' });

/** A role code: lower-case letters, digits, `_` and `-`. */
export const roleCodeSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,49}$/, { error: 'Use lower-case letters, digits, _ and -.' });

/** A free-text reason given by an administrator: one line. */
export const reasonSchema = singleLineSchema(500);

/** Paging of list queries, 1-based. */
export const pagingShape = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
};

/** Converts zod issues into field issues. */
export function toFieldIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly (string | number)[] = []): FieldIssue[] {
  return issues.map((issue) =>
    withTranslation(
      {
        path: [...prefix, ...issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key))],
        code: issue.code,
        message: issue.message,
      },
      issue,
    ),
  );
}

/** The outcome of {@link checkInput}: the parsed data, or the issues. */
type Checked<T> = { readonly ok: true; readonly data: T } | { readonly ok: false; readonly issues: FieldIssue[] };

const UNREADABLE = 'This value could not be read.';

/**
 * Parses with a schema, turning anything the schema library throws into issues: a hostile
 * JSON value (`{"length":{"toString":null}}` where a string belongs) makes zod's checks throw
 * a `TypeError` instead of reporting an issue. Each field of an object schema is then parsed
 * alone, so the issue names the field.
 */
function checkInput<S extends z.ZodType>(schema: S, input: unknown): Checked<z.output<S>> {
  try {
    const result = schema.safeParse(input);
    return result.success ? { ok: true, data: result.data } : { ok: false, issues: toFieldIssues(result.error.issues) };
  } catch {
    return { ok: false, issues: issuesOfUnreadable(schema, input) };
  }
}

function issuesOfUnreadable(schema: z.ZodType, input: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (schema instanceof z.ZodObject && typeof input === 'object' && input !== null && !Array.isArray(input)) {
    for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const value = Object.hasOwn(input, key) ? (input as Record<string, unknown>)[key] : undefined;
      const checked = checkInput(field, value);
      if (!checked.ok) issues.push(...checked.issues.map((issue) => movedIssue(issue, [key, ...issue.path])));
    }
  }
  return issues.length > 0 ? issues : [{ path: [], code: 'invalid_type', message: UNREADABLE }];
}

/**
 * Parses an input that crossed the public API. Nothing the schema library throws escapes:
 * any JSON value in any field ends as `VALIDATION_FAILED`.
 * @throws {AuthError} VALIDATION_FAILED — with one issue per bad field.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const checked = checkInput(schema, input);
  if (!checked.ok) throw new AuthError('VALIDATION_FAILED', { issues: checked.issues });
  return checked.data;
}

/**
 * Parses an input made of gatehouse's fields and the application's own fields, reporting
 * the problems of both together.
 * @throws {AuthError} VALIDATION_FAILED — with one issue per bad field.
 */
export async function parseWithAppFields<S extends z.ZodType>(
  schema: S,
  fields: Readonly<Record<string, StandardSchemaV1>>,
  input: unknown,
  options: { partial: boolean },
): Promise<{ data: z.output<S>; attributes: JsonObject }> {
  const checked = checkInput(schema, input);
  const app = await validateAppFields(fields, input, options);
  const issues = [...(checked.ok ? [] : checked.issues), ...app.issues];
  if (!checked.ok || issues.length > 0) throw new AuthError('VALIDATION_FAILED', { issues });
  return { data: checked.data, attributes: app.values };
}
