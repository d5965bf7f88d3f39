import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { fastifyAuth, fastifyAuthRoutes } from 'gatehouse/fastify';
import { activeUser, harness, fullReadHarness, PASSWORD, type Harness } from '../support/harness.js';
import { httpContractCases } from './http-cases.js';
import { cookiePair, fastifyTarget } from './support.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function signedInCookie(h: Harness, app: FastifyInstance, path = '/api/auth/login'): Promise<{ cookie: string; userId: string }> {
  const user = await activeUser(h);
  const login = await app.inject({ method: 'POST', url: path, payload: { email: user.email, password: PASSWORD } });
  expect(login.statusCode).toBe(200);
  return { cookie: cookiePair(String([login.headers['set-cookie']].flat()[0])), userId: user.id };
}

describe('gatehouse/fastify', () => {
  httpContractCases(fastifyTarget);
  describe('with a store without session revisions (every validation reads in full)', () => httpContractCases(fastifyTarget, fullReadHarness));

  describe('Fastify specifics', () => {
    it('decorators and the authenticate hook reach routes in encapsulated child plugins', async () => {
      const h = harness();
      const app = Fastify();
      apps.push(app);
      await app.register(fastifyAuth, { auth: h.auth });
      await app.register(async (child) => {
        child.get('/child/me', { preHandler: child.gatehouse.requireAuth }, async (request) => ({ id: request.auth?.user.id }));
        child.get('/child/public', async (request) => ({ id: request.auth?.user.id ?? null }));
      });
      const { cookie, userId } = await signedInCookie(h, app);
      expect((await app.inject({ method: 'GET', url: '/child/me', headers: { cookie } })).json()).toEqual({ id: userId });
      expect((await app.inject({ method: 'GET', url: '/child/public', headers: { cookie } })).json()).toEqual({ id: userId });
      const anonymous = await app.inject({ method: 'GET', url: '/child/me' });
      expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, 'UNAUTHENTICATED']);
    });

    it('with authenticateAll: false, only guards and auth routes authenticate', async () => {
      const h = harness();
      const app = Fastify();
      apps.push(app);
      await app.register(fastifyAuth, { auth: h.auth, authenticateAll: false });
      app.get('/public', async (request) => ({ id: request.auth?.user.id ?? null }));
      app.get('/private', { preHandler: app.gatehouse.requireAuth }, async (request) => ({ id: request.auth?.user.id }));
      app.get('/lazy', async (request, reply) => ({ id: (await app.gatehouse.authOf(request, reply))?.user.id ?? null }));
      const { cookie, userId } = await signedInCookie(h, app);
      expect((await app.inject({ method: 'GET', url: '/public', headers: { cookie } })).json()).toEqual({ id: null });
      expect((await app.inject({ method: 'GET', url: '/private', headers: { cookie } })).json()).toEqual({ id: userId });
      expect((await app.inject({ method: 'GET', url: '/lazy', headers: { cookie } })).json()).toEqual({ id: userId });
    });

    it('routePrefix: false leaves the routes to fastifyAuthRoutes under any prefix', async () => {
      const h = harness();
      const app = Fastify();
      apps.push(app);
      await app.register(fastifyAuth, { auth: h.auth, routePrefix: false });
      await app.register(fastifyAuthRoutes, { prefix: '/v2/account' });
      expect((await app.inject({ method: 'GET', url: '/api/auth/check-email?email=a%40example.com' })).statusCode).toBe(404);
      const { cookie } = await signedInCookie(h, app, '/v2/account/login');
      expect((await app.inject({ method: 'GET', url: '/v2/account/me', headers: { cookie } })).statusCode).toBe(200);
    });

    it('fastifyAuthRoutes without the plugin fails to register', async () => {
      const app = Fastify();
      apps.push(app);
      await expect(app.register(fastifyAuthRoutes).ready()).rejects.toThrow(TypeError);
    });

    it('with errorHandler: false the app keeps its own handler and can delegate to gatehouse', async () => {
      const h = harness();
      const app = Fastify();
      apps.push(app);
      await app.register(fastifyAuth, { auth: h.auth, errorHandler: false });
      app.setErrorHandler((error, request, reply) => {
        reply.header('x-app-handler', 'yes');
        return app.gatehouse.errorHandler(error, request, reply);
      });
      app.get('/private', { preHandler: app.gatehouse.requireAuth }, async () => ({ ok: true }));
      const reply = await app.inject({ method: 'GET', url: '/private' });
      expect([reply.statusCode, reply.headers['x-app-handler'], reply.json().error.code]).toEqual([401, 'yes', 'UNAUTHENTICATED']);
      // the auth routes answer with gatehouse's body whatever the app's handler
      const bad = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'x' } });
      expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('refuses malformed options at registration', async () => {
      const h = harness();
      for (const options of [{ routePrefix: 'api' }, { jwksPath: 'jwks' }, { trustedOrigins: ['nope'] }, { bodyLimit: -1 }]) {
        const app = Fastify();
        apps.push(app);
        await expect(app.register(fastifyAuth, { auth: h.auth, ...options } as never).ready()).rejects.toThrow(TypeError);
      }
      const app = Fastify();
      apps.push(app);
      await app.register(fastifyAuth, { auth: h.auth });
      expect(() => app.gatehouse.requirePermission('not a code')).toThrow(TypeError);
      expect(() => app.gatehouse.requireRole('')).toThrow(TypeError);
    });
  });
});
