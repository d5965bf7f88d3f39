/**
 * The administrator's reads at scale (issue 21): migrates a fresh database on each server,
 * bulk-loads users (with roles and search words, through the store's own batch inserts) and
 * activities, and times each call of the table at 10,000 users / 100,000 activities,
 * then again once the tables hold the full size, printing both and their ratio.
 *
 *   npm run bench -- scale                                        # 1,000,000 users / 10,000,000 activities
 *   npm run bench -- scale --users 100000 --activities 1000000    # smaller, for a shared machine
 *
 * Only run when named: loading the full size takes a long time and much disk.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createPool } from 'mysql2';
import pg from 'pg';
import { createAuth, type Activity, type Auth, type AuthStore, type UserRecord, type UserRole } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { TestPasswordHasher } from 'gatehouse/testing';
import { createMysqlStore } from 'gatehouse/mysql';
import { createPostgresStore } from 'gatehouse/postgres';
import type { Benchmark } from './run.js';

export const onlyWhenNamed = true;

type Kind = 'postgres' | 'mysql';
const SERVERS: Record<Kind, string> = {
  postgres: process.env['GATEHOUSE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env['GATEHOUSE_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test',
};
const withDatabase = (url: string, name: string): string => Object.assign(new URL(url), { pathname: `/${name}` }).toString();

/** `--name <n>` from the command line, or the default. */
function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? fallback : Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`--${name} takes a whole number`);
  return value;
}

const SMALL = { users: 10_000, activities: 100_000 };
const FIRST = ['ana', 'bruno', 'carla', 'dario', 'elena', 'fabio', 'gloria', 'hugo', 'ines', 'jorge', 'karen', 'luis', 'maria', 'nestor', 'olga', 'pablo', 'rosa', 'sergio', 'teresa', 'victor'];
/** 200 surnames; the first is "common": 1% of the users. */
const SURNAMES = Array.from({ length: 200 }, (_, i) => `${['garcia', 'mendez', 'rojas', 'silva', 'torres', 'vargas', 'castro', 'ortiz', 'reyes', 'rivas'][i % 10]}${i < 10 ? '' : String.fromCharCode(97 + (i % 26)) + String.fromCharCode(97 + Math.floor(i / 26))}`);
const T_END = Date.UTC(2026, 0, 1);
const YEAR = 365 * 86_400_000;

/** The i-th user: 2% blocked, 3% pending, the rest active; one in 200 surnames. */
function userAt(i: number): UserRecord {
  const createdAt = new Date(T_END - YEAR + Math.floor((i * 7919) % YEAR));
  return {
    id: randomUUID(),
    email: `u${i}@example.com`,
    name: `${FIRST[i % FIRST.length]} ${SURNAMES[(i * 7) % SURNAMES.length]}`,
    passwordHash: null,
    status: i % 50 === 0 ? 'blocked' : i % 33 === 0 ? 'pending' : 'active',
    statusReason: null,
    statusUntil: null,
    emailVerifiedAt: createdAt,
    mustChangePassword: false,
    locale: null,
    attributes: {},
    lastLoginAt: null,
    createdAt,
    updatedAt: createdAt,
  };
}

/** Actions: 0.5% user.blocked, 40% login.succeeded, 30% login.failed, the rest session and profile entries. */
function actionAt(i: number): string {
  const r = i % 200;
  if (r === 0) return 'user.blocked';
  if (r < 81) return 'login.succeeded';
  if (r < 141) return 'login.failed';
  if (r < 181) return 'session.renewed';
  return 'user.updated';
}

/** Users (every one a customer; 10% sellers; one in a thousand admins) and activities, appended up to the given counts. */
class Loader {
  readonly ids: string[] = [];
  activities = 0;
  constructor(private readonly store: AuthStore) {}

  async users(upTo: number): Promise<void> {
    for (let from = this.ids.length; from < upTo; from += 1000) {
      const users = Array.from({ length: Math.min(1000, upTo - from) }, (_, k) => userAt(from + k));
      await this.store.insertUsers(users);
      const roles: UserRole[] = users.flatMap((u, k) => {
        const i = from + k;
        const at = u.createdAt;
        return [
          { userId: u.id, roleCode: 'customer', assignedAt: at, assignedBy: null, expiresAt: null },
          ...(i % 10 === 0 ? [{ userId: u.id, roleCode: 'seller', assignedAt: at, assignedBy: null, expiresAt: null }] : []),
          ...(i % 1000 === 0 ? [{ userId: u.id, roleCode: 'admin', assignedAt: at, assignedBy: null, expiresAt: null }] : []),
        ];
      });
      await this.store.insertUserRoles(roles);
      this.ids.push(...users.map((u) => u.id));
    }
  }

  async activityRows(upTo: number): Promise<void> {
    for (let from = this.activities; from < upTo; from += 5000) {
      const rows: Activity[] = Array.from({ length: Math.min(5000, upTo - from) }, (_, k) => {
        const i = from + k;
        const subject = this.ids[(i * 31) % this.ids.length]!;
        return { id: randomUUID(), subjectId: subject, actorId: i % 3 === 0 ? subject : null, action: actionAt(i), details: 'x', ip: '203.0.113.9', userAgent: null, metadata: {}, createdAt: new Date(T_END - YEAR + ((i * 104_729) % YEAR)) };
      });
      await this.store.appendActivities(rows);
      this.activities = from + rows.length;
    }
  }
}

