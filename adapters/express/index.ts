/**
 * gatehouse for Express 5: authentication from the session cookie or a bearer token,
 * guards, the `/api/auth/*` routes, the error handler, and JWT access tokens.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { expressAuth } from 'gatehouse/express';
 *
 * const gate = expressAuth(auth);
 * const app = express();
 * app.use(gate.authenticate);
 * app.use('/api/auth', gate.router());
 * app.get('/api/reports', gate.requirePermission('reports:view'), (req, res) => res.json(report(req.auth!)));
 * app.use(gate.errorHandler);
 * ```
 * @packageDocumentation
 */
export { expressAuth, type ExpressAuth, type ExpressAuthOptions, type ExpressOwnerResolver, type ExpressRouterOptions } from './express-auth.js';
export {
  createAccessTokens,
  generateAccessTokenKey,
  JwtAccessTokens,
  type AccessTokenAlgorithm,
  type AccessTokenKey,
  type AccessTokenKeyMaterial,
  type AccessTokenOptions,
} from '../jwt/jwt-access-tokens.js';
