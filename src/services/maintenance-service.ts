import type { ResolvedOptions } from '../options.js';
import type { AuthStore, DeletedRows } from '../ports/auth-store.js';
import type { RateLimitStore } from '../ports/rate-limit-store.js';
import type { Stamps } from './stamps.js';

/** What {@link MaintenanceService.run} deleted. */
export interface MaintenanceReport {
  /** Sign-in attempts older than `retention.loginAttempts`. */
  readonly loginAttempts: number;
  /** Sessions that ended (expired or revoked) longer than `retention.sessions` ago. */
  readonly sessions: number;
  /** One-time keys that expired or were used longer than `retention.oneTimeKeys` ago. */
  readonly oneTimeKeys: number;
  /** Activity-log entries older than `retention.activities` (0 while it is `null`). */
  readonly activities: number;
  /** Rate-limit windows that ended, where the rate-limit store keeps them. */
  readonly rateLimits: number;
  /** `false` when a kind still had rows past its retention after `retention.maxBatches` statements: run again. */
  readonly complete: boolean;
}

/** What the maintenance service works with. */
export interface MaintenanceServiceDeps {
  readonly store: AuthStore;
  readonly rateLimits: RateLimitStore;
  readonly options: Pick<ResolvedOptions, 'retention'>;
  readonly stamps: Stamps;
}

/**
 * Keeps the tables that only record the past from growing without bound: deletes sign-in
 * attempts, ended sessions, spent one-time keys and (when configured) old activity, past the
 * retention of `options.retention`.
 */
export class MaintenanceService {
  constructor(private readonly deps: MaintenanceServiceDeps) {}

  /**
   * Deletes what is past its retention, in batches of `retention.batchSize` rows per statement
   * (short statements: other requests are not held up), at most `retention.maxBatches` per
   * kind; run it periodically (hourly or daily, from a timer or cron: the CLI's `cleanup` calls it).
   * Resolves how many rows of each kind went, and whether it got through all of them.
   * @example
   * ```ts
   * setInterval(() => void auth.maintenance.run().catch(console.error), 60 * 60 * 1000).unref();
   * ```
   */
  async run(): Promise<MaintenanceReport> {
    const { store, rateLimits, stamps } = this.deps;
    const retention = this.deps.options.retention;
    const now = stamps.now().getTime();
    const cutoff = (seconds: number | null): Date | null => (seconds === null ? null : new Date(now - seconds * 1000));
    const rows = {
      loginAttemptsBefore: cutoff(retention.loginAttempts),
      sessionsBefore: cutoff(retention.sessions),
      oneTimeKeysBefore: cutoff(retention.oneTimeKeys),
      activitiesBefore: cutoff(retention.activities),
      limit: retention.batchSize,
    };
    const total = { loginAttempts: 0, sessions: 0, oneTimeKeys: 0, activities: 0 };
    let complete = true;
    if (store.deleteExpired === undefined) {
      // A store without batches: one unbounded statement per kind; its keys are kept.
      const [loginAttempts, sessions, activities] = await Promise.all([
        rows.loginAttemptsBefore === null ? 0 : store.deleteLoginAttemptsBefore(rows.loginAttemptsBefore),
        rows.sessionsBefore === null ? 0 : store.deleteSessionsBefore(rows.sessionsBefore),
        rows.activitiesBefore === null ? 0 : store.deleteActivitiesBefore(rows.activitiesBefore),
      ]);
      Object.assign(total, { loginAttempts, sessions, activities });
    } else {
      // Each round deletes up to a batch of each kind still behind; a kind is done when a round deletes less than a full batch of it.
      let pending = { ...rows };
      for (let round = 0; ; round += 1) {
        const deleted: DeletedRows = await store.deleteExpired(pending);
        for (const kind of ['loginAttempts', 'sessions', 'oneTimeKeys', 'activities'] as const) total[kind] += deleted[kind];
        // Sessions and keys are deleted by two conditions, a batch each: full when either may be.
        pending = {
          ...pending,
          loginAttemptsBefore: deleted.loginAttempts < rows.limit ? null : pending.loginAttemptsBefore,
          sessionsBefore: deleted.sessions < rows.limit ? null : pending.sessionsBefore,
          oneTimeKeysBefore: deleted.oneTimeKeys < rows.limit ? null : pending.oneTimeKeysBefore,
          activitiesBefore: deleted.activities < rows.limit ? null : pending.activitiesBefore,
        };
        const left = pending.loginAttemptsBefore ?? pending.sessionsBefore ?? pending.oneTimeKeysBefore ?? pending.activitiesBefore;
        if (left === null) break;
        if (round + 1 >= retention.maxBatches) {
          complete = false;
          break;
        }
      }
    }
    const rateLimitsDeleted = (await rateLimits.deleteRateLimitsBefore?.(new Date(now))) ?? 0;
    return { ...total, rateLimits: rateLimitsDeleted, complete };
  }
}
