import { sql, type Expression, type ExpressionBuilder, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { PageStart } from 'gatehouse';
import { USER_COLUMNS, type Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';

/*
 * How `users.list()` reads a million users without reading them all (issue 21). Every
 * filter but `status` is a set of users found through an index of its own — a role's
 * holders through `user_roles (role_code, …)`, a word prefix's users through
 * `user_search_words (word, user_id)` — and can be read in two ways:
 *
 * - driven: read the set itself, then each user by key. Right for a small set (a rare role,
 *   one address): a page sorts at most the set's users.
 * - probed: walk the users in the list's order (`created_at desc, id desc`; ascending for
 *   `order: 'oldest'`, the same indexes read the other way) and ask the set's
 *   index, per user, whether the user is in it (`user_roles` by primary key, a user's words by
 *   `(user_id, word)`). Right for a large set (a role of 10% of the users, a common surname):
 *   a page stops after its 20 rows, and a set of 100,000 users is never read whole.
 *
 * One small query first counts each set (and the status's users) up to the count limit (an
 * index range, stopping at `limit + 1` rows): a set within it is small. The page walks a small
 * status's users in the list's order, or drives from a small word set that is the smallest,
 * or walks a role's holders in the list's order (`user_roles (role_code, user_created_at, …)`,
 * migration 0014), probing every other filter ({@link planUserList}). The total is counted
 * from the driving set too (or, when every set is
 * large, from the set the other filters cut least in the bench's terms: the role), probing
 * the other filters per row and stopping at `limit + 1`, so that a count never reads
 * more than `limit + 1` rows of its driving index for a set-only filter, and only as many as
 * it takes to find `limit + 1` matches otherwise.
 */

/** The filters of a list, as the store's query gives them. */
export interface UserListFilters {
  readonly status?: string | undefined;
  readonly roleCode?: string | undefined;
  /** `LIKE` patterns (escaped prefix and `%`) a word of each matching user must match, one per search term. */
  readonly patterns: readonly string[];
  readonly now: Date;
}

/** A set of users that answers one filter. */
type UserSet = { readonly kind: 'role'; readonly roleCode: string } | { readonly kind: 'words'; readonly pattern: string };

/** A column of an outer query, for a correlated subquery. */
const ref = (name: string) => sql<string>`${sql.ref(name)}`;

type Users = SelectQueryBuilder<Database, 'users', object>;
type Eb = ExpressionBuilder<Database, 'users'>;

/** The unexpired assignments of a role. */
function holders(db: Kysely<Database>, roleCode: string, now: Date) {
  return db
    .selectFrom('user_roles as ur')
    .where('ur.role_code', '=', roleCode)
    .where((e) => e.or([e('ur.expires_at', 'is', null), e('ur.expires_at', '>', now)]));
}

/**
 * A role's holders in the order of `user_roles (role_code, user_created_at, user_id, expires_at)`
 * (0014), for the statements that count them: with `order by user_id`, MariaDB (its statistics
 * giving each of four roles a quarter of the rows) walked the whole primary key `(user_id,
 * role_code)` in order instead, 11,079 rows to find 1,001 sellers at a million users.
 */
const inHolderOrder = <Q extends { orderBy(expression: Expression<unknown>): Q }>(q: Q): Q => q.orderBy(sql.ref('ur.user_created_at')).orderBy(sql.ref('ur.user_id'));

/** The word rows matching a pattern. */
const wordsLike = (db: Kysely<Database>, pattern: string) => db.selectFrom('user_search_words as w').where('w.word', 'like', pattern);

/** Whether the user whose id is `userId` (a column of the outer query) is in a set, asked of the set's index for that user. */
function inSet(db: Kysely<Database>, dialect: SqlDialect, set: UserSet, userId: string, now: Date): Expression<SqlBool> {
  const probe =
    set.kind === 'role'
      ? holders(db, set.roleCode, now)
          .select(sql<number>`1`.as('one'))
          .where('ur.user_id', '=', ref(userId))
      : db
          .selectFrom('user_search_words as pw')
          .select(sql<number>`1`.as('one'))
          .where('pw.user_id', '=', ref(userId))
          .where('pw.word', 'like', set.pattern);
  return dialect.probe(probe);
}

/** The user ids of a set (for `users.id in (…)`). */
function idsOf(db: Kysely<Database>, set: UserSet, now: Date) {
  return set.kind === 'role' ? holders(db, set.roleCode, now).select('ur.user_id as id') : wordsLike(db, set.pattern).select('w.user_id as id');
}

/** Sets of at most this many rows are small: read whole, they drive the page. */
const SMALL_SET = 1000;

/** The plan of one list call: the filtered users for the page, and how to count them. */
export interface UserListPlan {
  /** The users matching every filter, in no order yet. */
  readonly filtered: Users;
  /** The total, counted up to `limit` ({@link countUpTo}). */
  count(limit: number): Promise<{ total: number; totalExact: boolean }>;
  /** The page's users at `position`, in the list's order ({@link userPage}). */
  page(position: UserPagePosition): ReturnType<typeof userPage>;
}

/**
 * Plans a list call: counts each set of the filters (and the status) up to {@link SMALL_SET} + 1
 * rows in one statement, then chooses what the page walks:
 * - the status's own users in the list's order (`users (status, created_at, id)`), probing every
 *   set, when the status is small and no set is smaller;
 * - else a small search word's users, read whole, each by key and sorted, when a word set is the
 *   smallest and small;
 * - else, with a role, the role's holders in the list's order (`user_roles (role_code,
 *   user_created_at, user_id, expires_at)`, migration 0014), probing the status and the words
 *   per holder and stopping at the page's last row — whether the role is small or not: a
 *   thousand admins are no longer read by key and sorted for a page of 20;
 * - else (every set large, no role) the users in the list's order, probing every set.
 */
export async function planUserList(db: Kysely<Database>, dialect: SqlDialect, filters: UserListFilters): Promise<UserListPlan> {
  const limit = SMALL_SET;
  const sets: UserSet[] = [...(filters.roleCode === undefined ? [] : [{ kind: 'role', roleCode: filters.roleCode } as const]), ...filters.patterns.map((pattern) => ({ kind: 'words', pattern }) as const)];
  const withStatus = (q: Users): Users => (filters.status === undefined ? q : q.where('users.status', '=', filters.status));
  if (sets.length === 0) {
    const filtered = withStatus(db.selectFrom('users'));
    return { filtered, count: (cap) => countInOrder(db, filtered, cap), page: (position) => userPage(db, usersInOrder(filtered, position), position) };
  }
  const lone = sets.length === 1 && filters.status === undefined;
  const loneWords = lone && sets[0]!.kind === 'words' ? sets[0]! : null;
  const { sizes, status, users } = await setSizes(db, sets, filters, limit, loneWords);
  // The smallest set drives, when it is small and the status is not smaller; otherwise every set is probed.
  const smallest = sizes.indexOf(Math.min(...sizes));
  const statusDrives = status !== null && status <= limit && status <= sizes[smallest]!;
  const driver = !statusDrives && sizes[smallest]! <= limit ? smallest : -1;
  let filtered = withStatus(db.selectFrom('users'));
  for (const [i, set] of sets.entries()) {
    filtered = filtered.where((eb: Eb) => (i === driver ? eb('users.id', 'in', dialect.drive(idsOf(db, set, filters.now)) as never) : inSet(db, dialect, set, 'users.id', filters.now)));
  }
  // The role's holders walk the page in the list's order, unless the status or a small word set is the narrower way in.
  const role = sets.findIndex((set) => set.kind === 'role');
  const walk = !statusDrives && role !== -1 && (driver === -1 || driver === role) ? role : -1;
  // The count reads the driving set (or, all sets large and another filter to probe, the set whose first rows match best) and probes the rest per row.
  const counted = driver !== -1 ? driver : statusDrives || sets.length === 1 ? 0 : await densestSet(db, dialect, sets, filters, DENSITY_SAMPLE);
  return {
    filtered,
    count: async (cap) => {
      // A lone small set is its own total: a role's holders are distinct users; words are counted per user below.
      if (lone && sets[0]!.kind === 'role' && cap <= limit) return capped(sizes[0]!, cap);
      // A lone word set whose first rows were all read, or were all of different users, is counted by them.
      if (users !== null && cap <= limit && (sizes[0]! <= limit || users > limit)) return capped(users, cap);
      // A small status: its at most 1,001 users in the list's order, each set probed.
      if (statusDrives) return countInOrder(db, filtered, cap);
      return countFromSet(db, dialect, sets, counted, sizes[counted]! > limit, filters, cap);
    },
    page: (position) => userPage(db, walk === -1 ? usersInOrder(filtered, position) : holdersInOrder(db, dialect, sets, walk, filters, position), position),
  };
}

/** How many of each large set's first rows {@link densestSet} probes against the other filters. */
const DENSITY_SAMPLE = 50;

/**
 * The set to count from when every set is large: the one whose first `sample` rows, in the
 * order the count reads them, match the other filters most often (ties: the earlier set, the
 * role before the terms). A count stops at its `limit + 1`-th match, so it reads about
 * `limit / density` rows of its set: for a role of 10% and a first name of 5% that nearly
 * always go together with the rest, counting from the name reads half the rows the role
 * would. One statement; each sample is an index range and a few probes per row.
 */
async function densestSet(db: Kysely<Database>, dialect: SqlDialect, sets: readonly UserSet[], filters: UserListFilters, sample: number): Promise<number> {
  const matches = sets.map((set, i) => {
    const alias = `d${i}`;
    const rows = set.kind === 'role' ? holders(db, set.roleCode, filters.now).select('ur.user_id').$call(inHolderOrder).limit(sample) : wordsLike(db, set.pattern).select('w.user_id').orderBy('w.word').orderBy('w.user_id').limit(sample);
    const probes = otherFilters(db, dialect, sets, i, `${alias}.user_id`, filters);
    return sql<number>`(select count(*) from (${rows}) ${sql.raw(alias)} where ${sql.join(probes, sql` and `)})`.as(`n${i}`);
  });
  const row = (await db.selectNoFrom(matches).executeTakeFirstOrThrow()) as Record<string, unknown>;
  const counts = sets.map((_, i) => Number(row[`n${i}`]));
  return counts.indexOf(Math.max(...counts));
}

/** The probes of every filter but set `driver`, for the user whose id is the outer column `userId`: the status first, then the other sets. */
function otherFilters(db: Kysely<Database>, dialect: SqlDialect, sets: readonly UserSet[], driver: number, userId: string, filters: UserListFilters): Expression<SqlBool>[] {
  return [
    ...(filters.status === undefined
      ? []
      : [dialect.probe(db.selectFrom('users as su').select(sql<number>`1`.as('one')).where('su.id', '=', ref(userId)).where('su.status', '=', filters.status))]),
    ...sets.flatMap((other, i) => (i === driver ? [] : [inSet(db, dialect, other, userId, filters.now)])),
  ];
}

const capped = (total: number, cap: number): { total: number; totalExact: boolean } => (total > cap ? { total: cap, totalExact: false } : { total, totalExact: true });

/**
 * Each set's size, counted up to `limit + 1` rows of its index (a role's holders; a pattern's
 * word rows), and the status's users up to `limit + 1` (`users (status, created_at, id)`;
 * `null` without a status), in one statement.
 */
async function setSizes(
  db: Kysely<Database>,
  sets: readonly UserSet[],
  filters: UserListFilters,
  limit: number,
  distinctOf: Extract<UserSet, { kind: 'words' }> | null,
): Promise<{ sizes: number[]; status: number | null; users: number | null }> {
  const sizes = sets.map((set, i) => {
    // In the index's order, so that each reads its index (a table's first rows would do too, but the EXPLAIN tests forbid sequential scans).
    const rows =
      set.kind === 'role'
        ? holders(db, set.roleCode, filters.now).select('ur.user_id').$call(inHolderOrder).limit(limit + 1)
        : wordsLike(db, set.pattern).select('w.user_id').orderBy('w.word').orderBy('w.user_id').limit(limit + 1);
    return sql<number>`(select count(*) from (${rows}) ${sql.raw(`s${i}`)})`.as(`n${i}`);
  });
  const status =
    filters.status === undefined
      ? []
      : [sql<number>`(select count(*) from (${db.selectFrom('users as st').select('st.id').where('st.status', '=', filters.status).orderBy('st.created_at').orderBy('st.id').limit(limit + 1)}) st1)`.as('status')];
  // The distinct users of a lone word set's first rows: when the rows are all the set's, or all of different users, that is its count (see planUserList).
  const users =
    distinctOf === null
      ? []
      : [sql<number>`(select count(distinct ${sql.ref('u0.user_id')}) from (${wordsLike(db, distinctOf.pattern).select('w.user_id').orderBy('w.word').orderBy('w.user_id').limit(limit + 1)}) u0)`.as('users')];
  const row = (await db.selectNoFrom([...sizes, ...status, ...users]).executeTakeFirstOrThrow()) as Record<string, unknown>;
  return { sizes: sets.map((_, i) => Number(row[`n${i}`])), status: filters.status === undefined ? null : Number(row['status']), users: distinctOf === null ? null : Number(row['users']) };
}

/** Counts the filtered users up to `limit + 1` in the list's order (the (status,) created_at, id index), when no set filters them. */
async function countInOrder(db: Kysely<Database>, filtered: Users, limit: number): Promise<{ total: number; totalExact: boolean }> {
  const rows = filtered.select(sql<number>`1`.as('one')).orderBy('users.created_at', 'desc').orderBy('users.id', 'desc').limit(limit + 1);
  const counted = await db.selectFrom(rows.as('capped')).select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow();
  return capped(Number(counted.total), limit);
}

/**
 * Counts the matching users up to `limit + 1`, reading the rows of set `driver` and probing
 * every other filter for each row's user. A user with several words matching the driving
 * pattern is counted at the first of them only.
 *
 * Every check of a row is one probe ({@link rowProbe}): PostgreSQL prices each separate
 * `EXISTS` as keeping half the rows, so with four of them (status, role, term, the earlier
 * word) it expected a sixteenth of the driving rows to match, priced the count at over
 * 100,000 and compiled it with JIT first (25–43 ms at a million users, more than the count's
 * own work) — while in the list's data nearly every row of the densest set matches.
 */
async function countFromSet(db: Kysely<Database>, dialect: SqlDialect, sets: readonly UserSet[], driver: number, large: boolean, filters: UserListFilters, limit: number) {
  const set = sets[driver]!;
  const userId = set.kind === 'role' ? 'ur.user_id' : 'w.user_id';
  const probed = rowProbe(db, dialect, sets, driver, large, userId, filters);
  // In the driving index's order (see setSizes).
  const rows =
    set.kind === 'role'
      ? holders(db, set.roleCode, filters.now).select(sql<number>`1`.as('one')).where(probed).$call(inHolderOrder).limit(limit + 1)
      : wordsLike(db, set.pattern).select(sql<number>`1`.as('one')).where(probed).orderBy('w.word').orderBy('w.user_id').limit(limit + 1);
  const { rows: counted } = await sql<{ total: unknown }>`select count(*) as total from (${rows}) capped`.execute(db);
  return capped(Number(counted[0]!.total), limit);
}

/**
 * Whether the row of the driving set whose user is the outer column `userId` counts: one
 * probe, a user read by key with every other check inside it (the status, the other sets,
 * and for a word the absence of an earlier word of the same user matching the same pattern,
 * asked of `(user_id, word)` per row when the set is `large` — never an anti-join, which on
 * PostgreSQL ran the count of `garcia…` at a million users in parallel workers, each reading
 * ahead: 77–89 ms for 1,001 rows). With a single check and no status, that check alone,
 * without the user; then, for a set of at most 1,001 rows, a plain `NOT EXISTS` the planner may
 * answer by hashing those rows at once (at 10,000 users 26 buffers instead of 3,000 for probes).
 */
function rowProbe(db: Kysely<Database>, dialect: SqlDialect, sets: readonly UserSet[], driver: number, large: boolean, userId: string, filters: UserListFilters): Expression<SqlBool> {
  const set = sets[driver]!;
  const alone = filters.status === undefined && sets.length === 1;
  // Only a words set drives with the alias `w` (see countFromSet): the driving row's word is `w.word`.
  const firstWord = (pattern: string, user: string): Expression<SqlBool> => {
    const earlier = earlierWord(db, pattern, user, 'w.word');
    return not(large || !alone ? dialect.probe(earlier) : sql<SqlBool>`exists (${earlier})`);
  };
  const checks = (user: string): Expression<SqlBool>[] => [
    ...(set.kind === 'words' ? [firstWord(set.pattern, user)] : []),
    ...sets.flatMap((other, i) => (i === driver ? [] : [inSet(db, dialect, other, user, filters.now)])),
  ];
  if (alone) return checks(userId)[0] ?? sql<SqlBool>`1 = 1`;
  const user = db
    .selectFrom('users as su')
    .select(sql<number>`1`.as('one'))
    .where('su.id', '=', ref(userId))
    .$call((q) => (filters.status === undefined ? q : q.where('su.status', '=', filters.status)));
  return dialect.probe(checks('su.id').reduce((q, check) => q.where(check), user));
}

/** The words of user `userId` (an outer column) matching `pattern` that sort before the outer column `word`. */
function earlierWord(db: Kysely<Database>, pattern: string, userId: string, word: string) {
  return db
    .selectFrom('user_search_words as dw')
    .select(sql<number>`1`.as('one'))
    .where('dw.user_id', '=', ref(userId))
    .where('dw.word', 'like', pattern)
    .where('dw.word', '<', ref(word));
}

const not = (condition: Expression<SqlBool>): Expression<SqlBool> => sql<SqlBool>`not (${condition})`;

/** Where a page of the list starts: after a cursor's position (`created_at, id`), or after `offset` rows; and the list's order. */
export interface UserPagePosition {
  readonly after: PageStart | undefined;
  readonly offset: number;
  readonly limit: number;
  /** Oldest first (`created_at, id` ascending) instead of newest first: the same indexes, read the other way. */
  readonly oldest: boolean;
}

/** The keys of a page (`id`, `created_at`), in the list's order. */
type PageKeys = SelectQueryBuilder<Database, 'users' | 'user_roles', { id: string; created_at: Date | string }>;

/**
 * Rows after `start` in the list's order, as one index range: newest first `created <= t`,
 * then the tie by `id <`; oldest first `created >= t`, then the tie by `id >`.
 */
function keysetAfter(created: string, id: string, start: PageStart, oldest: boolean): Expression<SqlBool> {
  const [range, strict] = oldest ? [sql.raw('>='), sql.raw('>')] : [sql.raw('<='), sql.raw('<')];
  return sql<SqlBool>`${sql.ref(created)} ${range} ${start.createdAt} and (${sql.ref(created)} ${strict} ${start.createdAt} or ${sql.ref(id)} ${strict} ${start.id})`;
}

/** The direction of the list's order. */
const direction = (position: { readonly oldest: boolean }): 'asc' | 'desc' => (position.oldest ? 'asc' : 'desc');

/** The page's keys from the filtered users, walked in the list's order (`users (created_at, id)` or `users (status, created_at, id)`). */
function usersInOrder(filtered: Users, position: UserPagePosition): PageKeys {
  return filtered
    .select(['users.id as id', 'users.created_at as created_at'])
    .$call((q) => (position.after === undefined ? q : q.where(keysetAfter('users.created_at', 'users.id', position.after, position.oldest))))
    .orderBy('users.created_at', direction(position))
    .orderBy('users.id', direction(position))
    .limit(position.limit)
    .offset(position.offset) as unknown as PageKeys;
}

/**
 * The page's keys from role `sets[role]`'s unexpired holders, walked in the list's order through
 * `user_roles (role_code, user_created_at, user_id, expires_at)` (migration 0014: the user's
 * `created_at` is copied into each assignment), probing the status and every other set per
 * holder: a page reads its 20 holders (and the ones the probes drop), never the role's
 * thousands of users to sort them.
 */
function holdersInOrder(db: Kysely<Database>, dialect: SqlDialect, sets: readonly UserSet[], role: number, filters: UserListFilters, position: UserPagePosition): PageKeys {
  const set = sets[role]!;
  if (set.kind !== 'role') throw new TypeError('holdersInOrder() walks a role');
  return holders(db, set.roleCode, filters.now)
    .select(['ur.user_id as id', sql<Date | string>`${sql.ref('ur.user_created_at')}`.as('created_at')])
    .$call((q) => otherFilters(db, dialect, sets, role, 'ur.user_id', filters).reduce((w, probe) => w.where(probe), q))
    .$call((q) => (position.after === undefined ? q : q.where(keysetAfter('ur.user_created_at', 'ur.user_id', position.after, position.oldest))))
    .orderBy('ur.user_created_at', direction(position))
    .orderBy('ur.user_id', direction(position))
    .limit(position.limit)
    .offset(position.offset) as unknown as PageKeys;
}

/**
 * The page's users in the list's order, by late row lookup: the page's keys first (`id, created_at`,
 * which every index of the list's order holds: `users (created_at, id)`, `users (status,
 * created_at, id)`, a role's `user_roles (role_code, user_created_at, user_id, …)`), then the
 * rows of those keys by primary key. A deep `page` number then skips index entries, not rows
 * (on PostgreSQL an index-only scan instead of a heap fetch per skipped user; on MariaDB a
 * secondary index instead of the clustered rows), as `listActivities()` does for the log. A
 * join, not `id in (…)`: MySQL refuses LIMIT in an IN subquery.
 */
export function userPage(db: Kysely<Database>, keys: PageKeys, position: { readonly oldest: boolean }) {
  return db
    .selectFrom(keys.as('page'))
    .innerJoin('users', 'users.id', 'page.id')
    .select(USER_COLUMNS.map((column) => `users.${column}` as const))
    .orderBy('page.created_at', direction(position))
    .orderBy('page.id', direction(position));
}
