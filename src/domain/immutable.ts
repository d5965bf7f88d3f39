import type { JsonValue } from './user.js';

/** The mutators of `Date.prototype` (`setYear` is Annex B's, still there in Node). */
const DATE_MUTATORS = [
  'setDate',
  'setFullYear',
  'setHours',
  'setMilliseconds',
  'setMinutes',
  'setMonth',
  'setSeconds',
  'setTime',
  'setUTCDate',
  'setUTCFullYear',
  'setUTCHours',
  'setUTCMilliseconds',
  'setUTCMinutes',
  'setUTCMonth',
  'setUTCSeconds',
  'setYear',
] as const;

/**
 * A `Date` that cannot be changed: every setter (`setTime()`, `setFullYear()`, …) throws a
 * `TypeError`, as assigning to a frozen object's field does in strict mode, and instances are
 * frozen. Otherwise a `Date` in every way (`instanceof Date`, `getTime()`, JSON as an ISO
 * string; `structuredClone()` gives a plain `Date`).
 *
 * The `Date`s of a validated session's context (`ctx.user`, `ctx.session`, `ctx.roles`) are
 * these: the session cache hands the same objects to every request of a session, and a plain
 * `Date` changed by one request (`ctx.session.expiresAt.setTime(0)`) would have changed what
 * later validations check and show. To change a date, copy it first:
 * `new Date(ctx.session.expiresAt)`.
 *
 * The memory store keeps its rows' `Date`s as these and hands them out in a session bundle
 * without copying. What it guards is the `Date`'s own methods: a caller who applies
 * `Date.prototype.setTime` to one by hand (`Date.prototype.setTime.call(date, 0)`) changes it.
 * Made by {@link immutableDate}.
 */
export class ImmutableDate extends Date {}

for (const name of DATE_MUTATORS) {
  Object.defineProperty(ImmutableDate.prototype, name, {
    value: function refused(): never {
      throw new TypeError(`Cannot change an immutable Date (${name}); copy it first: new Date(date)`);
    },
    writable: false,
    enumerable: false,
    configurable: false,
  });
}
Object.freeze(ImmutableDate.prototype);

/** `date` itself when it is an {@link ImmutableDate} already, else a frozen {@link ImmutableDate} of the same instant. */
export function immutableDate(date: Date): Date {
  return date instanceof ImmutableDate ? date : Object.freeze(new ImmutableDate(date.getTime()));
}

/** {@link immutableDate} of `date`, or `null`. */
export function immutableDateOrNull(date: Date | null): Date | null {
  return date === null ? null : immutableDate(date);
}

/**
 * Freezes a JSON value and everything in it, in place, and answers it. A frozen object is taken
 * as frozen throughout (what this function or the memory store froze), so freezing again costs
 * one check.
 */
export function deepFreeze<T extends JsonValue>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    for (const item of value) deepFreeze(item);
  } else {
    for (const key in value) deepFreeze(value[key]!);
  }
  return Object.freeze(value);
}
