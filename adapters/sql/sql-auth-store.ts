import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CompiledQuery,
  sql,
  type Compilable,
  type Expression,
  type ExpressionBuilder,
  type Insertable,
  type Kysely,
  type SelectQueryBuilder,
  type Updateable,
  type WhereInterface,
} from 'kysely';
import {
  AuthError,
  isAuthError,
  rateLimitDecision,
  type Activity,
  type ActivityQuery,
  type AppTransaction,
  type AuthStore,
  type KeyPurpose,
  type LoginAttempt,
  type LoginFailureFilter,
  type OneTimeKey,
  type Page,
  type ExpiredRows,
  type DeletedRows,
  type PageStart,
  searchTermsOf,
  searchWordsOf,
  type PasswordHistoryEntry,
  type Permission,
  type RateLimitDecision,
  type RateLimitHit,
  type RateLimitStore,
  type Role,
  type RoleGrant,
  type SessionBundle,
  type SessionRecord,
  type SignInFinish,
  type SignInStart,
  type SignInState,
  type SignInStore,
  type TwoFactorRecord,
  type UserIdentifier,
  type UserPatch,
  type UserQuery,
  type UserRecord,
  type UserRole,
} from 'gatehouse';
import { SqlAppTransaction } from './sql-app-transaction.js';
import { toStorageError } from './errors.js';
import { kyselyMigrator, type KyselyMigrator } from './kysely-migrator.js';
import { gatehouseMigrations } from './migrations.js';
import { refuseForeignTables } from './table-conflicts.js';
import { executeCompiled, slotMarker, type CompiledTemplate, type StatementRunner } from './compiled-statements.js';
import { insertDevice, startSignIn, writeSignIn, type SignInContext } from './sign-in-queries.js';
import { planUserList } from './user-list-queries.js';
import { updateUsersStatements } from './import-batch-queries.js';
import { builtCatalogColumn, bumpCatalogVersion, catalogColumn, grantsFromCatalog, readCatalogFromTables, RoleCatalog, storeCatalogDocument, toCatalogAssignment, type CatalogAssignment } from './role-catalog.js';
import {
  fromSessionAndUser,
  grantsFromRows,
  parseJson,
  TIMESTAMP_COLUMNS,
  toActivity,
  toDate,
  toOneTimeKey,
  toPasswordHistoryEntry,
  toPermission,
  toRole,
  toSessionRecord,
  toTwoFactor,
  toUserRecord,
  userRow,
  type Row,
} from './rows.js';
import {
  ACTIVITY_COLUMNS,
  HISTORY_COLUMNS,
  KEY_COLUMNS,
  MIGRATION_LOCK_TABLE,
  MIGRATION_TABLE,
  PERMISSION_COLUMNS,
  ROLE_COLUMNS,
  SESSION_COLUMNS,
  TWO_FACTOR_COLUMNS,
  USER_COLUMNS,
  type Database,
  type UserRolesTable,
  type UsersTable,
} from './schema.js';
import type { SqlDialect } from './sql-dialect.js';
import type { MigrationConnection } from './store-init.js';

/** What a call to `migrate()` did. */
export interface MigrationReport {
  /** Names of the migrations this call applied, in order; empty when the schema was up to date. */
  readonly applied: readonly string[];
  /** Names of every migration gatehouse knows, all of which are now applied. */
  readonly known: readonly string[];
}

/** What {@link SqlAuthStore.migrationStatus} found: gatehouse's migrations, each applied or pending, in order. */
export interface MigrationStatus {
  /** The migrations this database has, with when each was applied. */
  readonly applied: readonly {
    /** The migration's name, e.g. `0001_initial`. */
    readonly name: string;
    /** When this database applied it. */
    readonly appliedAt: Date;
  }[];
  /** The migrations `migrate()` would apply, in order; empty when the schema is up to date. */
  readonly pending: readonly string[];
}

/** How a {@link SqlAuthStore} reaches its database; built by the PostgreSQL and MySQL entries. */
export interface SqlStoreInit {
  /** The Kysely instance to query through, with the store's plugins (table prefix, …) already added. */
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialect;
  /** Prefix of every table name, already checked. */
  readonly tablePrefix: string;
  /** Releases what the store opened itself (its pool); `null` when it was given its connection. */
  readonly release: (() => Promise<void>) | null;
  /** Hot queries compiled once, shared by the store and its transactions. */
  readonly compiled: Map<string, CompiledTemplate>;
  /**
   * Runs a compiled query on the pool itself, bypassing Kysely, for the hot queries; `null`
   * when the store only has a Kysely instance. Parameters are strings and numbers only.
   */
  readonly direct: DirectQuery | null;
  /** Opens the connection `migrate()` runs on, free of the store's timeouts; `null`: the store's own (and absent in a transaction's view). */
  readonly migrations?: (() => MigrationConnection) | null | undefined;
  /** The role catalogue the session query resolves grants with (`role-catalog.ts`); a new one when absent. Shared by the store and its transactions. */
  readonly catalog?: RoleCatalog | undefined;
  /** Whether a successful sign-in's end waits for its commit's flush (PostgreSQL's `flushSignIns`); `true` when absent. */
  readonly flushSignIns?: boolean | undefined;
}

/** Runs SQL with parameters on a pool and resolves its rows. */
export type DirectQuery = (sql: string, parameters: readonly unknown[]) => Promise<Row[]>;

/** A query on `user_roles as ur`, to which `#grantRows` joins roles and permissions. */
type AssignmentQuery = SelectQueryBuilder<Database & { ur: UserRolesTable }, 'ur', object>;

/** How many times a transaction or statement the database rolled back to break a deadlock runs again. */
const DEADLOCK_RETRIES = 4;

/**
 * Whether a database can be asked about this text at all: PostgreSQL refuses NUL in a text
 * parameter, and a lone surrogate is not UTF-8. No stored text holds either, so a lookup or a
 * filter with one matches nothing, without a round trip that would fail.
 */
const isQueryableText = (text: string): boolean => !/[\u0000\p{Cs}]/u.test(text);

/** Escapes `%`, `_` and the escape character itself, so user text matches literally in `LIKE`. */
const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The {@link AuthStore} on any SQL database Kysely speaks, with the differences of each
 * database behind a {@link SqlDialect}. The PostgreSQL and MySQL entries subclass it
 * with a constructor that takes a URL, a pool or a Kysely instance.
 *
 * Transactions are real database transactions at READ COMMITTED; uniqueness (emails,
 * token and key hashes) and foreign keys are enforced by the database, so they hold across
 * processes; one-time keys are consumed by one conditional `UPDATE`.
 */
export class SqlAuthStore implements SignInStore, RateLimitStore {
  readonly #db: Kysely<Database>;
  readonly #dialect: SqlDialect;
  readonly #prefix: string;
  readonly #release: (() => Promise<void>) | null;
  readonly #compiled: Map<string, CompiledTemplate>;
  readonly #direct: DirectQuery | null;
  readonly #migrations: (() => MigrationConnection) | null;
  /** The roles and their permissions as of a catalogue version (see `role-catalog.ts`). */
  readonly #catalog: RoleCatalog;
  /** Whether a successful sign-in answers only once its commit is flushed (PostgreSQL's `flushSignIns`). */
  readonly #flushSignIns: boolean;
  /** Set on the view a transaction hands to its callback. */
  readonly #inTransaction: boolean;
  /** In a transaction's view: the application's handle on the same transaction. */
  #appTransaction: SqlAppTransaction | null = null;
  #closed = false;

  constructor(init: SqlStoreInit);
  /** @internal */
  constructor(init: SqlStoreInit, inTransaction: boolean);
  constructor(init: SqlStoreInit, inTransaction = false) {
    this.#db = init.db;
    this.#dialect = init.dialect;
    this.#prefix = init.tablePrefix;
    this.#release = init.release;
    this.#compiled = init.compiled;
    this.#direct = init.direct;
    this.#migrations = init.migrations ?? null;
    this.#catalog = init.catalog ?? new RoleCatalog();
    this.#flushSignIns = init.flushSignIns ?? true;
    this.#inTransaction = inTransaction;
  }

  /** The prefix of gatehouse's table names (`''` for none). */
  get tablePrefix(): string {
    return this.#prefix;
  }

