import { beforeAll, beforeEach, expect, it } from 'vitest';
import { createAuth, isAuthError, type AppTransaction, type AuthEventListener, type AuthStore, type OnRegister } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { transactionKysely as mysqlKysely } from 'gatehouse/mysql';
import { transactionKysely as postgresKysely } from 'gatehouse/postgres';
import { ManualClock } from 'gatehouse/testing';
import { fastHasher, PASSWORD } from '../support/harness.js';
import { describeSql, SQL_KINDS, type SqlKind, type TestDatabase } from '../support/sql-servers.js';

/** Seed 000's customer table, one row per user who is a customer. */
interface AppTables {
  clientes_winet: { id_user: string; nombre: string; correo: string; estado: 'activo' | 'inactivo' };
  app_slots: { id: string; n: number };
}

const CREATE: Record<SqlKind, string[]> = {
  postgres: [
    `create table clientes_winet (id serial primary key, id_user varchar(36) collate "C" not null unique references users (id) on delete cascade,
       nombre varchar(100) not null, correo varchar(254) not null, estado varchar(10) not null check (estado in ('activo', 'inactivo')))`,
    `create table app_slots (id varchar(1) primary key, n integer not null)`,
    // What makes a gatehouse write after the hook fail: its activity entry for one address.
    `alter table activities add constraint refuse_marked check (metadata::text not like '%refused-by-the-database%')`,
  ],
  mysql: [
    `create table clientes_winet (id integer auto_increment primary key, id_user varchar(36) not null unique, nombre varchar(100) not null,
       correo varchar(254) not null, estado varchar(10) not null check (estado in ('activo', 'inactivo')),
       foreign key (id_user) references users (id) on delete cascade) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`,
    `create table app_slots (id varchar(1) primary key, n integer not null) engine=InnoDB`,
    `alter table activities add constraint refuse_marked check (metadata not like '%refused-by-the-database%')`,
  ],
};

/** The SQL of the hooks below, in each database's own placeholders. */
const SQL: Record<SqlKind, { insert: string; deactivate: string; bump: string }> = {
  postgres: {
    insert: `insert into clientes_winet (id_user, nombre, correo, estado) values ($1, $2, $3, 'activo')`,
    deactivate: `update clientes_winet set estado = 'inactivo' where id_user = $1`,
    bump: `update app_slots set n = n + 1 where id = $1`,
  },
  mysql: {
    insert: `insert into clientes_winet (id_user, nombre, correo, estado) values (?, ?, ?, 'activo')`,
    deactivate: `update clientes_winet set estado = 'inactivo' where id_user = ?`,
    bump: `update app_slots set n = n + 1 where id = ?`,
  },
};

function gatehouse(store: AuthStore, onRegister?: OnRegister) {
  const mailer = new MemoryMailer();
  const auth = createAuth({ store, mailer, clock: new ManualClock(), hasher: fastHasher(), registration: { onRegister } });
  return { auth, mailer };
}

