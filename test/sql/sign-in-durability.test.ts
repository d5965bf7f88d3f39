import { afterAll, beforeAll, expect, it } from 'vitest';
import type pg from 'pg';
import { createAuth, type Auth, type AuthStore, type SignInStart, type SignInState } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { PostgresAuthStore, type PostgresStoreOptions } from 'gatehouse/postgres';
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

await describeSql('postgres', 'postgres: flushSignIns: false commits a successful sign-in without waiting for its flush, and nothing else', (db) => {
  let probePool: pg.Pool;
  /** Each store on a one-connection pool of its own, so that the connection it used can be asked afterwards. */
  const pools: pg.Pool[] = [];
  const stores: PostgresAuthStore[] = [];
  const storeOn = (options: PostgresStoreOptions): { auth: Auth; pool: pg.Pool; store: PostgresAuthStore } => {
    const pool = pgPool(db.url, 1);
    pools.push(pool);
    const store = new PostgresAuthStore({ pool }, options);
    stores.push(store);
    return { auth: createAuth({ store, mailer: new MemoryMailer(), hasher: fastHasher(), lockout: { maxFailures: LIMIT } }), pool, store };
  };

  beforeAll(async () => {
    await db.store().migrate();
    probePool = pgPool(db.url, 1);
    // A deferred constraint trigger runs at the commit of the transaction that inserted the
    // session, before its commit record is written: it sees the setting that commit obeys.
    await probePool.query(`
      create table commit_probe (session_id text, setting text);
      create function probe_commit() returns trigger language plpgsql as $$
      begin insert into commit_probe values (new.id, current_setting('synchronous_commit')); return null; end $$;
      create constraint trigger probe_commit after insert on sessions deferrable initially deferred for each row execute function probe_commit();`);
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await probePool?.end();
    for (const pool of pools) await pool.end();
  });

  /** Signs a new user in; resolves the `synchronous_commit` its session's commit ran with. */
  const signInWith = async (auth: Auth): Promise<string> => {
    const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: new Date() });
    await db.store().insertUser(record);
    const { session } = await auth.sessions.login({ email: record.email, password: PASSWORD }, LAPTOP);
    const { rows } = await probePool.query<{ setting: string }>('select setting from commit_probe where session_id = $1', [session.id]);
    return rows.map((r) => r.setting).join();
  };

  it('by default a sign-in commits its session with synchronous_commit on; with flushSignIns: false, off', async () => {
    expect(await signInWith(storeOn({}).auth)).toBe('on');
    expect(await signInWith(storeOn({ flushSignIns: true }).auth)).toBe('on');
    expect(await signInWith(storeOn({ flushSignIns: false }).auth)).toBe('off');
  });

  it('the setting ends with the sign-in: the pooled connection keeps synchronous_commit on', async () => {
    const { auth, pool } = storeOn({ flushSignIns: false });
    expect(await signInWith(auth)).toBe('off');
    // The store's one connection, the very one the sign-in ran on.
    expect((await pool.query<{ s: string }>("select current_setting('synchronous_commit') as s")).rows[0]!.s).toBe('on');
  });

  it('with flushSignIns: false a wrong password still answers only once its attempt is flushed', async () => {
    const { auth, store } = storeOn({ flushSignIns: false });
    let afterAttempt = '';
    const start = store.startSignIn.bind(store);
    store.startSignIn = async (args: SignInStart): Promise<SignInState> => {
      const state = await start(args);
      afterAttempt = (await probePool.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn')).rows[0]!.lsn;
      return state;
    };
    const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: new Date() });
    await db.store().insertUser(record);
    const code = await auth.sessions.login({ email: record.email, password: 'wrong password!' }, LAPTOP).then(
      () => 'signed in',
      (error: { code?: string }) => error.code ?? 'error',
    );
    expect(code).toBe('INVALID_CREDENTIALS');
    const { rows } = await probePool.query<{ ok: boolean }>('select pg_current_wal_flush_lsn() >= $1::pg_lsn as ok', [afterAttempt]);
    expect(rows[0]!.ok).toBe(true);
    await auth.drain();
  });

  it('flushSignIns must be a boolean', () => {
    expect(() => new PostgresAuthStore({ url: db.url }, { flushSignIns: 'no' as never })).toThrow(TypeError);
  });
});