  /**
   * Creates or upgrades gatehouse's tables to the newest schema, in order; running it again
   * is a no-op. Migrations already applied are recorded in `<prefix>gatehouse_migration`.
   * Concurrent calls are serialised by a database lock. The first migration refuses, before
   * creating anything, a database that already holds tables with gatehouse's names.
   *
   * @throws {AuthError} CONFLICT — tables with gatehouse's names already exist (use a `tablePrefix`).
   * @throws {AuthError} STORAGE_FAILED — the database refused a migration (the `cause` says why).
   */
  async migrate(): Promise<MigrationReport> {
    if (this.#inTransaction) throw new TypeError('migrate() cannot run inside a gatehouse transaction');
    const outcome = await this.#withMigrator(async (migrator, db) => {
      await refuseForeignTables(db, this.#dialect, this.#prefix);
      return migrator.migrateToLatest();
    });
    if (outcome.error !== undefined) {
      const failed = outcome.results?.find((r) => r.status === 'Error')?.migrationName;
      const reason = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      throw new AuthError('STORAGE_FAILED', {
        message: failed === undefined ? `gatehouse migrations failed: ${reason}` : `gatehouse migration ${failed} failed: ${reason}`,
        cause: outcome.error,
      });
    }
    const applied = (outcome.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    return { applied, known: Object.keys(await gatehouseMigrations(this.#dialect, this.#prefix).getMigrations()).sort() };
  }

  /**
   * Which of gatehouse's migrations this database has (with when each was applied) and which
   * are pending, in order. Reads only: it creates no table, and an empty database has every
   * migration pending.
   *
   * @throws {AuthError} STORAGE_FAILED — the database could not be read (the `cause` says why).
   */
  async migrationStatus(): Promise<MigrationStatus> {
    if (this.#inTransaction) throw new TypeError('migrationStatus() cannot run inside a gatehouse transaction');
    const migrations = await this.#withMigrator((migrator) => migrator.getMigrations());
    return {
      applied: migrations.flatMap((m) => (m.executedAt === undefined ? [] : [{ name: m.name, appliedAt: m.executedAt }])),
      pending: migrations.filter((m) => m.executedAt === undefined).map((m) => m.name),
    };
  }

  /** Runs `use` with Kysely's Migrator over gatehouse's migrations, on the connection migrations run on. */
  async #withMigrator<T>(use: (migrator: KyselyMigrator, db: Kysely<Database>) => Promise<T>): Promise<T> {
    const Migrator = await kyselyMigrator();
    // Migrations may rightly run longer than a request's statement, and wait for another migrator.
    const connection = this.#closed ? null : this.#migrations?.() ?? null;
    const db = connection?.db ?? this.#db;
    try {
      const migrator = new Migrator({
        db,
        provider: gatehouseMigrations(this.#dialect, this.#prefix),
        migrationTableName: `${this.#prefix}${MIGRATION_TABLE}`,
        migrationLockTableName: `${this.#prefix}${MIGRATION_LOCK_TABLE}`,
        // Numbers are reserved ahead for work in progress, so a migration may be released after
        // a higher one (0007 and 0008 after 0009): a database that ran 0009 still applies them.
        allowUnorderedMigrations: true,
      });
      return await use(migrator, db);
    } catch (error) {
      throw toStorageError(error);
    } finally {
      await connection?.done().catch(() => undefined);
    }
  }

  /**
   * Releases what the store opened: the pool it made from a URL. A pool or Kysely instance
   * the application passed in stays open — closing it is the application's call.
   */
  async close(): Promise<void> {
    if (this.#inTransaction) throw new TypeError('close() cannot be called inside a gatehouse transaction');
    if (this.#closed) return;
    this.#closed = true;
    if (this.#release !== null) await this.#release();
  }

  /**
   * Runs a query step, turning driver errors into `STORAGE_FAILED`. Outside a transaction, a
   * statement the database rolled back to break a deadlock runs again.
   */
  async #run<T>(step: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    const once = async (): Promise<T> => {
      try {
        return await step(this.#db);
      } catch (error) {
        throw toStorageError(error);
      }
    };
    return this.#inTransaction ? once() : this.#retryingDeadlocks(once);
  }

  /**
   * Runs `attempt`, and again — up to {@link DEADLOCK_RETRIES} more times, after a short
   * random pause — while it fails because the database broke a deadlock by rolling it back.
   * Concurrent writers to one user (a sign-in, a role change, a block) can deadlock on MySQL
   * whatever order they lock in; the database's own advice is to retry.
   */
  async #retryingDeadlocks<T>(attempt: () => Promise<T>): Promise<T> {
    for (let retries = 0; ; retries += 1) {
      try {
        return await attempt();
      } catch (error) {
        const driverError = isAuthError(error, 'STORAGE_FAILED') ? error.cause : error;
        if (retries >= DEADLOCK_RETRIES || !this.#dialect.isDeadlock(driverError)) throw error;
        await delay(1 + Math.random() * 10 * (retries + 1));
      }
    }
  }

  /** {@link #run} in the caller's transaction, or in one of its own: for writes of more than one statement. */
  #atomic<T>(step: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.#inTransaction) return this.#run(step);
    return this.transaction((tx) => (tx as SqlAuthStore).#run(step));
  }

  /**
   * Bumps the stamp of live sessions (narrowed by the caller's `where`), in the writing
   * transaction, so that every process holding their bundles reads them again. Writers lock
   * `users` before `sessions`, never the other way round.
   */
  #staleSessions(db: Kysely<Database>) {
    return db
      .updateTable('sessions')
      .set((eb) => ({ stamp: eb('stamp', '+', 1) }))
      .where('revoked_at', 'is', null);
  }

  /** Bumps the stamp of the live sessions of the users holding a role, or a role that grants a permission (see {@link #staleSessions}). */
  async #staleSessionsOf(db: Kysely<Database>, holding: { readonly role: string } | { readonly permission: string }): Promise<void> {
    const roles = 'role' in holding ? [holding.role] : db.selectFrom('role_permissions').select('role_code').where('permission_code', '=', holding.permission);
    // Sessions joined to the holders' assignments, each session updated once whatever its user's number of matching roles.
    const narrow = <Q extends WhereInterface<Database, 'sessions' | 'user_roles'>>(update: Q): Q =>
      update.whereRef('user_roles.user_id', '=', 'sessions.user_id').where('user_roles.role_code', 'in', roles).where('sessions.revoked_at', 'is', null) as Q;
    if (this.#dialect.updateFrom === 'join') {
      await narrow(db.updateTable(['sessions', 'user_roles']).set('sessions.stamp', (eb) => eb('sessions.stamp', '+', 1))).execute();
    } else {
      await narrow(db.updateTable('sessions').from('user_roles').set((eb) => ({ stamp: eb('sessions.stamp', '+', 1) }))).execute();
    }
  }

  /**
   * Runs a hot query compiled once: building and compiling a query of this size with Kysely
   * costs more CPU than the database takes to answer it. `build` receives a placeholder for
   * each value, which the compiled query takes at every call.
   */
  #executeCompiled(key: string, build: (slot: (index: number) => string) => Compilable<unknown>, values: readonly unknown[]): Promise<Row[]> {
    return executeCompiled(this.#statements(this.#db), key, () => build(slotMarker).compile(), values);
  }

  /** How this store runs compiled statements on `db`: straight to the pool outside a transaction, when it has one. */
  #statements(db: Kysely<Database>): StatementRunner {
    return { db, dialect: this.#dialect, compiled: this.#compiled, direct: this.#inTransaction ? null : this.#direct };
  }

  /**
   * Runs `fn` in a database transaction at READ COMMITTED. When the database rolls it back
   * to break a deadlock, `fn` runs again from the start (see {@link AuthStore.transaction}).
   */
  transaction<T>(fn: (tx: AuthStore) => Promise<T>): Promise<T> {
    if (this.#inTransaction) return fn(this);
    return this.#retryingDeadlocks(() => this.#transactOnce(fn));
  }

  /** In a transaction's view, the handle the application writes its own rows through, on the same connection; `null` outside one. */
  appTransaction(): AppTransaction | null {
    return this.#appTransaction;
  }

  async #transactOnce<T>(fn: (tx: AuthStore) => Promise<T>): Promise<T> {
    // Tells an error of `fn` (rethrown as is) from a failure of BEGIN or COMMIT (wrapped).
    let thrown: { error: unknown } | null = null;
    try {
      return await this.#db
        .transaction()
        // PostgreSQL's default; on MySQL it avoids REPEATABLE READ's gap locks, which
        // deadlock concurrent registrations inserting next to each other in an index.
        .setIsolationLevel('read committed')
        .execute(async (trx) => {
          const tx = new SqlAuthStore({ db: trx, dialect: this.#dialect, tablePrefix: this.#prefix, release: null, compiled: this.#compiled, direct: null, catalog: this.#catalog, flushSignIns: this.#flushSignIns }, true);
          const app = new SqlAppTransaction(trx, this.#dialect.name);
          tx.#appTransaction = app;
          try {
            return await fn(tx);
          } catch (error) {
            thrown = { error };
            throw error;
          } finally {
            app.end();
          }
        });
    } catch (error) {
      if (thrown !== null && (thrown as { error: unknown }).error === error) throw error;
      throw toStorageError(error);
    }
  }

  // users

  async insertUser(user: UserRecord): Promise<void> {
    await this.#atomic(async (db) => {
      try {
        await db.insertInto('users').values(userRow(user)).execute();
      } catch (error) {
        throw this.#emailConflict(error);
      }
      await this.#insertSearchWords(db, [user]);
    });
  }

  /**
   * Brings a user's search words in line with their name and email, touching only the words
   * that changed, each by its primary key: a `DELETE … WHERE user_id = ?` that InnoDB ran as a
   * scan of a small table would lock, and wait for, other users' rows being written.
   */
  async #replaceSearchWords(db: Kysely<Database>, user: UserRecord): Promise<void> {
    const held = (await db.selectFrom('user_search_words').select('word').where('user_id', '=', user.id).execute()).map((row) => row.word);
    const wanted = searchWordsOf(user);
    const gone = held.filter((word) => !wanted.includes(word));
    const added = wanted.filter((word) => !held.includes(word));
    if (gone.length > 0) await db.deleteFrom('user_search_words').where('word', 'in', gone).where('user_id', '=', user.id).execute();
    if (added.length > 0) await this.#insertMany(db, 'user_search_words', ['word', 'user_id'], added.map((word) => [word, user.id]));
  }

  /** Writes the search words of new users (see `searchWordsOf()`), in the caller's transaction. */
  async #insertSearchWords(db: Kysely<Database>, users: readonly UserRecord[]): Promise<void> {
    const rows = users.flatMap((user) => searchWordsOf(user).map((word) => [word, user.id] as const));
    if (rows.length > 0) await this.#insertMany(db, 'user_search_words', ['word', 'user_id'], rows);
  }

  /** `EMAIL_TAKEN` for a violation of the unique email index, the error itself otherwise. */
  #emailConflict(error: unknown): unknown {
    return this.#dialect.uniqueViolation(error) === `${this.#prefix}users_email_uq` ? new AuthError('EMAIL_TAKEN') : error;
  }

  findUserById(id: string): Promise<UserRecord | null> {
    return this.#findUser(id, false);
  }

  /** The user, with their row locked until the transaction ends (`SELECT … FOR UPDATE`); outside a transaction, a plain read. */
  lockUser(id: string): Promise<UserRecord | null> {
    return this.#findUser(id, this.#inTransaction);
  }

  #findUser(id: string, forUpdate: boolean): Promise<UserRecord | null> {
    return this.#run(async (db) => {
      const query = db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id);
      const row = await (forUpdate ? query.forUpdate() : query).executeTakeFirst();
      return row === undefined ? null : toUserRecord(row);
    });
  }

  findUserByEmail(email: string): Promise<UserRecord | null> {
    if (!isQueryableText(email)) return Promise.resolve(null);
    return this.#run(async (db) => {
      const row = await db
        .selectFrom('users')
        .select(USER_COLUMNS)
        .where('email_lower', '=', sql<string>`lower(${email})`)
        .executeTakeFirst();
      return row === undefined ? null : toUserRecord(row);
    });
  }

  updateUser(id: string, patch: UserPatch): Promise<UserRecord | null> {
    return this.#atomic(async (db) => {
      const set = userPatchRow(patch);
      let row: Row | undefined;
      try {
        if (this.#dialect.updateReturning) {
          row = await db.updateTable('users').set(set).where('id', '=', id).returning(USER_COLUMNS).executeTakeFirst();
        } else {
          await db.updateTable('users').set(set).where('id', '=', id).execute();
          row = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst();
        }
      } catch (error) {
        throw this.#emailConflict(error);
      }
      if (row === undefined) return null;
      await this.#staleSessions(db).where('user_id', '=', id).execute();
      const updated = toUserRecord(row);
      if (patch.name !== undefined || patch.email !== undefined) await this.#replaceSearchWords(db, updated);
      return updated;
    });
  }

  listUsers(query: UserQuery): Promise<Page<UserRecord>> {
    if (query.text !== undefined && !isQueryableText(query.text)) return Promise.resolve({ items: [], total: 0 });
    const search = query.text === undefined ? null : searchTermsOf(query.text);
    if (search !== null && search.kind === 'words' && search.terms.length === 0) return Promise.resolve(emptyPage(query.countLimit));
    return this.#run(async (db) => {
      // Which index answers each filter, and which one drives the page and the count: user-list-queries.ts.
      const patterns = search === null ? [] : (search.kind === 'email' ? [search.prefix] : search.terms).map((prefix) => `${likeLiteral(prefix)}%`);
      const filters = { status: query.status, roleCode: query.roleCode, patterns, now: query.now };
      const plan = await planUserList(db, this.#dialect, filters);
      const filtered = plan.filtered;
      const counted = query.countLimit === undefined ? await this.#countUpTo(db, 'users', filtered, undefined) : await plan.count(query.countLimit);
      if (counted.total === 0 || (counted.totalExact === true && query.after === undefined && query.offset >= counted.total)) return { items: [], ...counted };
      const rows = await plan.page({ after: query.after, offset: query.offset, limit: query.limit, oldest: query.order === 'oldest' }).execute();
      return { items: rows.map(toUserRecord), ...counted };
    });
  }

  /**
   * Counts the rows of a filtered query: all of them without a limit; with one, at most
   * `limit + 1` (through the same indexes as the page), answering `limit` and not exact past it.
   */
  async #countUpTo<T extends 'users' | 'activities'>(
    db: Kysely<Database>,
    table: T,
    filtered: SelectQueryBuilder<Database, T, object>,
    limit: number | undefined,
  ): Promise<{ total: number; totalExact?: boolean }> {
    if (limit === undefined) {
      const counted = await filtered.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow();
      return { total: Number((counted as { total: unknown }).total) };
    }
    // In the page's order, so that both read the same index, and stop at the limit.
    const capped = filtered.select(sql<number>`1`.as('one')).orderBy(`${table}.created_at` as never, 'desc').orderBy(`${table}.id` as never, 'desc').limit(limit + 1);
    const counted = await db.selectFrom(capped.as('capped')).select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow();
    const total = Number(counted.total);
    return total > limit ? { total: limit, totalExact: false } : { total, totalExact: true };
  }

  deleteUser(id: string): Promise<boolean> {
    // Foreign keys do the rest: roles, sessions, keys, history, attempts and two-factor cascade,
    // activities and assignments made by the user keep their rows with the id set to null.
    return this.#run(async (db) => {
      const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  // identifiers

  findUserByIdentifier(name: string, value: string): Promise<UserRecord | null> {
    if (!isQueryableText(name) || !isQueryableText(value)) return Promise.resolve(null);
    return this.#run(async (db) => {
      const row = await db
        .selectFrom('user_identifiers as ui')
        .innerJoin('users', 'users.id', 'ui.user_id')
        .select(USER_COLUMNS.map((c) => `users.${c}` as const))
        .where('ui.name', '=', name)
        .where('ui.value', '=', value)
        .executeTakeFirst();
      return row === undefined ? null : toUserRecord(row);
    });
  }

  findUsersByIdentifiers(name: string, values: readonly string[]): Promise<UserIdentifier[]> {
    const queryable = [...new Set(values)].filter(isQueryableText);
    if (queryable.length === 0 || !isQueryableText(name)) return Promise.resolve([]);
    return this.#run(async (db) => {
      const rows = await db.selectFrom('user_identifiers').select(['user_id', 'name', 'value']).where('name', '=', name).where('value', 'in', queryable).execute();
      return rows.map(toIdentifier);
    });
  }

  listUserIdentifiers(userIds: readonly string[]): Promise<UserIdentifier[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.#run(async (db) => {
      const rows = await db
        .selectFrom('user_identifiers')
        .select(['user_id', 'name', 'value'])
        .where('user_id', 'in', [...new Set(userIds)])
        .orderBy('user_id')
        .orderBy('name')
        .execute();
      return rows.map(toIdentifier);
    });
  }

  setUserIdentifiers(userId: string, identifiers: Readonly<Record<string, string>>): Promise<void> {
    return this.#atomic(async (db) => {
      const held = await db.selectFrom('users').select('id').where('id', '=', userId).forUpdate().executeTakeFirst();
      if (held === undefined) throw new AuthError('NOT_FOUND', { message: `No user ${userId}.` });
      await db.deleteFrom('user_identifiers').where('user_id', '=', userId).execute();
      const rows = Object.entries(identifiers).map(([name, value]) => ({ userId, name, value }));
      if (rows.length > 0) await this.#insertIdentifierRows(db, rows);
    });
  }

  /** Inserts identifier rows; the table's only unique key is (name, value), so any unique violation is a taken identifier. */
  async #insertIdentifierRows(db: Kysely<Database>, rows: readonly UserIdentifier[]): Promise<void> {
    try {
      await this.#insertMany(db, 'user_identifiers', ['user_id', 'name', 'value'], rows.map((i) => [i.userId, i.name, i.value]));
    } catch (error) {
      if (this.#dialect.uniqueViolation(error) !== null) throw new AuthError('IDENTIFIER_TAKEN', { cause: error });
      if (this.#dialect.isForeignKeyViolation(error)) throw new AuthError('NOT_FOUND', { message: 'No such user.', cause: error });
      throw error;
    }
  }

  findUsersByIdOrEmail(keys: { readonly ids: readonly string[]; readonly emails: readonly string[] }): Promise<UserRecord[]> {
    const ids = [...new Set(keys.ids)].filter(isQueryableText);
    const emails = [...new Set(keys.emails.map((e) => e.toLowerCase()))].filter(isQueryableText);
    if (ids.length === 0 && emails.length === 0) return Promise.resolve([]);
    return this.#run(async (db) => {
      const rows = await db
        .selectFrom('users')
        .select(USER_COLUMNS)
        .where((eb) => eb.or([...(ids.length === 0 ? [] : [eb('id', 'in', ids)]), ...(emails.length === 0 ? [] : [eb('email_lower', 'in', emails)])]))
        .execute();
      return rows.map(toUserRecord);
    });
  }

  // batch writes: multi-row inserts, in chunks that stay under the drivers' parameter limits

  /**
   * Inserts rows with multi-row `INSERT … VALUES (…), (…)` statements written out directly:
   * for a batch of hundreds of rows, building and transforming Kysely's query tree costs
   * several times the database's work. Values go as parameters, as the plugins would send them.
   */
  async #insertMany(db: Kysely<Database>, table: keyof Database, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
    const d = this.#dialect;
    const head = `insert into ${d.quoteIdentifier(`${this.#prefix}${table}`)} (${columns.map((c) => d.quoteIdentifier(c)).join(', ')}) values `;
    const users = d.quoteIdentifier(`${this.#prefix}users`);
    const value = (parameters: unknown[], v: unknown): string => {
      // A user's created_at, read by the statement itself (user_roles.user_created_at): null when there is no such user, which the foreign key then refuses.
      if (v instanceof CreatedAtOf) return (parameters.push(v.userId), `(select created_at from ${users} where id = ${d.placeholder(parameters.length)})`);
      return (parameters.push(d.toParameter(v)), d.placeholder(parameters.length));
    };
    for (const chunk of chunks(rows, columns.length)) {
      const parameters: unknown[] = [];
      const tuples = chunk.map((row) => `(${row.map((v) => value(parameters, v)).join(', ')})`);
      await db.executeQuery(CompiledQuery.raw(head + tuples.join(', '), parameters));
    }
  }

  insertUsers(users: readonly UserRecord[]): Promise<void> {
    if (users.length === 0) return Promise.resolve();
    return this.#atomic(async (db) => {
      try {
        await this.#insertMany(db, 'users', USER_COLUMNS, users.map((u) => rowValues(userRow(u), USER_COLUMNS)));
      } catch (error) {
        throw this.#emailConflict(error);
      }
      await this.#insertSearchWords(db, users);
    });
  }

  insertUserIdentifiers(identifiers: readonly UserIdentifier[]): Promise<void> {
    if (identifiers.length === 0) return Promise.resolve();
    return this.#atomic((db) => this.#insertIdentifierRows(db, identifiers));
  }

  insertUserRoles(assignments: readonly UserRole[]): Promise<void> {
    if (assignments.length === 0) return Promise.resolve();
    return this.#atomic(async (db) => {
      const rows = assignments.map((a) => [a.userId, a.roleCode, a.assignedAt, a.assignedBy, a.expiresAt, new CreatedAtOf(a.userId)]);
      try {
        await this.#insertMany(db, 'user_roles', ASSIGNMENT_COLUMNS, rows);
      } catch (error) {
        if (this.#dialect.isForeignKeyViolation(error)) throw new AuthError('NOT_FOUND', { message: 'No such user or role.', cause: error });
        throw error;
      }
      await this.#staleSessions(db).where('user_id', 'in', [...new Set(assignments.map((a) => a.userId))]).execute();
    });
  }

  insertPasswordHistory(entries: readonly PasswordHistoryEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    return this.#atomic(async (db) => {
      const rows = entries.map((e) => [e.id, e.userId, e.passwordHash, e.changedAt, e.reason, e.forced]);
      await this.#insertMany(db, 'password_history', HISTORY_COLUMNS, rows);
    });
  }

  appendActivities(activities: readonly Activity[]): Promise<void> {
    if (activities.length === 0) return Promise.resolve();
    return this.#atomic(async (db) => {
      await this.#insertMany(db, 'activities', ACTIVITY_COLUMNS, activities.map((a) => rowValues(activityRow(a), ACTIVITY_COLUMNS)));
    });
  }

  // batch reads and writes of users an import updates: a fixed number of statements per call

  lockUsers(ids: readonly string[]): Promise<UserRecord[]> {
    const wanted = [...new Set(ids)].filter(isQueryableText).sort();
    if (wanted.length === 0) return Promise.resolve([]);
    return this.#run(async (db) => {
      const out: UserRecord[] = [];
      for (const chunk of chunks(wanted, 1)) {
        // In id order, as every writer of several users locks them, so that two such writers never deadlock.
        const query = db.selectFrom('users').select(USER_COLUMNS).where('id', 'in', chunk).orderBy('id');
        for (const row of await (this.#inTransaction ? query.forUpdate() : query).execute()) out.push(toUserRecord(row));
      }
      return out;
    });
  }

  updateUsers(users: readonly UserRecord[]): Promise<void> {
    if (users.length === 0) return Promise.resolve();
    return this.#atomic(async (db) => {
      try {
        for (const statement of updateUsersStatements(this.#dialect, this.#prefix, users)) await db.executeQuery(statement);
      } catch (error) {
        throw this.#emailConflict(error);
      }
      const ids = [...new Set(users.map((u) => u.id))];
      await this.#staleSessions(db).where('user_id', 'in', ids).execute();
      // Their search words follow their names and emails: replaced as a whole, a statement per chunk of users.
      for (const chunk of chunks(ids, 1)) await db.deleteFrom('user_search_words').where('user_id', 'in', chunk).execute();
      // Only of users there are: updating a missing user changes nothing.
      const latest = new Map(users.map((u) => [u.id, u]));
      const present = new Set<string>();
      for (const chunk of chunks(ids, 1)) for (const row of await db.selectFrom('users').select('id').where('id', 'in', chunk).execute()) present.add(row.id);
      await this.#insertSearchWords(db, [...latest.values()].filter((u) => present.has(u.id)));
    });
  }

  replaceUserIdentifiers(userIds: readonly string[], identifiers: readonly UserIdentifier[]): Promise<void> {
    if (userIds.length === 0 && identifiers.length === 0) return Promise.resolve();
    return this.#atomic(async (db) => {
      for (const chunk of chunks([...new Set(userIds)], 1)) await db.deleteFrom('user_identifiers').where('user_id', 'in', chunk).execute();
      if (identifiers.length > 0) await this.#insertIdentifierRows(db, identifiers);
    });
  }

  replaceUserRoles(userIds: readonly string[], assignments: readonly UserRole[]): Promise<void> {
    const replaced = [...new Set(userIds)];
    const users = [...new Set([...replaced, ...assignments.map((a) => a.userId)])];
    if (users.length === 0) return Promise.resolve();
    return this.#atomic(async (db) => {
      const held = new Map<string, Date>();
      for (const chunk of chunks(replaced, 1)) {
        for (const row of await db.selectFrom('user_roles').select(['user_id', 'role_code', 'assigned_at']).where('user_id', 'in', chunk).execute()) {
          held.set(`${row.user_id}\u0000${row.role_code}`, toDate(row.assigned_at));
        }
        await db.deleteFrom('user_roles').where('user_id', 'in', chunk).execute();
      }
      // An assignment the user held keeps when it was first given.
      const rows = assignments.map((a) => [a.userId, a.roleCode, held.get(`${a.userId}\u0000${a.roleCode}`) ?? a.assignedAt, a.assignedBy, a.expiresAt, new CreatedAtOf(a.userId)]);
      try {
        if (rows.length > 0) await this.#insertMany(db, 'user_roles', ASSIGNMENT_COLUMNS, rows);
      } catch (error) {
        if (this.#dialect.isForeignKeyViolation(error)) throw new AuthError('NOT_FOUND', { message: 'No such user or role.', cause: error });
        throw error;
      }
      await this.#staleSessions(db).where('user_id', 'in', users).execute();
    });
  }

  listPasswordHistoryOf(userIds: readonly string[]): Promise<PasswordHistoryEntry[]> {
    const wanted = [...new Set(userIds)].filter(isQueryableText);
    if (wanted.length === 0) return Promise.resolve([]);
    return this.#run(async (db) => {
      const out: PasswordHistoryEntry[] = [];
      for (const chunk of chunks(wanted, 1)) {
        const rows = await db
          .selectFrom('password_history')
          .select(HISTORY_COLUMNS)
          .where('user_id', 'in', chunk)
          .orderBy('user_id')
          .orderBy('changed_at', 'desc')
          .orderBy('id', 'desc')
          .execute();
        out.push(...rows.map(toPasswordHistoryEntry));
      }
      return out;
    });
  }

  listActivitiesOf(subjectIds: readonly string[]): Promise<Activity[]> {
    const wanted = [...new Set(subjectIds)].filter(isQueryableText);
    if (wanted.length === 0) return Promise.resolve([]);
    return this.#run(async (db) => {
      const out: Activity[] = [];
      for (const chunk of chunks(wanted, 1)) {
        const rows = await db.selectFrom('activities').select(ACTIVITY_COLUMNS).where('subject_id', 'in', chunk).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
        out.push(...rows.map(toActivity));
      }
      // Each chunk comes newest first; so does the whole, across chunks.
      return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    });
  }

  // roles and permissions

  upsertRole(role: Role): Promise<void> {
    return this.#atomic(async (db) => {
      await bumpCatalogVersion(db, this.#dialect);
      const row = {
        code: role.code,
        name: role.name,
        description: role.description,
        level: role.level,
        active: role.active,
        created_at: role.createdAt,
        updated_at: role.updatedAt,
      };
      const { code: _code, ...rest } = row;
      await this.#dialect.onConflict(db.insertInto('roles').values(row), ['code'], rest).execute();
      await this.#staleSessionsOf(db, { role: role.code });
      await storeCatalogDocument(db, this.#dialect);
    });
  }

  findRole(code: string): Promise<Role | null> {
    return this.#run(async (db) => {
      const row = await db.selectFrom('roles').select(ROLE_COLUMNS).where('code', '=', code).executeTakeFirst();
      return row === undefined ? null : toRole(row);
    });
  }

  listRoles(): Promise<Role[]> {
    return this.#run(async (db) => {
      const rows = await db.selectFrom('roles').select(ROLE_COLUMNS).orderBy('level', 'desc').orderBy('code').execute();
      return rows.map(toRole);
    });
  }

  upsertPermission(permission: Permission): Promise<void> {
    return this.#atomic(async (db) => {
      await bumpCatalogVersion(db, this.#dialect);
      const row = {
        code: permission.code,
        name: permission.name,
        module: permission.module,
        action: permission.action,
        active: permission.active,
        created_at: permission.createdAt,
      };
      const { code: _code, ...rest } = row;
      await this.#dialect.onConflict(db.insertInto('permissions').values(row), ['code'], rest).execute();
      await this.#staleSessionsOf(db, { permission: permission.code });
      await storeCatalogDocument(db, this.#dialect);
    });
  }

  listPermissions(): Promise<Permission[]> {
    return this.#run(async (db) => {
      const rows = await db.selectFrom('permissions').select(PERMISSION_COLUMNS).orderBy('code').execute();
      return rows.map(toPermission);
    });
  }

  grantPermission(roleCode: string, permissionCode: string): Promise<void> {
    return this.#atomic(async (db) => {
      await bumpCatalogVersion(db, this.#dialect);
      try {
        const insert = db.insertInto('role_permissions').values({ role_code: roleCode, permission_code: permissionCode });
        await this.#dialect.onConflict(insert, ['role_code', 'permission_code'], null).execute();
      } catch (error) {
        if (this.#dialect.isForeignKeyViolation(error)) {
          throw new AuthError('NOT_FOUND', { message: `No role ${roleCode} or no permission ${permissionCode}.`, cause: error });
        }
        throw error;
      }
      await this.#staleSessionsOf(db, { role: roleCode });
      await storeCatalogDocument(db, this.#dialect);
    });
  }

  revokePermission(roleCode: string, permissionCode: string): Promise<boolean> {
    return this.#atomic(async (db) => {
      // First, as every catalogue write: writers queue on the version row, never the other way round.
      await bumpCatalogVersion(db, this.#dialect);
      const result = await db
        .deleteFrom('role_permissions')
        .where('role_code', '=', roleCode)
        .where('permission_code', '=', permissionCode)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) {
        await storeCatalogDocument(db, this.#dialect);
        return false;
      }
      await this.#staleSessionsOf(db, { role: roleCode });
      await storeCatalogDocument(db, this.#dialect);
      return true;
    });
  }

  listRolePermissions(roleCode: string): Promise<string[]> {
    return this.#run(async (db) => {
      const rows = await db.selectFrom('role_permissions').select('permission_code').where('role_code', '=', roleCode).orderBy('permission_code').execute();
      return rows.map((r) => r.permission_code);
    });
  }

  assignRole(assignment: UserRole): Promise<void> {
    return this.#atomic(async (db) => {
      try {
        const insert = db.insertInto('user_roles').values({
          user_id: assignment.userId,
          role_code: assignment.roleCode,
          assigned_at: assignment.assignedAt,
          assigned_by: assignment.assignedBy,
          expires_at: assignment.expiresAt,
          // The user's created_at, copied for users.list() by role (migration 0014); it never changes, so a conflict leaves it.
          user_created_at: (eb) => eb.selectFrom('users').select((u) => u.ref('users.created_at').$castTo<Date | null>().as('created_at')).where('users.id', '=', assignment.userId),
        });
        // An existing assignment keeps its assignedAt: it records when the role was first given.
        await this.#dialect
          .onConflict(insert, ['user_id', 'role_code'], { assigned_by: assignment.assignedBy, expires_at: assignment.expiresAt })
          .execute();
      } catch (error) {
        if (this.#dialect.isForeignKeyViolation(error)) throw new AuthError('NOT_FOUND', { message: 'No such user or role.', cause: error });
        throw error;
      }
      await this.#staleSessions(db).where('user_id', '=', assignment.userId).execute();
    });
  }

  removeRole(userId: string, roleCode: string): Promise<boolean> {
    return this.#atomic(async (db) => {
      const result = await db.deleteFrom('user_roles').where('user_id', '=', userId).where('role_code', '=', roleCode).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await this.#staleSessions(db).where('user_id', '=', userId).execute();
      return true;
    });
  }

  listUserGrants(userId: string): Promise<RoleGrant[]> {
    return this.#run(async (db) => {
      const rows = await this.#grantRows(db.selectFrom('user_roles as ur').where('ur.user_id', '=', userId)).execute();
      return grantsFromRows(rows);
    });
  }

  /**
   * Joins a query on `user_roles as ur` to each assignment's role and the role's active
   * permissions, one row per (assignment, permission), and selects their columns.
   */
  #grantRows(query: AssignmentQuery): SelectQueryBuilder<Database, never, Row> {
    // Left joins all the way: the session query starts from the session, and a user without
    // any role must still come back (with no grant rows). Foreign keys make `r` present for every `ur`.
    return query
      .leftJoin('roles as r', 'r.code', 'ur.role_code')
      .leftJoin('role_permissions as rp', 'rp.role_code', 'r.code')
      .leftJoin('permissions as p', (join) => join.onRef('p.code', '=', 'rp.permission_code').on('p.active', '=', true))
      .select([
        'ur.user_id as g_user_id',
        'ur.role_code as g_role_code',
        'ur.assigned_at as g_assigned_at',
        'ur.assigned_by as g_assigned_by',
        'ur.expires_at as g_expires_at',
        'r.code as r_code',
        'r.name as r_name',
        'r.description as r_description',
        'r.level as r_level',
        'r.active as r_active',
        'r.created_at as r_created_at',
        'r.updated_at as r_updated_at',
        'p.code as p_code',
      ])
      .$castTo<Row>() as unknown as SelectQueryBuilder<Database, never, Row>;
  }

  /**
   * The session query: the session's and the user's columns, the session's stamp and the
   * catalogue version as one JSON array (`document`); the user's assignments inside it or as
   * rows beside it (see {@link SqlDialect.sessionAssignments}); and the role catalogue
   * (`catalog`, see `role-catalog.ts`): with `known`, the stored one when the database's
   * version is not `known`; with `null`, built from the tables.
   */
  #sessionQuery(tokenHash: string, known: string | null) {
    const d = this.#dialect.json;
    const value = (column: string): Expression<unknown> => (TIMESTAMP_COLUMNS.has(column.slice(column.indexOf('.') + 1)) ? d.instant(sql.ref(column)) : sql.ref(column));
    const parts: Expression<unknown>[] = [
      ...SESSION_COLUMNS.map((c) => value(`sessions.${c}`)),
      ...USER_COLUMNS.map((c) => value(`users.${c}`)),
      sql.ref('sessions.stamp'),
      sql.ref('c.version'),
    ];
    const catalog = (known === null ? builtCatalogColumn(this.#db, this.#dialect) : catalogColumn(sql.ref('c.version'), known, sql.ref('c.document'))).as('catalog');
    const base = this.#db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .leftJoin('role_catalog as c', (join) => join.on('c.id', '=', sql.lit(1)))
      .where('sessions.token_hash', '=', tokenHash);
    if (this.#dialect.sessionAssignments === 'document') {
      const assignments = this.#db
        .selectFrom('user_roles as ur')
        .where('ur.user_id', '=', sql.ref<string>('users.id'))
        .select(d.arrayAgg(d.array([sql.ref('ur.role_code'), value('ur.assigned_at'), sql.ref('ur.assigned_by'), value('ur.expires_at')])).as('assignments'));
      return base.select([d.array([...parts, assignments]).as('document'), catalog]);
    }
    return base
      .leftJoin('user_roles as ur', 'ur.user_id', 'users.id')
      .select([d.array(parts).as('document'), 'ur.role_code as role_code', 'ur.assigned_at as assigned_at', 'ur.assigned_by as assigned_by', 'ur.expires_at as expires_at', catalog]);
  }

  // sessions

  insertSession(session: SessionRecord): Promise<void> {
    return this.#run(async (db) => {
      await db
        .insertInto('sessions')
        .values({
          id: session.id,
          user_id: session.userId,
          token_hash: session.tokenHash,
          ip: session.ip,
          user_agent: session.userAgent,
          remember_me: session.rememberMe,
          created_at: session.createdAt,
          last_active_at: session.lastActiveAt,
          expires_at: session.expiresAt,
          revoked_at: session.revokedAt,
        })
        .execute();
    });
  }

  /**
   * The session, its user and the user's grants, with the session's stamp as its revision, in
   * one round trip: the grants from the user's assignments and the role catalogue this store
   * holds, which the same statement sends again when its version changed (`role-catalog.ts`).
   */
  findSessionByTokenHash(tokenHash: string): Promise<SessionBundle | null> {
    return this.#run(async () => {
      const held = this.#catalog.known;
      const first = held === '' ? undefined : await this.#readSession(tokenHash, held);
      // No catalogue held, or the answer needs one it did not carry: the catalogue built from the tables, in the same statement.
      return first !== undefined ? first : ((await this.#readSession(tokenHash, null)) ?? null);
    });
  }

  /** One session query (see {@link #sessionQuery}); `undefined` when the answer needs a catalogue it did not carry. */
  async #readSession(tokenHash: string, known: string | null): Promise<SessionBundle | null | undefined> {
    const rows =
      known === null
        ? await this.#executeCompiled('findSessionByTokenHash:catalog', (slot) => this.#sessionQuery(slot(0), null), [tokenHash])
        : await this.#executeCompiled('findSessionByTokenHash', (slot) => this.#sessionQuery(slot(0), slot(1)), [tokenHash, known]);
    const row = rows[0];
    if (row === undefined) return null;
    const { session, user, rest } = fromSessionAndUser(row['document']);
    const [stamp, version, inside] = rest;
    let assignments: CatalogAssignment[];
    if (this.#dialect.sessionAssignments === 'document') {
      const items = parseJson(inside);
      assignments = [];
      if (Array.isArray(items)) {
        for (const item of items) {
          const a = parseJson(item) as unknown[];
          assignments.push(toCatalogAssignment(a[0], a[1], a[2], a[3]));
        }
      }
    } else {
      assignments = [];
      for (const r of rows) if (r['role_code'] !== null && r['role_code'] !== undefined) assignments.push(toCatalogAssignment(r['role_code'], r['assigned_at'], r['assigned_by'], r['expires_at']));
    }
    // Kept only outside a transaction: inside one, the catalogue may hold writes not yet committed.
    let roles = this.#catalog.resolve(version, row['catalog'], !this.#inTransaction);
    if (roles === null) {
      if (known !== null) return undefined;
      // Even the catalogue built in the statement could not be read (see readCatalogFromTables()).
      roles = await readCatalogFromTables(this.#db);
    }
    const grants = grantsFromCatalog(user.id, assignments, roles, known === null ? 'skip' : 'fail');
    if (grants === null) return undefined;
    return { session, user, grants, revision: Number(stamp) };
  }

  /**
   * The session's stamp, one small read: every write that changes the session (its renewal,
   * its revocation) or its user, the user's roles or their permissions bumps it in the writing
   * transaction, whichever process writes. Writes made to the tables by other means do not.
   */
  findSessionRevision(tokenHash: string): Promise<number | null> {
    return this.#run(async () => {
      const rows = await this.#executeCompiled('sessionStamp', (slot) => this.#db.selectFrom('sessions').select('stamp').where('token_hash', '=', slot(0)), [tokenHash]);
      const row = rows[0];
      return row === undefined ? null : Number(row['stamp']);
    });
  }

  findSessionById(id: string): Promise<SessionRecord | null> {
    return this.#run(async (db) => {
      const row = await db.selectFrom('sessions').select(SESSION_COLUMNS).where('id', '=', id).executeTakeFirst();
      return row === undefined ? null : toSessionRecord(row);
    });
  }

  listUserSessions(userId: string, now: Date): Promise<SessionRecord[]> {
    return this.#run(async (db) => {
      const rows = await db
        .selectFrom('sessions')
        .select(SESSION_COLUMNS)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .orderBy('last_active_at', 'desc')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toSessionRecord);
    });
  }

  touchSession(id: string, times: { lastActiveAt: Date; expiresAt: Date }): Promise<void> {
    return this.#run(async (db) => {
      await db
        .updateTable('sessions')
        .set((eb) => ({ last_active_at: times.lastActiveAt, expires_at: times.expiresAt, stamp: eb('stamp', '+', 1) }))
        .where('id', '=', id)
        .execute();
    });
  }

  revokeSession(id: string, at: Date): Promise<boolean> {
    return this.#run(async (db) => {
      // The `revoked_at is null` condition makes the row lock decide: one caller updates it, the others match nothing.
      const result = await db
        .updateTable('sessions')
        .set((eb) => ({ revoked_at: at, stamp: eb('stamp', '+', 1) }))
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  revokeUserSessions(userId: string, options: { at: Date; exceptId?: string | undefined }): Promise<number> {
    return this.#run(async (db) => {
      let update = db
        .updateTable('sessions')
        .set((eb) => ({ revoked_at: options.at, stamp: eb('stamp', '+', 1) }))
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null);
      if (options.exceptId !== undefined) update = update.where('id', '<>', options.exceptId);
      const result = await update.executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  deleteSessionsBefore(before: Date): Promise<number> {
    return this.#run(async (db) => {
      const result = await db
        .deleteFrom('sessions')
        .where((eb) => eb.or([eb('expires_at', '<=', before), eb.and([eb('revoked_at', 'is not', null), eb('revoked_at', '<=', before)])]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  // one-time keys

  insertOneTimeKey(key: OneTimeKey): Promise<void> {
    return this.#run(async (db) => {
      await db
        .insertInto('one_time_keys')
        .values({
          id: key.id,
          user_id: key.userId,
          purpose: key.purpose,
          key_hash: key.keyHash,
          sent_to: key.sentTo,
          created_at: key.createdAt,
          expires_at: key.expiresAt,
          used_at: key.usedAt,
          used_ip: key.usedIp,
          voided_at: key.voidedAt,
        })
        .execute();
    });
  }

  findOneTimeKey(keyHash: string): Promise<OneTimeKey | null> {
    return this.#run(async (db) => {
      const row = await db.selectFrom('one_time_keys').select(KEY_COLUMNS).where('key_hash', '=', keyHash).executeTakeFirst();
      return row === undefined ? null : toOneTimeKey(row);
    });
  }

  consumeOneTimeKey(keyHash: string, options: { purpose: KeyPurpose; at: Date; ip: string | null }): Promise<OneTimeKey | null> {
    return this.#run(async (db) => {
      // One conditional UPDATE: concurrent callers queue on the row lock and re-check the
      // condition after the winner commits, so exactly one of them matches the row.
      const update = db
        .updateTable('one_time_keys')
        .set({ used_at: options.at, used_ip: options.ip })
        .where('key_hash', '=', keyHash)
        .where('purpose', '=', options.purpose)
        .where('used_at', 'is', null)
        .where('voided_at', 'is', null)
        .where('expires_at', '>', options.at);
      if (this.#dialect.updateReturning) {
        const row = await update.returning(KEY_COLUMNS).executeTakeFirst();
        return row === undefined ? null : toOneTimeKey(row);
      }
      const result = await update.executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return null;
      // Only this caller used the key; reading it back sees the values it wrote.
      const row = await db.selectFrom('one_time_keys').select(KEY_COLUMNS).where('key_hash', '=', keyHash).executeTakeFirst();
      return row === undefined ? null : toOneTimeKey(row);
    });
  }

  voidOneTimeKeys(userId: string, purpose: KeyPurpose, at: Date): Promise<number> {
    return this.#run(async (db) => {
      const result = await db
        .updateTable('one_time_keys')
        .set({ voided_at: at })
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .where('voided_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  // password history

  appendPasswordHistory(entry: PasswordHistoryEntry): Promise<void> {
    return this.#run(async (db) => {
      await db
        .insertInto('password_history')
        .values({
          id: entry.id,
          user_id: entry.userId,
          password_hash: entry.passwordHash,
          changed_at: entry.changedAt,
          reason: entry.reason,
          forced: entry.forced,
        })
        .execute();
    });
  }

  listPasswordHistory(userId: string, limit: number): Promise<PasswordHistoryEntry[]> {
    return this.#run(async (db) => {
      const rows = await db
        .selectFrom('password_history')
        .select(HISTORY_COLUMNS)
        .where('user_id', '=', userId)
        .orderBy('changed_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toPasswordHistoryEntry);
    });
  }

  // login attempts

  insertLoginAttempt(attempt: LoginAttempt): Promise<void> {
    return this.#run(async (db) => {
      await db
        .insertInto('login_attempts')
        .values({ id: attempt.id, email: attempt.email, user_id: attempt.userId, ip: attempt.ip, success: attempt.success, created_at: attempt.createdAt })
        .execute();
    });
  }

  markLoginAttemptSucceeded(id: string): Promise<void> {
    return this.#run(async (db) => {
      await db.updateTable('login_attempts').set({ success: true }).where('id', '=', id).execute();
    });
  }

  listLoginFailures(filter: LoginFailureFilter, options: { since: Date; limit: number }): Promise<Date[]> {
    return this.#run(async (db) => {
      let query = db.selectFrom('login_attempts').select('created_at');
      query = 'email' in filter ? query.where('email', '=', filter.email) : query.where('ip', '=', filter.ip);
      const rows = await query
        .where('created_at', '>=', options.since)
        .where('success', '=', false)
        .orderBy('created_at', 'desc')
        .limit(options.limit)
        .execute();
      return rows.map((r) => toDate(r.created_at));
    });
  }

  deleteLoginAttemptsBefore(before: Date): Promise<number> {
    return this.#run(async (db) => {
      const result = await db.deleteFrom('login_attempts').where('created_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  // sign-in in two statements (see sign-in-queries.ts)

  /** One `CALL` (migration 0013's procedure): commits the attempt, then reads the user and counts the lockout in a new snapshot. Outside any transaction. */
  async startSignIn(start: SignInStart): Promise<SignInState> {
    if (this.#inTransaction) throw new TypeError('startSignIn() commits its attempt first: call it outside a transaction');
    return this.#run((db) => startSignIn(this.#signIn(db), start));
  }

  /** One statement: PostgreSQL's data-modifying `WITH`, MySQL's procedure. Other sessions' stamps stay: nothing they show changed. */
  finishSignIn(finish: SignInFinish): Promise<UserRecord | null> {
    // MySQL's procedure runs a transaction of its own: it would commit the caller's.
    if (this.#inTransaction) throw new TypeError('finishSignIn() is atomic on its own: call it outside a transaction');
    return this.#run((db) => writeSignIn(this.#signIn(db), finish));
  }

  /** What the sign-in's statements run with (outside a transaction: straight to the pool when the store has it). */
  #signIn(db: Kysely<Database>): SignInContext {
    return { ...this.#statements(db), prefix: this.#prefix, flush: this.#flushSignIns };
  }

  rememberDevice(userId: string, deviceHash: string, at: Date): Promise<void> {
    return this.#run((db) => insertDevice(db, this.#dialect, userId, deviceHash, at));
  }

  // rate limits

  /**
   * One upsert counts the hit: the row lock of the key's window serialises concurrent hits,
   * on every process sharing the database. A window that ended starts again at 1.
   */
  hitRateLimit(key: string, hit: RateLimitHit): Promise<RateLimitDecision> {
    const keyHash = createHash('sha256').update(key).digest('hex');
    const resetAt = new Date(hit.at.getTime() + hit.window * 1000);
    const returning = this.#dialect.updateReturning;
    const count = async (db: Kysely<Database>): Promise<RateLimitDecision> => {
      const ended = sql<boolean>`${sql.ref('rate_limits.reset_at')} <= ${hit.at}`;
      const upsert = this.#dialect.onConflict(db.insertInto('rate_limits').values({ key_hash: keyHash, hits: 1, reset_at: resetAt }), ['key_hash'], {
        // Both read the window as it was: PostgreSQL evaluates SET on the old row, MySQL assigns left to right.
        hits: sql<number>`case when ${ended} then 1 else ${sql.ref('rate_limits.hits')} + 1 end`,
        reset_at: sql<Date>`case when ${ended} then ${resetAt} else ${sql.ref('rate_limits.reset_at')} end`,
      });
      const row = returning
        ? await upsert.returning(['hits', 'reset_at']).executeTakeFirstOrThrow()
        : (await upsert.execute(), await db.selectFrom('rate_limits').select(['hits', 'reset_at']).where('key_hash', '=', keyHash).executeTakeFirstOrThrow());
      return rateLimitDecision(Number(row.hits), hit.limit, toDate(row.reset_at), hit.at);
    };
    // Without RETURNING the row is read back in the same transaction, still locked by the upsert.
    return returning ? this.#run(count) : this.#atomic(count);
  }

  deleteRateLimitsBefore(before: Date): Promise<number> {
    return this.#run(async (db) => {
      const result = await db.deleteFrom('rate_limits').where('reset_at', '<=', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  // activity

  appendActivity(activity: Activity): Promise<void> {
    return this.#run(async (db) => {
      await db.insertInto('activities').values(activityRow(activity)).execute();
    });
  }

  listActivities(query: ActivityQuery): Promise<Page<Activity>> {
    return this.#run(async (db) => {
      let filtered = db.selectFrom('activities');
      if (query.subjectId !== undefined) filtered = filtered.where('subject_id', '=', query.subjectId);
      if (query.actorId !== undefined) filtered = filtered.where('actor_id', '=', query.actorId);
      if (query.action !== undefined) {
        const action = query.action;
        if (!action.endsWith('.')) filtered = filtered.where('action', '=', action);
        else {
          // A prefix reads the index of the action's first segment (0007) in the log's order; a
          // deeper prefix (`user.role.`) narrows it further.
          filtered = filtered.where(this.#actionModule(), '=', action.slice(0, action.indexOf('.')));
          if (action.indexOf('.') !== action.length - 1) filtered = filtered.where('action', 'like', `${likeLiteral(action)}%`);
        }
      }
      if (query.from !== undefined) filtered = filtered.where('created_at', '>=', query.from);
      if (query.to !== undefined) filtered = filtered.where('created_at', '<', query.to);
      const counted = await this.#countUpTo(db, 'activities', filtered, query.countLimit);
      if (counted.total === 0 || (counted.totalExact && query.after === undefined && query.offset >= counted.total)) return { items: [], ...counted };
      // Late row lookup: the page's keys first, from the filter's index alone (every activity index
      // ends in created_at and the row's id), then the rows of those keys by primary key. A deep
      // OFFSET then skips index entries, not rows; and with only indexed columns asked for, MariaDB
      // reads a cursor's range (filter, created_at <= t) where, for the whole row, it walked the
      // filter's entries from the newest and fetched every skipped row. A join, not `id in (…)`:
      // MySQL refuses LIMIT in an IN subquery.
      const keys = filtered
        .select(['id', 'created_at'])
        .$call((q) => (query.after === undefined ? q : q.where((eb) => after(eb, query.after!))))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit)
        .offset(query.offset);
      const rows = await db
        .selectFrom(keys.as('page'))
        .innerJoin('activities', 'activities.id', 'page.id')
        .select(ACTIVITY_COLUMNS.map((column) => `activities.${column}` as const))
        .orderBy('page.created_at', 'desc')
        .orderBy('page.id', 'desc')
        .execute();
      return { items: rows.map(toActivity), ...counted };
    });
  }

  /**
   * The first segment of an activity's action, as its index has it: an expression on
   * PostgreSQL (with `'.'` a literal, as in the index), the virtual column on MySQL/MariaDB.
   */
  #actionModule(): Expression<string> {
    return this.#dialect.name === 'postgres' ? sql<string>`split_part(${sql.ref('action')}, ${sql.lit('.')}, 1)` : sql.ref<string>('action_module');
  }

  /**
   * Deletes rows past their retention, `limit` at a time per condition, each statement on its
   * own (PostgreSQL: `… where id in (select id … limit n)`; MySQL: `delete … limit n`), through
   * the time indexes (0001, 0007).
   */
  async deleteExpired(rows: ExpiredRows): Promise<DeletedRows> {
    const limit = rows.limit;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError('deleteExpired(): limit must be a whole number ≥ 1');
    const d = this.#dialect;
    const batch = (table: keyof Database, column: string, before: Date | null): Promise<number> => {
      if (before === null) return Promise.resolve(0);
      const name = d.quoteIdentifier(`${this.#prefix}${table}`);
      const condition = `${d.quoteIdentifier(column)} < ${d.placeholder(1)}`;
      const statement =
        d.name === 'postgres'
          ? `delete from ${name} where id in (select id from ${name} where ${condition} limit ${limit})`
          : `delete from ${name} where ${condition} limit ${limit}`;
      return this.#run(async (db) => {
        const result = await db.executeQuery(CompiledQuery.raw(statement, [d.toParameter(before)]));
        return Number(result.numAffectedRows ?? 0);
      });
    };
    // One after another: inside a transaction they share its one connection, which runs one statement at a time.
    const loginAttempts = await batch('login_attempts', 'created_at', rows.loginAttemptsBefore);
    const expiredSessions = await batch('sessions', 'expires_at', rows.sessionsBefore);
    const revokedSessions = await batch('sessions', 'revoked_at', rows.sessionsBefore);
    const expiredKeys = await batch('one_time_keys', 'expires_at', rows.oneTimeKeysBefore);
    const usedKeys = await batch('one_time_keys', 'used_at', rows.oneTimeKeysBefore);
    const activities = await batch('activities', 'created_at', rows.activitiesBefore);
    return { loginAttempts, sessions: expiredSessions + revokedSessions, oneTimeKeys: expiredKeys + usedKeys, activities };
  }

  deleteActivitiesBefore(before: Date): Promise<number> {
    return this.#run(async (db) => {
      const result = await db.deleteFrom('activities').where('created_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  // two-factor authentication

  findTwoFactor(userId: string): Promise<TwoFactorRecord | null> {
    return this.#run(async (db) => {
      const row = await db.selectFrom('two_factor').select(TWO_FACTOR_COLUMNS).where('user_id', '=', userId).executeTakeFirst();
      return row === undefined ? null : toTwoFactor(row);
    });
  }

  upsertTwoFactor(record: TwoFactorRecord): Promise<void> {
    return this.#run(async (db) => {
      const row = {
        user_id: record.userId,
        secret: record.secret,
        enabled_at: record.enabledAt,
        last_step: record.lastStep,
        created_at: record.createdAt,
        updated_at: record.updatedAt,
      };
      const { user_id: _userId, ...rest } = row;
      try {
        await this.#dialect.onConflict(db.insertInto('two_factor').values(row), ['user_id'], rest).execute();
      } catch (error) {
        if (this.#dialect.isForeignKeyViolation(error)) throw new AuthError('NOT_FOUND', { message: `No user ${record.userId}.`, cause: error });
        throw error;
      }
    });
  }

  deleteTwoFactor(userId: string): Promise<boolean> {
    return this.#run(async (db) => {
      const result = await db.deleteFrom('two_factor').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  advanceTwoFactorStep(userId: string, step: number): Promise<boolean> {
    return this.#run(async (db) => {
      // One conditional UPDATE, as for keys: of concurrent callers with one step, one matches.
      const result = await db
        .updateTable('two_factor')
        .set({ last_step: step })
        .where('user_id', '=', userId)
        .where('last_step', '<', step)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }
}