/** A one-shot signal between two concurrent tasks. */
function signal(): { readonly raised: Promise<void>; raise(): void } {
  let raise = (): void => undefined;
  const raised = new Promise<void>((resolve) => (raise = resolve));
  return { raised, raise };
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: the application's rows in gatehouse's transaction (seed 000's clientes_winet)`, (db: TestDatabase) => {
    let store: AuthStore;
    const sql = SQL[kind];
    const kyselyOf = kind === 'postgres' ? postgresKysely : mysqlKysely;
    const customers = async (): Promise<Record<string, unknown>[]> => db.query('select id_user, nombre, correo, estado from clientes_winet order by correo');
    const count = async (table: string): Promise<number> => Number((await db.query(`select count(*) as n from ${table}`))[0]?.['n']);

    beforeAll(async () => {
      store = await db.freshStore();
      for (const statement of CREATE[kind]) await db.query(statement);
    });
    beforeEach(async () => {
      await db.query('delete from clientes_winet');
      await db.query('delete from app_slots');
      store = await db.freshStore();
    });

    it('onRegister inserts the customer row with transaction.query(): it commits with the user', async () => {
      let handle: AppTransaction | undefined;
      const { auth } = gatehouse(store, async (user, { transaction }) => {
        handle = transaction;
        const result = await transaction.query(sql.insert, [user.id, user.name, user.email]);
        expect(result.affectedRows).toBe(1);
      });
      const { user } = await auth.accounts.register({ email: 'ana@example.com', password: PASSWORD, name: 'Ana' });
      expect(handle?.dialect).toBe(kind);
      expect(await customers()).toEqual([{ id_user: user.id, nombre: 'Ana', correo: 'ana@example.com', estado: 'activo' }]);
      // After the hook, the handle refuses: the transaction it belonged to has ended.
      await expect(handle!.query('select 1')).rejects.toThrow(TypeError);
      expect(() => kyselyOf(handle!)).toThrow(TypeError);
    });

    it('onRegister inserts it through the typed Kysely transaction, which reads the user the transaction wrote', async () => {
      const { auth } = gatehouse(store, async (user, { transaction }) => {
        const trx = kyselyOf<AppTables & { users: { id: string; email: string } }>(transaction);
        const own = await trx.selectFrom('users').select('email').where('id', '=', user.id).executeTakeFirst();
        await trx.insertInto('clientes_winet').values({ id_user: user.id, nombre: user.name, correo: own!.email, estado: 'activo' }).execute();
      });
      const { user } = await auth.accounts.register({ email: 'BEA@example.com', password: PASSWORD, name: 'Bea' });
      expect(await customers()).toEqual([{ id_user: user.id, nombre: 'Bea', correo: 'bea@example.com', estado: 'activo' }]);
    });

    it('a failure of the application in onRegister (its own constraint) undoes the registration: no user, no row, no mail', async () => {
      const { auth, mailer } = gatehouse(store, async (user, { transaction }) => {
        await transaction.query(sql.insert, [user.id, user.name, user.email]);
        // estado is checked by the application's table: the insert fails, and with it the registration.
        await transaction.query(sql.insert.replace("'activo'", "'borrado'"), [user.id, user.name, user.email]);
      });
      const failure = await auth.accounts.register({ email: 'carla@example.com', password: PASSWORD, name: 'Carla' }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      expect(isAuthError(failure)).toBe(false);
      expect(await count('users')).toBe(0);
      expect(await count('clientes_winet')).toBe(0);
      expect(mailer.outbox).toHaveLength(0);
      expect(await auth.accounts.isEmailAvailable('carla@example.com')).toBe(true);
    });

    it('a failure of gatehouse after onRegister (its activity entry refused by the database) undoes the application’s row', async () => {
      let ran = 0;
      const { auth, mailer } = gatehouse(store, async (user, { transaction }) => {
        ran += 1;
        await transaction.query(sql.insert, [user.id, user.name, user.email]);
      });
      const failure = await auth.accounts.register({ email: 'refused-by-the-database@example.com', password: PASSWORD, name: 'Dora' }).catch((error: unknown) => error);
      expect(isAuthError(failure, 'STORAGE_FAILED'), String(failure)).toBe(true);
      expect(ran).toBe(1);
      expect(await count('clientes_winet')).toBe(0);
      expect(await count('users')).toBe(0);
      expect(mailer.outbox).toHaveLength(0);
    });

    it('a transaction-phase listener deactivates the row with the user (toggle and soft delete); its failure keeps the user active', async () => {
      const { auth } = gatehouse(store, async (user, { transaction }) => {
        await transaction.query(sql.insert, [user.id, user.name, user.email]);
      });
      let fail = false;
      const deactivate: AuthEventListener<'user.statusChanged'> = async ({ user, after }, { transaction }) => {
        if (after !== 'inactive') return;
        const { affectedRows } = await transaction.query(sql.deactivate, [user.id]);
        expect(affectedRows).toBe(1);
        if (fail) throw new Error('the application refused');
      };
      auth.events.on('user.statusChanged', deactivate, { phase: 'transaction' });
      const afterCommit: AppTransaction[] = [];
      auth.events.on('user.statusChanged', (_payload, { transaction }) => void afterCommit.push(transaction));

      const [ana, bea] = await Promise.all(['ana', 'bea'].map((name) => auth.accounts.register({ email: `${name}@example.com`, password: PASSWORD, name })));
      await auth.users.toggle(auth.system, ana!.user.id);
      await auth.users.delete(auth.system, bea!.user.id);
      expect((await customers()).map((row) => row['estado'])).toEqual(['inactivo', 'inactivo']);
      expect((await auth.users.get(auth.system, ana!.user.id)).user.status).toBe('inactive');

      await auth.users.toggle(auth.system, ana!.user.id); // back to active; the listener does nothing then
      fail = true;
      await expect(auth.users.toggle(auth.system, ana!.user.id)).rejects.toThrow('the application refused');
      expect((await auth.users.get(auth.system, ana!.user.id)).user.status).toBe('active');
      // The row was set inactive above and stays so: the failed deactivation wrote nothing.
      expect((await db.query(`select estado from clientes_winet where correo = 'ana@example.com'`))[0]?.['estado']).toBe('inactivo');

      await auth.drain();
      expect(afterCommit.length).toBeGreaterThan(0);
      await expect(afterCommit[0]!.query('select 1')).rejects.toThrow(/afterCommit/);
    });

    it('after a deadlock the database broke, onRegister runs again in the new attempt; its rows are written once', async () => {
      await db.query(`insert into app_slots (id, n) values ('a', 0), ('b', 0)`);
      const locked = { a: signal(), b: signal() };
      const calls: string[] = [];
      // Two registrations whose hooks lock two rows of the application in opposite orders: one deadlocks.
      const { auth } = gatehouse(store, async (user, { transaction }) => {
        calls.push(user.name);
        await transaction.query(sql.insert, [user.id, user.name, user.email]);
        const [mine, theirs] = user.name === 'a' ? (['a', 'b'] as const) : (['b', 'a'] as const);
        await transaction.query(sql.bump, [mine]);
        locked[mine].raise();
        await locked[theirs].raised;
        await transaction.query(sql.bump, [theirs]);
      });
      const results = await Promise.all(['a', 'b'].map((name) => auth.accounts.register({ email: `${name}@example.com`, password: PASSWORD, name })));
      expect(calls).toHaveLength(3);
      expect(await count('users')).toBe(2);
      expect((await customers()).map((row) => row['id_user'])).toEqual(results.map((r) => r.user.id));
      expect((await db.query('select n from app_slots order by id')).map((row) => Number(row['n']))).toEqual([2, 2]);
    });
  });
}

it('the memory store hands a handle that refuses every query with a TypeError, which undoes the registration', async () => {
  const { MemoryAuthStore } = await import('gatehouse/memory');
  let dialect: string | undefined;
  const { auth } = gatehouse(new MemoryAuthStore(), async (_user, { transaction }) => {
    dialect = transaction.dialect;
    await transaction.query('insert into clientes_winet values (1)');
  });
  const failure = await auth.accounts.register({ email: 'eva@example.com', password: PASSWORD, name: 'Eva' }).catch((error: unknown) => error);
  expect(dialect).toBe('none');
  expect(failure).toBeInstanceOf(TypeError);
  expect(String(failure)).toMatch(/memory store/);
  expect(await auth.accounts.isEmailAvailable('eva@example.com')).toBe(true);
  expect(() => postgresKysely({ dialect: 'none', query: () => Promise.reject(new Error('no')) })).toThrow(TypeError);
});
