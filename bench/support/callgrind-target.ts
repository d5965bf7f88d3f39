/**
 * The program `bench/callgrind.ts` runs under `valgrind --tool=callgrind`, once per scenario:
 *
 *   node --import tsx bench/support/callgrind-target.ts <scenario> <warm-up> <count>
 *
 * It sets up the scenario, runs it `warm-up` times (JIT tier-up, inline caches, the session
 * cache), calls {@link mark}, runs it `count` times, and calls {@link mark} again. The harness
 * runs callgrind with `--dump-before=uv_os_getpriority`, so each mark writes the counts so far
 * to a dump file of their own and zeroes them: the second dump holds exactly the `count`
 * measured runs. Scenarios:
 *
 * - `fastify:plain|session|permission`, `express:plain|session|permission` — one app per
 *   framework on the memory store, serving the same JSON body on three routes: with no
 *   gatehouse code (`/plain`), behind `requireSession` (`/session`) and behind
 *   `requirePermission('reports:view')` (`/permission`). A run is one HTTP/1.1 request over
 *   one keep-alive connection to 127.0.0.1, sent by this process and answered before the next
 *   one is sent; every route gets the very same request headers, session cookie included,
 *   so a guarded route's count less the plain route's is what the guard does.
 * - `memory:validate` — one warm `await auth.sessions.validate(token)` on the memory store;
 *   `memory:await` — one `await` of a resolved value, the loop's own cost.
 */
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { getPriority } from 'node:os';
import express from 'express';
import Fastify from 'fastify';
import { expressAuth } from 'gatehouse/express';
import { fastifyAuth } from 'gatehouse/fastify';
import { benchUser, type BenchUser } from './bench-user.js';

const SCENARIOS = ['fastify:plain', 'fastify:session', 'fastify:permission', 'express:plain', 'express:session', 'express:permission', 'memory:validate', 'memory:await'];

/** Ends a phase: `os.getPriority()` calls libuv's `uv_os_getpriority`, which callgrind dumps and zeroes its counts before; nothing else in the program calls it. */
const mark = (): void => void getPriority();

/**
 * Between the warm-up and the measured runs: says `warm` on stdout and spins (a loop the
 * harness's `callgrind_control -i on` can interrupt, unlike a wait in the event loop) until
 * the harness has switched callgrind's instrumentation on and created the file `go`.
 */
function warm(go: string): void {
  // Everything collected now, so that no collection runs while callgrind counts (with `--expose-gc` and a young generation that holds the measured runs' garbage).
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write('warm\n');
  while (!existsSync(go)) {
    // spin
  }
}

const body = { report: 'ok', items: [1, 2, 3] };

/** Starts the app of `framework` on a free port of 127.0.0.1; resolves the port and a stop function. */
async function serve(framework: 'fastify' | 'express', { auth }: BenchUser): Promise<{ port: number; close: () => Promise<void> }> {
  if (framework === 'fastify') {
    const app = Fastify();
    // authenticateAll: false, so the plain route runs no gatehouse code, like a route of an app without it.
    await app.register(fastifyAuth, { auth, authenticateAll: false, cookie: { secure: false } });
    app.get('/plain', async () => body);
    app.get('/session', { preHandler: app.gatehouse.requireSession }, async () => body);
    app.get('/permission', { preHandler: app.gatehouse.requirePermission('reports:view') }, async () => body);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { port: (app.server.address() as { port: number }).port, close: () => app.close() };
  }
  const gate = expressAuth(auth, { cookie: { secure: false } });
  const app = express();
  app.get('/plain', (_req, res) => void res.json(body));
  app.get('/session', gate.requireSession, (_req, res) => void res.json(body));
  app.get('/permission', gate.requirePermission('reports:view'), (_req, res) => void res.json(body));
  app.use(gate.errorHandler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { port: (server.address() as { port: number }).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;

/**
 * A client on one keep-alive connection that sends `request` a given number of times, one
 * after the other, each once the previous response is complete. One listener serves every
 * call, so the warm-up and the measured runs execute the very same closures.
 */
function client(socket: Socket, request: Buffer): (times: number) => Promise<void> {
  let left = 0;
  let pending: Buffer = Buffer.alloc(0);
  let settle: { resolve: () => void; reject: (error: Error) => void } | null = null;
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const end = pending.indexOf(HEADER_END);
    if (end === -1) return;
    const head = pending.toString('latin1', 0, end);
    const length = CONTENT_LENGTH.exec(head)?.[1];
    if (head.slice(9, 12) !== '200' || length === undefined) {
      settle?.reject(new Error(`callgrind target: ${head.split('\r\n')[0]}`));
      return;
    }
    if (pending.length < end + HEADER_END.length + Number(length)) return;
    pending = Buffer.alloc(0);
    left -= 1;
    if (left > 0) socket.write(request);
    else settle?.resolve();
  });
  return (times) =>
    new Promise((resolve, reject) => {
      left = times;
      settle = { resolve, reject };
      socket.write(request);
    });
}

async function runHttp(framework: 'fastify' | 'express', path: string, warmUp: number, count: number, go: string): Promise<void> {
  const user = await benchUser();
  const server = await serve(framework, user);
  const socket = await new Promise<Socket>((resolve, reject) => {
    const opened = connect(server.port, '127.0.0.1', () => resolve(opened));
    opened.once('error', reject);
  });
  socket.setNoDelay(true);
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\ncookie: gatehouse_session=${user.token}\r\n\r\n`);
  const send = client(socket, request);
  await send(warmUp);
  warm(go);
  mark();
  await send(count);
  mark();
  socket.destroy();
  await server.close();
}

async function runMemory(what: 'validate' | 'await', warmUp: number, count: number, go: string): Promise<void> {
  const { auth, token } = await benchUser();
  const once = what === 'validate' ? () => auth.sessions.validate(token) : () => Promise.resolve(token);
  let last: unknown = null;
  for (let i = 0; i < warmUp; i += 1) last = await once();
  warm(go);
  mark();
  for (let i = 0; i < count; i += 1) last = await once();
  mark();
  if (last === null) throw new Error('callgrind target: the session did not validate');
}

const [scenario = '', warmUp, count, go = ''] = process.argv.slice(2);
if (!SCENARIOS.includes(scenario) || go === '') throw new Error(`usage: callgrind-target.ts <${SCENARIOS.join('|')}> <warm-up> <count> <go file>`);
const [area, variant] = scenario.split(':') as [string, string];
if (area === 'memory') await runMemory(variant as 'validate' | 'await', Number(warmUp), Number(count), go);
else await runHttp(area as 'fastify' | 'express', `/${variant}`, Number(warmUp), Number(count), go);
