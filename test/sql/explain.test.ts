import { randomUUID } from 'node:crypto';
import { Kysely, MysqlDialect, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AuthStore } from 'gatehouse';
import { describeSql, mysqlPool, pgPool, SQL_KINDS, type SqlKind, type TestDatabase } from '../support/sql-servers.js';

/**
 * The hot queries — sign-in by email, session by token hash, key by hash, lockout counts —
 * must be answered through an index. The queries checked are the ones the store really
 * sends, captured from Kysely's log, then EXPLAINed on the server with their parameters.
 */

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const hex = (n: number): string => n.toString(16).padStart(64, '0');

/** A plan, reduced to what the assertions look at. */
interface PlanSummary {
  /** Index names used. */
  readonly indexes: string[];
  /** Problems: tables read in full. */
  readonly fullScans: string[];
  readonly text: string;
}

interface Explainer {
  explain(query: CompiledQuery): Promise<PlanSummary>;
  end(): Promise<void>;
}

function postgresExplainer(url: string): Explainer {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  const connected = client.connect();
  return {
    async explain(query) {
      await connected;
      await client.query('begin');
      try {
        // On small tables a sequential scan is cheaper and the planner would rightly choose it;
        // with it priced out, a Seq Scan left in the plan means no usable index exists.
        await client.query('set local enable_seqscan = off');
        const result = await client.query(`explain (format json) ${query.sql}`, [...query.parameters]);
        const plan = (result.rows[0] as { 'QUERY PLAN': { Plan: PgPlanNode }[] })['QUERY PLAN'][0]!.Plan;
        const indexes: string[] = [];
        const fullScans: string[] = [];
        const walk = (node: PgPlanNode): void => {
          if (node['Index Name'] !== undefined) indexes.push(node['Index Name']);
          if (node['Node Type'] === 'Seq Scan') fullScans.push(node['Relation Name'] ?? '?');
          for (const child of node.Plans ?? []) walk(child);
        };
        walk(plan);
        return { indexes, fullScans, text: JSON.stringify(plan, null, 1) };
      } finally {
        await client.query('rollback');
      }
    },
    end: () => client.end(),
  };
}

interface PgPlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PgPlanNode[];
}

function mysqlExplainer(url: string): Explainer {
  const pool = mysqlPool(url);
  return {
    async explain(query) {
      const [rows] = await pool.promise().query(`explain ${query.sql}`, [...query.parameters]);
      const plan = rows as { select_type: string; table: string | null; type: string | null; key: string | null; Extra: string | null }[];
      return {
        indexes: plan.flatMap((row) => (row.key === null ? [] : [row.key])),
        // A row with a table but no key is a full scan (`type` ALL); "Impossible WHERE" rows have no
        // table, and the row of an INSERT's target reads nothing.
        fullScans: plan.filter((row) => row.select_type !== 'INSERT' && row.table !== null && (row.type === 'ALL' || row.key === null)).map((row) => row.table!),
        text: JSON.stringify(plan, null, 1),
      };
    },
    end: () => pool.promise().end(),
  };
}

/** A store whose every query is recorded, so that a test can EXPLAIN exactly what it sent. */
function recordingStore(
  kind: SqlKind,
  db: TestDatabase,
): { store: AuthStore; record: (run: () => Promise<unknown>) => Promise<CompiledQuery[]>; end: () => Promise<void> } {
  let log: CompiledQuery[] = [];
  const dialect = kind === 'postgres' ? new PostgresDialect({ pool: pgPool(db.url) }) : new MysqlDialect({ pool: mysqlPool(db.url) });
  const kysely = new Kysely<unknown>({ dialect, log: (event) => void (event.level === 'query' && log.push(event.query)) });
  return {
    end: () => kysely.destroy(),
    store: db.store({ db: kysely }),
    async record(run) {
      log = [];
      await run();
      return log;
    },
  };
}

