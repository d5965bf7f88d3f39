import { z } from 'zod';
import { normalizeEmail } from './email.js';
import { emailSchema, givenPasswordSchema, parseInput } from './schemas.js';

/*
 * The sign-in's input, parsed without zod when it is well-formed, as nearly every one is:
 * zod's object, string and default checks cost a sign-in ~0.1 ms of CPU when they run right
 * after a 19 MiB argon2id pass has pushed them out of the caches (~12 µs warm;
 * docs/performance.md, issue 21, branch signin-c1). Anything the plain checks do not accept
 * goes to the schema, which decides and words the issues; `test/unit/login-input.test.ts`
 * checks that both ways answer alike.
 */

/** What `auth.sessions.login()` takes, as the sign-in uses it. */
export const loginSchema = z.object({
  email: emailSchema,
  password: givenPasswordSchema,
  rememberMe: z.boolean().default(false),
});

/** The parsed sign-in input. */
export type LoginFields = z.output<typeof loginSchema>;

/** What the schema answers for a well-formed input, read from it once; `undefined` when the schema must judge it. */
function plainLoginInput(input: unknown): LoginFields | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  let fields: { email: unknown; password: unknown; rememberMe: unknown };
  try {
    const { email, password, rememberMe } = input as Record<string, unknown>;
    fields = { email, password, rememberMe };
  } catch {
    return undefined; // a hostile getter: the schema's way reports it
  }
  const { email, password, rememberMe } = fields;
  if (typeof email !== 'string' || email.length > 320 || typeof password !== 'string' || password.length < 1 || password.length > 1024) return undefined;
  if (rememberMe !== undefined && typeof rememberMe !== 'boolean') return undefined;
  const normalized = normalizeEmail(email);
  return normalized === null ? undefined : { email: normalized, password, rememberMe: rememberMe ?? false };
}

/**
 * Parses the input of a sign-in.
 * @throws {AuthError} VALIDATION_FAILED — as {@link parseInput} with {@link loginSchema}.
 */
export function parseLoginInput(input: unknown): LoginFields {
  return plainLoginInput(input) ?? parseInput(loginSchema, input);
}
