import type { Auth } from 'gatehouse';
import { recordSystemActivity, withAuth } from './cli-auth.js';
import { EXIT, UsageError, count, type CliCommand } from './command.js';

const DAY = 86_400;
/** A century: an older instant is out of some databases' range (MySQL's DATETIME starts at year 1000). */
const MAX_DAYS = 36_500;

/** What a cleanup deleted; `activities` is `null` when no retention age was given and the options keep activity for ever. */
interface Removed {
  readonly sessions: number;
  readonly loginAttempts: number;
  readonly oneTimeKeys: number;
  readonly rateLimits: number;
  readonly activities: number | null;
  readonly complete: boolean;
}

/** The deletions: `auth.maintenance.run()` (the retention of the options, in batches), and with a given age the activity older than it. */
async function clean(auth: Auth, activityOlderThanDays: number | null): Promise<Removed> {
  const { activities, ...ran } = await auth.maintenance.run();
  const purged = activityOlderThanDays === null ? null : await auth.audit.purge(auth.system, { olderThan: activityOlderThanDays * DAY });
  return { ...ran, activities: purged === null ? (activities === 0 ? null : activities) : purged + activities };
}

/** `gatehouse cleanup`: deletes what gatehouse no longer needs. */
export const cleanup: CliCommand = {
  name: 'cleanup',
  synopsis: '[--activity-older-than <days>]',
  summary: 'delete ended sessions, spent keys, old sign-in attempts, ended rate-limit windows and old activity',
  description: [
    'Runs auth.maintenance.run() as the system: deletes, in batches, the sign-in attempts older than 30 days,',
    'the sessions and one-time keys that ended more than 7 days ago, the rate-limit windows that ended',
    '(the retention options of the app change these), and with --activity-older-than the activity-log entries',
    'older than that many days (kept otherwise). Run it periodically, e.g. daily from cron.',
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
      `${count(removed.oneTimeKeys, 'spent one-time key')}, ${count(removed.rateLimits, 'ended rate-limit window')}` +
      (removed.activities === null ? '' : `, ${removed.activities} activity-log ${removed.activities === 1 ? 'entry' : 'entries'}${days === undefined ? '' : ` older than ${days} days`}`) +
      (removed.complete ? '' : ' (more left: run it again)');
    const summary = await withAuth(store, io, async (auth) => {
      const removed = await clean(auth, days === undefined ? null : Number(days));
      await recordSystemActivity(store, 'maintenance.cleanup', `Deleted ${describe(removed)}.`, { ...removed });
      return describe(removed);
    });
    io.out(`gatehouse: deleted ${summary}`);
    return EXIT.ok;
  },
};
