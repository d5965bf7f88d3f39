/**
 * The example shop on Express 5: gatehouse's `/api/auth/*` router, the admin and orders
 * API behind gatehouse's guards, the dev outbox (in development), and the HTML pages, with
 * gatehouse's protective headers on every answer.
 */
import express, { type Express, type Request, type RequestHandler } from 'express';
import { requestClient } from 'gatehouse';
import { expressAuth } from 'gatehouse/express';
import { apiRoutes, pageRoutes, type ApiRoute, type AppRequest } from '../shared/routes.js';
import type { ExampleRuntime } from '../shared/setup.js';

export function createExpressApp(runtime: ExampleRuntime): Express {
  const gate = expressAuth(runtime.auth, { cookie: { secure: !runtime.config.development } });
  const app = express();
  app.disable('x-powered-by');
  app.use(gate.securityHeaders()); // no Referer with the keys of activation and reset links, no framing, nosniff
  app.use(gate.authenticate); // req.auth for every request; refuses cross-origin cookie writes
  app.use('/api/auth', gate.router());
  app.use(express.json({ limit: '16kb' }), express.urlencoded({ extended: false, limit: '16kb' }));

  const guard = (route: ApiRoute): RequestHandler[] =>
    route.guard === 'public' ? [] : route.guard === 'session' ? [gate.requireAuth] : [gate.requirePermission(route.guard.permission)];
  for (const route of apiRoutes(runtime)) {
    app[verb(route.method)](route.path, ...guard(route), async (req, res) => {
      const reply = await route.handle(appRequest(req, route));
      res.status(reply.status).json(reply.body);
    });
  }
  // requireSameOrigin: another site must not post these forms, signed in or not (login CSRF); GETs pass.
  for (const route of pageRoutes(runtime, gate.http)) {
    app[verb(route.method)](route.path, gate.requireSameOrigin, async (req, res) => {
      const reply = await route.handle(appRequest(req, route));
      for (const cookie of reply.cookies ?? []) res.append('Set-Cookie', cookie);
      if (reply.redirect !== undefined) res.redirect(303, reply.redirect);
      else res.status(reply.status).type('html').send(reply.html);
    });
  }
  app.use(gate.errorHandler);
  return app;
}

function verb(method: string): 'get' | 'post' | 'patch' | 'put' | 'delete' {
  return method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete';
}

function appRequest(req: Request, route: { method: string; path: string }): AppRequest {
  return {
    auth: req.auth ?? null,
    params: req.params as Record<string, string>,
    query: Object.fromEntries(Object.entries(req.query).map(([key, value]) => [key, typeof value === 'string' ? value : undefined])),
    body: typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {},
    client: requestClient(req.ip, req.headers),
    route: `${route.method} ${route.path}`,
    raw: req,
  };
}
