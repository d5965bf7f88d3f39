/**
 * One way to drive both framework helpers, so the same cases run against Express (through
 * supertest, real HTTP) and Fastify (through `inject`): each target mounts the auth routes and
 * the same few guarded application routes.
 */
import express from 'express';
import Fastify from 'fastify';
import request from 'supertest';
import { AuthError, type AuthErrorCode } from 'gatehouse';
import type { RequestAuth } from 'gatehouse/http';
import { expressAuth, type ExpressAuthOptions } from 'gatehouse/express';
import { fastifyAuth, type FastifyAuthOptions } from 'gatehouse/fastify';
import type { Harness } from '../support/harness.js';

/** Options both helpers share. */
export type SharedOptions = Omit<ExpressAuthOptions, 'locale'> & Omit<FastifyAuthOptions, 'auth' | 'locale'>;

export interface Call {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: string;
  headers?: Record<string, string>;
  /** A JSON body. */
  body?: unknown;
  /** A form body (`application/x-www-form-urlencoded`). */
  form?: Record<string, string>;
  /** A raw body, sent as is with the given headers. */
  raw?: string;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON bodies freely
  body: any;
  text: string;
  /** The `Set-Cookie` values. */
  cookies: string[];
}

export interface Target {
  readonly name: 'express' | 'fastify';
  call(call: Call): Promise<Reply>;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** Express `trust proxy` / Fastify `trustProxy`. */
  trustProxy?: boolean;
}

export type TargetFactory = (h: Harness, options?: SharedOptions, target?: TargetOptions) => Promise<Target>;

/** What the guarded test routes answer: who they saw. */
const whoami = (auth: RequestAuth | null | undefined) => ({ kind: auth?.kind ?? null, userId: auth?.user.id ?? null });

const thrower = (code: string): never => {
  if (code === 'boom') throw new Error('secret internals: connection string postgres://admin:hunter2@db');
  throw new AuthError(code as AuthErrorCode, code === 'RATE_LIMITED' ? { retryAfter: 42 } : code === 'VALIDATION_FAILED' ? { issues: [{ path: ['email'], code: 'invalid_format', message: 'Enter a valid email address.' }] } : {});
};

export const expressTarget: TargetFactory = async (h, options = {}, target = {}) => {
  const gate = expressAuth(h.auth, options);
  const app = express();
  app.set('trust proxy', target.trustProxy ?? false);
  app.use(gate.authenticate);
  app.use('/api/auth', gate.router());
  app.get('/.well-known/jwks.json', gate.jwks);
  app.get('/api/public', (req, res) => void res.json(whoami(req.auth)));
  app.get('/api/private', gate.requireAuth, (req, res) => void res.json(whoami(req.auth)));
  app.get('/api/session-only', gate.requireSession, (req, res) => void res.json(whoami(req.auth)));
  app.post('/api/orders', express.json(), gate.requireAuth, (req, res) => void res.status(201).json(whoami(req.auth)));
  app.get('/api/reports', gate.requirePermission('reports:view'), (req, res) => void res.json(whoami(req.auth)));
  app.get('/api/orders/of/:ownerId', gate.requirePermission('orders:view', { owner: (req) => req.params.ownerId as string }), (req, res) => void res.json(whoami(req.auth)));
  app.get('/api/admin', gate.requireRole('admin'), (req, res) => void res.json(whoami(req.auth)));
  app.get('/api/throw/:code', (req) => thrower(req.params.code as string));
  // An HTML form route of the app's own, guarded against cross-site posts, with the protective headers.
  app.post('/form', gate.securityHeaders(), gate.requireSameOrigin, express.urlencoded({ extended: false }), (req, res) => void res.status(201).json({ ...whoami(req.auth), fields: req.body }));
  app.use(gate.errorHandler);
  return {
    name: 'express',
    async call(call) {
      let pending = request(app)[call.method.toLowerCase() as 'get'](call.path);
      for (const [name, value] of Object.entries(call.headers ?? {})) pending = pending.set(name, value);
      if (call.form !== undefined) pending = pending.type('form').send(call.form);
      else if (call.raw !== undefined) pending = pending.send(call.raw);
      else if (call.body !== undefined) pending = pending.send(call.body as object);
      const res = await pending;
      const cookies = res.headers['set-cookie'] as unknown as string[] | undefined;
      return { status: res.status, headers: res.headers, body: res.body, text: res.text, cookies: cookies ?? [] };
    },
    async close() {},
  };
};

