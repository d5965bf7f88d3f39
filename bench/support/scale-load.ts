/**
 * The scale bench's bulk load: users (with roles and search words) and activities generated
 * by the server ({@link userStatements}, {@link activityStatement}) into the migrated schema,
 * with the tables' secondary indexes set aside for the load and rebuilt from the schema's own
 * definitions afterwards (`scale-indexes.ts`), then checked: the count of every status, role,
 * search word and action is the one the TypeScript description of the rows gives
 * ({@link expectedCounts}), and a sample of users and activities is exactly those rows. A
 * loader that wrote too few or wrong rows fails here instead of printing fast figures.
 * `test/bench/scale-load.test.ts` holds the rows equal to those the store itself writes.
 */
import { createHash } from 'node:crypto';
import { deepStrictEqual } from 'node:assert/strict';
import { searchWordsOf, type AuthStore } from 'gatehouse';
import { LOADED_TABLES, rebuild, setAside, type Execute } from './scale-indexes.js';
import { activityRecordAt, activityStatement, expectedCounts, rolesAt, userAt, userStatements, type LoadCounts, type ScaleKind } from './scale-rows.js';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
/** Users and activities per generated statement: one transaction each, large enough that statements cost nothing. */
const USERS_PER_STATEMENT = 50_000;
const ACTIVITIES_PER_STATEMENT = 250_000;

/** Seconds spent in each part of a load. */
export interface LoadTimes {
  /** Dropping the indexes and inserting the rows. */
  readonly insert: number;
  /** Rebuilding the indexes (and on PostgreSQL adding back the foreign keys, which checks every row). */
  readonly rebuild: number;
  /** Counting and sampling the loaded rows. */
  readonly check: number;
}

/** Fills the scale bench's tables up to a size, and checks them. */
export class ScaleLoader {
  users = 0;
  activities = 0;
  readonly #kind: ScaleKind;
  readonly #store: AuthStore;
  readonly #execute: Execute;

  constructor(kind: ScaleKind, store: AuthStore, execute: Execute) {
    this.#kind = kind;
    this.#store = store;
    this.#execute = execute;
  }

