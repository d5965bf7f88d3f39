/**
 * The example servers' shutdown, as an operator sees it: the server script runs in a process
 * of its own, gets SIGTERM with a request in flight and a keep-alive client idle, and must
 * answer the one, disconnect the other, close gatehouse and exit — before its deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, get, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { connectionIn, lockTable, type HeldLock } from '../support/db-faults.js';
import { describeSql } from '../support/sql-servers.js';
import { ADMIN, APP_KINDS, freePort, type AppKind } from './apps.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Server {
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
}

/** Starts an example server script as `npm run example` does, on its own port, and waits until it listens. */
async function startServer(kind: AppKind, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const script = kind === 'express' ? 'examples/express-app/server.ts' : 'examples/fastify-app/server.ts';
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    // BASE_URL set: the test runner's environment has one of its own ('/').
    env: { ...process.env, ...env, PORT: String(port), BASE_URL: `http://127.0.0.1:${port}`, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await Promise.race([until(() => output.includes('Gatehouse Shop (')), exited.then(() => Promise.reject(new Error(`the server exited: ${output}`)))]);
  return { port, child, output: () => output, exited };
}

/** Polls until `condition` holds (the test's own timeout bounds the wait). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

interface Answer {
  readonly status: number;
  readonly connection: string | undefined;
  readonly socket: Socket;
}

/** A GET on the server through `agent`, with the socket it went over. */
function request(port: number, path: string, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent }, (response: IncomingMessage) => {
      const socket = response.socket; // the agent takes it back at the end
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, connection: response.headers.connection, socket }));
    }).on('error', reject);
  });
}

const closed = (socket: Socket): Promise<void> => (socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve())));

await describeSql('postgres', 'the example servers shut down within their deadline', (db) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await Promise.resolve(step()).catch(() => undefined);
  });
  const hold = async (table: string): Promise<HeldLock> => {
    const lock = await lockTable(db, table);
    cleanup.push(() => lock.release());
    return lock;
  };
  const start = async (kind: AppKind, deadline: number): Promise<Server> => {
    const server = await startServer(kind, { DATABASE_URL: db.url, SHUTDOWN_TIMEOUT: String(deadline) });
    cleanup.push(() => void server.child.kill('SIGKILL'));
    return server;
  };
  const agent = (): Agent => {
    const made = new Agent({ keepAlive: true });
    cleanup.push(() => made.destroy());
    return made;
  };

  for (const kind of APP_KINDS) {
    it(`${kind}: on SIGTERM the request in flight is answered, the idle keep-alive client disconnected, new connections refused, and the process exits 0`, async () => {
      const server = await start(kind, 8_000);
      const idle = await request(server.port, '/api/auth/check-email?email=idle%40example.com', agent());
      expect(idle.status).toBe(200);
      expect(idle.socket.destroyed).toBe(false); // kept alive, idle

      const lock = await hold('users');
      const inFlight = request(server.port, '/api/auth/check-email?email=busy%40example.com', agent());
      await connectionIn(db, 'waiting for a lock');
      server.child.kill('SIGTERM');
      await until(() => server.output().includes('SIGTERM: shutting down'));

      await closed(idle.socket);
      await expect(request(server.port, '/api/auth/check-email?email=late%40example.com', new Agent())).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await lock.release();
      const answered = await inFlight;
      expect(answered.status).toBe(200);
      expect(answered.connection).toBe('close');
      await closed(answered.socket);
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain('stopped');
    });

    it(`${kind}: a request still unanswered near the deadline has its connection closed, and the process still exits 0 before the deadline`, async () => {
      const server = await start(kind, 3_000);
      const lock = await hold('users');
      const inFlight = request(server.port, '/api/auth/check-email?email=slow%40example.com', agent()).then(
        () => 'answered',
        (error: NodeJS.ErrnoException) => error.code,
      );
      await connectionIn(db, 'waiting for a lock');
      server.child.kill('SIGTERM');
      expect(await inFlight).toBe('ECONNRESET');
      expect(server.output()).toContain('closing the connections still open');
      // The statement the cut request left behind ends once the lock goes; closing the pool waits for it.
      await lock.release();
      // Exit code 1 would mean the deadline's own timer ended the process.
      expect(await server.exited).toBe(0);
    });
  }
});
