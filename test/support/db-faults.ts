/**
 * Faults of the database, caused on the shared test servers without disturbing anyone else:
 * a lock held on a table of the test's own database, and the termination of one connection
 * of that database — found by asking the server, never guessed, never another database's.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { createConnection, type Connection as MysqlConnection } from 'mysql2';
import pg from 'pg';
import type { TestDatabase } from './sql-servers.js';

/** A lock held by a connection of the test's own, until released. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Holds an exclusive lock on a table of the test database: every statement that reads or
 * writes it waits until {@link HeldLock.release}.
 */
export async function lockTable(db: TestDatabase, table: string): Promise<HeldLock> {
  if (db.kind === 'postgres') {
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('begin');
    await client.query(`lock table "${table}" in access exclusive mode`);
    return { release: async () => void (await client.query('rollback'), await client.end()) };
  }
  const connection = createConnection({ uri: db.url });
  connection.on('error', () => undefined);
  const run = (text: string): Promise<void> => new Promise((resolve, reject) => connection.query(text, (error) => (error ? reject(error) : resolve())));
  await run(`lock tables \`${table}\` write`);
  return { release: async () => void (await run('unlock tables'), await end(connection)) };
}

const end = (connection: MysqlConnection): Promise<void> => new Promise((resolve) => connection.end(() => resolve()));

/** What a connection of the test database is doing, as the server tells. */
export type ConnectionState = 'waiting for a lock' | 'idle';

const SQL: Record<TestDatabase['kind'], Record<ConnectionState, string>> = {
  postgres: {
    'waiting for a lock': `select pid as id from pg_stat_activity where datname = $1 and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
    // Idle connections outside a transaction are the pool's: the one of interest holds a transaction open.
    idle: `select pid as id from pg_stat_activity where datname = $1 and state = 'idle in transaction' and pid <> pg_backend_pid()`,
  },
  mysql: {
    'waiting for a lock': `select id from information_schema.processlist where db = ? and state like 'Waiting for table%' and id <> connection_id()`,
    // MariaDB's processlist does not tell a transaction apart (and information_schema.innodb_trx is a
    // cache that can lag by seconds): callers name the connections to leave out instead.
    idle: `select id from information_schema.processlist where db = ? and command = 'Sleep' and id <> connection_id()`,
  },
};

/** The server's ids of the connections to the test database now, but the asker's own. */
export async function connectionIds(db: TestDatabase): Promise<number[]> {
  const rows =
    db.kind === 'postgres'
      ? await db.query('select pid as id from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [db.name])
      : await db.query('select id from information_schema.processlist where db = ? and id <> connection_id()', [db.name]);
  return rows.map((row) => Number(row['id']));
}

/**
 * The server's id of the one connection of the test database in `state` (PostgreSQL's
 * backend pid, MySQL's connection id), leaving out `excluding`, once there is exactly one;
 * throws after ~10 s. On PostgreSQL `idle` means idle inside a transaction.
 */
export async function connectionIn(db: TestDatabase, state: ConnectionState, excluding: readonly number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const ids = (await db.query(SQL[db.kind][state], [db.name])).map((row) => Number(row['id'])).filter((id) => !excluding.includes(id));
    if (ids.length === 1) return ids[0]!;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no single connection of ${db.name} is ${state}: ${JSON.stringify(await connectionIds(db))}`);
}

/** Ends one connection of the test database on the server side: `pg_terminate_backend` / `KILL`. */
export async function terminate(db: TestDatabase, id: number): Promise<void> {
  // Only ever an id just read from the server for this test's own database.
  if (db.kind === 'postgres') {
    await db.query('select pg_terminate_backend(pid) from pg_stat_activity where pid = $1 and datname = $2', [id, db.name]);
    return;
  }
  const [own] = await db.query('select id from information_schema.processlist where id = ? and db = ?', [id, db.name]);
  if (own !== undefined) await db.query(`kill ${Number(id)}`);
}

/** A TCP relay between a store and its server that can stop passing bytes: a stalled network, on a port of the test's own. */
export interface StallingRelay {
  /** The test database's URL, through the relay. */
  readonly url: string;
  /** Stops passing bytes, both ways, on every connection, present and future. */
  stall(): void;
  /** Passes bytes again, what was held first. */
  resume(): void;
  /** How many connections the store's side has closed. */
  readonly closedByClient: number;
  /** Resolves once the store's side has closed `count` connections in all; rejects after ~5 s. */
  closedAtLeast(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a {@link StallingRelay} in front of the test database's server. */
export async function stallingRelay(db: TestDatabase): Promise<StallingRelay> {
  const target = new URL(db.url);
  const sockets = new Set<Socket>();
  const held: (() => void)[] = [];
  let stalled = false;
  let closedByClient = 0;
  /** Passes what `from` sends to `to`, or holds it while the relay is stalled. */
  const relay = (from: Socket, to: Socket): void => {
    sockets.add(from);
    from.on('error', () => undefined);
    from.on('data', (chunk: Buffer) => (stalled ? held.push(() => to.write(chunk)) : to.write(chunk)));
  };
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    relay(client, upstream);
    relay(upstream, client);
    client.on('close', () => {
      sockets.delete(client);
      closedByClient += 1;
      upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(db.url);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as AddressInfo).port);
  return {
    url: url.toString(),
    stall: () => void (stalled = true),
    resume() {
      stalled = false;
      for (const send of held.splice(0)) send();
    },
    get closedByClient() {
      return closedByClient;
    },
    async closedAtLeast(count) {
      for (let waited = 0; closedByClient < count; waited += 20) {
        if (waited > 5_000) throw new Error(`the store closed ${closedByClient} connections, not ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
