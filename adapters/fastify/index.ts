/**
 * gatehouse for Fastify 5: a plugin that authenticates requests from the session cookie or
 * a bearer token, guards as `preHandler` hooks, the `/api/auth/*` routes, the error
 * handler. JWT access tokens are `gatehouse/jwt`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { fastifyAuth } from 'gatehouse/fastify';
 *
 * const app = Fastify();
 * await app.register(fastifyAuth, { auth });
 * app.get('/api/reports', { preHandler: app.gatehouse.requirePermission('reports:view') }, async (request) => report(request.auth!));
 * ```
 * @packageDocumentation
 */
export {
  fastifyAuth,
  fastifyAuthRoutes,
  type FastifyAuthOptions,
  type FastifyAuthRoutesOptions,
  type FastifyGatehouse,
  type FastifyOwnerResolver,
} from './fastify-auth.js';
