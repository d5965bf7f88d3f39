/**
 * Session validation on PostgreSQL and MySQL/MariaDB: `auth.sessions.validate(token)` per
 * second at concurrency 10, next to the floor of the same pool — a primary-key `SELECT`
 * sent straight through the driver (a prepared statement on PostgreSQL, a text query on
 * MySQL; on MySQL also as a prepared statement, `execute()`, as the store sends its session
 * read, printed beside it). Beside it: the full read a session's first validation costs (an
 * instance without its session cache), and the opt-in `sessions.cacheTtl`. A server that
 * cannot be reached is skipped and emits nothing.
 *
 * Method (docs/performance.md, "Method, bench by bench"): 16 rounds of 250 ms slices, one
 * slice per operation and round, each round starting with another operation; a share is the
 * median over the rounds of the ratio of an operation's rate to the floor's in the same
 * round, so that drift on a shared machine, which moves both sides of a round alike, cancels.
 * Each slice also reads the CPU it took, the node process's and the server side's (the
 * PostgreSQL backends or MariaDB threads behind the pool's connections, from `/proc`), per
 * call: at concurrency 10 on a machine whose cores the database shares, the throughput share
 * is about the CPU share, and the CPU share does not depend on the neighbours.
 *
 * Run alone with `npm run bench -- sql`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createPool, type Pool as MysqlPool } from 'mysql2';
import pg from 'pg';
import { createAuth, type AuthStore } from 'gatehouse';
import { TestPasswordHasher } from 'gatehouse/testing';
import { MemoryMailer } from 'gatehouse/memory';
import { createMysqlStore } from 'gatehouse/mysql';
import { createPostgresStore } from 'gatehouse/postgres';
import { cpuClock, serverThreads, type CpuClock } from './support/connection-cpu.js';
import { median } from './support/median.js';
import { SERVERS, throughput } from './support/side-by-side.js';

type Emit = (figure: { name: string; value: number; unit: string }) => void;
type Kind = 'postgres' | 'mysql';

const CONCURRENCY = 10;
/** Rounds of interleaved slices, and each slice's length (`GATEHOUSE_BENCH_SQL_ROUNDS`, `GATEHOUSE_BENCH_SQL_SLICE_MS`). */
const ROUNDS = Number(process.env['GATEHOUSE_BENCH_SQL_ROUNDS'] ?? 16);
const SLICE_MS = Number(process.env['GATEHOUSE_BENCH_SQL_SLICE_MS'] ?? 250);
const WARMUP_MS = 300;
const PERMISSIONS = ['users:view', 'orders:view:own', 'orders:create', 'products:view', 'reports:view', 'profile:edit'];

/** One server, reached through one pool. */
interface Server {
  readonly kind: Kind;
  /** A primary-key select sent straight through the driver: the floor. */
  pkSelect(id: string): Promise<unknown>;
  /** On MySQL: the same select as a prepared statement (`execute()`), the way the store sends its session read; `null` where the floor already is one. */
  readonly pkSelectPrepared: ((id: string) => Promise<unknown>) | null;
  store(): AuthStore & { migrate(): Promise<unknown> };
  /** The server processes or threads behind the pool's connections, for CPU per call (`connection-cpu.ts`); `null` when they cannot be known. */
  readonly threads: readonly number[] | null;
  end(): Promise<void>;
}

const withDatabase = (url: string, name: string): string => Object.assign(new URL(url), { pathname: `/${name}` }).toString();

