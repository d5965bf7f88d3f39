import { expect, it } from 'vitest';
import { cpuClock, serverThreads } from '../../bench/support/connection-cpu.js';
import { describeSql, mysqlPool, pgPool, SQL_KINDS } from '../support/sql-servers.js';

/**
 * The sql bench's CPU per call (`bench/support/connection-cpu.ts`): it finds the server
 * process or thread behind each connection of a pool, and its clock counts the CPU a
 * statement takes on the server side, where the statement ran.
 */

const SIZE = 3;
/** A statement that keeps the server busy for tens of milliseconds of CPU, on either server. */
const BUSY = {
  postgres: 'select count(*) from generate_series(1, 2000000)',
  mysql: 'select benchmark(500000, md5(\'gatehouse\'))',
} as const;

for (const kind of SQL_KINDS) {
  await describeSql(kind, 'bench: CPU per call of the pool\'s server connections', (db) => {
    it('finds one distinct server process or thread per connection, and counts on the server side the CPU of what runs there', async () => {
      const scratch = kind === 'postgres' ? { kind, pool: pgPool(db.url, SIZE) } : { kind, pool: mysqlPool(db.url) };
      try {
        const threads = await serverThreads(scratch, SIZE);
        expect(threads).not.toBeNull();
        expect(new Set(threads).size).toBe(SIZE);
        const clock = cpuClock(threads!);
        expect(clock).not.toBeNull();
        const before = clock!();
        if (scratch.kind === 'postgres') await scratch.pool.query(BUSY.postgres);
        else await scratch.pool.promise().query(BUSY.mysql);
        const after = clock!();
        // The statement ran on one of the pool's connections: its server thread's CPU went up by what it took.
        expect(after.server! - before.server!).toBeGreaterThan(10_000);
        expect(after.node).toBeGreaterThanOrEqual(before.node);
        // An id that is no server thread (any more) gives no clock rather than a wrong one.
        expect(cpuClock([...threads!, 2 ** 30])).toBeNull();
      } finally {
        if (scratch.kind === 'postgres') await scratch.pool.end();
        else await scratch.pool.promise().end();
      }
    });
  });
}
