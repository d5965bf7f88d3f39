import { z } from 'zod';

const DAY = 24 * 60 * 60;

/**
 * How long rows that only record the past are kept: `auth.maintenance.run()` deletes older
 * ones, in bounded batches. Durations in seconds; `null` keeps them for ever.
 */
export interface RetentionOptions {
  /** Sign-in attempts (the lockout's ledger); at least the lockout's `window`. @default 2592000 (30 days) */
  loginAttempts?: number | null;
  /** Sessions, counted from when they expired or were revoked. @default 604800 (7 days) */
  sessions?: number | null;
  /** One-time keys (activation, reset, challenges), counted from when they expired or were used. @default 604800 (7 days) */
  oneTimeKeys?: number | null;
  /** Activity-log entries. @default null (kept for ever) */
  activities?: number | null;
  /** Rows deleted per statement: short statements hold locks briefly. @default 1000 */
  batchSize?: number;
  /** Statements per kind of row in one `run()`; what is left waits for the next run. @default 100 */
  maxBatches?: number;
}

/** The `retention` option of `createAuth()`. */
export interface RetentionSetting {
  /** How long rows that only record the past are kept: see {@link RetentionOptions}. */
  retention?: RetentionOptions;
}

/** A retention: at least a day (and at most a century, which every database's dates hold), or `null` for ever. */
const kept = (fallback: number | null) =>
  z
    .number()
    .int()
    .min(DAY, { error: 'must be at least a day (86400 seconds), or null to keep for ever' })
    .max(36_500 * DAY)
    .nullable()
    .default(fallback);

/** {@link RetentionOptions} checked, with their defaults. */
export const retentionSchema = z
  .object({
    loginAttempts: kept(30 * DAY),
    sessions: kept(7 * DAY),
    oneTimeKeys: kept(7 * DAY),
    activities: kept(null),
    batchSize: z.number().int().min(1).max(50_000).default(1000),
    maxBatches: z.number().int().min(1).max(100_000).default(100),
  })
  .prefault({});