/** Opens a pool on a fresh database of the server, or resolves `null` when the server is unreachable. */
async function open(kind: Kind, database: string): Promise<{ server: Server; drop: () => Promise<void> } | null> {
  const adminUrl = SERVERS[kind];
  if (kind === 'postgres') {
    const admin = new pg.Pool({ connectionString: adminUrl, max: 1, connectionTimeoutMillis: 3000 });
    admin.on('error', () => undefined);
    try {
      await admin.query(`create database "${database}"`);
    } catch {
      await admin.end();
      return null;
    }
    // No idle timeout: the connections whose server processes the CPU figures read stay the pool's.
    const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, database), max: CONCURRENCY, idleTimeoutMillis: 0 });
    pool.on('error', () => undefined);
    const threads = await serverThreads({ kind, pool }, CONCURRENCY);
    return {
      server: {
        kind,
        // Prepared, as the store's own queries are: the floor is the cheapest round trip this pool can make.
        pkSelect: (id) => pool.query({ name: 'gatehouse_bench_floor', text: 'select id from users where id = $1', values: [id] }),
        pkSelectPrepared: null,
        store: () => createPostgresStore({ pool }),
        threads,
        end: () => pool.end(),
      },
      drop: async () => {
        await admin.query(`drop database if exists "${database}" with (force)`);
        await admin.end();
      },
    };
  }
  const admin = createPool({ uri: adminUrl, connectionLimit: 1, connectTimeout: 3000 }).promise();
  try {
    await admin.query(`create database \`${database}\``);
  } catch {
    await admin.end();
    return null;
  }
  const pool: MysqlPool = createPool({ uri: withDatabase(adminUrl, database), connectionLimit: CONCURRENCY, maxIdle: CONCURRENCY, idleTimeout: 3_600_000, timezone: 'Z' });
  const promised = pool.promise();
  const threads = await serverThreads({ kind, pool }, CONCURRENCY);
  return {
    server: {
      kind,
      pkSelect: (id) => promised.query('select id from users where id = ?', [id]),
      pkSelectPrepared: (id) => promised.execute('select id from users where id = ?', [id]),
      store: () => createMysqlStore({ pool }),
      threads,
      end: () => promised.end(),
    },
    drop: async () => {
      await admin.query(`drop database if exists \`${database}\``);
      await admin.end();
    },
  };
}

/** Operations per second of `op` run by `concurrency` workers back to back for `ms`, and the CPU they took. */
async function slice(op: () => Promise<unknown>, ms: number, concurrency: number, clock: CpuClock | null): Promise<Slice> {
  const before = clock?.() ?? null;
  const { count, seconds } = await throughput(op, concurrency, ms);
  const after = clock?.() ?? null;
  const node = before === null || after === null ? null : (after.node - before.node) / count;
  const server = before?.server == null || after?.server == null ? null : (after.server - before.server) / count;
  return { rate: count / seconds, node, server };
}

/** One slice of one operation: its rate, and its CPU per call in µs (node, the server's connections) when it could be read. */
interface Slice {
  readonly rate: number;
  readonly node: number | null;
  readonly server: number | null;
}

/**
 * Runs `ops` in `ROUNDS` rounds of one `SLICE_MS` slice each, every round starting with
 * another operation (so that none always pays for going first), and answers each operation's
 * slices in round order: a slice and the floor's slice of the same round ran within a few
 * hundred milliseconds of each other, so their ratio is what drift on a shared machine
 * disturbs least.
 */
async function interleaved<Name extends string>(ops: ReadonlyArray<readonly [Name, () => Promise<unknown>]>, concurrency: number, clock: CpuClock | null): Promise<Record<Name, Slice[]>> {
  for (const [, op] of ops) await slice(op, WARMUP_MS, concurrency, null);
  const slices = Object.fromEntries(ops.map(([name]) => [name, [] as Slice[]])) as Record<Name, Slice[]>;
  for (let round = 0; round < ROUNDS; round += 1) {
    for (let i = 0; i < ops.length; i += 1) {
      const [name, op] = ops[(round + i) % ops.length]!;
      slices[name].push(await slice(op, SLICE_MS, concurrency, clock));
    }
  }
  return slices;
}

/** The median over the rounds of `of`'s rate as a share of `floor`'s in the same round, in % to one decimal. */
const share = (of: readonly Slice[], floor: readonly Slice[]): number => Math.round(median(of.map((s, i) => s.rate / floor[i]!.rate)) * 1000) / 10;
/** The median rate over the rounds, per second. */
const rate = (slices: readonly Slice[]): number => Math.round(median(slices.map((s) => s.rate)));
/** CPU per call (node + server) of a slice; `null` when the server's part could not be read. */
const cpuPerCall = (s: Slice): number | null => (s.node === null || s.server === null ? null : s.node + s.server);

