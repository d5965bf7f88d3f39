import { immutableDate } from 'gatehouse';

/**
 * Copies a record so neither side can change the other's: Dates are new (plain, mutable)
 * instances and nested JSON (attributes, metadata) is cloned. What the store's reads hand out,
 * but for a session bundle (see `session-bundle.ts`).
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

/**
 * A row as a table keeps it: a copy, frozen, its `Date`s immutable ({@link immutableDate}) and
 * its JSON frozen throughout. Nothing can change a kept row (every write replaces it), so a read
 * may hand it out without a copy where the caller only looks (the session bundle).
 */
export function frozenCopy<T extends object>(row: T): T {
  const out = { ...row } as Record<string, unknown>;
  for (const key in out) {
    const value = out[key];
    if (typeof value === 'object' && value !== null) out[key] = frozenClone(value);
  }
  return Object.freeze(out) as T;
}

/** A frozen deep copy of a field: an immutable `Date`, frozen JSON, or a primitive. */
export function frozenClone<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return immutableDate(value) as T;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenClone)) as T;
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = frozenClone((value as Record<string, unknown>)[key]);
  return Object.freeze(out) as T;
}
