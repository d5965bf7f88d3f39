/**
 * `gatehouse/testing` — the conformance suites every `AuthStore` and `RateLimitStore` must
 * pass, and a clock for testing expiry.
 * @packageDocumentation
 */
export { storeConformanceCases, type ConformanceCase } from './conformance.js';
export { rateLimitConformanceCases, type RateLimitConformanceCase } from './rate-limit-conformance.js';
export { ManualClock } from './manual-clock.js';
