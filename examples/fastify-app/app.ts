/**
 * The example shop on Fastify 5: the gatehouse plugin (with its `/api/auth/*` routes), the
 * admin and orders API behind its preHandlers, the dev outbox (in development), and the HTML
 * pages, with gatehouse's protective headers on every answer; styled pages for 404s and errors.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type preHandlerHookHandler } from 'fastify';
import { AuthError } from 'gatehouse';
import { requestClient } from 'gatehouse/http';
import { fastifyAuth } from 'gatehouse/fastify';
import { apiRoutes, htmlPages, isApiPath, type ApiRoute, type AppRequest, type PageReply } from '../shared/routes.js';
import type { ExampleRuntime } from '../shared/setup.js';

export async function createFastifyApp(runtime: ExampleRuntime): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 16 * 1024 });
  // The error handler below answers the API's errors with gatehouse's, and the pages' with a page;
  // failures (5xx) are reported on the console, as on Express (this app has no Fastify logger).
  await app.register(fastifyAuth, {
    auth: runtime.auth,
    cookie: { secure: !runtime.config.development },
    errorHandler: false,
    onError: (error) => console.error('[gatehouse] request failed:', error),
  });
  const pages = htmlPages(runtime, app.gatehouse.http);
  app.addHook('onRequest', app.gatehouse.securityHeaders()); // no Referer with the keys of activation and reset links, no framing, nosniff
  // HTML forms: repeated fields (the role checkboxes) become arrays.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const fields: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(String(body))) {
      const held = fields[key];
      fields[key] = held === undefined ? value : Array.isArray(held) ? [...held, value] : [held, value];
    }
    done(null, fields);
  });

  const guard = (route: ApiRoute): preHandlerHookHandler[] =>
    route.guard === 'public' ? [] : route.guard === 'session' ? [app.gatehouse.requireAuth] : [app.gatehouse.requirePermission(route.guard.permission)];
  for (const route of apiRoutes(runtime)) {
    app.route({
      method: route.method,
      url: route.path,
      preHandler: guard(route),
      handler: async (request, reply) => {
        const result = await route.handle(appRequest(request, route));
        return reply.status(result.status).send(result.body);
      },
    });
  }
  // requireSameOrigin: another site must not post these forms, signed in or not (login CSRF); GETs pass.
  for (const route of pages.routes) {
    app.route({
      method: route.method,
      url: route.path,
      preHandler: app.gatehouse.requireSameOrigin,
      handler: async (request, reply) => send(reply, await route.handle(appRequest(request, route))),
    });
  }
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request);
    if (!isApiPath(path)) return send(reply, pages.errorPage({ headers: request.headers, auth: request.auth, path }, 404));
    const { status, headers, body } = app.gatehouse.http.errorResponse(new AuthError('NOT_FOUND'), app.gatehouse.http.localeOf(request.headers));
    return reply.status(status).headers(headers).send(body);
  });
  // The pages' errors (a cross-site post, a body that cannot be read, a failure) as pages; the API's as JSON.
  app.setErrorHandler((error, request, reply) => {
    const path = pathOf(request);
    if (isApiPath(path)) return app.gatehouse.errorHandler(error, request, reply);
    app.gatehouse.http.logRefusal(error, request, { auth: request.auth, route: `${request.method} ${request.routeOptions.url ?? path}` });
    return send(reply, pages.errorPage({ headers: request.headers, auth: request.auth, path }, app.gatehouse.http.errorResponse(error).status));
  });
  return app;
}

function send(reply: FastifyReply, result: PageReply): FastifyReply {
  for (const cookie of result.cookies ?? []) reply.header('set-cookie', cookie);
  if (result.redirect !== undefined) return reply.header('cache-control', 'no-store').redirect(result.redirect, 303);
  if (result.asset !== undefined) return reply.status(result.status).header('cache-control', 'public, max-age=3600').type(result.asset.type).send(result.asset.body);
  // Pages show personal data: never kept by a cache, nor shown again from the back-forward cache after signing out.
  return reply.status(result.status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(result.html);
}

function pathOf(request: FastifyRequest): string {
  return request.url.split('?', 1)[0]!;
}

function appRequest(request: FastifyRequest, route: { method: string; path: string }): AppRequest {
  const query = (request.query ?? {}) as Record<string, unknown>;
  return {
    auth: request.auth,
    params: (request.params ?? {}) as Record<string, string>,
    query: Object.fromEntries(Object.entries(query).map(([key, value]) => [key, typeof value === 'string' ? value : undefined])),
    body: typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {},
    client: requestClient(request.ip, request.headers),
    route: `${route.method} ${route.path}`,
    path: pathOf(request),
    raw: request,
  };
}
