/**
 * Database servers of the bench's own — PostgreSQL (`initdb` + `postgres`) and MariaDB
 * (`mariadb-install-db` + `mariadbd`) — on free ports, in a temporary directory, so that the
 * faults bench can kill, restart and stall them without touching the shared servers. Each runs
 * in a process group of its own: a kill or a stall reaches the server and every process it
 * forked, and nothing else. Run as root, the servers run as their system users (`postgres`,
 * `mysql`), as both refuse root.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import pg from 'pg';

/** A database server the bench may kill, restart and stall. */
export interface PrivateServer {
  readonly kind: 'postgres' | 'mysql';
  /** The URL of the bench's database on it. */
  readonly url: string;
  /** Starts the server (again) and resolves once it answers a query. */
  start(): Promise<void>;
  /** SIGKILL to the server and every process under it, as a crash would. */
  kill(): Promise<void>;
  /** A clean, fast shutdown (PostgreSQL's `-m fast`, MariaDB's SIGTERM); resolves once it exited. */
  stop(): Promise<void>;
  /** SIGSTOP to the server and every process under it: connections stay open, nothing answers. */
  stall(): void;
  /** SIGCONT: the stall ends. */
  resume(): void;
  /** Stops the server and removes its data directory. */
  destroy(): Promise<void>;
}

const DATABASE = 'gatehouse_faults';

/** A port no one listens on at the time of asking. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;

/** `command` as `user` when the bench runs as root (the servers refuse to), as it is otherwise. */
function asUser(user: string, command: string, args: readonly string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', user, '--', command, ...args]] : [command, [...args]];
}

/** Gives `path` to the server's user, when the bench runs as root. */
function own(path: string, user: string): void {
  if (asRoot) chownSync(path, Number(execFileSync('id', ['-u', user])), Number(execFileSync('id', ['-g', user])));
}

/** A temporary directory for one server (removed by `destroy()`, or when the bench exits), and the data directory in it. */
function serverDirectories(name: string, user: string): { root: string; data: string } {
  const root = mkdtempSync(join(tmpdir(), `gatehouse-faults-${name}-`));
  leftovers.add(root);
  own(root, user);
  const data = join(root, 'data');
  mkdirSync(data, { mode: 0o700 });
  own(data, user);
  return { root, data };
}

/** The ids of the processes whose parent is `pid`, from `/proc` (Linux). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (command) state ppid …": the command may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** `pid` and every process under it. */
function tree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i += 1) all.push(...childrenOf(all[i]!));
  return all;
}

/** Sends `signal` to each of `pids` still alive. */
function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Resolves once none of `pids` is left (taken before signalling: orphans are no longer under the server). */
async function allGone(pids: readonly number[]): Promise<void> {
  while (pids.some(alive)) await delay(20);
}

/** Everything the bench started, killed when the bench process exits however it exits. */
const started = new Set<ChildProcess>();
const leftovers = new Set<string>();
process.once('exit', () => {
  for (const child of started) if (child.pid !== undefined) signalAll(tree(child.pid), 'SIGKILL');
  for (const path of leftovers) rmSync(path, { recursive: true, force: true });
});

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

