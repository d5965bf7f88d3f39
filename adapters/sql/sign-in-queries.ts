import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SignInFinish, SignInStart, SignInState, UserRecord } from 'gatehouse';
import { finishSignInProcedure, START_OUTPUTS, startSignInProcedure } from './migrations.js';
import { toBool, toDateOrNull, toUserRecord, unprefix, type Row } from './rows.js';
import { USER_COLUMNS, type Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';
import { executeCompiled, slotMarker, type StatementRunner } from './compiled-statements.js';

/*
 * The statements of a sign-in, written once for both databases where they agree. A sign-in
 * sends two statements besides the password check: one `CALL` that records the attempt
 * (committed on its own, so that concurrent attempts count each other) and then reads (the
 * procedure of migration 0013), and one write.
 *
 * Each statement is compiled once per store (and variant) and sent straight to the pool:
 * compiling these templates with Kysely at every sign-in cost more CPU than the server takes
 * to run them.
 */

/** What the sign-in's statements run with: the store's statement runner and its table prefix. */
export interface SignInContext extends StatementRunner {
  readonly prefix: string;
  /** Whether the end of a successful sign-in waits for its commit's flush (PostgreSQL's `flushSignIns`). */
  readonly flush: boolean;
}

/** Stands for the value at `index` while a statement is compiled (see {@link slotMarker}). */
const slot = (index: number): RawBuilder<unknown> => sql`${slotMarker(index)}`;

/** Sends the statement `build` makes, compiled once under `key`, with `values` in its slots. */
const send = (ctx: SignInContext, key: string, build: () => RawBuilder<unknown>, values: readonly unknown[]): Promise<Row[]> =>
  executeCompiled(ctx, key, () => build().compile(ctx.db), values);

/**
 * Records the attempt as failed, with the id of the user holding its email, if any, committed
 * on its own; then reads the user, the lockout's two edges (counting the attempt), two-factor
 * and the device — in one round trip: one `CALL` of the procedure of migration 0013, which
 * commits the attempt before its read takes its snapshot (see `signInStart` in migrations.ts).
 */
export async function startSignIn(ctx: SignInContext, start: SignInStart): Promise<SignInState> {
  const { attempt } = start;
  const values = [attempt.id, attempt.email, attempt.ip, attempt.createdAt, start.windowStart, start.maxFailures, start.maxFailuresPerIp, start.deviceHash];
  const procedure = startSignInProcedure(ctx.prefix);
  const rows = await send(
    ctx,
    'signIn.start',
    () =>
      ctx.dialect.name === 'mysql'
        ? sql`call ${sql.id(procedure)}(${sql.join(values.map((_, i) => slot(i)))})`
        : // The outputs (INOUT parameters) are passed as nulls.
          sql`call ${sql.id(procedure)}(${sql.join([...values.map((_, i) => slot(i)), ...START_OUTPUTS.map(() => sql`null`)])})`,
    values,
  );
  // A MySQL CALL answers its result sets, then the status of the call.
  const row = (Array.isArray(rows[0]) ? (rows[0] as Row[]) : rows)[0]!;
  return {
    user: row['u_id'] === null || row['u_id'] === undefined ? null : toUserRecord(unprefix(row, 'u_')),
    accountLockedBy: toDateOrNull(row['account_locked_by']),
    ipLockedBy: toDateOrNull(row['ip_locked_by']),
    twoFactorEnabled: toBool(row['two_factor_enabled']),
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
export async function writeSignIn(ctx: SignInContext, finish: SignInFinish): Promise<UserRecord | null> {
  const { user, session, activity, at } = finish;
  const values = [
    user.id, user.passwordHash, user.status, user.statusUntil, user.emailVerifiedAt === null, at, finish.attemptId, finish.deviceHash,
    session.id, session.tokenHash, session.ip, session.userAgent, session.rememberMe, session.createdAt, session.lastActiveAt, session.expiresAt,
    activity.id, activity.subjectId, activity.actorId, activity.action, activity.details, activity.ip, activity.userAgent, JSON.stringify(activity.metadata), activity.createdAt,
  ];
  if (ctx.dialect.name === 'mysql') {
    const procedure = finishSignInProcedure(ctx.prefix);
    const rows = await send(ctx, 'signIn.finish', () => sql`call ${sql.id(procedure)}(${sql.join(values.map((_, i) => slot(i)))})`, values);
    // A CALL answers its result sets, then the status of the call.
    const set = Array.isArray(rows[0]) ? (rows[0] as Row[]) : rows;
    const row = set.find((r) => r !== null && typeof r === 'object' && 'id' in r);
    return row === undefined ? null : toUserRecord(row);
  }
  const withDevice = finish.deviceHash !== null;
  // `flushSignIns: false`: this statement's own transaction commits without waiting for its WAL
  // flush (set_config(…, true) lasts until that commit, so the pooled connection keeps its setting).
  const unflushed = ctx.flush ? sql`` : sql` where set_config('synchronous_commit', 'off', true) is not null`;
  const build = (): RawBuilder<unknown> => {
    const columns = sql.join(USER_COLUMNS.map((c) => sql.ref(c)));
    const device = withDevice
      ? sql`, d as (insert into ${sql.table('user_devices')} (user_id, device_hash, created_at)
          select u.id, ${slot(7)}, ${slot(5)} from u on conflict do nothing)`
      : sql``;
    return sql`with u as (
      update ${sql.table('users')} set last_login_at = ${slot(5)}, updated_at = ${slot(5)}
      where id = ${slot(0)} and password_hash is not distinct from ${slot(1)} and status = ${slot(2)}
        and status_until is not distinct from ${slot(3)} and (email_verified_at is null) = ${slot(4)}
      returning ${columns}
    ), s as (
      insert into ${sql.table('sessions')} (id, user_id, token_hash, ip, user_agent, remember_me, created_at, last_active_at, expires_at, revoked_at)
      select ${slot(8)}, u.id, ${sql.join([9, 10, 11, 12, 13, 14, 15].map(slot))}, null from u
    ), a as (
      update ${sql.table('login_attempts')} set success = true where id = ${slot(6)} and exists (select 1 from u)
    ), l as (
      insert into ${sql.table('activities')} (id, subject_id, actor_id, action, details, ip, user_agent, metadata, created_at)
      select ${slot(16)}, ${slot(17)}, ${slot(18)}, ${slot(19)}, ${slot(20)}, ${slot(21)}, ${slot(22)}, cast(${slot(23)} as jsonb), ${slot(24)} from u
    )${device}
    select ${columns} from u${unflushed}`;
  };
  const [row] = await send(ctx, `signIn.finish.${withDevice}.${ctx.flush}`, build, values);
  return row === undefined ? null : toUserRecord(row);
}

/** Remembers a device of a user; a known one stays as it is. */
export async function insertDevice(db: Kysely<Database>, dialect: SqlDialect, userId: string, deviceHash: string, at: Date): Promise<void> {
  await dialect.onConflict(db.insertInto('user_devices').values({ user_id: userId, device_hash: deviceHash, created_at: at }), ['user_id', 'device_hash'], null).execute();
}
