import { randomUUID } from 'node:crypto';
import { Kysely, MysqlDialect, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Activity, ActivityQuery, AuthStore, UserRecord } from 'gatehouse';
import { describeSql, mysqlPool, pgPool, SQL_KINDS, type SqlKind, type TestDatabase } from '../support/sql-servers.js';
import { user as fixtureUser } from '../../adapters/testing/fixtures.js';

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
        // A derived table (`<derived2>`, the capped count's subquery) or a materialised subquery is read from
        // its own result, already limited, not from a table.
        fullScans: plan
          .filter((row) => row.select_type !== 'INSERT' && row.table !== null && !row.table.startsWith('<') && (row.type === 'ALL' || row.key === null))
          .map((row) => row.table!),
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
      await store.setUserIdentifiers(u.id, { legacyId: String(1000 + i), documentNumber: `V-${i}` });
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
      else await db.query('analyze table users, user_identifiers, sessions, one_time_keys, login_attempts, user_roles, roles, role_permissions, permissions');
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
    /**
     * The role catalogue (`role-catalog.ts`) is every role: a statement that builds it reads
     * `roles` whole (PostgreSQL names the table, MySQL the alias), and nothing else whole.
     */
    const CATALOGUE_SCAN = kind === 'postgres' ? 'roles' : 'cr';
    const wholeReads = (query: CompiledQuery): string[] => (/\bjson_(build_)?array\("cr"|json_array\(`cr`/.test(query.sql) ? [CATALOGUE_SCAN] : []);

    async function expectIndexed(run: (store: AuthStore) => Promise<unknown>, ...indexes: (string | string[])[]): Promise<CompiledQuery[]> {
      // Transaction control (begin, set transaction, commit) has no plan.
      const queries = (await recording.record(() => run(recording.store))).filter((q) => /^\s*(select|insert|update|delete|with)\b/i.test(q.sql));
      expect(queries.length).toBeGreaterThan(0);
      // One after another: each explains inside a transaction of its own on the explainer's one connection.
      const plans: Awaited<ReturnType<Explainer['explain']>>[] = [];
      for (const query of queries) plans.push(await explainer.explain(query));
      const text = plans.map((plan) => plan.text).join('\n');
      // A list of names: any one of them.
      for (const index of indexes) expect(plans.flatMap((plan) => plan.indexes).filter((used) => [index].flat().includes(used)), `${String(index)}\n${text}`).not.toEqual([]);
      plans.forEach((plan, i) => expect(plan.fullScans, plan.text).toEqual(wholeReads(queries[i]!)));
      return queries;
    }

    it('sign-in: findUserByEmail() uses the unique index on the lower-cased email', async () => {
      await expectIndexed((store) => store.findUserByEmail(data.email), 'users_email_uq');
    });

    it('every request: findSessionByTokenHash() uses the token-hash index, and reads the user and grants by key', async () => {
      await expectIndexed(async (store) => expect(await store.findSessionByTokenHash(data.tokenHash)).not.toBeNull(), 'sessions_token_uq');
    });

    it('every request of a process that holds the role catalogue: findSessionByTokenHash() reads no role or permission table', async () => {
      await recording.store.findSessionByTokenHash(data.tokenHash);
      const queries = await expectIndexed(async (store) => expect(await store.findSessionByTokenHash(data.tokenHash)).not.toBeNull(), 'sessions_token_uq');
      expect(queries).toHaveLength(1);
      expect(queries[0]!.sql).not.toMatch(/\b(roles|role_permissions|permissions)\b/);
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
      await expectIndexed((store) => store.grantPermission('role3', 'module0:view'), ['user_roles_role_expiry_idx', 'user_roles_role_order_idx'], 'sessions_user_idx');
      await expectIndexed(
        (store) => store.upsertPermission({ code: 'module1:view', name: 'm1', module: 'module1', action: 'view', active: false, createdAt: T0 }),
        'role_permissions_permission_idx',
        'sessions_user_idx',
      );
    });

    // MySQL names every primary key PRIMARY.
    const primaryKey = kind === 'postgres' ? 'user_identifiers_pk' : 'PRIMARY';

    it('identifiers: one user, a batch of values and the identifiers of several users are read through the primary key and the user index', async () => {
      await expectIndexed(async (store) => expect(await store.findUserByIdentifier('legacyId', '1042')).not.toBeNull(), primaryKey);
      await expectIndexed(async (store) => expect(await store.findUsersByIdentifiers('legacyId', ['1001', '1002', '1003'])).toHaveLength(3), primaryKey);
      const ids = (await recording.store.findUsersByIdentifiers('legacyId', ['1004', '1005'])).map((i) => i.userId);
      await expectIndexed(async (store) => expect(await store.listUserIdentifiers(ids)).toHaveLength(4), 'user_identifiers_user_idx');
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

/**
 * Enough users and activities for the administrator's reads that each database's planner,
 * left to itself (no planner settings), prefers an index: 20,000 users in four statuses, a
 * common role and a rare one, a hundred surnames, 20,000 activities over a dozen actions.
 */
async function seedAdmin(store: AuthStore): Promise<{ adminIds: string[]; subjectId: string }> {
  const STATUSES = ['active', 'active', 'active', 'active', 'active', 'active', 'active', 'pending', 'inactive', 'blocked'] as const;
  // A hundred surnames (no one the beginning of another): each is 1% of the users, like a common surname.
  const [FIRST, SECOND] = [['gar', 'rod', 'mar', 'lop', 'gon', 'per', 'san', 'ram', 'tor', 'flo'], ['cia', 'ena', 'tin', 'ezo', 'ale', 'uza', 'ora', 'ivo', 'ano', 'ude']];
  const SURNAMES = FIRST.flatMap((a) => SECOND.map((b) => `${a}${b}`));
  for (const code of ['customer', 'admin']) await store.upsertRole({ code, name: code, description: '', level: code === 'admin' ? 50 : 10, active: true, createdAt: T0, updatedAt: T0 });
  const users: UserRecord[] = Array.from({ length: 20_000 }, (_, i) => ({
    id: randomUUID(),
    email: `admin-seed${i}@example.com`,
    name: `Person${i} ${SURNAMES[i % SURNAMES.length]}`,
    passwordHash: 'h',
    status: STATUSES[i % STATUSES.length]!,
    statusReason: null,
    statusUntil: null,
    emailVerifiedAt: T0,
    mustChangePassword: false,
    locale: null,
    attributes: {},
    lastLoginAt: null,
    createdAt: at(i),
    updatedAt: at(i),
  }));
  await store.insertUsers(users);
  const adminIds = users.filter((_, i) => i % 500 === 0).map((u) => u.id);
  await store.insertUserRoles([
    ...users.map((u) => ({ userId: u.id, roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: null })),
    ...adminIds.map((userId) => ({ userId, roleCode: 'admin', assignedAt: T0, assignedBy: null, expiresAt: at(10_000_000) })),
  ]);
  const ACTIONS = ['login.succeeded', 'login.failed', 'login.failed', 'login.failed', 'session.renewed', 'user.updated', 'user.created', 'password.changed', 'role.assigned', 'access.denied', 'key.issued', 'mail.sent'];
  const activities: Activity[] = Array.from({ length: 20_000 }, (_, i) => ({
    id: randomUUID(),
    subjectId: users[i % users.length]!.id,
    actorId: i % 3 === 0 ? null : users[(i * 7) % users.length]!.id,
    action: i % 400 === 0 ? 'user.blocked' : ACTIONS[i % ACTIONS.length]!,
    details: 'x',
    ip: null,
    userAgent: null,
    metadata: {},
    createdAt: at(i),
  }));
  for (let i = 0; i < activities.length; i += 2000) await store.appendActivities(activities.slice(i, i + 2000));
  return { adminIds, subjectId: users[42]!.id };
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: EXPLAIN of the administrator's reads (users.list, audit.query)`, (db) => {
    let recording: ReturnType<typeof recordingStore>;
    let explainer: Explainer;
    let reader: Reader;
    let data: Awaited<ReturnType<typeof seedAdmin>>;

    beforeAll(async () => {
      const store = await db.freshStore();
      data = await seedAdmin(store);
      if (kind === 'postgres') await db.query('analyze');
      else await db.query('analyze table users, user_roles, user_search_words, activities');
      recording = recordingStore(kind, db);
      explainer = kind === 'postgres' ? plannerExplainer(db.url) : mysqlExplainer(db.url);
      reader = kind === 'postgres' ? postgresReader(db.url) : mysqlReader(db.url);
    });
    afterAll(async () => {
      await reader?.end();
      await explainer?.end();
      await recording?.end();
    });

    /** Runs a store call, EXPLAINs every query it sent, and checks that no query reads a table in full. */
    async function expectNoScan(run: (store: AuthStore) => Promise<unknown>, ...indexes: (string | string[])[]): Promise<void> {
      const queries = (await recording.record(() => run(recording.store))).filter((q) => /^\s*(select|with)\b/i.test(q.sql));
      expect(queries.length).toBeGreaterThan(0);
      // One after another: each explains inside a transaction of its own on the explainer's one connection.
      const plans: Awaited<ReturnType<Explainer['explain']>>[] = [];
      for (const query of queries) plans.push(await explainer.explain(query));
      const text = plans.map((plan) => plan.text).join('\n');
      // A list of names: any one of them (the planner may rightly walk the time index and filter, when many rows match).
      for (const index of indexes) expect(plans.flatMap((plan) => plan.indexes).filter((used) => [index].flat().includes(used)), `${String(index)}\n${text}`).not.toEqual([]);
      for (const plan of plans) expect(plan.fullScans, plan.text).toEqual([]);
    }

    const page = { offset: 0, limit: 20, now: at(0), countLimit: 1000 };

    it('users.list: page 1 without a filter, and a later page by cursor, read the (created_at, id) index', async () => {
      await expectNoScan((store) => store.listUsers(page), 'users_created_idx');
      await expectNoScan((store) => store.listUsers({ ...page, after: { createdAt: at(2000), id: randomUUID() } }), 'users_created_idx');
    });

    it("users.list oldest first (the last page of the default order): page 1 and a page by cursor read the same indexes the other way, by status and by role too", async () => {
      const oldest = { ...page, order: 'oldest' as const };
      await expectNoScan((store) => store.listUsers(oldest), 'users_created_idx');
      await expectNoScan((store) => store.listUsers({ ...oldest, after: { createdAt: at(2000), id: randomUUID() } }), 'users_created_idx');
      await expectNoScan((store) => store.listUsers({ ...oldest, status: 'blocked' }), 'users_status_idx');
      await expectNoScan(async (store) => expect((await store.listUsers({ ...oldest, roleCode: 'admin' })).items).toHaveLength(20), 'user_roles_role_order_idx');
    });

    it('users.list: by status, through (status, created_at, id)', async () => {
      await expectNoScan(async (store) => expect((await store.listUsers({ ...page, status: 'blocked' })).totalExact).toBe(false), 'users_status_idx');
    });

    it('users.list: by a rare role with an unexpired assignment, through the role index in the list order (0014)', async () => {
      await expectNoScan(async (store) => expect((await store.listUsers({ ...page, roleCode: 'admin' })).items).toHaveLength(20), 'user_roles_role_order_idx');
    });

    it('users.list: the page of a role walks its holders newest first (0014) and reads its 20 users only, not the users of every holder to sort them', async () => {
      // 40 admins: the page read all 40 of their users by key and sorted them (then the page's 20 again, by the join).
      for (const filter of [{ roleCode: 'admin' }, { roleCode: 'admin', after: { createdAt: at(2_000), id: randomUUID() } }, { roleCode: 'customer', offset: 100 }]) {
        const queries = (await recording.record(() => recording.store.listUsers({ ...page, ...filter }))).filter((q) => /^\s*select/i.test(q.sql) && /join/i.test(q.sql));
        expect(queries, JSON.stringify(filter)).toHaveLength(1);
        const users = await reader.reads(queries[0]!, 'users');
        expect(users.entries + users.rows, JSON.stringify(filter)).toBeLessThanOrEqual(20);
        const holders = await reader.reads(queries[0]!, ['user_roles', 'ur']);
        expect(holders.rows, JSON.stringify(filter)).toBe(0);
        expect(holders.entries, JSON.stringify(filter)).toBeLessThanOrEqual(filter.offset === undefined ? 40 : 120 + 1);
      }
    });

    it('users.list: a search by word prefix and by address, through user_search_words', async () => {
      const words = kind === 'postgres' ? 'user_search_words_pk' : 'PRIMARY';
      await expectNoScan(async (store) => expect((await store.listUsers({ ...page, text: 'garcia' })).total).toBe(200), words);
      await expectNoScan(async (store) => expect((await store.listUsers({ ...page, text: 'admin-seed42@example.com' })).total).toBe(1), words);
      await expectNoScan(async (store) => expect((await store.listUsers({ ...page, status: 'active', roleCode: 'customer', text: 'person4 garcia' })).items.length).toBeGreaterThan(0), words);
    });

    it('users.list: a common role walks its holders in the list order; a common word prefix is probed per user from the list order; each counted from its own index', async () => {
      const words = kind === 'postgres' ? 'user_search_words_pk' : 'PRIMARY';
      // Every user is a customer: the page walks the role's holders newest first, and the total counts them, through the role's index in the list's order (0014).
      await expectNoScan(async (store) => expect((await store.listUsers({ ...page, roleCode: 'customer' })).totalExact).toBe(false), 'user_roles_role_order_idx');
      // `person1` begins 1,111 names: the page probes each user's words by (user_id, word) (0010), the total reads the words by prefix.
      await expectNoScan(async (store) => expect((await store.listUsers({ ...page, text: 'person1' })).totalExact).toBe(false), 'users_created_idx', 'user_search_words_user_word_idx', words);
      await expectNoScan(async (store) => expect((await store.listUsers({ ...page, status: 'active', roleCode: 'customer', text: 'person1' })).items).toHaveLength(20), 'user_search_words_user_word_idx');
    });

    it('users.list: a deep page number skips index entries, and reads the rows of its one page only', async () => {
      for (const filter of [{}, { status: 'active' as const }]) {
        const queries = (await recording.record(() => recording.store.listUsers({ ...page, ...filter, offset: 10_000 }))).filter((q) => /^\s*select/i.test(q.sql) && !/count\(/i.test(q.sql));
        expect(queries).toHaveLength(1);
        const reads = await reader.reads(queries[0]!, 'users');
        expect(reads.entries, JSON.stringify(filter)).toBeGreaterThanOrEqual(10_000);
        expect(reads.rows, JSON.stringify(filter)).toBeLessThanOrEqual(2 * 20);
      }
    });

    it('users.list: a rare role is counted and drives the page from the role index alone, reading no assignment row (0012)', async () => {
      const queries = (await recording.record(() => recording.store.listUsers({ ...page, roleCode: 'admin' }))).filter((q) => /^\s*select/i.test(q.sql));
      let entries = 0;
      for (const sent of queries) {
        const reads = await reader.reads(sent, ['user_roles', 'ur']);
        expect(reads.rows, sent.sql).toBe(0);
        entries += reads.entries;
      }
      expect(entries).toBeGreaterThanOrEqual(40);
    });

    it('users.list: with every filter large, the total is counted from the set whose first rows match the others best, not from the role', async () => {
      // Every user is a customer; `person1` begins 1,111 names, all of them customers: counting from the
      // role would read the holders until 1,001 match (all 20,000 here), counting from the words reads 1,111.
      const queries = (await recording.record(() => recording.store.listUsers({ ...page, status: 'active', roleCode: 'customer', text: 'person1' }))).filter((q) => /^\s*select count/i.test(q.sql));
      expect(queries).toHaveLength(1);
      // MariaDB's ANALYZE names a table by its alias in the query (`ur`: the role's rows, driven or probed).
      const roles = await reader.reads(queries[0]!, ['user_roles', 'ur']);
      expect(roles.entries + roles.rows).toBeLessThanOrEqual(1111);
    });

    it('users.list: a word prefix of over 1,000 users is counted by the distinct users of its first 1,001 words, in the statement that sizes the sets, by serial scans', async () => {
      // `person` begins every one of the 20,000 names. At a million users PostgreSQL turned the check for an
      // earlier word into an anti-join and ran the count in parallel workers (Gather Merge), each reading ahead:
      // 89 ms where the serial scan takes 22; then 1,001 probes of (user_id, word), 21 ms on MariaDB. The first
      // 1,001 words of 1,001 different users now say "more than 1,000" without a probe. Parallel plans are made
      // free here so that the planner takes one if it may.
      const queries = (await recording.record(() => recording.store.listUsers({ ...page, text: 'person' }))).filter((q) => /^\s*select/i.test(q.sql) && !/join/i.test(q.sql));
      expect(queries).toHaveLength(1);
      const reads = await reader.reads(queries[0]!, ['user_search_words', 'w'], PARALLEL_FREE);
      expect(reads.entries + reads.rows).toBeGreaterThanOrEqual(2 * 1001);
      expect(reads.entries + reads.rows).toBeLessThanOrEqual(2 * (1001 + 20));
      expect(reads.parallel).toBe(false);
    });

    it.skipIf(kind !== 'postgres')('users.list: status + role + q is counted with one probe per row of the densest set, so PostgreSQL does not expect a sixteenth of the rows to match (and compile the count with JIT)', async () => {
      const queries = (await recording.record(() => recording.store.listUsers({ ...page, status: 'active', roleCode: 'customer', text: 'person1' }))).filter((q) => /^\s*select count/i.test(q.sql));
      expect(queries).toHaveLength(1);
      const words = await reader.reads(queries[0]!, 'w');
      // The driving rows: the words beginning `person1` (the pattern is the count's first parameter), of which ~70%
      // belong to active users; the planner's expectation of the share that passes the row's checks is its estimate
      // of the count's driving rows over its estimate of the words alone (one probe: a half; before, three separate ones here: a quarter, four in the bench's query: a sixteenth).
      const [alone] = await db.query(`explain (format json) select 1 from user_search_words where word like $1`, [queries[0]!.parameters[0]]);
      const wordsAlone = (alone!['QUERY PLAN'] as { Plan: { 'Plan Rows': number } }[])[0]!.Plan['Plan Rows'];
      expect(words.planned / wordsAlone).toBeGreaterThanOrEqual(0.4);
    });

    it('users.list: a status of few users with a common role is counted and paged from the status (its users probed for the role), not from the role', async () => {
      // Five suspended customers among 20,000: counting from the role read its holders until five matched, every one of them.
      const rare: UserRecord[] = Array.from({ length: 5 }, (_, i) => fixtureUser({ name: `Rare${i} Sus`, email: `rare-sus${i}@example.com`, status: 'suspended', createdAt: at(30_000 + i) }));
      await recording.store.insertUsers(rare);
      await recording.store.insertUserRoles(rare.map((u) => ({ userId: u.id, roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: null })));
      let listed: string[] = [];
      const queries = (await recording.record(async () => void (listed = (await recording.store.listUsers({ ...page, status: 'suspended', roleCode: 'customer' })).items.map((u) => u.id)))).filter((q) => /^\s*select/i.test(q.sql));
      expect(listed).toEqual(rare.map((u) => u.id).reverse());
      // The first statement sizes each filter up to 1,001 rows (the role's holders too); the count and the page follow.
      expect(queries).toHaveLength(3);
      for (const sent of queries.slice(1)) {
        const holders = await reader.reads(sent, ['user_roles', 'ur']);
        expect(holders.entries + holders.rows, sent.sql).toBeLessThanOrEqual(3 * 5);
      }
    });

    it('audit.query: by exact action, by action prefix, without a filter, by time, by subject and by actor, each through an index', async () => {
      await expectNoScan(async (store) => expect((await store.listActivities({ offset: 0, limit: 20, countLimit: 1000, action: 'user.blocked' })).total).toBe(50), 'activities_action_idx');
      await expectNoScan(async (store) => expect((await store.listActivities({ offset: 0, limit: 20, countLimit: 1000, action: 'login.' })).totalExact).toBe(false), ['activities_module_idx', 'activities_created_idx']);
      await expectNoScan(async (store) => expect((await store.listActivities({ offset: 0, limit: 20, countLimit: 1000, action: 'user.' })).totalExact).toBe(false), ['activities_module_idx', 'activities_created_idx']);
      await expectNoScan((store) => store.listActivities({ offset: 0, limit: 20, countLimit: 1000 }), 'activities_created_idx');
      await expectNoScan((store) => store.listActivities({ offset: 0, limit: 20, countLimit: 1000, from: at(100), to: at(200) }), 'activities_created_idx');
      await expectNoScan((store) => store.listActivities({ offset: 0, limit: 20, countLimit: 1000, subjectId: data.subjectId }), 'activities_subject_idx');
      await expectNoScan((store) => store.listActivities({ offset: 0, limit: 20, countLimit: 1000, actorId: data.subjectId }), 'activities_actor_idx');
      await expectNoScan((store) => store.listActivities({ offset: 0, limit: 20, countLimit: 1000, action: 'login.failed', after: { createdAt: at(10_000), id: randomUUID() } }), ['activities_action_idx', 'activities_created_idx']);
    });

    /** What the page query of a `listActivities()` call (not its capped count) read of `activities`, measured by the server running it. */
    async function pageReads(query: ActivityQuery): Promise<Reads> {
      const queries = (await recording.record(() => recording.store.listActivities(query))).filter((q) => /^\s*select/i.test(q.sql) && !/count\(/i.test(q.sql));
      expect(queries).toHaveLength(1);
      return reader.reads(queries[0]!);
    }

    it('audit.query: a page by cursor deep in the log reads about one page of index entries and rows, not every entry before it', async () => {
      // login.failed is a quarter of the 20,000 entries: about 1,250 of them are newer than the cursor.
      for (const filter of [{ action: 'login.failed' }, {}]) {
        const reads = await pageReads({ ...filter, offset: 0, limit: 20, countLimit: 1000, after: { createdAt: at(15_000), id: randomUUID() } });
        expect(reads.entries + reads.rows, JSON.stringify(filter)).toBeLessThanOrEqual(3 * 20);
      }
    });

    it('audit.query: a deep page number skips index entries, and reads the rows of its one page only', async () => {
      for (const filter of [{ action: 'login.failed' }, {}]) {
        const reads = await pageReads({ ...filter, offset: 2000, limit: 20, countLimit: 1000 });
        expect(reads.entries, JSON.stringify(filter)).toBeGreaterThanOrEqual(2000);
        expect(reads.rows, JSON.stringify(filter)).toBeLessThanOrEqual(2 * 20);
      }
    });
  });
}

/**
 * A PostgreSQL connection for the plans of the administrator's reads: `random_page_cost` at
 * PostgreSQL's default 4 (whatever the server is set to), or with `ssd` at the 1.1 advised for
 * SSD storage (see {@link postgresReader}).
 */
function plannerClient(url: string, ssd = false): { client: pg.Client; connected: Promise<unknown> } {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  return { client, connected: client.connect().then(() => client.query(`set random_page_cost = ${ssd ? '1.1' : '4'}`)) };
}

/**
 * PostgreSQL's EXPLAIN with the planner left to itself, at the default settings: a Seq Scan in
 * the plan is its real choice, and every call of the administrator's reads must have none.
 */
function plannerExplainer(url: string): Explainer {
  const { client, connected } = plannerClient(url);
  return {
    async explain(query) {
      await connected;
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
    },
    end: () => client.end(),
  };
}

/** What a query read of one table: index entries alone (an index-only read), and table rows. */
interface Reads {
  readonly entries: number;
  readonly rows: number;
  /** Whether the plan ran in parallel workers (PostgreSQL's Gather). */
  readonly parallel: boolean;
  /** PostgreSQL: the rows the planner expected out of the table's accesses (after their filters, before any limit above them). */
  readonly planned: number;
}

/** PostgreSQL settings that make parallel plans free: the planner takes one wherever the query allows it. */
const PARALLEL_FREE = ['parallel_setup_cost = 0', 'parallel_tuple_cost = 0', 'min_parallel_index_scan_size = 0', 'min_parallel_table_scan_size = 0'];

/** Runs a query under the server's EXPLAIN ANALYZE and counts what it read of a table (`activities` unless named; or of any of several names, tables or their aliases in the query). */
interface Reader {
  reads(query: CompiledQuery, table?: string | readonly string[], settings?: readonly string[]): Promise<Reads>;
  end(): Promise<void>;
}

interface PgAnalyzedNode extends PgPlanNode {
  Alias?: string;
  'Plan Rows': number;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PgAnalyzedNode[];
}

/**
 * PostgreSQL's reads, from `EXPLAIN (ANALYZE)` with `random_page_cost` at 1.1: on 20,000 users
 * the default 4 prefers reading the table's rows to a deep page's index-only skip of 10,000
 * entries (the no-scan checks run at the default: {@link plannerExplainer}); at a million users
 * the planner skips through the index at the default too (docs/performance.md).
 */
function postgresReader(url: string): Reader {
  const { client, connected } = plannerClient(url, true);
  return {
    async reads(query, table = 'activities', settings = []) {
      await connected;
      await client.query('begin');
      let plan: PgAnalyzedNode;
      try {
        for (const setting of settings) await client.query(`set local ${setting}`);
        const result = await client.query(`explain (analyze, format json) ${query.sql}`, [...query.parameters]);
        plan = (result.rows[0] as { 'QUERY PLAN': { Plan: PgAnalyzedNode }[] })['QUERY PLAN'][0]!.Plan;
      } finally {
        await client.query('rollback');
      }
      const reads = { entries: 0, rows: 0, parallel: false, planned: 0 };
      const walk = (node: PgAnalyzedNode): void => {
        if (node['Node Type'].startsWith('Gather')) reads.parallel = true;
        if ([table].flat().some((name) => name === node['Relation Name'] || name === node.Alias)) {
          const read = (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0)) * node['Actual Loops'];
          reads.planned += node['Plan Rows'] * node['Actual Loops'];
          if (node['Node Type'].startsWith('Index Only Scan') || node['Node Type'] === 'Parallel Index Only Scan') reads.entries += read;
          else reads.rows += read;
        }
        for (const child of node.Plans ?? []) walk(child);
      };
      walk(plan);
      return reads;
    },
    end: () => client.end(),
  };
}

/** MariaDB's reads, from `ANALYZE FORMAT=JSON`: each access of `activities`, `r_loops × r_rows`, index-only when `using_index`. */
function mysqlReader(url: string): Reader {
  const pool = mysqlPool(url);
  return {
    async reads(query, tableName = 'activities') {
      const [rows] = await pool.promise().query(`analyze format=json ${query.sql}`, [...query.parameters]);
      const plan: unknown = JSON.parse(Object.values((rows as Record<string, string>[])[0]!)[0]!);
      const reads = { entries: 0, rows: 0, parallel: false, planned: 0 };
      const walk = (value: unknown): void => {
        if (typeof value !== 'object' || value === null) return;
        const table = (value as { table?: { table_name?: string; r_loops?: number; r_rows?: number; using_index?: boolean } }).table;
        const named = table?.table_name;
        if (table !== undefined && [tableName].flat().some((name) => name === named)) {
          const read = (table.r_loops ?? 0) * (table.r_rows ?? 0);
          if (table.using_index === true) reads.entries += read;
          else reads.rows += read;
        }
        for (const child of Object.values(value)) walk(child);
      };
      walk(plan);
      return reads;
    },
    end: () => pool.promise().end(),
  };
}
