/**
 * Session validation on PostgreSQL and MySQL/MariaDB: `auth.sessions.validate(token)` per
 * second at concurrency 10, next to the floor of the same pool — a primary-key `SELECT`
 * sent straight through the driver (a prepared statement on PostgreSQL, a text query on
 * MySQL; on MySQL also as a prepared statement, `execute()`, as the store sends its session
 * read, printed beside it) — measured in the same run, alternating
 * in rounds so that drift on a shared machine hits both alike. Beside it: the full read a
 * session's first validation costs (an instance without its session cache), and the opt-in
 * `sessions.cacheTtl`. A server that cannot be reached is skipped and emits nothing.
 *
 * Run alone with `npx tsx bench/sql.ts`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createPool, type Pool as MysqlPool } from 'mysql2';
import pg from 'pg';
import { createAuth, type AuthStore } from 'gatehouse';
import { TestPasswordHasher } from 'gatehouse/testing';
import { MemoryMailer } from 'gatehouse/memory';
import { createMysqlStore } from 'gatehouse/mysql';
import { createPostgresStore } from 'gatehouse/postgres';

type Emit = (figure: { name: string; value: number; unit: string }) => void;
type Kind = 'postgres' | 'mysql';

const SERVERS: Record<Kind, string> = {
  postgres: process.env['GATEHOUSE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env['GATEHOUSE_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test',
};
const CONCURRENCY = 10;
const ROUNDS = 4;
const ROUND_MS = 1000;
const PERMISSIONS = ['users:view', 'orders:view:own', 'orders:create', 'products:view', 'reports:view', 'profile:edit'];

/** One server, reached through one pool. */
interface Server {
  readonly kind: Kind;
  /** A primary-key select sent straight through the driver: the floor. */
  pkSelect(id: string): Promise<unknown>;
  /** On MySQL: the same select as a prepared statement (`execute()`), the way the store sends its session read; `null` where the floor already is one. */
  readonly pkSelectPrepared: ((id: string) => Promise<unknown>) | null;
  store(): AuthStore & { migrate(): Promise<unknown> };
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
    const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, database), max: CONCURRENCY });
    pool.on('error', () => undefined);
    return {
      server: {
        kind,
        // Prepared, as the store's own queries are: the floor is the cheapest round trip this pool can make.
        pkSelect: (id) => pool.query({ name: 'gatehouse_bench_floor', text: 'select id from users where id = $1', values: [id] }),
        pkSelectPrepared: null,
        store: () => createPostgresStore({ pool }),
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
  const pool: MysqlPool = createPool({ uri: withDatabase(adminUrl, database), connectionLimit: CONCURRENCY, timezone: 'Z' });
  const promised = pool.promise();
  return {
    server: {
      kind,
      pkSelect: (id) => promised.query('select id from users where id = ?', [id]),
      pkSelectPrepared: (id) => promised.execute('select id from users where id = ?', [id]),
      store: () => createMysqlStore({ pool }),
      end: () => promised.end(),
    },
    drop: async () => {
      await admin.query(`drop database if exists \`${database}\``);
      await admin.end();
    },
  };
}

/** Operations per second of `op` run by `concurrency` workers back to back for `ms`. */
async function throughput(op: () => Promise<unknown>, ms: number, concurrency = CONCURRENCY): Promise<{ count: number; seconds: number }> {
  let count = 0;
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await op();
        count += 1;
      }
    }),
  );
  return { count, seconds: (performance.now() - start) / 1000 };
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

  // Warm up every path (connections, JIT, plan caches), then alternate.
  await throughput(floor, 300);
  if (prepared !== null) await throughput(preparedFloor, 300);
  await throughput(validate, 300);
  await throughput(full, 300);
  await throughput(cached, 300);
  const totals = { floor: { count: 0, seconds: 0 }, preparedFloor: { count: 0, seconds: 0 }, validate: { count: 0, seconds: 0 }, full: { count: 0, seconds: 0 }, cached: { count: 0, seconds: 0 } };
  const ops = [['floor', floor], ...(prepared === null ? [] : [['preparedFloor', preparedFloor] as const]), ['validate', validate], ['full', full], ['cached', cached]] as const;
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, op] of ops) {
      const r = await throughput(op, ROUND_MS);
      totals[name].count += r.count;
      totals[name].seconds += r.seconds;
    }
  }
  const floorRate = totals.floor.count / totals.floor.seconds;
  const validateRate = totals.validate.count / totals.validate.seconds;
  const label = server.kind === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB';
  emit({ name: `${label}: sessions.validate(token), concurrency ${CONCURRENCY}`, value: Math.round(validateRate), unit: 'ops/s' });
  emit({ name: `${label}: primary-key SELECT floor, same pool, concurrency ${CONCURRENCY}`, value: Math.round(floorRate), unit: 'ops/s' });
  emit({ name: `${label}: validate as a share of the floor (target ≥ 70%)`, value: Math.round((validateRate / floorRate) * 1000) / 10, unit: '%' });
  const fullRate = totals.full.count / totals.full.seconds;
  emit({ name: `${label}: sessions.validate(token), full read every time (sessions.cacheSize 0), concurrency ${CONCURRENCY}`, value: Math.round(fullRate), unit: 'ops/s' });
  emit({ name: `${label}: first validation (full read) as a share of the floor, concurrency ${CONCURRENCY} (target ≥ 70%)`, value: Math.round((fullRate / floorRate) * 1000) / 10, unit: '%' });
  if (prepared !== null) {
    const preparedRate = totals.preparedFloor.count / totals.preparedFloor.seconds;
    emit({ name: `${label}: primary-key SELECT as a prepared statement (execute), concurrency ${CONCURRENCY}`, value: Math.round(preparedRate), unit: 'ops/s' });
    emit({ name: `${label}: first validation as a share of the prepared floor, concurrency ${CONCURRENCY}`, value: Math.round((fullRate / preparedRate) * 1000) / 10, unit: '%' });
  }
  const cachedRate = totals.cached.count / totals.cached.seconds;
  emit({ name: `${label}: sessions.validate(token) with cacheTtl 5 s, concurrency ${CONCURRENCY}`, value: Math.round(cachedRate), unit: 'ops/s' });
  emit({ name: `${label}: cached validate as a share of the floor`, value: Math.round((cachedRate / floorRate) * 1000) / 10, unit: '%' });

  // The first validation alone at concurrency 1: one request at a time, the latency that matters when the server is idle.
  const single = { floor: { count: 0, seconds: 0 }, preparedFloor: { count: 0, seconds: 0 }, full: { count: 0, seconds: 0 } };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, op] of [['floor', floor], ...(prepared === null ? [] : [['preparedFloor', preparedFloor] as const]), ['full', full]] as const) {
      const r = await throughput(op, ROUND_MS, 1);
      single[name].count += r.count;
      single[name].seconds += r.seconds;
    }
  }
  const singleFloor = single.floor.count / single.floor.seconds;
  const singleFull = single.full.count / single.full.seconds;
  emit({ name: `${label}: primary-key SELECT floor, concurrency 1`, value: Math.round(singleFloor), unit: 'ops/s' });
  emit({ name: `${label}: first validation (full read, sessions.cacheSize 0), concurrency 1`, value: Math.round(singleFull), unit: 'ops/s' });
  emit({ name: `${label}: first validation as a share of the floor, concurrency 1 (target ≥ 70%)`, value: Math.round((singleFull / singleFloor) * 1000) / 10, unit: '%' });
  if (prepared !== null) {
    const singlePrepared = single.preparedFloor.count / single.preparedFloor.seconds;
    emit({ name: `${label}: primary-key SELECT as a prepared statement (execute), concurrency 1`, value: Math.round(singlePrepared), unit: 'ops/s' });
    emit({ name: `${label}: first validation as a share of the prepared floor, concurrency 1`, value: Math.round((singleFull / singlePrepared) * 1000) / 10, unit: '%' });
  }
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
