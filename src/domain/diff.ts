import type { JsonObject, JsonValue } from './user.js';

/** The fields that differ, as `{ before, after }` JSON, or `null` when nothing changed. */
export function diff<T extends Record<string, unknown>>(before: T, after: T): JsonObject | null {
  const was: JsonObject = {};
  const is: JsonObject = {};
  for (const key of Object.keys(after)) {
    const a = JSON.stringify(before[key] ?? null);
    const b = JSON.stringify(after[key] ?? null);
    if (a !== b) {
      was[key] = JSON.parse(a) as JsonValue;
      is[key] = JSON.parse(b) as JsonValue;
    }
  }
  return Object.keys(is).length === 0 ? null : { before: was, after: is };
}
