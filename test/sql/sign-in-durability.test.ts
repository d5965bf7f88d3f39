import { afterAll, beforeAll, expect, it } from 'vitest';
import type pg from 'pg';
import { createAuth, type Auth, type AuthStore, type SignInStart, type SignInState } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { user as userRow } from '../../adapters/testing/fixtures.js';
import { fastHasher, PASSWORD } from '../support/harness.js';
import { describeSql, pgPool } from '../support/sql-servers.js';

/**
 * On PostgreSQL the sign-in's attempt is committed without waiting for its WAL flush
 * (`synchronous_commit = off` in the procedure of migration 0013): it is visible to every other
 * sign-in at once, and it is on disk before any answer of the sign-in is given, because every
 * answer follows a commit of its own (the session, or the failure's log entry), which flushes
 * the WAL up to it. These tests hold both halves.
 */

const LAPTOP = { ip: '203.0.113.10', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' };
const LIMIT = 3;

await describeSql('postgres', 'postgres: the sign-in attempt commits without a flush of its own, and is durable before any answer', (db) => {
  let pool: pg.Pool;
  let auth: Auth;
  /** The server's WAL insert position right after each attempt was committed. */
  const afterAttempt: string[] = [];

  beforeAll(async () => {
    const store = db.store();
    await store.migrate();
    pool = pgPool(db.url, 2);
    const start = store.startSignIn!.bind(store);
    (store as AuthStore).startSignIn = async (args: SignInStart): Promise<SignInState> => {
      const state = await start(args);
      const { rows } = await pool.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
      afterAttempt.push(rows[0]!.lsn);
      return state;
    };
    auth = createAuth({ store, mailer: new MemoryMailer(), hasher: fastHasher(), lockout: { maxFailures: LIMIT } });
  });
  afterAll(() => pool?.end());

  /** Whether the WAL is flushed past `lsn` now. */
  const flushedPast = async (lsn: string): Promise<boolean> =>
    (await pool.query<{ ok: boolean }>('select pg_current_wal_flush_lsn() >= $1::pg_lsn as ok', [lsn])).rows[0]!.ok;

  it('the procedure commits the attempt asynchronously, before the read that counts it', async () => {
    const { rows } = await pool.query<{ source: string }>("select pg_get_functiondef(p.oid) as source from pg_proc p where p.proname = 'gatehouse_start_sign_in'");
    const source = rows[0]!.source;
    const off = source.indexOf('set local synchronous_commit = off');
    const commit = source.indexOf('commit;');
    expect(off).toBeGreaterThan(source.indexOf('insert into'));
    expect(commit).toBeGreaterThan(off);
    expect(source.indexOf('select u.id')).toBeGreaterThan(commit);
  });

  it('every outcome answers only once its attempt is flushed: success, wrong password, unknown email, locked', async () => {
    const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: new Date() });
    await db.store().insertUser(record);
    const outcomes: string[] = [];
    const attempt = async (email: string, password: string): Promise<void> => {
      afterAttempt.length = 0;
      const outcome = await auth.sessions.login({ email, password }, LAPTOP).then(
        () => 'signed in',
        (error: { code?: string }) => error.code ?? 'error',
      );
      outcomes.push(outcome);
      expect(afterAttempt, outcome).toHaveLength(1);
      expect(await flushedPast(afterAttempt[0]!), `${outcome}: the attempt was not flushed when the sign-in answered`).toBe(true);
    };
    await attempt(record.email, PASSWORD);
    await attempt(`nobody-${record.id}@example.com`, PASSWORD);
    for (let i = 0; i <= LIMIT; i += 1) await attempt(record.email, 'wrong password!');
    expect(outcomes).toEqual(['signed in', 'INVALID_CREDENTIALS', ...Array.from({ length: LIMIT }, () => 'INVALID_CREDENTIALS'), 'RATE_LIMITED']);
    await auth.drain();
  });
});
