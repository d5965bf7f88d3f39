/**
 * gatehouse for Fastify 5: a plugin that authenticates requests from the session cookie or
 * a bearer token, guards as `preHandler` hooks, the `/api/auth/*` routes, the error
 * handler, and JWT access tokens.
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
export {
  createAccessTokens,
  generateAccessTokenKey,
  JwtAccessTokens,
  type AccessTokenAlgorithm,
  type AccessTokenKey,
  type AccessTokenKeyMaterial,
  type AccessTokenOptions,
} from '../jwt/jwt-access-tokens.js';
