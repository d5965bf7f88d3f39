import { createPool } from 'mysql2';
import pg from 'pg';
import { expect, it } from 'vitest';
import { createAuth, isAuthError } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { MysqlAuthStore } from 'gatehouse/mysql';
import { PostgresAuthStore } from 'gatehouse/postgres';
import { connectionIds } from '../support/db-faults.js';
import { fastHasher } from '../support/harness.js';
import { describeSql, SQL_KINDS, type TestDatabase } from '../support/sql-servers.js';

/** Waits until the server no longer counts the connections that are not in `before` (it sees them end a moment later). */
async function onlyThese(db: TestDatabase, before: readonly number[]): Promise<number[]> {
  let extra = (await connectionIds(db)).filter((id) => !before.includes(id));
  for (let i = 0; i < 100 && extra.length > 0; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    extra = (await connectionIds(db)).filter((id) => !before.includes(id));
  }
  return extra;
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: auth.close()`, (db) => {
    it('{ url }: ends the pool the store opened; a call after it rejects STORAGE_FAILED', async () => {
      await db.freshStore();
      const before = await connectionIds(db);
      const store = kind === 'postgres' ? new PostgresAuthStore({ url: db.url }) : new MysqlAuthStore({ url: db.url });
      const auth = createAuth({ store, mailer: new MemoryMailer(), hasher: fastHasher() });
      await auth.accounts.isEmailAvailable('ana@example.com');
      await store.listRoles();
      expect((await connectionIds(db)).length).toBeGreaterThan(before.length);
      await auth.close();
      expect(await onlyThese(db, before)).toEqual([]);
      await expect(auth.accounts.isEmailAvailable('ana@example.com')).rejects.toSatisfy((error) => isAuthError(error, 'STORAGE_FAILED'));
    });

    it('{ pool }: leaves the application’s pool open and usable', async () => {
      await db.freshStore();
      if (kind === 'postgres') {
        const pool = new pg.Pool({ connectionString: db.url, max: 2 });
        const auth = createAuth({ store: new PostgresAuthStore({ pool }), mailer: new MemoryMailer(), hasher: fastHasher() });
        await auth.accounts.isEmailAvailable('ana@example.com');
        await auth.close();
        expect((await pool.query('select 1 as one')).rows[0].one).toBe(1);
        await pool.end();
        return;
      }
      const pool = createPool({ uri: db.url, timezone: 'Z', connectionLimit: 2 });
      const auth = createAuth({ store: new MysqlAuthStore({ pool }), mailer: new MemoryMailer(), hasher: fastHasher() });
      await auth.accounts.isEmailAvailable('ana@example.com');
      await auth.close();
      const [rows] = await pool.promise().query('select 1 as one');
      expect((rows as { one: number }[])[0]!.one).toBe(1);
      await pool.promise().end();
    });
  });
}
