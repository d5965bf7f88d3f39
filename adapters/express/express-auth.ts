import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Auth } from 'gatehouse';
import { HttpAuth, securityHeaders, type Authentication, type HttpAuthOptions, type HttpResult, type RequestAuth, type SecurityHeadersOptions } from 'gatehouse/http';
import { errorLocale } from '../shared/error-locale.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own way to type what middleware attaches
  namespace Express {
    interface Request {
      /**
       * Who the request is authenticated as — a validated session (`kind: 'session'`, with
       * `user`, `session`, `roles`, `permissions`) or a verified access token (`kind: 'token'`)
       * — or `null` when anonymous. Set by gatehouse's `authenticate` middleware or a guard.
       */
      auth?: RequestAuth | null;
    }
  }
}

/**
 * Where a request keeps its {@link RequestState}: in `res.locals`, under a symbol. Not on
 * the request: Express swaps every request's prototype, which leaves each request with a
 * hidden class of its own, so V8 builds a new one for every property added to a request —
 * measured, that made a guard cost a sixth of a small route's throughput. `res.locals` is a
 * dictionary object that Express makes for every request.
 */
const STATE = Symbol('gatehouse.request');

/** A request's authentication, shared by every middleware that asks, and what it settled on. */
interface RequestState {
  /** The request's authentication, started by the first middleware that asks. */
  readonly pending: Promise<Authentication>;
  settled: boolean;
  auth: RequestAuth | null | undefined;
}

type StateSlot = Record<typeof STATE, RequestState | undefined>;

const localsOf = (res: Response): StateSlot => (res.locals ?? (res.locals = Object.create(null) as Response['locals'])) as unknown as StateSlot;

/**
 * Makes `req.auth` an accessor of Express's request prototype that reads the request's
 * state, so that setting it adds nothing to the request. Assigning `req.auth` (the app, or
 * another library) still makes an ordinary property. Installed once per process, unless
 * something else defined `auth` there.
 */
function installAuthAccessor(): void {
  const prototype = express.request as object;
  if (Object.getOwnPropertyDescriptor(prototype, 'auth') !== undefined) return;
  Object.defineProperty(prototype, 'auth', {
    configurable: true,
    enumerable: false,
    get: readAuth,
    set(this: Request, value: unknown) {
      Object.defineProperty(this, 'auth', { value, writable: true, enumerable: true, configurable: true });
    },
  });
}

function readAuth(this: Request): RequestAuth | null | undefined {
  const locals = this.res?.locals as StateSlot | undefined;
  return locals?.[STATE]?.auth;
}

/** The request as the activity log names it: its method and route pattern (`POST /api/users/:id/block`), or its path when no route matched yet. */
const routeOf = (req: Request): string => {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  return `${req.method} ${req.baseUrl}${typeof pattern === 'string' ? pattern : req.path}`;
};

/** Resolves the owner of the resource a request is about, for `:own` permissions. */
export type ExpressOwnerResolver = (req: Request) => string | null | undefined | Promise<string | null | undefined>;

/** What {@link expressAuth} takes: the shared HTTP options plus Express specifics. */
export interface ExpressAuthOptions extends HttpAuthOptions {
  /**
   * The language of a request's error messages.
   * @default the first language of `Accept-Language`
   */
  locale?: (req: Request) => string | undefined;
}

/** What {@link ExpressAuth.router} takes. */
export interface ExpressRouterOptions {
  /**
   * The largest JSON or form body accepted.
   * @default '16kb'
   */
  bodyLimit?: string | number;
}