/** Median milliseconds of a call, after one warm-up run. */
async function median(call: () => Promise<unknown>, runs = 5): Promise<number> {
  await call();
  const times: number[] = [];
  for (let r = 0; r < runs; r += 1) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/** The calls of the table, each a function of the current size. */
function calls(auth: Auth, size: { users: number; activities: number }): [string, () => Promise<unknown>][] {
  const s = auth.system;
  const lastUserPage = Math.ceil(size.users / 20);
  return [
    ['users.list page 1, no filter', () => auth.users.list(s, {})],
    ['users.list by status (blocked)', () => auth.users.list(s, { status: 'blocked' })],
    ['users.list by role (seller, 10%)', () => auth.users.list(s, { role: 'seller' })],
    ['users.list by rare role (admin, 0.1%)', () => auth.users.list(s, { role: 'admin' })],
    ['users.list q common surname (garcia, 1%)', () => auth.users.list(s, { q: 'garcia' })],
    ['users.list q one email', () => auth.users.list(s, { q: `u${Math.floor(size.users / 2)}@example.com` })],
    ['users.list last page by page number (deep OFFSET)', () => auth.users.list(s, { page: lastUserPage })],
    ['users.list a page by cursor, deep in the list', deepCursor((cursor) => auth.users.list(s, { cursor }), () => auth.users.list(s, { page: Math.max(1, lastUserPage - 1) }))],
    ['users.list status + role + q', () => auth.users.list(s, { status: 'active', role: 'seller', q: 'ana garcia' })],
    ['audit.query by action (user.blocked, 0.5%)', () => auth.audit.query(s, { action: 'user.blocked' })],
    ['audit.query by action prefix (login.)', () => auth.audit.query(s, { action: 'login.' })],
    ['audit.query no filter, page 1', () => auth.audit.query(s, {})],
    ['audit.query login.failed, page 1000 by page number (deep OFFSET; no target: use a cursor)', () => auth.audit.query(s, { action: 'login.failed', page: 1000 })],
    ['audit.query login.failed, a page by cursor, deep in the log', deepCursor((cursor) => auth.audit.query(s, { action: 'login.failed', cursor }), () => auth.audit.query(s, { action: 'login.failed', page: 999 }))],
  ];
}

/** A call of the page after a deep one, by the deep page's cursor (read once, not timed). */
function deepCursor(next: (cursor: string) => Promise<unknown>, deep: () => Promise<{ nextCursor: string | null }>): () => Promise<unknown> {
  let cursor: Promise<string | null> | undefined;
  return async () => {
    cursor ??= deep().then((page) => page.nextCursor);
    const found = await cursor;
    return found === null ? null : next(found);
  };
}

async function open(kind: Kind, database: string): Promise<{ store: AuthStore & { migrate(): Promise<unknown> }; analyze(): Promise<void>; close(): Promise<void> } | null> {
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
    const pool = new pg.Pool({ connectionString: withDatabase(adminUrl, database), max: 4 });
    pool.on('error', () => undefined);
    return {
      store: createPostgresStore({ pool }, { statementTimeout: 600_000 }),
      analyze: async () => void (await pool.query('vacuum analyze')),
      close: async () => {
        await pool.end();
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
  const pool = createPool({ uri: withDatabase(adminUrl, database), connectionLimit: 4, timezone: 'Z' });
  return {
    store: createMysqlStore({ pool }, { statementTimeout: 600_000 }),
    analyze: async () => void (await pool.promise().query('analyze table users, user_roles, user_search_words, activities')),
    close: async () => {
      await pool.promise().end();
      await admin.query(`drop database if exists \`${database}\``);
      await admin.end();
    },
  };
}

export const run: Benchmark = async (emit) => {
  const full = { users: flag('users', 1_000_000), activities: flag('activities', 10_000_000) };
  const small = { users: Math.min(SMALL.users, full.users), activities: Math.min(SMALL.activities, full.activities) };
  const label = (size: { users: number; activities: number }): string => `${size.users.toLocaleString('en')} users / ${size.activities.toLocaleString('en')} activities`;
  for (const kind of ['postgres', 'mysql'] as const) {
    const opened = await open(kind, `gh_bench_scale_${randomBytes(4).toString('hex')}`);
    if (opened === null) continue;
    try {
      await opened.store.migrate();
      const auth = createAuth({ store: opened.store, mailer: new MemoryMailer(), hasher: new TestPasswordHasher() });
      for (const code of ['customer', 'seller', 'admin'] as const) {
        await auth.roles.createRole(auth.system, { code, name: code, level: code === 'admin' ? 50 : code === 'seller' ? 20 : 10 });
      }
      const loader = new Loader(opened.store);
      const timed = async (size: typeof full): Promise<Map<string, number>> => {
        const loadStart = performance.now();
        await loader.users(size.users);
        await loader.activityRows(size.activities);
        await opened.analyze();
        emit({ name: `scale ${kind}: load up to ${label(size)}`, value: (performance.now() - loadStart) / 1000, unit: 's' });
        const figures = new Map<string, number>();
        for (const [name, call] of calls(auth, size)) {
          const ms = await median(call);
          figures.set(name, ms);
          emit({ name: `scale ${kind}: ${name} at ${label(size)}`, value: ms, unit: 'ms' });
        }
        return figures;
      };
      const atSmall = await timed(small);
      const atFull = await timed(full);
      for (const [name, ms] of atFull) {
        emit({ name: `scale ${kind}: ${name}, ${label(full)} over ${label(small)} (target ≤ 2, and ≤ 20 ms)`, value: ms / atSmall.get(name)!, unit: 'ratio' });
      }
    } finally {
      await opened.close().catch(() => undefined);
    }
  }
};

if (import.meta.url === `file://${process.argv[1]}`) {
  await run((figure) => console.log(JSON.stringify(figure)));
}
