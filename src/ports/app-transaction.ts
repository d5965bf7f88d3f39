/** What a statement run through {@link AppTransaction.query} resolves. */
export interface AppQueryResult {
  /** The rows the statement returned; `[]` for one that returns none. */
  readonly rows: readonly Record<string, unknown>[];
  /** How many rows an `INSERT`, `UPDATE` or `DELETE` changed, when the database says; otherwise `undefined`. */
  readonly affectedRows: number | undefined;
}

/**
 * The database transaction gatehouse is writing in, handed to `registration.onRegister`
 * and to transaction-phase event listeners as `transaction`, so that the application's own
 * rows (a customer record beside each user) commit and roll back together with gatehouse's.
 *
 * It is opaque to the core: a store hands one from {@link AuthStore.appTransaction}. The
 * PostgreSQL and MySQL stores hand one that runs SQL on the transaction's connection, and
 * their entries' `transactionKysely()` turns it into a typed Kysely transaction. A store
 * without one (the memory store, a custom store that does not implement it) gets a handle
 * whose `dialect` is `'none'` and whose `query()` rejects with a `TypeError`.
 *
 * @example
 * ```ts
 * createAuth({
 *   store, mailer,
 *   registration: {
 *     onRegister: async (user, { transaction }) => {
 *       await transaction.query('INSERT INTO clientes_winet (id_user, nombre, correo) VALUES ($1, $2, $3)', [user.id, user.name, user.email]);
 *     },
 *   },
 * });
 * ```
 */
export interface AppTransaction {
  /** The database: `'postgres'`, `'mysql'` (MySQL and MariaDB), or `'none'` for a store that offers no transaction of its own. */
  readonly dialect: 'postgres' | 'mysql' | 'none' | (string & {});
  /**
   * Runs one SQL statement, written for the database (`$1`, `$2`, … on PostgreSQL; `?` on
   * MySQL and MariaDB), with its parameters, in the transaction, and resolves its rows.
   * A rejection that the caller lets through undoes the whole change.
   * @throws {TypeError} — on a handle of dialect `'none'`, or after the transaction ended.
   */
  query(sql: string, parameters?: readonly unknown[]): Promise<AppQueryResult>;
}

/** A handle whose every query is refused, with the reason: a store without transactions of its own, or a phase after the commit. */
export function refusingAppTransaction(reason: string): AppTransaction {
  return Object.freeze({
    dialect: 'none',
    query: (): Promise<AppQueryResult> => Promise.reject(new TypeError(reason)),
  });
}

/** What a store without {@link AuthStore.appTransaction} gives `onRegister` and transaction-phase listeners. */
export const NO_APP_TRANSACTION: AppTransaction = refusingAppTransaction(
  'This store offers no database transaction for the application’s own rows (the memory store keeps none): ' +
    'use the PostgreSQL or MySQL store, or write the rows through a store of your own that implements appTransaction().',
);

/** What after-commit listeners receive: the transaction has ended. */
export const ENDED_APP_TRANSACTION: AppTransaction = refusingAppTransaction(
  'The transaction has committed: an afterCommit listener cannot write in it. Subscribe with { phase: \'transaction\' } to write atomically with the change.',
);
