/**
 * How long each example app takes from `npm run example` (tsx on the server script) to its
 * first answered request, on the in-memory store. Target: under 2 s. The baseline is the
 * same tsx start of a script that only opens an HTTP server.
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

export const run: Benchmark = async (emit) => {
  const best = async (args: string[]): Promise<number> => {
    let min = Infinity;
    for (let i = 0; i < RUNS; i += 1) min = Math.min(min, await startTime(args));
    return min;
  };
  emit({ name: 'startup.baseline (tsx, bare node:http server)', value: await best(['--input-type=module', '-e', BASELINE]), unit: 'ms' });
  emit({ name: 'startup.express-app (memory store)', value: await best(['examples/express-app/server.ts']), unit: 'ms (target < 2000)' });
  emit({ name: 'startup.fastify-app (memory store)', value: await best(['examples/fastify-app/server.ts']), unit: 'ms (target < 2000)' });
};
