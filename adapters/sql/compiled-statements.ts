import { CompiledQuery, type Kysely } from 'kysely';
import type { Row } from './rows.js';
import type { Database } from './schema.js';
import type { DirectQuery } from './sql-auth-store.js';
import type { SqlDialect } from './sql-dialect.js';

/*
 * Hot statements compiled once per store: building and compiling a query of this size with
 * Kysely costs more CPU than the database takes to answer it. A statement is compiled with a
 * marker in place of each value, and the markers become slots that each call fills.
 */

/** A compiled query whose parameters are either fixed values or slots filled at each call. */
export interface CompiledTemplate {
  readonly sql: string;
  /** Each parameter: a fixed value, or `{ slot }` — the index of a value given at the call. */
  readonly parameters: readonly (unknown | { readonly slot: number })[];
}

/** What runs compiled statements: the store's Kysely instance and dialect, its templates, and its pool. */
export interface StatementRunner {
  readonly db: Kysely<Database>;
  readonly dialect: SqlDialect;
  /** The store's templates, shared by the store and its transactions. */
  readonly compiled: Map<string, CompiledTemplate>;
  /** The pool itself, bypassing Kysely's connection plumbing; `null` inside a transaction, or when the store has only a Kysely instance. */
  readonly direct: DirectQuery | null;
}

/** Stands for the value at `index` while a statement is compiled; no real value looks like it. */
export const slotMarker = (index: number): string => `\u0000gatehouse-slot-${index}\u0000`;
const SLOT = /^\u0000gatehouse-slot-(\d+)\u0000$/;

const isSlot = (p: unknown): p is { readonly slot: number } => typeof p === 'object' && p !== null && 'slot' in p;

/** Runs the statement `build` compiles (with {@link slotMarker}s for values), compiled once under `key`, with `values` in its slots. */
export async function executeCompiled(runner: StatementRunner, key: string, build: () => CompiledQuery, values: readonly unknown[]): Promise<Row[]> {
  let template = runner.compiled.get(key);
  if (template === undefined) {
    const compiled = build();
    template = {
      sql: compiled.sql,
      parameters: compiled.parameters.map((p) => {
        const slot = typeof p === 'string' ? SLOT.exec(p) : null;
        return slot === null ? p : { slot: Number(slot[1]) };
      }),
    };
    runner.compiled.set(key, template);
  }
  const parameters = template.parameters.map((p) => runner.dialect.toParameter(isSlot(p) ? values[p.slot] : p));
  if (runner.direct !== null) return runner.direct(template.sql, parameters);
  return (await runner.db.executeQuery<Row>(CompiledQuery.raw(template.sql, parameters))).rows;
}
