import { randomBytes } from 'node:crypto';
import { immutableDate, type Role, type RoleGrant } from 'gatehouse';
import { sql, type Expression, type Kysely, type RawBuilder } from 'kysely';
import { parseJson, toBool, toDate, toDateOrNull, toRole } from './rows.js';
import { ROLE_COLUMNS, type Database } from './schema.js';
import type { SqlDialect, SqlJsonFunctions } from './sql-dialect.js';

/*
 * The role catalogue (issue 21): every role with the codes of its active permissions, kept by
 * the SQL store in process memory, so that the first validation of a session reads the
 * session, its user and the user's assignments — not every role and permission table again.
 *
 * It is checked in the session query itself. `role_catalog` holds one row (migration 0011): a
 * version, and the catalogue as of that version as JSON text. Every write to `roles`,
 * `permissions` or `role_permissions` through the store sets the version to a fresh random
 * value as its first statement (random, not a counter: a table emptied and filled again must
 * not repeat an old value; and writers queue on that row) and stores the catalogue again as its
 * last, in its transaction. The session query of a process that holds a catalogue reads the
 * version and `CASE WHEN version = $known THEN NULL ELSE document END`: a stale process gets
 * the new catalogue in the same round trip, under the statement's one snapshot, so catalogue
 * and version always agree. It is a column, not the subqueries that build it, because MariaDB
 * optimises a statement on every call, unexecuted subqueries included (~0.4 ms for these).
 *
 * A process that holds none (its first validation, or an answer that needs a catalogue the row
 * has not got) reads it built from the tables, in the same statement: its first catalogue
 * never depends on the stored copy. A catalogue read inside a transaction is used for that
 * answer but not kept: it may hold the transaction's own writes, which may yet roll back.
 * Writes to those tables by other means (plain SQL) change neither version nor document: a
 * running process sees them at the next role or permission write through a store, or when an
 * assignment names a role its catalogue lacks.
 */

/** A role of the catalogue: the role and the sorted codes of its active permissions, shared (frozen) by every grant of it. */
export interface CatalogRole {
  readonly role: Role;
  readonly permissions: readonly string[];
}

/** One `user_roles` row of a session's user, as the session query reads it. */
export interface CatalogAssignment {
  readonly roleCode: string;
  readonly assignedAt: Date;
  readonly assignedBy: string | null;
  readonly expiresAt: Date | null;
}

/** A fresh catalogue version: 128 random bits in hex, never `''` (the version of "none held"). */
export function freshCatalogVersion(): string {
  return randomBytes(16).toString('hex');
}

/**
 * Sets the catalogue version to a fresh value, in the writing transaction: the first statement
 * of every role or permission write, so that such writers queue on the one row. An upsert, so
 * that a database whose row was deleted gets one again.
 */
export async function bumpCatalogVersion(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const version = freshCatalogVersion();
  await dialect.onConflict(db.insertInto('role_catalog').values({ id: 1, version, document: null }), ['id'], { version, document: null }).execute();
}

/** Stores the catalogue as the writing transaction now sees it: the last statement of every role or permission write. */
export async function storeCatalogDocument(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const document = catalogDocument(db, dialect.json);
  await db
    .updateTable('role_catalog')
    // MariaDB cuts JSON_ARRAYAGG at `group_concat_max_len` (1 MB by default): a catalogue that is
    // not whole JSON is stored as null, so that readers build it from the tables.
    .set({ document: dialect.name === 'postgres' ? sql<string>`(${document})` : sql<string>`(select case when json_valid(d) then d end from (select (${document}) as d) as whole)` })
    .where('id', '=', 1)
    .execute();
}

/**
 * The whole catalogue as one JSON array, for the session query: per role its columns (instants
 * as the dialect's JSON instants) and the array of its active permissions' codes.
 */
export function catalogDocument(db: Kysely<Database>, d: SqlJsonFunctions): Expression<unknown> {
  const permissions = db
    .selectFrom('role_permissions as crp')
    .innerJoin('permissions as cp', 'cp.code', 'crp.permission_code')
    .where('crp.role_code', '=', sql.ref<string>('cr.code'))
    .where('cp.active', '=', true)
    .select(d.arrayAgg(sql.ref('cp.code')).as('codes'));
  const roles = db
    .selectFrom('roles as cr')
    .select(
      d
        .arrayAgg(
          d.array([
            sql.ref('cr.code'),
            sql.ref('cr.name'),
            sql.ref('cr.description'),
            sql.ref('cr.level'),
            sql.ref('cr.active'),
            d.instant(sql.ref('cr.created_at')),
            d.instant(sql.ref('cr.updated_at')),
            permissions,
          ]),
        )
        .as('catalog'),
    );
  return roles;
}

/**
 * The catalogue built in the session query, as text on MySQL/MariaDB: `mysql2` parses a JSON
 * column itself and fails the whole query on a catalogue MariaDB cut short; as text, the store
 * sees that and reads the tables instead (see {@link readCatalogFromTables}).
 */
export function builtCatalogColumn(db: Kysely<Database>, dialect: SqlDialect): RawBuilder<unknown> {
  const document = catalogDocument(db, dialect.json);
  return dialect.name === 'postgres' ? sql`(${document})` : sql`cast((${document}) as char)`;
}

