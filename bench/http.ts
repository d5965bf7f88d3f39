/**
 * Requests per second of an authenticated, permission-guarded route (session cookie →
 * memory store → `requirePermission`) next to the same route with no auth, for Express and
 * Fastify, measured in the same run. The servers run in a child process; this process drives
 * them over real HTTP on 127.0.0.1 with keep-alive connections, bounded concurrency and a
 * fixed duration. Each round measures every variant back to back; a cost is the median over
 * the rounds of that round's ratio to the plain route, so a noisy neighbour that slows one
 * round slows both sides of its ratio. Also shown: the same route with a JWT access
 * token (signature check, no store round trip), and the guarded route with the core's session
 * lookup stubbed out, which isolates what the framework helpers themselves cost, and, for
 * Express, a middleware that only waits for a resolved promise, the floor of any guard that
 * awaits something. Target: auth costs under 15% of throughput.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './run.js';

const CONCURRENCY = 16;
const SECONDS = 0.6;
const ROUNDS = 7;

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

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export const run: Benchmark = async (emit) => {
  const { child, servers } = await start();
  try {
    for (const framework of ['express', 'fastify'] as const) {
      const port = servers[framework];
      const rounds = { plain: [] as number[], guarded: [] as number[], layer: [] as number[], jwt: [] as number[], waiting: [] as number[] };
      const variants: [keyof typeof rounds, () => Promise<number>][] = [
        ['plain', () => rps(port, '/plain', {})],
        ['guarded', () => rps(port, '/guarded', { cookie: servers.cookie })],
        ['layer', () => rps(servers.layer[framework], '/guarded', { cookie: servers.cookie })],
        ['jwt', () => rps(port, '/guarded', { authorization: `Bearer ${servers.jwt}` })],
        ...(framework === 'express' ? [['waiting', () => rps(port, '/waiting', {})] as [keyof typeof rounds, () => Promise<number>]] : []),
      ];
      for (let round = 0; round < ROUNDS; round += 1) {
        // Each round starts with another variant, so that no variant always pays for going first.
        for (let i = 0; i < variants.length; i += 1) {
          const [name, measure] = variants[(round + i) % variants.length]!;
          rounds[name].push(await measure());
        }
      }
      /** The median over the rounds of what a variant costs next to the plain route of the same round, in %. */
      const cost = (variant: number[]): number => median(variant.map((value, i) => (1 - value / rounds.plain[i]!) * 100));
      emit({ name: `http.${framework}.no_auth`, value: median(rounds.plain), unit: 'req/s' });
      emit({ name: `http.${framework}.session_permission`, value: median(rounds.guarded), unit: 'req/s' });
      emit({ name: `http.${framework}.session_permission_cost`, value: cost(rounds.guarded), unit: '% of throughput (target < 15)' });
      emit({ name: `http.${framework}.http_layer_only`, value: median(rounds.layer), unit: 'req/s (session lookup stubbed)' });
      emit({ name: `http.${framework}.http_layer_only_cost`, value: cost(rounds.layer), unit: '% of throughput' });
      emit({ name: `http.${framework}.jwt_permission`, value: median(rounds.jwt), unit: 'req/s' });
      emit({ name: `http.${framework}.jwt_permission_cost`, value: cost(rounds.jwt), unit: '% of throughput' });
      if (framework === 'express') emit({ name: 'http.express.empty_waiting_middleware_cost', value: cost(rounds.waiting), unit: '% of throughput (a middleware that awaits nothing: the floor of any async guard)' });
    }
  } finally {
    child.disconnect();
    child.kill();
  }
};
