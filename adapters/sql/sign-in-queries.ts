import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SignInFinish, SignInStart, SignInState, UserRecord } from 'gatehouse';
import { finishSignInProcedure } from './migrations.js';
import { toBool, toDateOrNull, toUserRecord, unprefix, type Row } from './rows.js';
import { USER_COLUMNS, type Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';

/*
 * The two statements of a sign-in's start and the one of its end, written once for both
 * databases where they agree. A sign-in sends three statements besides the password check:
 * the attempt (committed on its own, so that concurrent attempts count each other), one read,
 * and one write.
 */

/** Records the attempt as failed, with the id of the user holding its email, if any. Autocommitted. */
export async function insertSignInAttempt(db: Kysely<Database>, start: SignInStart): Promise<void> {
  const { attempt } = start;
  const owner = sql`(select ${sql.ref('id')} from ${sql.table('users')} where ${sql.ref('email_lower')} = lower(${attempt.email}))`;
  await sql`insert into ${sql.table('login_attempts')} (id, email, user_id, ip, success, created_at)
    select ${attempt.id}, ${attempt.email}, ${owner}, ${attempt.ip}, ${false}, ${attempt.createdAt}`.execute(db);
}

/**
 * The `limit + 1`-th newest failure matching `where` since `since`: past the limit, the one
 * whose leaving the window unlocks. Read through the failures-only indexes.
 */
function lockingFailure(where: RawBuilder<unknown>, since: RawBuilder<unknown>, limit: number): RawBuilder<unknown> {
  return sql`(select la.created_at from ${sql.table('login_attempts')} la
    where ${where} and la.success = ${false} and la.created_at >= ${since}
    order by la.created_at desc limit 1 offset ${limit})`;
}

/** Reads the user, the lockout's two edges, two-factor and the device, in one statement (after the attempt committed). */
export async function readSignIn(db: Kysely<Database>, start: SignInStart): Promise<SignInState> {
  const { attempt, windowStart } = start;
  // Failures before the account's last sign-in do not count against it.
  const accountSince = sql`case when u.last_login_at is not null and u.last_login_at > ${windowStart} then u.last_login_at else ${windowStart} end`;
  const device = start.deviceHash === null ? sql`null` : sql`exists (select 1 from ${sql.table('user_devices')} d where d.user_id = u.id and d.device_hash = ${start.deviceHash})`;
  const { rows } = await sql<Row>`select ${sql.join(USER_COLUMNS.map((c) => sql`u.${sql.ref(c)} as ${sql.ref(`u_${c}`)}`))},
      ${lockingFailure(sql`la.email = ${attempt.email}`, accountSince, start.maxFailures)} as account_locked_by,
      ${attempt.ip === null ? sql`null` : lockingFailure(sql`la.ip = ${attempt.ip}`, sql`${windowStart}`, start.maxFailuresPerIp)} as ip_locked_by,
      exists (select 1 from ${sql.table('two_factor')} t where t.user_id = u.id and t.enabled_at is not null) as two_factor,
      ${device} as device_known,
      exists (select 1 from ${sql.table('user_devices')} d where d.user_id = u.id) as any_device
    from (select 1 as one) x left join ${sql.table('users')} u on u.email_lower = lower(${attempt.email})`.execute(db);
  const row = rows[0]!;
  return {
    user: row['u_id'] === null || row['u_id'] === undefined ? null : toUserRecord(unprefix(row, 'u_')),
    accountLockedBy: toDateOrNull(row['account_locked_by']),
    ipLockedBy: toDateOrNull(row['ip_locked_by']),
    twoFactorEnabled: toBool(row['two_factor']),
    deviceKnown: toBool(row['device_known']),
    anyDeviceKnown: toBool(row['any_device']),
  };
}

/**
 * The end of a sign-in as one statement. PostgreSQL: common table expressions, each write
 * taking its rows from the conditional update of the user (which waits for the row lock and
 * re-checks its condition on the newest version), so that nothing is written when the user
 * changed. MySQL/MariaDB: the migration's procedure, one transaction inside one `CALL`.
 */
export async function writeSignIn(db: Kysely<Database>, dialect: SqlDialect, prefix: string, finish: SignInFinish): Promise<UserRecord | null> {
  const { user, session, activity, at } = finish;
  const metadata = JSON.stringify(activity.metadata);
  if (dialect.name === 'mysql') {
    const { rows } = await sql<Row>`call ${sql.id(finishSignInProcedure(prefix))}(
      ${user.id}, ${user.passwordHash}, ${user.status}, ${user.statusUntil}, ${user.emailVerifiedAt === null}, ${at}, ${finish.attemptId}, ${finish.deviceHash},
      ${session.id}, ${session.tokenHash}, ${session.ip}, ${session.userAgent}, ${session.rememberMe}, ${session.createdAt}, ${session.lastActiveAt}, ${session.expiresAt},
      ${activity.id}, ${activity.subjectId}, ${activity.actorId}, ${activity.action}, ${activity.details}, ${activity.ip}, ${activity.userAgent}, ${metadata}, ${activity.createdAt})`.execute(db);
    // A CALL answers its result sets, then the status of the call.
    const set = Array.isArray(rows[0]) ? (rows[0] as Row[]) : rows;
    const row = set.find((r) => r !== null && typeof r === 'object' && 'id' in r);
    return row === undefined ? null : toUserRecord(row);
  }
  const columns = sql.join(USER_COLUMNS.map((c) => sql.ref(c)));
  const device =
    finish.deviceHash === null
      ? sql``
      : sql`, d as (insert into ${sql.table('user_devices')} (user_id, device_hash, created_at)
          select u.id, ${finish.deviceHash}, ${at} from u on conflict do nothing)`;
  const { rows } = await sql<Row>`with u as (
      update ${sql.table('users')} set last_login_at = ${at}, updated_at = ${at}
      where id = ${user.id} and password_hash is not distinct from ${user.passwordHash} and status = ${user.status}
        and status_until is not distinct from ${user.statusUntil} and (email_verified_at is null) = ${user.emailVerifiedAt === null}
      returning ${columns}
    ), s as (
      insert into ${sql.table('sessions')} (id, user_id, token_hash, ip, user_agent, remember_me, created_at, last_active_at, expires_at, revoked_at)
      select ${session.id}, u.id, ${session.tokenHash}, ${session.ip}, ${session.userAgent}, ${session.rememberMe}, ${session.createdAt}, ${session.lastActiveAt}, ${session.expiresAt}, null from u
    ), a as (
      update ${sql.table('login_attempts')} set success = true where id = ${finish.attemptId} and exists (select 1 from u)
    ), l as (
      insert into ${sql.table('activities')} (id, subject_id, actor_id, action, details, ip, user_agent, metadata, created_at)
      select ${activity.id}, ${activity.subjectId}, ${activity.actorId}, ${activity.action}, ${activity.details}, ${activity.ip}, ${activity.userAgent}, cast(${metadata} as jsonb), ${activity.createdAt} from u
    )${device}
    select ${columns} from u`.execute(db);
  const row = rows[0];
  return row === undefined ? null : toUserRecord(row);
}

/** Remembers a device of a user; a known one stays as it is. */
export async function insertDevice(db: Kysely<Database>, dialect: SqlDialect, userId: string, deviceHash: string, at: Date): Promise<void> {
  await dialect.onConflict(db.insertInto('user_devices').values({ user_id: userId, device_hash: deviceHash, created_at: at }), ['user_id', 'device_hash'], null).execute();
}
