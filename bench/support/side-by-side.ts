/**
 * Two operations measured in alternating short rounds, so that drift on a shared machine hits
 * both alike, and the scratch databases the SQL benches run in.
 */
import { randomBytes } from 'node:crypto';
import { createPool, type Pool as MysqlPool } from 'mysql2';
import pg from 'pg';

/** Pairs of rounds (odd, so that the median is one pair's ratio), and how long each round runs. */
const PAIRS = 15;
const ROUND_MS = 500;

/** The shared servers (`GATEHOUSE_PG_URL`, `GATEHOUSE_MYSQL_URL`). */
export const SERVERS = {
  postgres: process.env['GATEHOUSE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env['GATEHOUSE_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test',
} as const;

/** Operations per second of `op(worker)` run by `concurrency` workers back to back for `ms`. */
export async function throughput(op: (worker: number) => Promise<unknown>, concurrency: number, ms: number): Promise<{ count: number; seconds: number }> {
  let count = 0;
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        await op(worker);
        count += 1;
      }
    }),
  );
  return { count, seconds: (performance.now() - start) / 1000 };
}

/** What {@link sideBySide} measured. */
export interface SideBySide {
  /** Operations per second of `a` and of `b`: each side's count over its time, all rounds together. */
  readonly rates: readonly [number, number];
  /** The median over the pairs of rounds of `b`'s rate over `a`'s in that pair. */
  readonly ratio: number;
  /** The spread of those ratios: the third quartile less the first. */
  readonly spread: number;
}

/**
 * Runs `a` and `b` in `PAIRS` pairs of short rounds (after a warm-up of each), the order
 * swapped from one pair to the next (a b, b a, a b, …), so that drift on a shared machine hits
 * both sides of a pair alike; the ratio is the median of the pairs' ratios, so that a pair
 * a neighbour disturbed does not move it.
 */
export async function sideBySide(a: (worker: number) => Promise<unknown>, b: (worker: number) => Promise<unknown>, concurrency: number): Promise<SideBySide> {
  await throughput(a, concurrency, 300);
  await throughput(b, concurrency, 300);
  const totals = [{ count: 0, seconds: 0 }, { count: 0, seconds: 0 }];
  const ratios: number[] = [];
  for (let pair = 0; pair < PAIRS; pair += 1) {
    const rates = [0, 0];
    for (const i of pair % 2 === 0 ? [0, 1] : [1, 0]) {
      const r = await throughput(i === 0 ? a : b, concurrency, ROUND_MS);
      totals[i]!.count += r.count;
      totals[i]!.seconds += r.seconds;
      rates[i] = r.count / r.seconds;
    }
    ratios.push(rates[1]! / rates[0]!);
  }
  ratios.sort((x, y) => x - y);
  const at = (q: number): number => ratios[Math.round(q * (ratios.length - 1))]!;
  return { rates: [totals[0]!.count / totals[0]!.seconds, totals[1]!.count / totals[1]!.seconds], ratio: at(0.5), spread: at(0.75) - at(0.25) };
}

/** A pool on a fresh database of one of the shared servers. */
export type ScratchPool = { readonly kind: 'postgres'; readonly pool: pg.Pool } | { readonly kind: 'mysql'; readonly pool: MysqlPool };

/**
 * Runs `use` with a pool (10 connections) on a fresh database of a shared server, dropped
 * afterwards; does nothing when the server cannot be reached.
 */
export async function onScratchDatabase(kind: 'postgres' | 'mysql', use: (scratch: ScratchPool) => Promise<void>): Promise<void> {
  const name = `gh_bench_${randomBytes(4).toString('hex')}`;
  const url = Object.assign(new URL(SERVERS[kind]), { pathname: `/${name}` }).toString();
  if (kind === 'postgres') {
    const admin = new pg.Pool({ connectionString: SERVERS.postgres, max: 1, connectionTimeoutMillis: 3000 });
    admin.on('error', () => undefined);
    try {
      await admin.query(`create database "${name}"`);
    } catch {
      await admin.end();
      return;
    }
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    pool.on('error', () => undefined);
    try {
      await use({ kind, pool });
    } finally {
      await pool.end();
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
    return;
  }
  const admin = createPool({ uri: SERVERS.mysql, connectionLimit: 1, connectTimeout: 3000 }).promise();
  try {
    await admin.query(`create database \`${name}\``);
  } catch {
    await admin.end();
    return;
  }
  const pool = createPool({ uri: url, connectionLimit: 10, timezone: 'Z' });
  try {
    await use({ kind, pool });
  } finally {
    await pool.promise().end();
    await admin.query(`drop database if exists \`${name}\``);
    await admin.end();
  }
}