export const fastifyTarget: TargetFactory = async (h, options = {}, target = {}) => {
  const app = Fastify({ trustProxy: target.trustProxy ?? false });
  await app.register(fastifyAuth, { auth: h.auth, ...options });
  app.get('/api/public', async (request) => whoami(request.auth));
  app.get('/api/private', { preHandler: app.gatehouse.requireAuth }, async (request) => whoami(request.auth));
  app.get('/api/session-only', { preHandler: app.gatehouse.requireSession }, async (request) => whoami(request.auth));
  app.post('/api/orders', { preHandler: app.gatehouse.requireAuth }, async (request, reply) => reply.code(201).send(whoami(request.auth)));
  app.get('/api/reports', { preHandler: app.gatehouse.requirePermission('reports:view') }, async (request) => whoami(request.auth));
  app.get<{ Params: { ownerId: string } }>(
    '/api/orders/of/:ownerId',
    { preHandler: app.gatehouse.requirePermission('orders:view', { owner: (request) => (request.params as { ownerId: string }).ownerId }) },
    async (request) => whoami(request.auth),
  );
  app.get('/api/admin', { preHandler: app.gatehouse.requireRole('admin') }, async (request) => whoami(request.auth));
  app.get<{ Params: { code: string } }>('/api/throw/:code', async (request) => thrower(request.params.code));
  await app.register(async (forms) => {
    forms.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));
    forms.addHook('onRequest', app.gatehouse.securityHeaders());
    forms.post('/form', { preHandler: app.gatehouse.requireSameOrigin }, async (request, reply) => reply.code(201).send({ ...whoami(request.auth), fields: request.body }));
  });
  await app.ready();
  return {
    name: 'fastify',
    async call(call) {
      const headers: Record<string, string> = { ...call.headers };
      let payload: string | undefined;
      if (call.form !== undefined) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = new URLSearchParams(call.form).toString();
      } else if (call.raw !== undefined) {
        payload = call.raw;
      } else if (call.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        payload = JSON.stringify(call.body);
      }
      const res = await app.inject({ method: call.method, url: call.path, headers, ...(payload === undefined ? {} : { payload }) });
      const setCookie = res.headers['set-cookie'];
      const cookies = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
      let body: unknown;
      try {
        body = res.body === '' ? {} : JSON.parse(res.body);
      } catch {
        body = {};
      }
      return { status: res.statusCode, headers: res.headers as Reply['headers'], body, text: res.body, cookies };
    },
    async close() {
      await app.close();
    },
  };
};

/** Both frameworks, for `describe.each`. */
export const targets: [string, TargetFactory][] = [
  ['express', expressTarget],
  ['fastify', fastifyTarget],
];

/** The `name=value` pair of a `Set-Cookie` value, ready for a `Cookie` header. */
export const cookiePair = (setCookie: string): string => setCookie.split(';')[0]!;

/** The attributes of a `Set-Cookie` value, lower-cased names. */
export function cookieAttributes(setCookie: string): Record<string, string | true> {
  const [, ...parts] = setCookie.split(';').map((part) => part.trim());
  return Object.fromEntries(parts.map((part) => {
    const eq = part.indexOf('=');
    return eq === -1 ? [part.toLowerCase(), true] : [part.slice(0, eq).toLowerCase(), part.slice(eq + 1)];
  }));
}