function activityRow(activity: Activity): Insertable<Database['activities']> {
  return {
    id: activity.id,
    subject_id: activity.subjectId,
    actor_id: activity.actorId,
    action: activity.action,
    details: activity.details,
    ip: activity.ip,
    user_agent: activity.userAgent,
    metadata: JSON.stringify(activity.metadata),
    created_at: activity.createdAt,
  };
}

/** An identifier row; MySQL answers the value's bytes as a Buffer, read back as UTF-8. */
/** A row's values in the order of `columns`. */
const rowValues = <R extends object>(row: R, columns: readonly string[]): unknown[] => columns.map((c) => (row as Record<string, unknown>)[c] ?? null);

const toIdentifier = (row: { user_id: string; name: string; value: string | Uint8Array }): UserIdentifier => ({
  userId: row.user_id,
  name: row.name,
  value: typeof row.value === 'string' ? row.value : Buffer.from(row.value).toString('utf8'),
});

/**
 * Rows in slices small enough for one multi-row INSERT each: PostgreSQL and MySQL take at
 * most 65,535 parameters per statement, and a thousand rows already pay for the round trip.
 */
function chunks<T>(rows: readonly T[], columns: number): T[][] {
  const size = Math.min(1000, Math.floor(60_000 / columns));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** The columns a patch sets: only the fields it defines; `id` and `createdAt` never change. */
function userPatchRow(patch: UserPatch): Updateable<UsersTable> {
  const set: Updateable<UsersTable> = { updated_at: patch.updatedAt };
  if (patch.email !== undefined) set.email = patch.email;
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.passwordHash !== undefined) set.password_hash = patch.passwordHash;
  if (patch.status !== undefined) set.status = patch.status;
  if (patch.statusReason !== undefined) set.status_reason = patch.statusReason;
  if (patch.statusUntil !== undefined) set.status_until = patch.statusUntil;
  if (patch.emailVerifiedAt !== undefined) set.email_verified_at = patch.emailVerifiedAt;
  if (patch.mustChangePassword !== undefined) set.must_change_password = patch.mustChangePassword;
  if (patch.locale !== undefined) set.locale = patch.locale;
  if (patch.attributes !== undefined) set.attributes = JSON.stringify(patch.attributes);
  if (patch.lastLoginAt !== undefined) set.last_login_at = patch.lastLoginAt;
  return set;
}

