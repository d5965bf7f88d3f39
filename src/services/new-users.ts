import type { z } from 'zod';
import { newUserRecord, type JsonObject, type UserRecord } from '../domain/user.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import type { ResolvedOptions } from '../options.js';
import type { PasswordPolicy } from '../validation/password-policy.js';
import { parseWithAppFields } from '../validation/schemas.js';
import type { Stamps } from './stamps.js';

/*
 * What registration and an administrator's create share: the input checked (the email
 * normalised, the app's fields, the password acceptable and hashed) and the new user's record.
 */

/** What a new user is made with. */
export interface NewUserDeps {
  readonly hasher: PasswordHasher;
  readonly policy: PasswordPolicy;
  readonly stamps: Stamps;
  readonly options: Pick<ResolvedOptions, 'registration'>;
}

/** The fields every new user's input has, once parsed. */
interface NewUserFields {
  readonly email: string;
  readonly name: string;
  readonly password: string;
  readonly locale?: string | undefined;
}

/** A new user's input, checked. */
export interface CheckedNewUser<T> {
  readonly data: T;
  readonly attributes: JsonObject;
  readonly passwordHash: string;
}

/**
 * Parses a new user's input with the app's fields, refuses an unacceptable password and
 * hashes it. The hash is made before the address is looked up: with
 * `registration.revealExistingEmail` off, the time must not tell whether it is taken.
 * @throws {AuthError} VALIDATION_FAILED | WEAK_PASSWORD
 */
export async function checkNewUser<S extends z.ZodType<NewUserFields>>(deps: NewUserDeps, schema: S, input: unknown): Promise<CheckedNewUser<z.output<S>>> {
  const { data, attributes } = await parseWithAppFields(schema, deps.options.registration.fields, input, { partial: false });
  await deps.policy.assertAcceptable(data.password, data, 'password');
  const passwordHash = await deps.hasher.hash(data.password);
  return { data, attributes, passwordHash };
}

/** The record of a new user from its checked input, in the state the caller decides. */
export function newUserOf(
  stamps: Stamps,
  checked: CheckedNewUser<NewUserFields>,
  state: Pick<UserRecord, 'status' | 'emailVerifiedAt' | 'mustChangePassword'>,
  now: Date,
): UserRecord {
  const { data, attributes, passwordHash } = checked;
  return newUserRecord({ id: stamps.newId(), email: data.email, name: data.name, passwordHash, ...state, locale: data.locale ?? null, attributes }, now);
}
