import type { FieldIssue } from '../errors.js';
import type { JsonObject, JsonValue } from '../domain/user.js';
import type { StandardSchemaV1 } from './standard-schema.js';

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
    const result = await schema['~standard'].validate(source[name]);
    if (result.issues !== undefined) {
      for (const issue of result.issues) {
        const rest = (issue.path ?? []).map((segment) => {
          const key = typeof segment === 'object' ? segment.key : segment;
          return typeof key === 'symbol' ? String(key) : key;
        });
        issues.push({ path: [name, ...rest], code: 'invalid_value', message: issue.message });
      }
    } else if (result.value !== undefined) {
      values[name] = toJson(result.value);
    }
  }
  return { values, issues };
}

// Attributes are stored as JSON: what a schema outputs (a Date, say) is kept as JSON would keep it.
function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
