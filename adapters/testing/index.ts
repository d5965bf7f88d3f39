/**
 * `gatehouse/testing` — the store conformance suite every `AuthStore` must pass, a clock for
 * testing expiry, and a fast password hasher for test suites (never for production).
 * @packageDocumentation
 */
export { storeConformanceCases, type ConformanceCase } from './conformance.js';
export { ManualClock } from './manual-clock.js';
export { TestPasswordHasher } from './test-password-hasher.js';