/**
 * Emits what the full read and each floor cost in CPU per call (node, server; medians over
 * the rounds) and each floor's CPU as a share of the full read's (the median of the rounds'
 * ratios): with the database on the same cores and the pool kept busy, about the share the
 * throughput can reach. Nothing when the server's threads cannot be read here.
 */
function emitCpu(emit: Emit, label: string, concurrency: number, full: readonly Slice[], floors: ReadonlyArray<readonly [string, readonly Slice[]]>): void {
  if ([full, ...floors.map(([, slices]) => slices)].some((slices) => slices.some((s) => cpuPerCall(s) === null))) return;
  const us = (values: number[]): number => Math.round(median(values) * 10) / 10;
  for (const [what, slices] of [['first validation (full read)', full] as const, ...floors]) {
    emit({ name: `${label}: CPU per call, ${what}, concurrency ${concurrency}: node`, value: us(slices.map((s) => s.node!)), unit: 'µs' });
    emit({ name: `${label}: CPU per call, ${what}, concurrency ${concurrency}: server`, value: us(slices.map((s) => s.server!)), unit: 'µs' });
  }
  for (const [what, slices] of floors) {
    const cpuShare = median(full.map((s, i) => cpuPerCall(slices[i]!)! / cpuPerCall(s)!));
    emit({ name: `${label}: first validation as a share of the ${what} in CPU per call (node + server), concurrency ${concurrency}`, value: Math.round(cpuShare * 1000) / 10, unit: '%' });
  }
}

