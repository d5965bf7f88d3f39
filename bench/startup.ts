/**
 * How long each example app takes from `npm run example` (tsx on the server script) to its
 * first answered request, on the in-memory store. Target: under 2 s. The baseline is the
 * same tsx start of a script that only opens an HTTP server. Also what the password strength
 * estimator (zxcvbn-ts, loaded on the first password check) costs, in a process of its own:
 * `import('gatehouse')` + `createAuth()`, which must not load it, and the first registration
 * against the second (the difference is the load).
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './run.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 3;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Milliseconds from spawning `tsx <script>` to a 200 from `/`. */
async function startTime(args: string[]): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  try {
    for (;;) {
      if (performance.now() - started > 30_000) throw new Error(`${args.join(' ')} did not answer within 30 s`);
      const ok = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.ok, () => false);
      if (ok) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    child.kill();
  }
}

const BASELINE = `
  import { createServer } from 'node:http';
  createServer((_req, res) => res.end('ok')).listen(Number(process.env.PORT), '127.0.0.1');
`;

/** Milliseconds of the core's start and of the estimator's first load, measured in a fresh process. */
const ESTIMATOR = `
  const t0 = performance.now();
  const { createAuth } = await import('gatehouse');
  const { MemoryAuthStore, MemoryMailer } = await import('gatehouse/memory');
  const { TestPasswordHasher } = await import('gatehouse/testing');
  const auth = createAuth({ store: new MemoryAuthStore(), mailer: new MemoryMailer(), hasher: new TestPasswordHasher() });
  const t1 = performance.now();
  await auth.accounts.register({ email: 'first@example.com', password: 'correct horse battery staple', name: 'Ana' });
  const t2 = performance.now();
  await auth.accounts.register({ email: 'second@example.com', password: 'correct horse battery staple', name: 'Bo' });
  const t3 = performance.now();
  console.log(JSON.stringify({ start: t1 - t0, first: t2 - t1, second: t3 - t2 }));
`;

async function estimatorTimes(): Promise<{ start: number; first: number; second: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', ESTIMATOR], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  return JSON.parse(out) as { start: number; first: number; second: number };
}

export const run: Benchmark = async (emit) => {
  const best = async (args: string[]): Promise<number> => {
    let min = Infinity;
    for (let i = 0; i < RUNS; i += 1) min = Math.min(min, await startTime(args));
    return min;
  };
  emit({ name: 'startup.baseline (tsx, bare node:http server)', value: await best(['--input-type=module', '-e', BASELINE]), unit: 'ms' });
  emit({ name: 'startup.express-app (memory store)', value: await best(['examples/express-app/server.ts']), unit: 'ms (target < 2000)' });
  emit({ name: 'startup.fastify-app (memory store)', value: await best(['examples/fastify-app/server.ts']), unit: 'ms (target < 2000)' });
  const times: { start: number; first: number; second: number }[] = [];
  for (let i = 0; i < RUNS; i += 1) times.push(await estimatorTimes());
  const min = (pick: (t: { start: number; first: number; second: number }) => number): number => Math.min(...times.map(pick));
  emit({ name: 'startup.core (import gatehouse + createAuth, estimator not loaded)', value: min((t) => t.start), unit: 'ms' });
  emit({ name: 'startup.first password check loads the estimator (first registration minus the second)', value: min((t) => t.first - t.second), unit: 'ms' });
};
