/**
 * `gatehouse/testing` — the conformance suites every `AuthStore` and `RateLimitStore` must
 * pass, a clock for testing expiry, and a fast password hasher for test suites (never for
 * production).
 * @packageDocumentation
 */
export { storeConformanceCases, type ConformanceCase } from './conformance.js';
export { rateLimitConformanceCases, type RateLimitConformanceCase } from './rate-limit-conformance.js';
export { ManualClock } from './manual-clock.js';
export { TestPasswordHasher } from './test-password-hasher.js';
