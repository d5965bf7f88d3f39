import { CompiledQuery, type Transaction } from 'kysely';
import type { AppQueryResult, AppTransaction } from 'gatehouse';

/** Where a SQL store's handle keeps its Kysely transaction; `Symbol.for`, so that the ESM and CJS builds recognise each other's handles. */
const KYSELY = Symbol.for('gatehouse.sqlAppTransaction.kysely');

/** A Kysely transaction of unknown tables; the application names its own in {@link transactionKysely}. */
type AnyTransaction = Transaction<Record<string, never>>;

/**
 * The {@link AppTransaction} of the PostgreSQL and MySQL stores: SQL on the connection of
 * gatehouse's running transaction, through a Kysely instance without gatehouse's plugins
 * (no table prefix, no date conversion), so that the application's tables keep their names.
 */
export class SqlAppTransaction implements AppTransaction {
  readonly #trx: AnyTransaction;
  #ended = false;

  constructor(
    trx: { withoutPlugins(): unknown },
    readonly dialect: 'postgres' | 'mysql',
  ) {
    this.#trx = trx.withoutPlugins() as AnyTransaction;
    Object.defineProperty(this, KYSELY, { value: () => this.#live() });
  }

  async query(sql: string, parameters: readonly unknown[] = []): Promise<AppQueryResult> {
    if (typeof sql !== 'string' || sql.trim() === '') throw new TypeError('transaction.query(sql, parameters): sql must be a non-empty string');
    if (!Array.isArray(parameters)) throw new TypeError('transaction.query(sql, parameters): parameters must be an array');
    const result = await this.#live().executeQuery<Record<string, unknown>>(CompiledQuery.raw(sql, [...parameters]));
    return { rows: result.rows, affectedRows: result.numAffectedRows === undefined ? undefined : Number(result.numAffectedRows) };
  }

  /** @internal Called by the store when the transaction committed or rolled back. */
  end(): void {
    this.#ended = true;
  }

  #live(): AnyTransaction {
    if (this.#ended) throw new TypeError('The gatehouse transaction has ended: use its handle only while onRegister or the listener runs.');
    return this.#trx;
  }
}

/**
 * The Kysely transaction behind the `transaction` handed to `onRegister` and to
 * transaction-phase listeners by the PostgreSQL or MySQL store, typed with the
 * application's own tables. It carries none of gatehouse's plugins: table names are
 * written as they are in the database (gatehouse's own with their `tablePrefix`).
 * Valid only while the hook or listener runs.
 *
 * @throws {TypeError} — the handle is not a SQL store's (the memory store's refuses every query), or the transaction has ended.
 *
 * @example
 * ```ts
 * import { transactionKysely } from 'gatehouse/postgres';
 *
 * interface AppTables { clientes_winet: { id_user: string; nombre: string; correo: string; estado: string } }
 *
 * registration: {
 *   onRegister: async (user, { transaction }) => {
 *     await transactionKysely<AppTables>(transaction)
 *       .insertInto('clientes_winet')
 *       .values({ id_user: user.id, nombre: user.name, correo: user.email, estado: 'activo' })
 *       .execute();
 *   },
 * }
 * ```
 */
export function transactionKysely<DB>(transaction: AppTransaction): Transaction<DB> {
  const live = (transaction as unknown as Partial<Record<typeof KYSELY, () => AnyTransaction>> | null)?.[KYSELY];
  if (typeof live !== 'function') {
    throw new TypeError('transactionKysely(): this handle is not from a PostgreSQL or MySQL store of gatehouse (the memory store offers no SQL transaction)');
  }
  return live() as unknown as Transaction<DB>;
}
