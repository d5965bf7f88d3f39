/**
 * The database's faults as an HTTP client sees them, through both framework helpers on a SQL
 * store: a connection ended under a request, and a statement held beyond the timeout, answer
 * 503 with the error body — never 500, never a hung request — and the next request succeeds.
 */
import { createPool, type Pool as MysqlPool } from 'mysql2';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { MysqlAuthStore } from 'gatehouse/mysql';
import { PostgresAuthStore } from 'gatehouse/postgres';
import type { SqlStoreOptions } from '../../adapters/sql/store-init.js';
import { cookiePair, targets, type Reply, type Target } from '../http/support.js';
import { connectionIn, lockTable, terminate, type HeldLock } from '../support/db-faults.js';
import { activeUser, harness, PASSWORD } from '../support/harness.js';
import { describeSql, SQL_KINDS } from '../support/sql-servers.js';

const { Pool } = pg;
const HOST = { host: 'app.example' };

/** A pool of the application's with one connection: for the acquire timeout. */
interface OnePool {
  readonly pg?: InstanceType<typeof Pool>;
  readonly mysql?: MysqlPool;
  /** Checks the one connection out; resolves how to give it back. */
  take(): Promise<() => void>;
}

/** The error body of a 503, in the one shape every error has. */
function expectUnavailable(reply: Reply): void {
  expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({ status: 503, code: 'STORAGE_FAILED' });
  expect(typeof reply.body.error.message).toBe('string');
  // Nothing of the driver's error reaches the client.
  expect(reply.text).not.toMatch(/terminat|timeout|lock|gh_test_/i);
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: database faults over HTTP`, (db) => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
    });
    /** The application's pool of one connection, and a way to hold that connection. */
    const onePool = (): OnePool => {
      if (kind === 'postgres') {
        const pg = new Pool({ connectionString: db.url, max: 1 });
        pg.on('error', () => undefined);
        cleanup.push(() => pg.end());
        return { pg, take: async () => (await pg.connect()).release };
      }
      const mysql = createPool({ uri: db.url, timezone: 'Z', connectionLimit: 1 });
      cleanup.push(() => mysql.promise().end());
      return {
        mysql,
        take: () => new Promise((resolve, reject) => mysql.getConnection((error, connection) => (error ? reject(error) : resolve(() => connection.release())))),
      };
    };
    const hold = async (table: string): Promise<HeldLock> => {
      const lock = await lockTable(db, table);
      cleanup.push(() => lock.release());
      return lock;
    };

    /** A target of `make` on a store of its own (from the URL, or on `pool`), and a user signed in on it with a cookie. */
    async function signedIn(make: (typeof targets)[number][1], options: SqlStoreOptions = {}, pool?: OnePool) {
      await db.freshStore();
      const store =
        kind === 'postgres'
          ? new PostgresAuthStore(pool === undefined ? { url: db.url } : { pool: pool.pg! }, options)
          : new MysqlAuthStore(pool === undefined ? { url: db.url } : { pool: pool.mysql! }, options);
      cleanup.push(() => store.close());
      const h = harness({ store });
      const t: Target = await make(h, { onError: () => undefined });
      cleanup.push(() => t.close());
      const user = await activeUser(h);
      const login = await t.call({ method: 'POST', path: '/api/auth/login', headers: HOST, body: { email: user.email, password: PASSWORD } });
      expect(login.status).toBe(200);
      const cookie = cookiePair(login.cookies[0]!);
      const private_ = () => t.call({ method: 'GET', path: '/api/private', headers: { ...HOST, cookie } });
      expect((await private_()).status).toBe(200);
      return { t, user, private: private_ };
    }

    for (const [name, make] of targets) {
      it(`${name}: the connection under a request ended → 503 STORAGE_FAILED; the next request → 200`, async () => {
        const { private: request } = await signedIn(make);
        const lock = await hold('sessions');
        const answer = request();
        await terminate(db, await connectionIn(db, 'waiting for a lock'));
        expectUnavailable(await answer);
        await lock.release();
        expect((await request()).status).toBe(200);
      });

      it(`${name}: a sign-in whose transaction loses its connection → 503 STORAGE_FAILED; signing in again → 200`, async () => {
        const { t, user } = await signedIn(make);
        const lock = await hold('sessions');
        const signIn = () => t.call({ method: 'POST', path: '/api/auth/login', headers: HOST, body: { email: user.email, password: PASSWORD } });
        const answer = signIn();
        await terminate(db, await connectionIn(db, 'waiting for a lock'));
        expectUnavailable(await answer);
        await lock.release();
        expect((await signIn()).status).toBe(200);
      });

      it(`${name}: no connection to be had within acquireTimeout → 503 STORAGE_FAILED; once one is free → 200`, async () => {
        const pool = onePool();
        const { private: request } = await signedIn(make, { acquireTimeout: 200 }, pool);
        const release = await pool.take();
        expectUnavailable(await request());
        release();
        expect((await request()).status).toBe(200);
      });

      it(`${name}: a request held beyond statementTimeout → 503 STORAGE_FAILED; the next request → 200`, async () => {
        const { private: request } = await signedIn(make, { statementTimeout: 300 });
        const lock = await hold('sessions');
        expectUnavailable(await request());
        await lock.release();
        expect((await request()).status).toBe(200);
      });
    }
  });
}
