/**
 * The example shop on Fastify 5: the gatehouse plugin (with its `/api/auth/*` routes), the
 * admin and orders API behind its preHandlers, the dev outbox (in development), and the HTML
 * pages, with gatehouse's protective headers on every answer.
 */
import Fastify, { type FastifyInstance, type FastifyRequest, type preHandlerHookHandler } from 'fastify';
import { requestClient } from 'gatehouse';
import { fastifyAuth } from 'gatehouse/fastify';
import { apiRoutes, pageRoutes, type ApiRoute, type AppRequest } from '../shared/routes.js';
import type { ExampleRuntime } from '../shared/setup.js';

export async function createFastifyApp(runtime: ExampleRuntime): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 16 * 1024 });
  await app.register(fastifyAuth, { auth: runtime.auth, cookie: { secure: !runtime.config.development } });
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
  for (const route of pageRoutes(runtime, app.gatehouse.http)) {
    app.route({
      method: route.method,
      url: route.path,
      preHandler: app.gatehouse.requireSameOrigin,
      handler: async (request, reply) => {
        const result = await route.handle(appRequest(request, route));
        for (const cookie of result.cookies ?? []) reply.header('set-cookie', cookie);
        if (result.redirect !== undefined) return reply.redirect(result.redirect, 303);
        return reply.status(result.status).type('text/html; charset=utf-8').send(result.html);
      },
    });
  }
  return app;
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
    raw: request,
  };
}
