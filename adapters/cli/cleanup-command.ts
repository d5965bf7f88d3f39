import type { Auth } from 'gatehouse';
import { recordSystemActivity, withAuth } from './cli-auth.js';
import { EXIT, UsageError, count, type CliCommand } from './command.js';

const DAY = 86_400;
/** A century: an older instant is out of some databases' range (MySQL's DATETIME starts at year 1000). */
const MAX_DAYS = 36_500;

/** What a cleanup deleted; `activities` is `null` when no retention age was given. */
interface Removed {
  readonly sessions: number;
  readonly loginAttempts: number;
  readonly rateLimits: number;
  readonly activities: number | null;
}

/** The deletions themselves, in one place: the call to swap for `auth.maintenance.run()` once it exists. */
async function clean(auth: Auth, activityOlderThanDays: number | null): Promise<Removed> {
  const ended = await auth.sessions.cleanup();
  const activities = activityOlderThanDays === null ? null : await auth.audit.purge(auth.system, { olderThan: activityOlderThanDays * DAY });
  return { ...ended, activities };
}

/** `gatehouse cleanup`: deletes what gatehouse no longer needs. */
export const cleanup: CliCommand = {
  name: 'cleanup',
  synopsis: '[--activity-older-than <days>]',
  summary: 'delete ended sessions, old sign-in attempts, ended rate-limit windows and old activity',
  description: [
    'Deletes, as the system, the sessions that expired or were revoked, the sign-in attempts older than the',
    'lockout window, the rate-limit windows that ended, and with --activity-older-than the activity-log',
    'entries older than that many days (kept otherwise). Run it periodically, e.g. daily from cron.',
    'Logged as maintenance.cleanup (and audit.purged for the activity).',
  ].join('\n'),
  arity: { min: 0, max: 0 },
  options: { 'activity-older-than': { type: 'string', value: '<days>', help: 'also delete activity entries older than this many days (at least 1)' } },
  async run({ options, store, io }) {
    const days = options['activity-older-than'];
    if (days !== undefined && (typeof days !== 'string' || !/^[1-9]\d{0,4}$/.test(days) || Number(days) > MAX_DAYS)) {
      throw new UsageError(`--activity-older-than takes a whole number of days, from 1 to ${MAX_DAYS}`);
    }
    const describe = (removed: Removed): string =>
      `${count(removed.sessions, 'ended session')}, ${count(removed.loginAttempts, 'old sign-in attempt')}, ` +
      `${count(removed.rateLimits, 'ended rate-limit window')}` +
      (removed.activities === null ? '' : `, ${removed.activities} activity-log ${removed.activities === 1 ? 'entry' : 'entries'} older than ${days} days`);
    const summary = await withAuth(store, io, async (auth) => {
      const removed = await clean(auth, days === undefined ? null : Number(days));
      await recordSystemActivity(store, 'maintenance.cleanup', `Deleted ${describe(removed)}.`, { ...removed });
      return describe(removed);
    });
    io.out(`gatehouse: deleted ${summary}`);
    return EXIT.ok;
  },
};
