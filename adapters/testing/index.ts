/**
 * `gatehouse/testing` — the store conformance suite every `AuthStore` must pass, and a
 * clock for testing expiry.
 * @packageDocumentation
 */
export { storeConformanceCases, type ConformanceCase } from './conformance.js';
export { ManualClock } from './manual-clock.js';
