import type { FieldIssue } from '../errors.js';
import type { JsonObject, JsonValue } from '../domain/user.js';
import type { StandardResult, StandardSchemaV1 } from './standard-schema.js';
import { withTranslation } from './issue-messages.js';
import { isStorableText } from './text.js';

/** The result of validating the application's own fields. */
export interface AppFieldsResult {
  readonly values: JsonObject;
  readonly issues: FieldIssue[];
}

/**
 * Validates the application's fields found at the top level of `input`, each with its
 * own schema. With `partial`, fields absent from the input are skipped (a profile update);
 * otherwise every field is validated, absent ones as `undefined`, so the schema decides
 * whether it is required.
 */
export async function validateAppFields(
  fields: Readonly<Record<string, StandardSchemaV1>>,
  input: unknown,
  options: { partial: boolean },
): Promise<AppFieldsResult> {
  const source = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
  const values: JsonObject = {};
  const issues: FieldIssue[] = [];
  for (const [name, schema] of Object.entries(fields)) {
    if (options.partial && !Object.hasOwn(source, name)) continue;
    const result = await validateSafely(schema, Object.hasOwn(source, name) ? source[name] : undefined);
    if (result === null) {
      issues.push({ path: [name], code: 'invalid_value', message: 'This value could not be read.' });
    } else if (result.issues !== undefined) {
      for (const issue of result.issues) {
        const rest = (issue.path ?? []).map((segment) => {
          const key = typeof segment === 'object' ? segment.key : segment;
          return typeof key === 'symbol' ? String(key) : key;
        });
        issues.push(withTranslation({ path: [name, ...rest], code: 'invalid_value', message: issue.message }, issue));
      }
    } else if (result.value !== undefined) {
      const json = toJson(result.value);
      if (json === undefined) issues.push({ path: [name], code: 'invalid_value', message: 'This value cannot be stored.' });
      else values[name] = json;
    }
  }
  return { values, issues };
}

/** The schema's verdict, or `null` when the schema threw (a hostile value, or a bug in the application's schema). */
async function validateSafely(schema: StandardSchemaV1, value: unknown): Promise<StandardResult<unknown> | null> {
  try {
    return await schema['~standard'].validate(value);
  } catch {
    return null;
  }
}

/**
 * Attributes are stored as JSON: what a schema outputs (a Date, say) is kept as JSON would
 * keep it. `undefined` when it cannot be: not serialisable (a cycle, a BigInt), or holding
 * text no store accepts (NUL, a lone surrogate), escaped or not.
 */
function toJson(value: unknown): JsonValue | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  const json = JSON.parse(text) as JsonValue;
  return isStorableJson(json) ? json : undefined;
}

function isStorableJson(value: JsonValue): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (Array.isArray(value)) return value.every(isStorableJson);
  if (typeof value === 'object' && value !== null) return Object.entries(value).every(([key, item]) => isStorableText(key) && isStorableJson(item));
  return true;
}
