import type { Expression, SqlBool, InsertQueryBuilder, InsertResult, KyselyPlugin, RawBuilder, UpdateObject } from 'kysely';
import type { Database } from './schema.js';

/** Column types the migrations use, spelled for one database. */
export interface SqlColumnTypes {
  /** A UUID or other identifier compared byte by byte, e.g. `varchar(36)`. */
  readonly id: RawBuilder<unknown>;
  /** A short code or hash compared and ordered byte by byte (role and permission codes, hex hashes). */
  code(length: number): RawBuilder<unknown>;
  /** A bounded string in the database's ordinary collation. */
  string(length: number): RawBuilder<unknown>;
  /** Unbounded text that is never indexed. */
  readonly text: RawBuilder<unknown>;
  /** An instant with millisecond precision, kept in UTC. */
  readonly timestamp: RawBuilder<unknown>;
  readonly boolean: RawBuilder<unknown>;
  readonly integer: RawBuilder<unknown>;
  readonly bigint: RawBuilder<unknown>;
  /** A JSON document. */
  readonly json: RawBuilder<unknown>;
}

/** SQL functions building the JSON documents of the session query (the session and user, the role catalogue). */
export interface SqlJsonFunctions {
  /** A JSON array built from expressions, in order. */
  array(values: readonly Expression<unknown>[]): RawBuilder<unknown>;
  /** An aggregate collecting `value` of every row into a JSON array; an empty array when there are no rows. */
  arrayAgg(value: Expression<unknown>): RawBuilder<unknown>;
  /**
   * An instant as a JSON value `toDate()` reads back, `null` kept: milliseconds since the epoch
   * on PostgreSQL (a JSON number: no date parsing on the way back), the UTC `DATETIME` text on
   * MySQL/MariaDB (their epoch functions depend on the connection's time zone).
   */
  instant(instant: Expression<unknown>): RawBuilder<unknown>;
}

/**
 * The few places where PostgreSQL and MySQL/MariaDB differ, behind one small interface:
 * the shared store and migrations are written once against it.
 */
export interface SqlDialect {
  /** The family, for messages and for the tests. */
  readonly name: 'postgres' | 'mysql';
  /** Column types for the migrations. */
  readonly types: SqlColumnTypes;
  /** Trailing options of `CREATE TABLE` (MySQL: engine and character set), or `null`. */
  readonly tableOptions: RawBuilder<unknown> | null;
  /** Whether `UPDATE … RETURNING` exists (PostgreSQL); otherwise the store reads the row back. */
  readonly updateReturning: boolean;
  /**
   * How an `UPDATE` takes its rows from another query: PostgreSQL's `UPDATE … FROM`, or
   * MySQL's `UPDATE … JOIN` (MariaDB runs `WHERE … IN (subquery)` in an `UPDATE` once per
   * row of the updated table: a full scan).
   */
  readonly updateFrom: 'from' | 'join';
  /** The JSON functions of the session query: the session and its user as one JSON array, and the role catalogue (`role-catalog.ts`). */
  readonly json: SqlJsonFunctions;
  /**
   * How the session query brings the user's assignments: `document`, aggregated inside the
   * one JSON column (PostgreSQL builds it cheaply); `rows`, one row per assignment through a
   * left join, beside the JSON column (MariaDB runs a JSON aggregate in a correlated
   * subquery slower than the join).
   */
  readonly sessionAssignments: 'document' | 'rows';
  /**
   * `EXISTS (subquery)`, a correlated subquery the database must evaluate per row of the
   * outer query through the subquery's index (`users.list()` probing a large set, see
   * `user-list-queries.ts`), never turned into a join that reads the subquery's table first.
   * Both planners turn a plain top-level `EXISTS` into a semi-join and may then read all
   * 100,000 holders of a role (hashing or sorting them) to find one page. PostgreSQL keeps an
   * `EXISTS` whose subquery has an `OFFSET` as a per-row subplan; MySQL/MariaDB keep one that
   * is compared with 1 (no longer a top-level predicate).
   */
  probe(subquery: Expression<unknown>): Expression<SqlBool>;
  /**
   * A small set of user ids (at most a thousand) that must drive a list: read first, then
   * each user by key and sorted. PostgreSQL, estimating a thousand admins among a million
   * users as evenly spread, walks the list's order instead and probes 20,000 users for 20
   * rows; an `OFFSET 0` makes the subquery a set read on its own. MySQL/MariaDB drive a
   * small semi-join from it already (and refuse `LIMIT`/`OFFSET` inside `IN`).
   */
  drive(subquery: Expression<unknown>): Expression<unknown>;
  /** Plugins the store adds to its Kysely instance. */
  readonly plugins: readonly KyselyPlugin[];
  /**
   * Turns an insert into an upsert: on a conflict on `conflict`, applies `set`, or does
   * nothing when `set` is `null`. Foreign keys are still enforced either way.
   */
  onConflict<TB extends keyof Database & string>(
    query: InsertQueryBuilder<Database, TB, InsertResult>,
    conflict: readonly (keyof Database[TB] & string)[],
    set: UpdateObject<Database, TB> | null,
  ): InsertQueryBuilder<Database, TB, InsertResult>;
  /** The `index`-th (1-based) parameter placeholder of a raw statement: `$1` or `?`. */
  placeholder(index: number): string;
  /** A table or column name quoted for a raw statement. */
  quoteIdentifier(name: string): string;
  /** A value as a raw statement's parameter: what the store's plugins would have made of it (MySQL: a `Date` as UTC text). */
  toParameter(value: unknown): unknown;
  /** The name of the unique index a driver error reports as violated, or `null` when it is no unique violation. */
  uniqueViolation(error: unknown): string | null;
  /** Whether a driver error is a foreign-key violation (a referenced row is missing). */
  isForeignKeyViolation(error: unknown): boolean;
  /**
   * Whether a driver error means the database rolled the transaction back to break a
   * deadlock (or a serialization conflict), so that running it again may succeed.
   */
  isDeadlock(error: unknown): boolean;
}
