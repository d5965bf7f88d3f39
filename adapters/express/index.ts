/**
 * gatehouse for Express 5: authentication from the session cookie or a bearer token,
 * guards, the `/api/auth/*` routes and the error handler. JWT access tokens are `gatehouse/jwt`.
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
