/**
 * The example shop on Express 5: gatehouse's `/api/auth/*` router, the admin and orders
 * API behind gatehouse's guards, the dev outbox (in development), and the HTML pages, with
 * gatehouse's protective headers on every answer; styled pages for 404s and errors.
 */
import express, { type Express, type NextFunction, type Request, type Response, type RequestHandler } from 'express';
import { AuthError } from 'gatehouse';
import { requestClient } from 'gatehouse/http';
import { expressAuth } from 'gatehouse/express';
import { apiRoutes, htmlPages, isApiPath, type ApiRoute, type AppRequest, type PageReply } from '../shared/routes.js';
import type { ExampleRuntime } from '../shared/setup.js';

export function createExpressApp(runtime: ExampleRuntime): Express {
  const gate = expressAuth(runtime.auth, { cookie: { secure: !runtime.config.development } });
  const pages = htmlPages(runtime, gate.http);
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
  for (const route of pages.routes) {
    app[verb(route.method)](route.path, gate.requireSameOrigin, async (req, res) => send(res, await route.handle(appRequest(req, route))));
  }
  app.use((req, res) => {
    if (isApiPath(req.path)) {
      const { status, headers, body } = gate.http.errorResponse(new AuthError('NOT_FOUND'), gate.http.localeOf(req.headers));
      res.status(status).set(headers).json(body);
    } else {
      send(res, pages.errorPage({ headers: req.headers, auth: req.auth, path: req.path }, 404));
    }
  });
  // The pages' errors (a cross-site post, a body that cannot be read, a failure) as pages; the API's as JSON.
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (isApiPath(req.path) || res.headersSent) {
      next(error);
      return;
    }
    gate.http.logRefusal(error, req, { auth: req.auth, route: `${req.method} ${(req.route as { path?: string } | undefined)?.path ?? req.path}` });
    send(res, pages.errorPage({ headers: req.headers, auth: req.auth, path: req.path }, gate.http.errorResponse(error).status));
  });
  app.use(gate.errorHandler);
  return app;
}

function send(res: Response, reply: PageReply): void {
  for (const cookie of reply.cookies ?? []) res.append('Set-Cookie', cookie);
  if (reply.redirect !== undefined) {
    res.set('Cache-Control', 'no-store').redirect(303, reply.redirect);
  } else if (reply.asset !== undefined) {
    res.status(reply.status).set('Cache-Control', 'public, max-age=3600').type(reply.asset.type).send(reply.asset.body);
  } else {
    // Pages show personal data: never kept by a cache, nor shown again from the back-forward cache after signing out.
    res.status(reply.status).set('Cache-Control', 'no-store').type('html').send(reply.html);
  }
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
    path: req.path,
    raw: req,
  };
}
