/**
 * Requests per second of an authenticated, permission-guarded route (session cookie →
 * memory store → `requirePermission`) next to the same route with no auth, for Express and
 * Fastify, measured in the same run. The servers run in a child process; this process drives
 * them over real HTTP on 127.0.0.1 with keep-alive connections, bounded concurrency and a
 * fixed duration. Rounds alternate plain and guarded, and the best round of each counts, so
 * a noisy neighbour slows neither side alone. Also shown: the same route with a JWT access
 * token (signature check, no store round trip), and the guarded route with the core's session
 * lookup stubbed out, which isolates what the framework helpers themselves cost. Target: auth
 * costs under 15% of throughput.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './run.js';

const CONCURRENCY = 16;
const SECONDS = 0.6;
const ROUNDS = 5;

interface Servers {
  express: number;
  fastify: number;
  layer: { express: number; fastify: number };
  cookie: string;
  jwt: string;
}

function start(): Promise<{ child: ChildProcess; servers: Servers }> {
  const child = fork(fileURLToPath(new URL('./support/http-server.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (servers) => resolve({ child, servers: servers as Servers }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

function get(agent: Agent, port: number, path: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
    });
    req.once('error', reject);
    req.end();
  });
}

/** Completed requests per second over `SECONDS`, with `CONCURRENCY` requests in flight. */
async function rps(port: number, path: string, headers: Record<string, string>): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    for (let i = 0; i < 200; i += 1) await get(agent, port, path, headers); // warm up the JIT and the sockets
    let done = 0;
    const started = performance.now();
    const end = started + SECONDS * 1000;
    const worker = async (): Promise<void> => {
      while (performance.now() < end) {
        await get(agent, port, path, headers);
        done += 1;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return done / ((performance.now() - started) / 1000);
  } finally {
    agent.destroy();
  }
}

export const run: Benchmark = async (emit) => {
  const { child, servers } = await start();
  try {
    for (const framework of ['express', 'fastify'] as const) {
      const port = servers[framework];
      const best = { plain: 0, guarded: 0, layer: 0, jwt: 0 };
      for (let round = 0; round < ROUNDS; round += 1) {
        best.plain = Math.max(best.plain, await rps(port, '/plain', {}));
        best.guarded = Math.max(best.guarded, await rps(port, '/guarded', { cookie: servers.cookie }));
        best.layer = Math.max(best.layer, await rps(servers.layer[framework], '/guarded', { cookie: servers.cookie }));
      }
      for (let round = 0; round < 2; round += 1) best.jwt = Math.max(best.jwt, await rps(port, '/guarded', { authorization: `Bearer ${servers.jwt}` }));
      emit({ name: `http.${framework}.no_auth`, value: best.plain, unit: 'req/s' });
      emit({ name: `http.${framework}.session_permission`, value: best.guarded, unit: 'req/s' });
      emit({ name: `http.${framework}.session_permission_cost`, value: (1 - best.guarded / best.plain) * 100, unit: '% of throughput (target < 15)' });
      emit({ name: `http.${framework}.http_layer_only`, value: best.layer, unit: 'req/s (session lookup stubbed)' });
      emit({ name: `http.${framework}.http_layer_only_cost`, value: (1 - best.layer / best.plain) * 100, unit: '% of throughput' });
      emit({ name: `http.${framework}.jwt_permission`, value: best.jwt, unit: 'req/s' });
      emit({ name: `http.${framework}.jwt_permission_cost`, value: (1 - best.jwt / best.plain) * 100, unit: '% of throughput' });
    }
  } finally {
    child.disconnect();
    child.kill();
  }
};
