import { DefaultQueryCompiler } from 'kysely';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createAuth, type Auth } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { user as userRow } from '../../adapters/testing/fixtures.js';
import { fastHasher, PASSWORD } from '../support/harness.js';
import { describeSql, pgPool, SQL_KINDS } from '../support/sql-servers.js';

/**
 * The sign-in's statements (adapters/sql/sign-in-queries.ts) are compiled once per store and
 * sent to the pool as they are: after the first sign-in, no query is compiled for the next
 * ones. On PostgreSQL they run as prepared statements whose plan the server reuses.
 */

const LAPTOP = { ip: '203.0.113.10', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' };

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: the sign-in's statements, compiled once`, (db) => {
    let auth: Auth;
    beforeAll(async () => {
      const store = db.store();
      await store.migrate();
      auth = createAuth({ store, mailer: new MemoryMailer(), hasher: fastHasher() });
    });
    afterAll(() => vi.restoreAllMocks());

    it('a sign-in after the first compiles no query: its two statements are compiled once per store', async () => {
      const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: new Date() });
      await db.store().insertUser(record);
      const signIn = () => auth.sessions.login({ email: record.email, password: PASSWORD }, LAPTOP);
      await signIn();
      const compile = vi.spyOn(DefaultQueryCompiler.prototype, 'compileQuery');
      try {
        for (let i = 0; i < 3; i += 1) expect((await signIn()).user.id).toBe(record.id);
        // Another address, another device: the same compiled statements.
        await auth.sessions.login({ email: record.email, password: PASSWORD }, { ip: '198.51.100.7', userAgent: 'curl/8' });
        await auth.drain();
        expect(compile).not.toHaveBeenCalled();
      } finally {
        compile.mockRestore();
      }
    });

    if (kind === 'postgres') {
      it('on PostgreSQL the sign-in statements are prepared once per connection and run on a reused generic plan', async () => {
        const pool = pgPool(db.url, 1);
        try {
          const store = db.store({ pool });
          const own = createAuth({ store, mailer: new MemoryMailer(), hasher: fastHasher() });
          const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: new Date() });
          await store.insertUser(record);
          const runs = 12;
          for (let i = 0; i < runs; i += 1) await own.sessions.login({ email: record.email, password: PASSWORD }, LAPTOP);
          await own.drain();
          const { rows } = await pool.query<{ statement: string; generic_plans: string; custom_plans: string }>(
            'select statement, generic_plans, custom_plans from pg_prepared_statements',
          );
          const signIn = rows.filter((r) => r.statement.includes(`"login_attempts"`) || r.statement.includes('gatehouse_start_sign_in'));
          // The start (attempt and read in one CALL), the write.
          expect(signIn, rows.map((r) => r.statement.slice(0, 40)).join(" ‖ ")).toHaveLength(2);
          for (const r of signIn) {
            expect(Number(r.generic_plans) + Number(r.custom_plans), r.statement.slice(0, 60)).toBe(runs);
            // A CALL is not planned (PL/pgSQL keeps the plans of the procedure's own statements per connection).
            if (/^call /i.test(r.statement)) continue;
            // PostgreSQL plans the first five runs for their parameters, then keeps one plan.
            expect(Number(r.custom_plans), r.statement.slice(0, 60)).toBeLessThanOrEqual(5);
          }
        } finally {
          await pool.end();
        }
      });
    }
  });
}
