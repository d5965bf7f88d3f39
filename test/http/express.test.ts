import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { expressAuth } from 'gatehouse/express';
import { activeUser, harness, fullReadHarness, PASSWORD } from '../support/harness.js';
import { httpContractCases } from './http-cases.js';
import { cookiePair, expressTarget } from './support.js';

describe('gatehouse/express', () => {
  httpContractCases(expressTarget);
  describe('with a store without session revisions (every validation reads in full)', () => httpContractCases(expressTarget, fullReadHarness));

  describe('Express specifics', () => {
    it('guards authenticate by themselves when no authenticate middleware runs, once per request', async () => {
      const h = harness();
      const gate = expressAuth(h.auth);
      const app = express();
      app.use('/auth', gate.router());
      let validations = 0; // session lookups, one per validation
      const find = h.store.findSessionByTokenHash.bind(h.store);
      h.store.findSessionByTokenHash = (tokenHash) => ((validations += 1), find(tokenHash));
      app.get('/guarded', gate.requireAuth, gate.requirePermission('orders:view:own'), (req, res) => void res.json({ id: req.auth?.user.id }));
      app.get('/open', gate.requireAuth, (req, res) => void res.json({ id: req.auth?.user.id }));
      app.use(gate.errorHandler);
      const user = await activeUser(h);
      const login = await request(app).post('/auth/login').send({ email: user.email, password: PASSWORD });
      expect(login.status).toBe(200);
      const cookie = cookiePair((login.headers['set-cookie'] as unknown as string[])[0]!);
      expect((await request(app).get('/guarded').set('cookie', cookie)).status).toBe(403);
      expect(validations).toBe(1);
      const open = await request(app).get('/open').set('cookie', cookie);
      expect(open.body).toEqual({ id: user.id });
      expect((await request(app).get('/open')).status).toBe(401);
    });

    it('req.auth reads the authentication without adding anything to the request; an assignment still wins, and a mounted app sees it too', async () => {
      const h = harness();
      const gate = expressAuth(h.auth);
      const app = express();
      app.use('/auth', gate.router());
      const own = (req: express.Request) => [...Object.getOwnPropertyNames(req).filter((name) => name === 'auth'), ...Object.getOwnPropertySymbols(req).map(String).filter((name) => name.includes('gatehouse'))];
      // What res.render() would hand a template: a spread of res.locals.
      const rendered = (res: express.Response) => Reflect.ownKeys({ ...res.locals }).map(String);
      app.get('/who', gate.authenticate, (req, res) => void res.json({ id: req.auth?.user.id ?? null, anonymous: req.auth === null, own: own(req), locals: rendered(res) }));
      app.get('/replaced', gate.requireAuth, (req, res) => {
        req.auth = null;
        res.json({ auth: req.auth, own: own(req) });
      });
      const sub = express();
      sub.get('/who', gate.requireAuth, (req, res) => void res.json({ id: req.auth?.user.id }));
      app.use('/sub', sub);
      app.use(gate.errorHandler);
      const user = await activeUser(h);
      const login = await request(app).post('/auth/login').send({ email: user.email, password: PASSWORD });
      const cookie = cookiePair((login.headers['set-cookie'] as unknown as string[])[0]!);
      expect((await request(app).get('/who').set('cookie', cookie)).body).toEqual({ id: user.id, anonymous: false, own: [], locals: [] });
      expect((await request(app).get('/who')).body).toEqual({ id: null, anonymous: true, own: [], locals: [] });
      expect((await request(app).get('/replaced').set('cookie', cookie)).body).toEqual({ auth: null, own: ['auth'] });
      expect((await request(app).get('/sub/who').set('cookie', cookie)).body).toEqual({ id: user.id });
    });

    it('checks options and guard codes when the app is built, not on the first request', () => {
      const h = harness();
      expect(() => expressAuth(h.auth, { trustedOrigins: ['https://shop.example/path'] })).toThrow(TypeError);
      expect(() => expressAuth(h.auth, { trustedOrigins: ['*'] })).toThrow(TypeError);
      expect(() => expressAuth(h.auth, { redirects: { fallback: 'https://evil.example' } })).toThrow(TypeError);
      expect(() => expressAuth(h.auth, { rateLimits: { register: { limit: 0, window: 60 } } })).toThrow(TypeError);
      expect(() => expressAuth(h.auth, { cookie: { name: 'bad name' } })).toThrow(TypeError);
      expect(() => expressAuth({} as never)).toThrow(TypeError);
      const gate = expressAuth(h.auth);
      expect(() => gate.requirePermission('orders')).toThrow(TypeError);
      expect(() => gate.requirePermission('orders:*')).toThrow(TypeError);
      expect(() => gate.requireRole('Admin!')).toThrow(TypeError);
    });

    it('the error handler leaves a response that already started alone', async () => {
      const h = harness();
      const gate = expressAuth(h.auth, { onError: () => undefined });
      const app = express();
      app.get('/stream', (_req, res, next) => {
        res.status(200).write('partial');
        next(new Error('late failure'));
      });
      app.use(gate.errorHandler);
      let passedOn: unknown;
      app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        passedOn = error;
        res.end();
      });
      const reply = await request(app).get('/stream');
      expect([reply.status, reply.text]).toEqual([200, 'partial']);
      expect((passedOn as Error).message).toBe('late failure');
    });

    it('mounts the auth routes under any prefix', async () => {
      const h = harness();
      const gate = expressAuth(h.auth);
      const app = express();
      app.use('/v2/account', gate.router());
      expect((await request(app).get('/v2/account/check-email?email=a%40example.com')).body).toEqual({ available: true });
    });
  });
});