/** Enough rows that an index pays off for the planner too. */
async function seed(store: AuthStore): Promise<{ email: string; tokenHash: string; keyHash: string; ip: string }> {
  const roles = Array.from({ length: 20 }, (_, i) => `role${i}`);
  for (const [i, code] of roles.entries()) {
    await store.upsertRole({ code, name: code, description: '', level: i, active: true, createdAt: T0, updatedAt: T0 });
  }
  for (let i = 0; i < 40; i += 1) {
    await store.upsertPermission({ code: `module${i}:view`, name: `m${i}`, module: `module${i}`, action: 'view', active: true, createdAt: T0 });
    await store.grantPermission(roles[i % roles.length]!, `module${i}:view`);
  }
  const users = Array.from({ length: 100 }, (_, i) => ({ id: randomUUID(), email: `user${i}@example.com` }));
  await Promise.all(
    users.map(async (u, i) => {
      await store.insertUser({
        id: u.id,
        email: u.email,
        name: `User ${i}`,
        passwordHash: 'h',
        status: 'active',
        statusReason: null,
        statusUntil: null,
        emailVerifiedAt: T0,
        mustChangePassword: false,
        locale: null,
        attributes: {},
        lastLoginAt: null,
        createdAt: at(i),
        updatedAt: at(i),
      });
      await store.assignRole({ userId: u.id, roleCode: roles[i % roles.length]!, assignedAt: T0, assignedBy: null, expiresAt: null });
      await store.insertSession({
        id: randomUUID(),
        userId: u.id,
        tokenHash: hex(i),
        ip: null,
        userAgent: null,
        rememberMe: false,
        createdAt: T0,
        lastActiveAt: T0,
        expiresAt: at(3600),
        revokedAt: null,
      });
      await store.insertOneTimeKey({
        id: randomUUID(),
        userId: u.id,
        purpose: 'password-reset',
        keyHash: hex(1000 + i),
        sentTo: u.email,
        createdAt: T0,
        expiresAt: at(1800),
        usedAt: null,
        usedIp: null,
        voidedAt: null,
      });
      for (let k = 0; k < 3; k += 1) {
        await store.insertLoginAttempt({ id: randomUUID(), email: u.email, userId: u.id, ip: `10.0.${i}.${k}`, success: k === 0, createdAt: at(i * 10 + k) });
      }
    }),
  );
  return { email: 'USER42@example.com', tokenHash: hex(42), keyHash: hex(1042), ip: '10.0.42.1' };
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: EXPLAIN of the hot queries`, (db) => {
    let recording: ReturnType<typeof recordingStore>;
    let explainer: Explainer;
    let data: Awaited<ReturnType<typeof seed>>;

    beforeAll(async () => {
      const store = await db.freshStore();
      data = await seed(store);
      if (kind === 'postgres') await db.query('analyze');
      else await db.query('analyze table users, sessions, one_time_keys, login_attempts, user_roles, roles, role_permissions, permissions');
      recording = recordingStore(kind, db);
      explainer = kind === 'postgres' ? postgresExplainer(db.url) : mysqlExplainer(db.url);
    });
    afterAll(async () => {
      await explainer?.end();
      await recording?.end();
    });

    /**
     * Runs a store call, EXPLAINs every query it sent, and checks that each of `indexes` is
     * used by some query and that no query scans a table in full. Resolves the queries.
     */
    async function expectIndexed(run: (store: AuthStore) => Promise<unknown>, ...indexes: string[]): Promise<CompiledQuery[]> {
      // Transaction control (begin, set transaction, commit) has no plan.
      const queries = (await recording.record(() => run(recording.store))).filter((q) => /^\s*(select|insert|update|delete|with)\b/i.test(q.sql));
      expect(queries.length).toBeGreaterThan(0);
      const plans = await Promise.all(queries.map((q) => explainer.explain(q)));
      const text = plans.map((plan) => plan.text).join('\n');
      for (const index of indexes) expect(plans.flatMap((plan) => plan.indexes), text).toContain(index);
      for (const plan of plans) expect(plan.fullScans, plan.text).toEqual([]);
      return queries;
    }

    it('sign-in: findUserByEmail() uses the unique index on the lower-cased email', async () => {
      await expectIndexed((store) => store.findUserByEmail(data.email), 'users_email_uq');
    });

    it('every request: findSessionByTokenHash() uses the token-hash index, and reads the user and grants by key', async () => {
      await expectIndexed(async (store) => expect(await store.findSessionByTokenHash(data.tokenHash)).not.toBeNull(), 'sessions_token_uq');
    });

    it('every later request: a cached session is checked with one query of its row by the token-hash index', async () => {
      await recording.store.findSessionByTokenHash(hex(43));
      const queries = await expectIndexed(async (store) => expect(await store.findSessionByTokenHash(hex(43))).not.toBeNull(), 'sessions_token_uq');
      expect(queries).toHaveLength(1);
    });

    it('writes mark the sessions they affect stale through indexes: by user, and by the holders of a role or permission', async () => {
      const user = await recording.store.findSessionByTokenHash(hex(44));
      const userId = user!.user.id;
      await expectIndexed((store) => store.updateUser(userId, { name: 'Renamed', updatedAt: T0 }), 'sessions_user_idx');
      await expectIndexed((store) => store.removeRole(userId, user!.grants[0]!.roleCode), 'sessions_user_idx');
      await expectIndexed((store) => store.grantPermission('role3', 'module0:view'), 'user_roles_role_idx', 'sessions_user_idx');
      await expectIndexed(
        (store) => store.upsertPermission({ code: 'module1:view', name: 'm1', module: 'module1', action: 'view', active: false, createdAt: T0 }),
        'role_permissions_permission_idx',
        'sessions_user_idx',
      );
    });

    it('keys: findOneTimeKey() and the conditional UPDATE of consumeOneTimeKey() use the key-hash index', async () => {
      await expectIndexed((store) => store.findOneTimeKey(data.keyHash), 'one_time_keys_hash_uq');
      await expectIndexed((store) => store.consumeOneTimeKey(data.keyHash, { purpose: 'password-reset', at: at(1), ip: null }), 'one_time_keys_hash_uq');
    });

    it('lockout: listLoginFailures() by email and by ip use their (column, time) indexes', async () => {
      await expectIndexed((store) => store.listLoginFailures({ email: 'user42@example.com' }, { since: T0, limit: 5 }), 'login_attempts_email_idx');
      await expectIndexed((store) => store.listLoginFailures({ ip: data.ip }, { since: T0, limit: 100 }), 'login_attempts_ip_failed_idx');
    });
  });
}