/** Polls `ready` until it resolves, for at most `seconds`. */
async function until(ready: () => Promise<unknown>, seconds: number, what: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      await ready();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not come up: ${error instanceof Error ? error.message : String(error)}`);
      await delay(50);
    }
  }
}

interface ServerProcess {
  readonly kind: PrivateServer['kind'];
  readonly user: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly log: string;
  /** Answers once the server takes queries. */
  probe(): Promise<void>;
  /** The signal of a clean, fast shutdown. */
  readonly stopSignal: NodeJS.Signals;
}

/** The lifecycle shared by both servers: a process started, signalled, and waited for with everything under it. */
function managed(spec: ServerProcess, url: string, root: string): PrivateServer {
  let child: ChildProcess | undefined;
  let stalled: number[] = [];
  const processes = (): number[] => (child?.pid === undefined ? [] : tree(child.pid));
  /** The server itself: the process the bench started, or the one under `runuser`. */
  const serverPid = (): number | undefined => (child?.pid === undefined ? undefined : asRoot ? childrenOf(child.pid)[0] : child.pid);
  const server: PrivateServer = {
    kind: spec.kind,
    url,
    async start() {
      const log = openSync(spec.log, 'a');
      const [command, args] = asUser(spec.user, spec.command, spec.args);
      child = spawn(command, args, { stdio: ['ignore', log, log] });
      closeSync(log);
      started.add(child);
      const running = child;
      await Promise.race([
        until(spec.probe, 60, spec.kind),
        exited(running).then(() => Promise.reject(new Error(`${spec.kind} exited at start; see ${spec.log}`))),
      ]);
    },
    async kill() {
      if (child === undefined) return;
      const pids = processes();
      signalAll(pids, 'SIGKILL');
      await allGone(pids);
      started.delete(child);
    },
    async stop() {
      if (child === undefined) return;
      const pids = processes();
      signalAll(pids, 'SIGCONT');
      const pid = serverPid();
      if (pid !== undefined) signalAll([pid], spec.stopSignal);
      // A server that does not finish its shutdown in 30 s is killed.
      const late = setTimeout(() => signalAll(pids, 'SIGKILL'), 30_000);
      await allGone(pids);
      clearTimeout(late);
      started.delete(child);
    },
    stall() {
      stalled = processes();
      signalAll(stalled, 'SIGSTOP');
    },
    resume() {
      signalAll(stalled, 'SIGCONT');
      stalled = [];
    },
    async destroy() {
      await server.stop().catch(() => server.kill());
      rmSync(root, { recursive: true, force: true });
      leftovers.delete(root);
    },
  };
  return server;
}

/** A fresh PostgreSQL cluster (the `initdb` and `postgres` on the PATH), with a database for the bench. */
export async function privatePostgres(): Promise<PrivateServer> {
  const { root, data } = serverDirectories('pg', 'postgres');
  const [initdb, initArgs] = asUser('postgres', 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  execFileSync(initdb, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const query = async (database: string, text: string): Promise<void> => {
    const client = new pg.Client({ connectionString: `${base}/${database}`, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  const server = managed(
    {
      kind: 'postgres',
      user: 'postgres',
      command: 'postgres',
      // fsync off: a crash of this throwaway cluster may lose what it wrote, which the bench does not read back.
      args: ['-D', data, '-p', String(port), '-k', data, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=100'],
      log: join(root, 'postgres.log'),
      probe: () => query('postgres', 'select 1'),
      // SIGINT: "fast" shutdown, sessions ended with FATAL 57P01, as `pg_ctl restart -m fast` does.
      stopSignal: 'SIGINT',
    },
    `${base}/${DATABASE}`,
    root,
  );
  await server.start();
  await query('postgres', `create database ${DATABASE}`);
  return server;
}

/** A fresh MariaDB server (`mariadb-install-db` and `mariadbd`), with a database for the bench. */
export async function privateMariadb(): Promise<PrivateServer> {
  const { root, data } = serverDirectories('mariadb', 'mysql');
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, ...(asRoot ? ['--user=mysql'] : []), '--auth-root-authentication-method=normal', '--skip-test-db'], {
    stdio: 'ignore',
  });
  const port = await freePort();
  const base = `mysql://root@127.0.0.1:${port}`;
  const query = async (text: string): Promise<void> => {
    const connection = await createConnection({ uri: base, connectTimeout: 1000 });
    connection.on('error', () => undefined);
    try {
      await connection.query(text);
    } finally {
      await connection.end();
    }
  };
  const server = managed(
    {
      kind: 'mysql',
      user: 'mysql',
      command: 'mariadbd',
      args: [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        `--socket=${join(data, 'mariadbd.sock')}`,
        `--pid-file=${join(data, 'mariadbd.pid')}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--innodb-flush-log-at-trx-commit=0',
      ],
      log: join(root, 'mariadbd.log'),
      probe: () => query('select 1'),
      stopSignal: 'SIGTERM',
    },
    `${base}/${DATABASE}`,
    root,
  );
  await server.start();
  await query(`create database ${DATABASE}`);
  return server;
}
