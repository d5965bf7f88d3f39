/**
 * The servers `bench/http.ts` loads, run in a child process so the load generator does not
 * share the server's event loop, one process per framework (`express` or `fastify`, the first
 * argument): an app runs one framework, and with both in one process Node's HTTP internals
 * and gatehouse's HTTP layer see both frameworks' requests and responses, which made every
 * route, with auth or without, slower than it is in either alone. The app serves the same
 * route twice — plain (no gatehouse code at all) and behind gatehouse's permission guard — on
 * the memory store, plus a route behind a guard that only awaits a resolved promise; a
 * second app serves a copy of the guarded route whose session lookup is stubbed out. Reports
 * its ports and credentials to the parent over IPC, and its CPU time whenever the parent asks.
 */
import express from 'express';
import Fastify from 'fastify';
import { expressAuth } from 'gatehouse/express';
import { createAccessTokens, generateAccessTokenKey } from 'gatehouse/jwt';
import { fastifyAuth } from 'gatehouse/fastify';
import { benchUser } from './bench-user.js';

const { auth, token } = await benchUser();
const context = await auth.sessions.validate(token);
const accessTokens = await createAccessTokens({ keys: [await generateAccessTokenKey()], lifetime: 3600 });
const jwt = (await accessTokens.issue(context!)).token;

const body = { report: 'ok', items: [1, 2, 3] };

// The same guarded route with the core's session validation replaced by a ready context,
// answered at once as the memory store's is: what the HTTP layer itself costs (cookie,
// origin check, guard, error plumbing), without hashing the token or looking it up.
const ready = context!;
const layerOnly = { ...auth, sessions: Object.create(auth.sessions, { validate: { value: () => ready } }) as typeof auth.sessions };

const portOf = (address: unknown): number => (address as { port: number }).port;

/** The bench app on Express and its layer-only copy; resolves their ports. */
async function expressServers(): Promise<{ port: number; layer: number }> {
  const listen = async (app: express.Express): Promise<number> => {
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    return portOf(server.address());
  };
  const gate = expressAuth(auth, { accessTokens, cookie: { secure: false } });
  const app = express();
  app.get('/plain', (_req, res) => void res.json(body));
  app.get('/guarded', gate.requirePermission('reports:view'), (_req, res) => void res.json(body));
  // A reference: what any middleware that waits for something (here, nothing) costs an Express 5 route.
  app.get('/waiting', (_req, _res, next) => void Promise.resolve().then(() => next()), (_req, res) => void res.json(body));
  app.use(gate.errorHandler);
  const layerGate = expressAuth(layerOnly, { cookie: { secure: false } });
  const layerApp = express();
  layerApp.get('/guarded', layerGate.requirePermission('reports:view'), (_req, res) => void res.json(body));
  return { port: await listen(app), layer: await listen(layerApp) };
}

/** The bench app on Fastify and its layer-only copy; resolves their ports. */
async function fastifyServers(): Promise<{ port: number; layer: number }> {
  const app = Fastify();
  // authenticateAll: false, so the plain route runs no gatehouse code, exactly like a route of an app without it.
  await app.register(fastifyAuth, { auth, accessTokens, authenticateAll: false, cookie: { secure: false } });
  app.get('/plain', async () => body);
  app.get('/guarded', { preHandler: app.gatehouse.requirePermission('reports:view') }, async () => body);
  // A reference: what any preHandler that waits for something (here, nothing) costs a Fastify route.
  app.get('/waiting', { preHandler: async () => undefined }, async () => body);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const layerApp = Fastify();
  await layerApp.register(fastifyAuth, { auth: layerOnly, authenticateAll: false, cookie: { secure: false } });
  layerApp.get('/guarded', { preHandler: layerApp.gatehouse.requirePermission('reports:view') }, async () => body);
  await layerApp.listen({ port: 0, host: '127.0.0.1' });
  return { port: portOf(app.server.address()), layer: portOf(layerApp.server.address()) };
}

const framework = process.argv[2];
if (framework !== 'express' && framework !== 'fastify') throw new Error(`usage: http-server.ts express|fastify (got ${framework})`);
const { port, layer } = framework === 'express' ? await expressServers() : await fastifyServers();
process.send!({ port, layer, cookie: `gatehouse_session=${token}`, jwt });
// The parent asks for this process's CPU time around each measurement: CPU per request is steadier than throughput.
process.on('message', (message) => {
  if (message === 'cpu') process.send!({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => process.exit(0));