  /**
   * Writes the roles the users hold, through the store (not through `createAuth()`, whose
   * `role.created` activities would be rows the counts do not expect).
   */
  async roles(): Promise<void> {
    const at = new Date(Date.UTC(2025, 0, 1));
    for (const [code, level] of [['customer', 10], ['seller', 20], ['admin', 50]] as const) {
      if ((await this.#store.findRole(code)) === null) await this.#store.upsertRole({ code, name: code, description: '', level, active: true, createdAt: at, updatedAt: at });
    }
  }

  /** Reads back how much an existing (kept) database holds. */
  async resume(): Promise<void> {
    const [users] = await this.#execute('select count(*) as n from users');
    const [activities] = await this.#execute('select count(*) as n from activities');
    this.users = Number(users!['n']);
    this.activities = Number(activities!['n']);
  }

  /**
   * Adds the users and activities missing up to `size` (none when the tables hold as many),
   * with the secondary indexes set aside and rebuilt, then checks the whole tables.
   * @throws {Error} — when the rebuilt schema or the rows are not what they should be.
   */
  async load(size: { readonly users: number; readonly activities: number }): Promise<LoadTimes | null> {
    if (this.users >= size.users && this.activities >= size.activities) return null;
    const start = performance.now();
    const aside = await setAside(this.#kind, this.#execute, LOADED_TABLES);
    // MariaDB: no foreign key or unique check per row (rebuilding the unique index checks the addresses).
    const unchecked = (statement: string): string => (this.#kind === 'mysql' ? `set statement foreign_key_checks = 0, unique_checks = 0 for ${statement}` : statement);
    const fromUser = this.users;
    for (let at = fromUser; at < size.users; at += USERS_PER_STATEMENT) {
      for (const statement of userStatements(this.#kind, '', at, Math.min(size.users, at + USERS_PER_STATEMENT))) await this.#execute(unchecked(statement));
    }
    this.users = Math.max(fromUser, size.users);
    const fromActivity = this.activities;
    for (let at = fromActivity; at < size.activities; at += ACTIVITIES_PER_STATEMENT) {
      await this.#execute(unchecked(activityStatement(this.#kind, '', at, Math.min(size.activities, at + ACTIVITIES_PER_STATEMENT), this.users)));
    }
    this.activities = Math.max(fromActivity, size.activities);
    const inserted = performance.now();
    await rebuild(this.#kind, this.#execute, LOADED_TABLES, aside);
    const rebuilt = performance.now();
    await this.check({ users: [fromUser, this.users], activities: [fromActivity, this.activities] });
    return { insert: (inserted - start) / 1000, rebuild: (rebuilt - inserted) / 1000, check: (performance.now() - rebuilt) / 1000 };
  }

  /**
   * Counts every status, role, search word and action of the tables against
   * {@link expectedCounts}, and compares the first, middle and last users and activities of
   * the ranges just loaded (`[from, to)`) with {@link userAt} and {@link activityRecordAt}.
   * @throws {Error} — on the first difference.
   */
  async check(loaded: { readonly users: readonly [number, number]; readonly activities: readonly [number, number] } = { users: [0, this.users], activities: [0, this.activities] }): Promise<void> {
    deepStrictEqual(await this.counts(), expectedCounts(this.users, this.activities), 'the loaded rows, counted');
    const sample = ([from, to]: readonly [number, number]): number[] => [...new Set([from, from + 1, Math.floor((from + to) / 2), to - 1])].filter((i) => i >= from && i < to);
    for (const i of sample(loaded.users)) await this.#checkUser(i);
    // An activity's subject is among the users there were when it was loaded: those of this load.
    for (const i of sample(loaded.activities)) await this.#checkActivity(i, this.users);
  }

  /** The counts of the tables as they are, in the shape of {@link expectedCounts}. */
  async counts(): Promise<LoadCounts> {
    const grouped = async (statement: string): Promise<Record<string, number>> =>
      Object.fromEntries((await this.#execute(statement)).map((r) => [String(r['k']), Number(r['n'])]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
    const [users] = await this.#execute('select count(*) as n from users');
    const [words] = await this.#execute('select count(*) as n from user_search_words');
    // Each count read from an index alone (`activities (action, created_at, id)`, `(actor_id, created_at)`):
    // one statement summing `actor_id` too made MariaDB walk the action index and fetch all ten million rows by key.
    const actions = await this.#execute('select action as k, count(*) as n, min(created_at) as first, max(created_at) as last from activities group by action order by action');
    const [self] = await this.#execute('select count(*) as n from activities where actor_id is not null');
    const times = actions.flatMap((r) => [new Date(r['first'] as Date).getTime(), new Date(r['last'] as Date).getTime()]);
    return {
      users: Number(users!['n']),
      statuses: await grouped('select status as k, count(*) as n from users group by status order by status'),
      roles: await grouped('select role_code as k, count(*) as n from user_roles group by role_code order by role_code'),
      searchWords: Number(words!['n']),
      actions: Object.fromEntries(actions.map((r) => [String(r['k']), Number(r['n'])])),
      selfActed: Number(self!['n']),
      span: times.length === 0 ? null : [Math.min(...times), Math.max(...times)],
    };
  }

  /** User `i`, read through the store, with its role assignments and search words, is what {@link userAt} says. */
  async #checkUser(i: number): Promise<void> {
    const expected = userAt(i, md5);
    const p = this.#kind === 'postgres' ? '$1' : '?';
    deepStrictEqual(await this.#store.findUserByEmail(expected.email), expected, `user ${i}`);
    const assignments = await this.#execute(`select role_code, assigned_at, assigned_by, expires_at, user_created_at from user_roles where user_id = ${p} order by role_code`, [expected.id]);
    deepStrictEqual(
      assignments.map((a) => ({ ...a, assigned_at: new Date(a['assigned_at'] as Date).getTime(), user_created_at: new Date(a['user_created_at'] as Date).getTime() })),
      rolesAt(i)
        .sort()
        .map((role_code) => ({ role_code, assigned_at: expected.createdAt.getTime(), assigned_by: null, expires_at: null, user_created_at: expected.createdAt.getTime() })),
      `roles of user ${i}`,
    );
    const words = await this.#execute(`select word from user_search_words where user_id = ${p}`, [expected.id]);
    deepStrictEqual(words.map((w) => String(w['word'])).sort(), searchWordsOf(expected).sort(), `search words of user ${i}`);
  }

  /** Activity `i` is what {@link activityRecordAt} says. */
  async #checkActivity(i: number, users: number): Promise<void> {
    const expected = activityRecordAt(i, users, md5);
    const p = this.#kind === 'postgres' ? '$1' : '?';
    const [row] = await this.#execute(`select id, subject_id, actor_id, action, details, ip, user_agent, metadata, created_at from activities where id = ${p}`, [expected.id]);
    deepStrictEqual(
      row === undefined
        ? undefined
        : {
            id: row['id'],
            subjectId: row['subject_id'],
            actorId: row['actor_id'],
            action: row['action'],
            details: row['details'],
            ip: row['ip'],
            userAgent: row['user_agent'],
            metadata: typeof row['metadata'] === 'string' ? JSON.parse(row['metadata']) : row['metadata'],
            createdAt: new Date(row['created_at'] as Date),
          },
      expected,
      `activity ${i}`,
    );
  }
}
