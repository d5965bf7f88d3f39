/** A value, or a promise of it: what a hot path hands on without a promise when it has the answer at once. */
export type Awaitable<T> = T | Promise<T>;

/** Whether `value` is a promise (or any thenable) rather than the value itself. */
export function isPromise<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
