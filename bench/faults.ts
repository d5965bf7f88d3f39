/**
 * What the example app does when its database fails under load. For PostgreSQL and for
 * MariaDB, on a private server of the bench's own (see `support/private-servers.ts`; the
 * shared servers are never touched), the Express example runs in a process of its own with
 * `DATABASE_URL` pointing at it, and a mixed load at concurrency 16 — session checks
 * (`GET /api/auth/me`), the session list, the admin's user list, and sign-ins — goes on while
 * the server is, in turn: left alone (the baseline), killed with SIGKILL and started again
 * 3 s later, shut down cleanly and started again at once (as `pg_ctl restart -m fast` does),
 * and stalled with SIGSTOP for 8 s, longer than the store's 5 s timeouts. For each scenario:
 * how many requests were answered 503, how many failed otherwise (a 500, a reset connection,
 * no answer within 30 s — the target is 0), the slowest answer, and the recovery time — from
 * the server taking queries again to the first request answered with success after it. The
 * app must live through all of it. Not part of `npm test`: `npm run bench -- faults`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import type { Benchmark, Figure } from './run.js';
import { freePort, privateMariadb, privatePostgres, type PrivateServer } from './support/private-servers.js';

const CONCURRENCY = 16;
const ADMIN = { email: 'admin@faults.example', password: 'Faults-Bench-Password-2026' };
const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** A request with no answer after this long counts as hung. */
const HUNG_AFTER = 30_000;

/** One request of the load, as the client saw it. */
interface Sample {
  readonly start: number;
  readonly end: number;
  /** The HTTP status, or 0 when no answer came (a reset connection, a refused one, a timeout). */
  readonly status: number;
}

/** The example app on `url`, in a process of its own, with its port. */
async function startApp(url: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/express-app/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, PORT: String(port), BASE_URL: `http://127.0.0.1:${port}`, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('Gatehouse Shop (')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the example app did not start:\n${output}`);
    await delay(50);
  }
  return { child, port };
}

/** Sends one request and resolves what came back; never rejects. */
function send(agent: Agent, port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, timeout: HUNG_AFTER }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('hung')));
    req.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
    req.end(body);
  });
}

/** Signs the admin in and resolves the session cookie. */
async function signIn(agent: Agent, port: number): Promise<string> {
  const reply = await send(agent, port, 'POST', '/api/auth/login', { origin: `http://127.0.0.1:${port}` }, JSON.stringify(ADMIN));
  const cookie = ([] as string[]).concat(reply.headers['set-cookie'] ?? [])[0];
  if (reply.status !== 200 || cookie === undefined) throw new Error(`sign-in answered ${reply.status}: ${reply.body}`);
  return cookie.split(';')[0]!;
}

/**
 * Keeps `CONCURRENCY` requests in flight until `stop()`: mostly session checks, some session
 * and user lists, a few sign-ins (a transaction and an argon2 hash each).
 */
function mixedLoad(port: number, cookies: readonly string[]): { samples: Sample[]; stop(): Promise<void> } {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const samples: Sample[] = [];
  let running = true;
  const worker = async (n: number): Promise<void> => {
    for (let i = 0; running; i += 1) {
      const cookie = cookies[(n + i) % cookies.length]!;
      const pick = (n * 7 + i) % 20;
      const start = performance.now();
      const reply =
        pick === 0
          ? await send(agent, port, 'POST', '/api/auth/login', { origin: `http://127.0.0.1:${port}` }, JSON.stringify(ADMIN))
          : pick <= 3
            ? await send(agent, port, 'GET', '/api/auth/sessions', { cookie })
            : pick <= 5
              ? await send(agent, port, 'GET', '/api/users?page=1&pageSize=5', { cookie })
              : await send(agent, port, 'GET', '/api/auth/me', { cookie });
      samples.push({ start, end: performance.now(), status: reply.status });
      // A refused connection answers at once: a client would not retry in a tight loop either.
      if (reply.status === 0 || reply.status === 503) await delay(5);
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, (_, n) => worker(n));
  return {
    samples,
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
    },
  };
}

/** A fault, given the server; resolves with the instant the server takes queries again (or `null` when nothing was done to it). */
type Fault = (server: PrivateServer) => Promise<number | null>;

const SCENARIOS: Record<string, Fault> = {
  baseline: async () => {
    await delay(4_000);
    return null;
  },
  kill: async (server) => {
    await server.kill();
    await delay(3_000);
    await server.start();
    return performance.now();
  },
  restart: async (server) => {
    await server.stop();
    await server.start();
    return performance.now();
  },
  stall: async (server) => {
    server.stall();
    await delay(8_000);
    server.resume();
    return performance.now();
  },
};

/** The figures of one scenario from its samples. */
function figures(prefix: string, samples: readonly Sample[], back: number | null): Figure[] {
  const unavailable = samples.filter((s) => s.status === 503).length;
  const other = samples.filter((s) => s.status !== 503 && (s.status === 0 || s.status >= 500)).length;
  const worst = Math.max(0, ...samples.map((s) => s.end - s.start));
  const out: Figure[] = [
    { name: `${prefix}.requests`, value: samples.length, unit: 'requests' },
    { name: `${prefix}.503`, value: unavailable, unit: 'responses' },
    { name: `${prefix}.other-failures`, value: other, unit: 'responses' },
    { name: `${prefix}.worst-latency`, value: worst, unit: 'ms' },
  ];
  if (back !== null) {
    const firstSuccess = samples.filter((s) => s.end >= back && s.status >= 200 && s.status < 400).reduce((min, s) => Math.min(min, s.end), Infinity);
    out.push({ name: `${prefix}.recovery`, value: Number.isFinite(firstSuccess) ? firstSuccess - back : -1, unit: 'ms' });
  }
  return out;
}

/** Runs every scenario against one private server, the app living through all of them. */
async function faultsOn(server: PrivateServer, emit: (figure: Figure) => void): Promise<void> {
  const label = server.kind === 'postgres' ? 'postgres' : 'mariadb';
  const app = await startApp(server.url);
  let crashed = false;
  app.child.once('exit', () => (crashed = true));
  try {
    const agent = new Agent({ keepAlive: true });
    const cookies = [await signIn(agent, app.port), await signIn(agent, app.port), await signIn(agent, app.port)];
    agent.destroy();
    for (const [scenario, fault] of Object.entries(SCENARIOS)) {
      const load = mixedLoad(app.port, cookies);
      await delay(2_000);
      const back = await fault(server);
      // Time to recover, and then some normal traffic.
      await delay(3_000);
      await load.stop();
      if (crashed) throw new Error(`the example app died during the ${label} ${scenario} scenario`);
      for (const figure of figures(`faults.${label}.${scenario}`, load.samples, back)) emit(figure);
    }
  } finally {
    app.child.kill('SIGTERM');
    await new Promise((resolve) => (app.child.exitCode === null ? app.child.once('exit', resolve) : resolve(undefined)));
  }
}

export const run: Benchmark = async (emit) => {
  for (const make of [privatePostgres, privateMariadb]) {
    const server = await make();
    try {
      await faultsOn(server, emit);
    } finally {
      await server.destroy();
    }
  }
};
