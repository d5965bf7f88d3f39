/**
 * Requests per second of an authenticated, permission-guarded route (session cookie → memory
 * store → `requirePermission`) next to the same route with no auth, for Express and Fastify,
 * measured in the same run. Each framework's servers run in a child process of their own, as
 * an app runs one framework; this process drives them over real HTTP on 127.0.0.1 with a light
 * keep-alive load generator (see `support/load.ts`), so that the server is what saturates: the
 * figures are the server's throughput. The route with no auth gets the very request the
 * guarded route gets, credentials included, as every route of an app gets its visitors'
 * cookies: what differs is only what the server does with it, so the cost is the guard's and
 * not the parsing of a header the client sends anyway. Each round measures every variant
 * back to back; a cost is the median over the rounds of that round's ratio to its baseline,
 * so a noisy neighbour that slows one round slows both sides of its ratio. Also shown: the
 * same route with a JWT access token (signature check, no store round trip); the guarded
 * route with the core's session lookup stubbed out, which isolates what the framework
 * helpers themselves cost; a hook or middleware that only waits for a resolved promise, the
 * floor of any guard that awaits something; and the server's CPU time per request, which
 * shows it was the server that set the pace. Target: auth costs under 15% of throughput.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './run.js';
import { load } from './support/load.js';
import { median } from './support/median.js';

const CONNECTIONS = 16;
const SECONDS = 0.5;
const ROUNDS = 15;

interface Servers {
  /** The app with the plain, guarded and waiting routes. */
  port: number;
  /** The app whose guarded route has its session validation stubbed out. */
  layer: number;
  cookie: string;
  jwt: string;
}

/** Starts the bench servers of one framework, in a process of their own (see `support/http-server.ts`). */
function start(framework: 'express' | 'fastify'): Promise<{ child: ChildProcess; servers: Servers }> {
  const child = fork(fileURLToPath(new URL('./support/http-server.ts', import.meta.url)), [framework], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (servers) => resolve({ child, servers: servers as Servers }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

/** The server process's CPU time so far, in microseconds. */
function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message) => {
      const { cpu } = message as { cpu: NodeJS.CpuUsage };
      resolve(cpu.user + cpu.system);
    });
    child.send('cpu');
  });
}

type Variant = 'plain' | 'guarded' | 'layer' | 'waiting' | 'plainBearer' | 'jwt';

/** The baseline each variant is measured against: the plain route, given the same request headers. */
const BASELINE: Record<Variant, Variant> = { plain: 'plain', guarded: 'plain', layer: 'plain', waiting: 'plain', plainBearer: 'plainBearer', jwt: 'plainBearer' };

export const run: Benchmark = async (emit) => {
  for (const framework of ['express', 'fastify'] as const) {
    const { child, servers } = await start(framework);
    try {
      const port = servers.port;
      const cookie = { cookie: servers.cookie };
      const bearer = { authorization: `Bearer ${servers.jwt}` };
      const targets: Record<Variant, [number, string, Record<string, string>]> = {
        plain: [port, '/plain', cookie],
        guarded: [port, '/guarded', cookie],
        layer: [servers.layer, '/guarded', cookie],
        waiting: [port, '/waiting', cookie],
        plainBearer: [port, '/plain', bearer],
        jwt: [port, '/guarded', bearer],
      };
      const variants = Object.keys(targets) as Variant[];
      const perVariant = (): Record<Variant, number[]> => ({ plain: [], guarded: [], layer: [], waiting: [], plainBearer: [], jwt: [] });
      const rps = perVariant();
      const cpu = perVariant();
      const busy: number[] = [];
      const measure = async (variant: Variant, seconds: number): Promise<void> => {
        const [target, path, headers] = targets[variant];
        const cpuBefore = await serverCpu(child);
        const started = performance.now();
        const result = await load(target, path, headers, { seconds, connections: CONNECTIONS });
        const cpuUsed = (await serverCpu(child)) - cpuBefore;
        rps[variant].push(result.rps);
        cpu[variant].push(cpuUsed / result.responses);
        if (variant === 'plain') busy.push(cpuUsed / ((performance.now() - started) * 1000));
      };
      for (const variant of variants) await measure(variant, 0.3); // warm up the JIT and the sockets
      for (const list of [...Object.values(rps), ...Object.values(cpu), busy]) list.length = 0;
      for (let round = 0; round < ROUNDS; round += 1) {
        // Each round starts with another variant, so that no variant always pays for going first.
        for (let i = 0; i < variants.length; i += 1) await measure(variants[(round + i) % variants.length]!, SECONDS);
      }
      /** The median over the rounds of what a variant costs next to its baseline in the same round, in %. */
      const cost = (variant: Variant): number => median(rps[variant].map((value, i) => (1 - value / rps[BASELINE[variant]][i]!) * 100));
      const figure = (name: string, value: number, unit: string): void => emit({ name: `http.${framework}.${name}`, value, unit });
      figure('no_auth', median(rps.plain), 'req/s');
      figure('session_permission', median(rps.guarded), 'req/s');
      figure('session_permission_cost', cost('guarded'), '% of throughput (target < 15)');
      figure('no_auth_bearer', median(rps.plainBearer), 'req/s');
      figure('jwt_permission', median(rps.jwt), 'req/s');
      figure('jwt_permission_cost', cost('jwt'), '% of throughput');
      figure('http_layer_only_cost', cost('layer'), '% of throughput (session lookup stubbed)');
      figure('empty_waiting_guard_cost', cost('waiting'), `% of throughput (a ${framework === 'express' ? 'middleware' : 'preHandler'} that awaits nothing: the floor of any async guard)`);
      figure('server_cpu_per_request.no_auth', median(cpu.plain), 'µs');
      figure('server_cpu_per_request.session_permission', median(cpu.guarded), 'µs');
      figure('server_busy', median(busy) * 100, '% of one core during the plain runs (near 100: the server set the pace)');
    } finally {
      child.disconnect();
      child.kill();
    }
  }
};
