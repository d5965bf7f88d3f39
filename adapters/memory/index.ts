/**
 * `gatehouse/memory` — an in-memory store and mailer for tests, demos and development.
 * @packageDocumentation
 */
import { MemoryAuthStore } from './memory-auth-store.js';

export { MemoryAuthStore } from './memory-auth-store.js';
export { MemoryMailer } from './memory-mailer.js';
export { MemoryRateLimitStore } from 'gatehouse';

/**
 * Creates an empty in-memory store.
 * @example
 * ```ts
 * const auth = createAuth({ store: createMemoryStore(), mailer: new MemoryMailer() });
 * ```
 */
export function createMemoryStore(): MemoryAuthStore {
  return new MemoryAuthStore();
}
