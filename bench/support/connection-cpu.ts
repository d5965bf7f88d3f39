/**
 * CPU time per call of a database client and the server connections it talks to, from
 * `/proc` (Linux, a server on this machine): the node process's own CPU (`process.cpuUsage()`,
 * every thread of it) and, for each connection of the pool, the server process (a PostgreSQL
 * backend) or thread (a MariaDB connection thread) that serves it, read from
 * `/proc/<id>/schedstat` (its time on a CPU, in nanoseconds). On a loaded machine a call's
 * wall time depends on the neighbours; its CPU time much less.
 */
import { readFileSync } from 'node:fs';
import type { Pool as MysqlPool } from 'mysql2';
import type pg from 'pg';

/** CPU time used so far, in microseconds: the node process's and the server side's. */
export interface CpuReading {
  readonly node: number;
  /** `null` when a server thread could not be read (it ended, or the server is not on this machine). */
  readonly server: number | null;
}

/** Reads the CPU time so far of this process and of the given server threads. */
export type CpuClock = () => CpuReading;

/** The time on a CPU of a process or thread so far, in microseconds; `null` if it cannot be read. */
function schedstat(id: number): number | null {
  try {
    const onCpu = Number(readFileSync(`/proc/${id}/schedstat`, 'utf8').split(' ')[0]);
    return Number.isFinite(onCpu) ? onCpu / 1000 : null;
  } catch {
    return null;
  }
}

/** A clock over this process and the server threads `ids`; `null` when one of them cannot be read here. */
export function cpuClock(ids: readonly number[]): CpuClock | null {
  if (ids.length === 0 || ids.some((id) => schedstat(id) === null)) return null;
  return () => {
    const usage = process.cpuUsage();
    let server: number | null = 0;
    for (const id of ids) {
      const used = schedstat(id);
      server = used === null || server === null ? null : server + used;
    }
    return { node: usage.user + usage.system, server };
  };
}

/**
 * The server processes (PostgreSQL: `pg_backend_pid()`) or threads (MariaDB: the connection's
 * `TID` in `information_schema.PROCESSLIST`) behind `size` connections of the pool, opened all
 * at once so that each is a different one. The pool must keep them open (no idle timeout
 * shorter than the bench) for the clock to go on counting them. `null` when the server does
 * not say (MySQL has no `TID` there).
 */
export async function serverThreads(scratch: { kind: 'postgres'; pool: pg.Pool } | { kind: 'mysql'; pool: MysqlPool }, size: number): Promise<number[] | null> {
  try {
    if (scratch.kind === 'postgres') {
      const clients = await Promise.all(Array.from({ length: size }, () => scratch.pool.connect()));
      try {
        return await Promise.all(clients.map(async (client) => Number((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid)));
      } finally {
        for (const client of clients) client.release();
      }
    }
    const promised = scratch.pool.promise();
    const connections = await Promise.all(Array.from({ length: size }, () => promised.getConnection()));
    try {
      return await Promise.all(
        connections.map(async (connection) => {
          const [rows] = await connection.query('select tid as tid from information_schema.processlist where id = connection_id()');
          return Number((rows as { tid: number }[])[0]!.tid);
        }),
      );
    } finally {
      for (const connection of connections) connection.release();
    }
  } catch {
    return null;
  }
}