/** gatehouse for one Express app: middleware, guards, the auth routes and the error handler. */
export interface ExpressAuth {
  /** The framework-free layer underneath. */
  readonly http: HttpAuth;
  /**
   * Authenticates every request it sees from the session cookie or `Authorization: Bearer`
   * and sets `req.auth` (`null` when anonymous). Optional: guards authenticate by themselves.
   */
  readonly authenticate: RequestHandler;
  /** Passes a signed-in request (session or access token); 401 `UNAUTHENTICATED` otherwise. */
  readonly requireAuth: RequestHandler;
  /** Passes a request with a session (cookie or session bearer token), not only an access token. */
  readonly requireSession: RequestHandler;
  /**
   * Refuses (403 `FORBIDDEN`) a state-changing request from another origin or site, with or
   * without a session cookie: put it on the routes of HTML forms, such as a sign-in page's
   * `POST /login` (login CSRF: another site must not sign a visitor into an account of its
   * choosing). Cookie-authenticated requests are checked by `authenticate` already.
   */
  readonly requireSameOrigin: RequestHandler;
  /**
   * A middleware sending the protective headers of {@link securityHeaders} (by default
   * `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY` with `frame-ancestors 'none'`,
   * `X-Content-Type-Options: nosniff`) with every response; `app.use()` it first.
   * @throws {TypeError} — now, for a malformed option.
   */
  securityHeaders(options?: SecurityHeadersOptions): RequestHandler;
  /**
   * Passes a request whose user holds `permission`. With `owner`, the permission is checked
   * on the resource that resolver names, so `module:action:own` grants pass for the owner.
   * @throws {TypeError} — now, for a malformed permission code.
   */
  requirePermission(permission: string, options?: { owner?: ExpressOwnerResolver }): RequestHandler;
  /**
   * Passes a request whose user holds the role `code` right now.
   * @throws {TypeError} — now, for a malformed role code.
   */
  requireRole(code: string): RequestHandler;
  /**
   * Maps errors to `{ error: { code, message, issues? } }` with the right status; mount it
   * after your routes. 5xx errors are reported to `onError`, never shown; 403 refusals are
   * written to the activity log (see `HttpAuth.logRefusal`).
   */
  readonly errorHandler: ErrorRequestHandler;
  /** A router with the `/api/auth/*` routes of the HTTP contract (mount it at `/api/auth`), with its own body parsers and error handler. */
  router(options?: ExpressRouterOptions): Router;
  /** Serves the public keys of the access tokens (mount at `GET /.well-known/jwks.json`); 404 when JWT is off. */
  readonly jwks: RequestHandler;
  /** The request's principal, authenticating it first if no middleware did. */
  authOf(req: Request, res: Response): Promise<RequestAuth | null>;
}

/**
 * Creates gatehouse's Express helpers for an `Auth`. Options are checked now.
 *
 * Client addresses come from `req.ip`, so they honour the app's `trust proxy` setting: an
 * `X-Forwarded-For` header counts only from a proxy the app trusts.
 *
 * @throws {TypeError} — when an option is malformed.
 * @example
 * ```ts
 * import express from 'express';
 * import { expressAuth } from 'gatehouse/express';
 *
 * const gate = expressAuth(auth, { trustedOrigins: ['https://shop.example'] });
 * const app = express();
 * app.use(gate.authenticate);
 * app.use('/api/auth', gate.router());
 * app.get('/api/orders', gate.requirePermission('orders:view:own'), listOrders);
 * app.delete('/api/users/:id', gate.requirePermission('users:delete'), deleteUser);
 * app.use(gate.errorHandler);
 * ```
 */