/** The session query's catalogue column for a process holding `known`: `null` when the database's version is `known`, else the stored catalogue. */
export function catalogColumn(version: Expression<unknown>, known: string, document: Expression<unknown>): RawBuilder<unknown> {
  return sql`case when ${version} = ${known} then null else ${document} end`;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The roles of a catalogue document, by code. */
function parseCatalog(document: unknown): Map<string, CatalogRole> {
  const roles = new Map<string, CatalogRole>();
  const items = parseJson(document);
  if (!Array.isArray(items)) return roles;
  for (const item of items) {
    // MariaDB nests a subquery's JSON as text; MySQL 8 and PostgreSQL as JSON.
    const r = parseJson(item) as unknown[];
    const codes = parseJson(r[7]);
    const role: Role = Object.freeze({
      code: String(r[0]),
      name: String(r[1]),
      description: String(r[2]),
      level: Number(r[3]),
      active: toBool(r[4]),
      // Immutable: every bundle of this process hands out this one object (the port: nothing handed out may change what a store holds).
      createdAt: immutableDate(toDate(r[5])),
      updatedAt: immutableDate(toDate(r[6])),
    });
    const permissions = Object.freeze(Array.isArray(codes) ? codes.map(String).sort(compare) : []);
    roles.set(role.code, Object.freeze({ role, permissions }));
  }
  return roles;
}

/**
 * The catalogue read from the tables with two plain statements: the fallback for a catalogue
 * document that cannot be read (MariaDB cuts `JSON_ARRAYAGG` at `group_concat_max_len`, 1 MB
 * by default: thousands of roles). Not kept: it has no version of its own.
 */
export async function readCatalogFromTables(db: Kysely<Database>): Promise<Map<string, CatalogRole>> {
  const roleRows = await db.selectFrom('roles').select(ROLE_COLUMNS).execute();
  const grantRows = await db
    .selectFrom('role_permissions as rp')
    .innerJoin('permissions as p', 'p.code', 'rp.permission_code')
    .where('p.active', '=', true)
    .select(['rp.role_code as role_code', 'p.code as code'])
    .execute();
  const codes = new Map<string, string[]>();
  for (const g of grantRows) {
    const list = codes.get(g.role_code);
    if (list === undefined) codes.set(g.role_code, [g.code]);
    else list.push(g.code);
  }
  const roles = new Map<string, CatalogRole>();
  for (const row of roleRows) {
    const read = toRole(row);
    const role = Object.freeze({ ...read, createdAt: immutableDate(read.createdAt), updatedAt: immutableDate(read.updatedAt) });
    roles.set(role.code, Object.freeze({ role, permissions: Object.freeze((codes.get(role.code) ?? []).sort(compare)) }));
  }
  return roles;
}

/** The catalogue this process holds, and the version it holds it under. One per store, shared with its transactions' views. */
export class RoleCatalog {
  #version: string | null = null;
  #roles: ReadonlyMap<string, CatalogRole> = new Map();

  /** The version to send as the session query's `known`: `''` while none is held (no version is empty). */
  get known(): string {
    return this.#version ?? '';
  }

  /**
   * The catalogue to resolve one answer of the session query with: the one held when the
   * answer's `version` is the one held; else the one the answer carries (kept for later when
   * `keep` and the database has a version). `null` when neither, or when the one it carries
   * cannot be read: the caller reads it again, built from the tables.
   */
  resolve(version: unknown, document: unknown, keep: boolean): ReadonlyMap<string, CatalogRole> | null {
    const v = version === null || version === undefined ? null : String(version);
    if (v !== null && v === this.#version) return this.#roles;
    if (document === null || document === undefined) return null;
    let roles: Map<string, CatalogRole>;
    try {
      roles = parseCatalog(document);
    } catch {
      return null;
    }
    if (keep && v !== null) {
      this.#version = v;
      this.#roles = roles;
    }
    return roles;
  }

  /** Forgets the catalogue held (the next session query reads it again). */
  clear(): void {
    this.#version = null;
    this.#roles = new Map();
  }
}

/**
 * A user's grants from their assignments and a catalogue, in the port's order (highest level
 * first, then by code). An assignment whose role the catalogue lacks (a role written by other
 * means than the store): with `missing` `fail`, `null`, so that the caller reads the catalogue
 * again; with `skip`, left out (the catalogue is the database's own: the role does not exist).
 */
export function grantsFromCatalog(
  userId: string,
  assignments: readonly CatalogAssignment[],
  roles: ReadonlyMap<string, CatalogRole>,
  missing: 'fail' | 'skip',
): RoleGrant[] | null {
  const grants: RoleGrant[] = [];
  for (const a of assignments) {
    const entry = roles.get(a.roleCode);
    if (entry === undefined) {
      if (missing === 'fail') return null;
      continue;
    }
    grants.push({ userId, roleCode: a.roleCode, assignedAt: a.assignedAt, assignedBy: a.assignedBy, expiresAt: a.expiresAt, role: entry.role, permissions: entry.permissions });
  }
  return grants.sort((a, b) => b.role.level - a.role.level || compare(a.roleCode, b.roleCode));
}

/** An assignment from its four values as the session query reads them (an instant as epoch milliseconds, text or a `Date`). */
export function toCatalogAssignment(roleCode: unknown, assignedAt: unknown, assignedBy: unknown, expiresAt: unknown): CatalogAssignment {
  return { roleCode: String(roleCode), assignedAt: toDate(assignedAt), assignedBy: assignedBy === null || assignedBy === undefined ? null : String(assignedBy), expiresAt: toDateOrNull(expiresAt) };
}