/** The columns of a `user_roles` row the store writes: the last, `user_created_at`, a {@link CreatedAtOf}. */
const ASSIGNMENT_COLUMNS = ['user_id', 'role_code', 'assigned_at', 'assigned_by', 'expires_at', 'user_created_at'] as const;

/** A value of a batch insert that is the `created_at` of user `userId`, read by the insert itself. */
class CreatedAtOf {
  constructor(readonly userId: string) {}
}

/** A page with nothing in it, as a store answers it. */
function emptyPage<T>(countLimit: number | undefined): Page<T> {
  return countLimit === undefined ? { items: [], total: 0 } : { items: [], total: 0, totalExact: true };
}

/**
 * Rows after `start` in the order `created_at desc, id desc`: one range of the (…, created_at,
 * id) indexes (`created_at <= t`), read backwards, and a filter for the ties at `t`. Spelled
 * out as `(created_at < t or (created_at = t and id < i))`, MariaDB made two ranges of it and
 * sorted every older row instead of reading the index in order.
 */
function after(eb: ExpressionBuilder<Database, 'users'> | ExpressionBuilder<Database, 'activities'>, start: PageStart) {
  const e = eb as unknown as ExpressionBuilder<Database, 'users'>;
  return e.and([e('created_at', '<=', start.createdAt), e.or([e('created_at', '<', start.createdAt), e('id', '<', start.id)])]);
}
