import { isIdentifierValue } from '../domain/identifier.js';
import type { JsonObject } from '../domain/user.js';
import { AuthError, isAuthError } from '../errors.js';
import type { AuthStore } from '../ports/auth-store.js';

/** The refusal of a value another account holds, naming the field. */
function taken(field: string, cause?: unknown): AuthError {
  return new AuthError('IDENTIFIER_TAKEN', {
    message: `Another account already has this ${field}.`,
    issues: [{ path: [field], code: 'taken', message: 'Another account already has this value.' }],
    cause,
  });
}

/**
 * The identifiers a user's unique registration fields make (field name → value as text);
 * a field without a value makes none.
 * @throws {AuthError} VALIDATION_FAILED — a value that cannot be an identifier (not one line of at most 255 characters).
 */
export function uniqueFieldIdentifiers(uniqueFields: readonly string[], attributes: JsonObject): Record<string, string> {
  const identifiers: Record<string, string> = {};
  for (const field of uniqueFields) {
    const value = attributes[field];
    if (value === undefined || value === null || value === '') continue;
    const text = typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
    if (!isIdentifierValue(text)) {
      throw new AuthError('VALIDATION_FAILED', { issues: [{ path: [field], code: 'invalid_value', message: 'Use one line of at most 255 characters.' }] });
    }
    identifiers[field] = text;
  }
  return identifiers;
}

/**
 * Stores a user's unique registration fields as identifiers, in the caller's transaction,
 * keeping the user's other identifiers (an imported `legacyId`). Checked first, so that the
 * refusal names the field; the store's unique key decides between concurrent writers.
 * @throws {AuthError} IDENTIFIER_TAKEN — another user holds one of the values (`issues` names the field).
 */
export async function writeUniqueFields(tx: AuthStore, userId: string, uniqueFields: readonly string[], attributes: JsonObject, options: { readonly fresh: boolean }): Promise<void> {
  if (uniqueFields.length === 0) return;
  const wanted = uniqueFieldIdentifiers(uniqueFields, attributes);
  for (const [field, value] of Object.entries(wanted)) {
    const holder = await tx.findUserByIdentifier(field, value);
    if (holder !== null && holder.id !== userId) throw taken(field);
  }
  const kept = options.fresh ? [] : (await tx.listUserIdentifiers([userId])).filter((i) => !uniqueFields.includes(i.name));
  try {
    await tx.setUserIdentifiers(userId, { ...Object.fromEntries(kept.map((i) => [i.name, i.value])), ...wanted });
  } catch (error) {
    if (isAuthError(error, 'IDENTIFIER_TAKEN')) throw taken(Object.keys(wanted)[0] ?? uniqueFields[0]!, error);
    throw error;
  }
}
