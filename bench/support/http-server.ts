/**
 * The servers `bench/http.ts` loads, run in a child process so the load generator does not
 * share the server's event loop: one Express and one Fastify app, each with the same route
 * twice — plain (no gatehouse code at all) and behind gatehouse's permission guard — on the
 * memory store, plus a route behind a guard that only awaits a resolved promise, and a copy
 * of the guarded route whose session lookup is stubbed out. Reports its ports and
 * credentials to the parent over IPC, and its CPU time whenever the parent asks.
 */
import express from 'express';
import Fastify from 'fastify';
import { Argon2PasswordHasher, createAuth } from 'gatehouse';
import { createAccessTokens, expressAuth, generateAccessTokenKey } from 'gatehouse/express';
import { fastifyAuth } from 'gatehouse/fastify';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';

const store = new MemoryAuthStore();
const mailer = new MemoryMailer();
const auth = createAuth({ store, mailer, hasher: new Argon2PasswordHasher({ memoryCost: 1024, timeCost: 1 }) });
const password = 'correct horse battery staple';
const now = new Date();
await store.upsertRole({ code: 'analyst', name: 'Analyst', description: '', level: 20, active: true, createdAt: now, updatedAt: now });
for (const code of ['reports:view', 'orders:view', 'products:view']) {
  const [module = '', action = ''] = code.split(':');
  await store.upsertPermission({ code, name: code, module, action, active: true, createdAt: now });
  await store.grantPermission('analyst', code);
}
const { user } = await auth.accounts.register({ email: 'bench@example.com', password, name: 'Bench' });
await auth.accounts.activate({ key: mailer.last({ kind: 'activation' })!.key! });
await store.assignRole({ userId: user.id, roleCode: 'analyst', assignedAt: now, assignedBy: null, expiresAt: null });
const { token } = await auth.sessions.login({ email: 'bench@example.com', password });
const context = await auth.sessions.validate(token);
const accessTokens = await createAccessTokens({ keys: [await generateAccessTokenKey()], lifetime: 3600 });
const jwt = (await accessTokens.issue(context!)).token;

const body = { report: 'ok', items: [1, 2, 3] };

const gate = expressAuth(auth, { accessTokens, cookie: { secure: false } });
const app = express();
app.get('/plain', (_req, res) => void res.json(body));
app.get('/guarded', gate.requirePermission('reports:view'), (_req, res) => void res.json(body));
// A reference: what any middleware that waits for something (here, nothing) costs an Express 5 route.
app.get('/waiting', (_req, _res, next) => void Promise.resolve().then(() => next()), (_req, res) => void res.json(body));
app.use(gate.errorHandler);
const expressServer = app.listen(0, '127.0.0.1');
await new Promise((resolve) => expressServer.once('listening', resolve));

const fastify = Fastify();
// authenticateAll: false, so the plain route runs no gatehouse code, exactly like a route of an app without it.
await fastify.register(fastifyAuth, { auth, accessTokens, authenticateAll: false, cookie: { secure: false } });
fastify.get('/plain', async () => body);
fastify.get('/guarded', { preHandler: fastify.gatehouse.requirePermission('reports:view') }, async () => body);
// A reference: what any preHandler that waits for something (here, nothing) costs a Fastify route.
fastify.get('/waiting', { preHandler: async () => undefined }, async () => body);
await fastify.listen({ port: 0, host: '127.0.0.1' });

// The same guarded route with the core's session lookup replaced by a ready context: what the
// HTTP layer itself costs (cookie, origin check, guard, error plumbing), without the store round trip.
const ready = context!;
const layerOnly = { ...auth, sessions: Object.create(auth.sessions, { validate: { value: async () => ready } }) as typeof auth.sessions };
const layerGate = expressAuth(layerOnly, { cookie: { secure: false } });
const layerApp = express();
layerApp.get('/guarded', layerGate.requirePermission('reports:view'), (_req, res) => void res.json(body));
const layerExpress = layerApp.listen(0, '127.0.0.1');
await new Promise((resolve) => layerExpress.once('listening', resolve));
const layerFastify = Fastify();
await layerFastify.register(fastifyAuth, { auth: layerOnly, authenticateAll: false, cookie: { secure: false } });
layerFastify.get('/guarded', { preHandler: layerFastify.gatehouse.requirePermission('reports:view') }, async () => body);
await layerFastify.listen({ port: 0, host: '127.0.0.1' });

const portOf = (address: unknown): number => (address as { port: number }).port;
process.send!({
  express: portOf(expressServer.address()),
  fastify: portOf(fastify.server.address()),
  layer: { express: portOf(layerExpress.address()), fastify: portOf(layerFastify.server.address()) },
  cookie: `gatehouse_session=${token}`,
  jwt,
});
// The parent asks for this process's CPU time around each measurement: CPU per request is steadier than throughput.
process.on('message', (message) => {
  if (message === 'cpu') process.send!({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => process.exit(0));
