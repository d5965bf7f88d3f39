/**
 * Copies a record so neither side can change the other's: Dates are new instances and
 * nested JSON (attributes, metadata) is cloned.
 */
export function copy<T extends object>(row: T): T {
  // A spread copies the primitives at once (one shape in, one out); only the fields holding objects are cloned one by one.
  const out = { ...row } as Record<string, unknown>;
  for (const key in out) {
    const value = out[key];
    if (typeof value === 'object' && value !== null) out[key] = clone(value);
  }
  return out as T;
}

/** A deep copy of a field: a Date, JSON, or a primitive. Cheaper than `structuredClone` on this hot path. */
export function clone(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (Array.isArray(value)) return value.map(clone);
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = clone((value as Record<string, unknown>)[key]);
  return out;
}