async function measure(server: Server, emit: Emit): Promise<void> {
  const store = server.store();
  await store.migrate();
  const mailer = new MemoryMailer();
  const auth = createAuth({ store, mailer, hasher: new TestPasswordHasher() });

  // A realistic signed-in user: two roles, six permissions, a few other users around.
  const now = new Date();
  for (const [code, level] of [['customer', 10], ['seller', 20]] as const) {
    await store.upsertRole({ code, name: code, description: '', level, active: true, createdAt: now, updatedAt: now });
  }
  for (const [i, code] of PERMISSIONS.entries()) {
    const [module = '', ...action] = code.split(':');
    await store.upsertPermission({ code, name: code, module, action: action.join(':'), active: true, createdAt: now });
    await store.grantPermission(i % 2 === 0 ? 'customer' : 'seller', code);
  }
  for (let i = 0; i < 200; i += 1) {
    await store.insertUser({
      id: randomUUID(), email: `other${i}@example.com`, name: `Other ${i}`, passwordHash: null, status: 'active', statusReason: null,
      statusUntil: null, emailVerifiedAt: now, mustChangePassword: false, locale: null, attributes: {}, lastLoginAt: null, createdAt: now, updatedAt: now,
    });
  }
  const password = 'correct horse battery staple';
  const { user } = await auth.accounts.register({ email: 'bench@example.com', password, name: 'Bench' });
  await auth.accounts.activate({ key: mailer.last({ kind: 'activation' })!.key! });
  for (const roleCode of ['customer', 'seller']) {
    await store.assignRole({ userId: user.id, roleCode, assignedAt: now, assignedBy: null, expiresAt: null });
  }
  const { token } = await auth.sessions.login({ email: 'bench@example.com', password });
  const context = await auth.sessions.validate(token);
  if (context === null || context.permissions.length !== PERMISSIONS.length) throw new Error(`${server.kind}: the benchmark session does not validate`);

  const validate = async (): Promise<void> => {
    if ((await auth.sessions.validate(token)) === null) throw new Error('validation failed during the benchmark');
  };
  // The first validation of a session: the full read, as an instance without its session cache does it every time.
  const fullAuth = createAuth({ store, mailer, sessions: { cacheSize: 0 } });
  const full = async (): Promise<void> => {
    if ((await fullAuth.sessions.validate(token)) === null) throw new Error('validation failed during the benchmark');
  };
  // The same validation with `sessions.cacheTtl: 5`: the store round trip at most once per 5 s.
  const cachedAuth = createAuth({ store, mailer, sessions: { cacheTtl: 5 } });
  const cached = async (): Promise<void> => {
    if ((await cachedAuth.sessions.validate(token)) === null) throw new Error('validation failed during the benchmark');
  };
  const floor = (): Promise<unknown> => server.pkSelect(user.id);
  const prepared = server.pkSelectPrepared;
  const preparedFloor = (): Promise<unknown> => (prepared === null ? server.pkSelect(user.id) : prepared(user.id));
  const clock = server.threads === null ? null : cpuClock(server.threads);

  const label = server.kind === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB';
  const many = await interleaved([['floor', floor], ...(prepared === null ? [] : [['preparedFloor', preparedFloor] as const]), ['validate', validate], ['full', full], ['cached', cached]] as const, CONCURRENCY, clock);
  emit({ name: `${label}: sessions.validate(token), concurrency ${CONCURRENCY}`, value: rate(many.validate), unit: 'ops/s' });
  emit({ name: `${label}: primary-key SELECT floor, same pool, concurrency ${CONCURRENCY}`, value: rate(many.floor), unit: 'ops/s' });
  emit({ name: `${label}: validate as a share of the floor (target ≥ 70%)`, value: share(many.validate, many.floor), unit: '%' });
  emit({ name: `${label}: sessions.validate(token), full read every time (sessions.cacheSize 0), concurrency ${CONCURRENCY}`, value: rate(many.full), unit: 'ops/s' });
  emit({ name: `${label}: first validation (full read) as a share of the floor, concurrency ${CONCURRENCY} (target ≥ 70%)`, value: share(many.full, many.floor), unit: '%' });
  if (prepared !== null) {
    emit({ name: `${label}: primary-key SELECT as a prepared statement (execute), concurrency ${CONCURRENCY}`, value: rate(many.preparedFloor), unit: 'ops/s' });
    emit({ name: `${label}: first validation as a share of the prepared floor, concurrency ${CONCURRENCY}`, value: share(many.full, many.preparedFloor), unit: '%' });
  }
  emit({ name: `${label}: sessions.validate(token) with cacheTtl 5 s, concurrency ${CONCURRENCY}`, value: rate(many.cached), unit: 'ops/s' });
  emit({ name: `${label}: cached validate as a share of the floor`, value: share(many.cached, many.floor), unit: '%' });
  const floors = (slices: Record<'floor' | 'preparedFloor', readonly Slice[]>): [string, readonly Slice[]][] => [
    ['floor', slices.floor],
    ...(prepared === null ? [] : [['prepared floor', slices.preparedFloor] as [string, readonly Slice[]]]),
  ];
  emitCpu(emit, label, CONCURRENCY, many.full, floors(many));

  // The first validation alone at concurrency 1: one request at a time, the latency that matters when the server is idle.
  const single = await interleaved([['floor', floor], ...(prepared === null ? [] : [['preparedFloor', preparedFloor] as const]), ['full', full]] as const, 1, clock);
  emit({ name: `${label}: primary-key SELECT floor, concurrency 1`, value: rate(single.floor), unit: 'ops/s' });
  emit({ name: `${label}: first validation (full read, sessions.cacheSize 0), concurrency 1`, value: rate(single.full), unit: 'ops/s' });
  emit({ name: `${label}: first validation as a share of the floor, concurrency 1 (target ≥ 70%)`, value: share(single.full, single.floor), unit: '%' });
  if (prepared !== null) {
    emit({ name: `${label}: primary-key SELECT as a prepared statement (execute), concurrency 1`, value: rate(single.preparedFloor), unit: 'ops/s' });
    emit({ name: `${label}: first validation as a share of the prepared floor, concurrency 1`, value: share(single.full, single.preparedFloor), unit: '%' });
  }
  emitCpu(emit, label, 1, single.full, floors(single));
}

/** Runs the SQL benchmark on each reachable server, emitting its figures. */
export async function run(emit: Emit): Promise<void> {
  for (const kind of ['postgres', 'mysql'] as const) {
    const opened = await open(kind, `gh_bench_${randomBytes(4).toString('hex')}`);
    if (opened === null) continue;
    try {
      await measure(opened.server, emit);
    } finally {
      await opened.server.end().catch(() => undefined);
      await opened.drop().catch(() => undefined);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run((figure) => console.log(`${figure.name}: ${figure.value} ${figure.unit}`));
}