export function expressAuth(auth: Auth, options: ExpressAuthOptions = {}): ExpressAuth {
  const http = new HttpAuth(auth, options);
  installAuthAccessor();
  const localeOf = errorLocale<Request>(http, options.locale);

  /** Authenticates a request once, however many middleware ask. Whoever gets the answer passes it to {@link settle} before using it. */
  const authenticationOf = (req: Request, res: Response): Promise<Authentication> => {
    const locals = localsOf(res);
    let state = locals[STATE];
    if (state === undefined) {
      state = { pending: http.authenticate(req), settled: false, auth: undefined };
      // Not enumerable: res.render() spreads res.locals into the template's locals.
      Object.defineProperty(locals, STATE, { value: state, configurable: true });
    }
    return state.pending;
  };
  /** Sets `req.auth` and sends the cookie changes an authentication calls for, the first time it is called for a request. */
  const settle = (req: Request, res: Response, authentication: Authentication): RequestAuth | null => {
    const state = localsOf(res)[STATE];
    if (state !== undefined && !state.settled) {
      state.settled = true;
      for (const cookie of authentication.cookies) res.append('Set-Cookie', cookie);
      state.auth = authentication.auth;
      // Reads the state through the accessor; without it (another library defined req.auth,
      // or the request comes from another copy of Express), a plain property.
      if (req.auth !== authentication.auth) req.auth = authentication.auth;
    }
    return authentication.auth;
  };
  const authOf = async (req: Request, res: Response): Promise<RequestAuth | null> => settle(req, res, await authenticationOf(req, res));

  const send = (res: Response, result: HttpResult): void => {
    for (const cookie of result.cookies) res.append('Set-Cookie', cookie);
    res.set(result.headers).status(result.status);
    if (result.body === undefined) res.end();
    else res.json(result.body);
  };

  const errorHandler: ErrorRequestHandler = function gatehouseErrorHandler(error: unknown, req: Request, res: Response, next: NextFunction): void {
    if (res.headersSent) {
      next(error);
      return;
    }
    const locale = localeOf(req);
    http.logRefusal(error, req, { auth: req.auth, route: routeOf(req) });
    const response = http.errorResponse(error, locale);
    res.status(response.status).set(response.headers).json(response.body);
  };

  /**
   * A middleware that authenticates the request, then passes it to `next` when `check`
   * returns, or hands what either threw to the error handler. Not an async function: Express 5
   * would then track each returned promise, which costs a hot route more than the check itself.
   */
  const guard = (name: string, check: (auth: RequestAuth | null) => void): RequestHandler => {
    const middleware: RequestHandler = (req, res, next) => {
      authenticationOf(req, res).then((authentication) => {
        try {
          check(settle(req, res, authentication));
        } catch (error) {
          next(error);
          return;
        }
        next(); // outside the try: next runs the rest of the route, whose errors are Express's
      }, next);
    };
    return Object.defineProperty(middleware, 'name', { value: name });
  };

  const requireAuth = guard('requireAuth', (auth) => void http.requireAuth(auth));
  const requireSession = guard('requireSession', (auth) => void http.requireSession(auth));
  const requireSameOrigin: RequestHandler = function requireSameOrigin(req, _res, next) {
    try {
      http.assertSameOrigin(req);
    } catch (error) {
      next(error);
      return;
    }
    next();
  };

  return Object.freeze({
    http,
    authenticate: guard('authenticate', () => undefined),
    requireAuth,
    requireSession,
    requireSameOrigin,
    securityHeaders(headerOptions?: SecurityHeadersOptions): RequestHandler {
      const headers = securityHeaders(headerOptions);
      return function securityHeadersMiddleware(_req, res, next) {
        res.set(headers);
        next();
      };
    },
    requirePermission(permission: string, guardOptions: { owner?: ExpressOwnerResolver } = {}): RequestHandler {
      http.checkPermissionCode(permission);
      const owner = guardOptions.owner;
      if (owner !== undefined && typeof owner !== 'function') throw new TypeError('requirePermission: owner must be a function of the request');
      if (owner === undefined) return guard('requirePermission', (auth) => void http.requirePermission(auth, permission));
      return async function requirePermission(req, res, next) {
        const who = http.requireAuth(await authOf(req, res));
        http.requirePermission(who, permission, { ownerId: await owner(req) });
        next();
      };
    },
    requireRole(code: string): RequestHandler {
      http.checkRoleCode(code);
      return guard('requireRole', (auth) => void http.requireRole(auth, code));
    },
    errorHandler,
    router(routerOptions: ExpressRouterOptions = {}): Router {
      const limit = routerOptions.bodyLimit ?? '16kb';
      const router = express.Router();
      router.use(express.json({ limit }), express.urlencoded({ extended: false, limit }));
      for (const route of http.routes()) {
        const handler: RequestHandler = async (req, res) => {
          let authentication: Authentication = { auth: null, via: null, cookies: [] };
          if (route.authenticated) {
            authentication = await authenticationOf(req, res);
            settle(req, res, authentication);
          }
          send(res, await route.handle(req, authentication));
        };
        if (route.method === 'GET') router.get(route.path, handler);
        else if (route.method === 'POST') router.post(route.path, handler);
        else if (route.method === 'PATCH') router.patch(route.path, handler);
        else router.delete(route.path, handler);
      }
      router.use(errorHandler);
      return router;
    },
    jwks: function jwks(_req: Request, res: Response): void {
      send(res, http.jwks()); // throws NOT_FOUND, for the error handler, when JWT is off
    },
    authOf,
  });
}
