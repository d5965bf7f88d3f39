import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler, preHandlerHookHandler } from 'fastify';
import type { Auth } from 'gatehouse';
import { HttpAuth, securityHeaders, type Authentication, type HttpAuthOptions, type HttpResult, type RequestAuth, type SecurityHeadersOptions } from 'gatehouse/http';
import { errorLocale } from '../shared/error-locale.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Who the request is authenticated as — a validated session (`kind: 'session'`, with
     * `user`, `session`, `roles`, `permissions`) or a verified access token (`kind: 'token'`)
     * — or `null` when anonymous (or not authenticated yet, with `authenticateAll: false`).
     */
    auth: RequestAuth | null;
  }
  interface FastifyInstance {
    /** gatehouse's guards and helpers, decorated by the `fastifyAuth` plugin. */
    gatehouse: FastifyGatehouse;
  }
}

/** Resolves the owner of the resource a request is about, for `:own` permissions. */
export type FastifyOwnerResolver = (request: FastifyRequest) => string | null | undefined | Promise<string | null | undefined>;

/** What the {@link fastifyAuth} plugin takes: the shared HTTP options plus Fastify specifics. */
export interface FastifyAuthOptions extends HttpAuthOptions {
  /** The object returned by `createAuth()`. */
  auth: Auth;
  /**
   * Where the `/api/auth/*` routes of the HTTP contract are mounted; `false` to leave them
   * out (register {@link fastifyAuthRoutes} yourself).
   * @default '/api/auth'
   */
  routePrefix?: string | false;
  /**
   * Where the JWKS is served when access tokens are on; `false` for nowhere.
   * @default '/.well-known/jwks.json'
   */
  jwksPath?: string | false;
  /**
   * Authenticate every request in an `onRequest` hook, so `request.auth` is always set.
   * With `false`, only guards and the auth routes authenticate (a little less work on public routes).
   * @default true
   */
  authenticateAll?: boolean;
  /**
   * Install gatehouse's error handler on the app, mapping errors to
   * `{ error: { code, message, issues? } }`. With `false`, call `app.gatehouse.errorHandler`
   * from your own.
   * @default true
   */
  errorHandler?: boolean;
  /**
   * The largest body the auth routes accept, in bytes.
   * @default 16384
   */
  bodyLimit?: number;
  /**
   * The language of a request's error messages.
   * @default the first language of `Accept-Language`
   */
  locale?: (request: FastifyRequest) => string | undefined;
  /**
   * Receives errors answered with a 5xx status (their details never reach the client).
   * @default logs with `request.log.error`, as Fastify's own error handler does
   */
  onError?: (error: unknown) => void;
}

/** gatehouse on a Fastify instance (`app.gatehouse`): guards as `preHandler` hooks, and helpers. */
export interface FastifyGatehouse {
  /** The framework-free layer underneath. */
  readonly http: HttpAuth;
  /** Authenticates the request and sets `request.auth`; usable as an `onRequest` or `preHandler` hook. */
  readonly authenticate: preHandlerHookHandler;
  /** Passes a signed-in request (session or access token); 401 `UNAUTHENTICATED` otherwise. */
  readonly requireAuth: preHandlerHookHandler;
  /** Passes a request with a session (cookie or session bearer token), not only an access token. */
  readonly requireSession: preHandlerHookHandler;
  /**
   * Refuses (403 `FORBIDDEN`) a state-changing request from another origin or site, with or
   * without a session cookie: put it on the routes of HTML forms, such as a sign-in page's
   * `POST /login` (login CSRF: another site must not sign a visitor into an account of its
   * choosing). Cookie-authenticated requests are checked by the authentication already.
   */
  readonly requireSameOrigin: preHandlerHookHandler;
  /**
   * An `onRequest` hook sending the protective headers of {@link securityHeaders} (by default
   * `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY` with `frame-ancestors 'none'`,
   * `X-Content-Type-Options: nosniff`) with every response: `app.addHook('onRequest', app.gatehouse.securityHeaders())`.
   * @throws {TypeError} — now, for a malformed option.
   */
  securityHeaders(options?: SecurityHeadersOptions): onRequestHookHandler;
  /**
   * Passes a request whose user holds `permission`; with `owner`, checked on the resource
   * that resolver names, so `module:action:own` grants pass for the owner.
   * @throws {TypeError} — now, for a malformed permission code.
   */
  requirePermission(permission: string, options?: { owner?: FastifyOwnerResolver }): preHandlerHookHandler;
  /**
   * Passes a request whose user holds the role `code` right now.
   * @throws {TypeError} — now, for a malformed role code.
   */
  requireRole(code: string): preHandlerHookHandler;
  /** Sends the error response for an error (for an app that keeps its own error handler); 403 refusals are written to the activity log. */
  errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply;
  /** The request's principal, authenticating it first if no hook did. */
  authOf(request: FastifyRequest, reply: FastifyReply): Promise<RequestAuth | null>;
}

const NOT_AUTHENTICATED: Authentication = Object.freeze({ auth: null, via: null, cookies: Object.freeze([]) as readonly string[] });

/** Marks a plugin function the way `fastify-plugin` does, without depending on it. */
function exposeToParent<T extends object>(plugin: T, name: string): T {
  return Object.assign(plugin, {
    // Decorators and hooks of this plugin apply to the app that registers it, not to a child scope.
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: name,
    [Symbol.for('plugin-meta')]: { name, fastify: '5.x' },
  });
}

function send(reply: FastifyReply, result: HttpResult): FastifyReply {
  reply.code(result.status);
  for (const [name, value] of Object.entries(result.headers)) reply.header(name, value);
  // Fastify appends repeated set-cookie headers instead of replacing them.
  for (const cookie of result.cookies) reply.header('set-cookie', cookie);
  return result.body === undefined ? reply.send() : reply.send(result.body);
}

interface Internals {
  readonly http: HttpAuth;
  readonly authenticationOf: (request: FastifyRequest, reply: FastifyReply) => Promise<Authentication>;
  readonly errorHandler: (error: unknown, request: FastifyRequest, reply: FastifyReply) => FastifyReply;
  readonly bodyLimit: number;
}

const INTERNALS = Symbol('gatehouse.fastify');
const AUTHENTICATION = Symbol('gatehouse.authentication');
const SETTLED = Symbol('gatehouse.settled');

/** What {@link fastifyAuthRoutes} takes. */
export interface FastifyAuthRoutesOptions {
  /** Set by `register(…, { prefix })`. */
  prefix?: string;
}

/**
 * The `/api/auth/*` routes of the HTTP contract as an encapsulated plugin, for an app that
 * registered {@link fastifyAuth} with `routePrefix: false` and mounts them itself. The routes
 * accept JSON and HTML form bodies, and answer errors with gatehouse's error body whatever
 * the app's error handler.
 *
 * @example
 * ```ts
 * await app.register(fastifyAuth, { auth, routePrefix: false });
 * await app.register(fastifyAuthRoutes, { prefix: '/auth' });
 * ```
 */
export const fastifyAuthRoutes: FastifyPluginAsync<FastifyAuthRoutesOptions> = async function gatehouseRoutes(instance) {
  const internals = (instance.gatehouse as FastifyGatehouse & { [INTERNALS]?: Internals } | undefined)?.[INTERNALS];
  if (internals === undefined) throw new TypeError('Register the fastifyAuth plugin before fastifyAuthRoutes');
  const { http, authenticationOf, errorHandler, bodyLimit } = internals;

  // Fastify refuses an empty JSON body; a bodiless POST /logout with a JSON content type is common, so accept it here.
  const json = instance.getDefaultJsonParser('error', 'error');
  if (instance.hasContentTypeParser('application/json')) instance.removeContentTypeParser('application/json');
  instance.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') done(null, undefined);
    else json(request, text, done);
  });
  if (!instance.hasContentTypeParser('application/x-www-form-urlencoded')) {
    instance.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
  }
  instance.setErrorHandler(errorHandler);

  for (const route of http.routes()) {
    instance.route({
      method: route.method,
      url: route.path,
      bodyLimit,
      handler: async (request, reply) => {
        const authentication = route.authenticated ? await authenticationOf(request, reply) : NOT_AUTHENTICATED;
        return send(reply, await route.handle(request, authentication));
      },
    });
  }
};

/**
 * gatehouse for Fastify 5, as a plugin whose decorators reach the whole app (like
 * `fastify-plugin`): `request.auth`, `app.gatehouse` with the guards, an `onRequest` hook
 * authenticating each request from the session cookie or `Authorization: Bearer`, the
 * `/api/auth/*` routes, the JWKS when access tokens are on, and the error handler.
 *
 * Client addresses come from `request.ip`, so they honour the app's `trustProxy` setting:
 * an `X-Forwarded-For` header counts only from a proxy the app trusts.
 *
 * @throws {TypeError} — at registration, when an option is malformed.
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { fastifyAuth } from 'gatehouse/fastify';
 *
 * const app = Fastify();
 * await app.register(fastifyAuth, { auth, trustedOrigins: ['https://shop.example'] });
 * app.get('/api/orders', { preHandler: app.gatehouse.requirePermission('orders:view:own') }, listOrders);
 * ```
 */
export const fastifyAuth: FastifyPluginAsync<FastifyAuthOptions> = exposeToParent(async function gatehouse(fastify: FastifyInstance, options: FastifyAuthOptions) {
  const { auth, routePrefix = '/api/auth', jwksPath = '/.well-known/jwks.json', authenticateAll = true, errorHandler: installErrorHandler = true } = options;
  // Without an onError of the app's, 5xx errors go to Fastify's logger, as Fastify's own handler does.
  const http = new HttpAuth(auth, { ...options, onError: options.onError ?? (() => undefined) });
  const bodyLimit = options.bodyLimit ?? 16_384;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1) throw new TypeError('bodyLimit must be a positive number of bytes');
  const localeOf = errorLocale<FastifyRequest>(http, options.locale);
  if (routePrefix !== false && (typeof routePrefix !== 'string' || !routePrefix.startsWith('/'))) throw new TypeError("routePrefix must be a path such as '/api/auth', or false");
  if (jwksPath !== false && (typeof jwksPath !== 'string' || !jwksPath.startsWith('/'))) throw new TypeError("jwksPath must be a path such as '/.well-known/jwks.json', or false");

  type Slots = Record<typeof AUTHENTICATION, Promise<Authentication> | null> & Record<typeof SETTLED, boolean>;
  /** A request's authentication, started by the first hook that asks (one per request, however many ask). */
  const pendingOf = (request: FastifyRequest): Promise<Authentication> => {
    const slots = request as unknown as Slots;
    return (slots[AUTHENTICATION] ??= http.authenticate(request));
  };
  /** Sets `request.auth` and sends the cookie changes an authentication calls for, the first time it is called for a request. */
  const settle = (request: FastifyRequest, reply: FastifyReply, authentication: Authentication): Authentication => {
    const slots = request as unknown as Slots;
    if (!slots[SETTLED]) {
      slots[SETTLED] = true;
      for (const cookie of authentication.cookies) reply.header('set-cookie', cookie);
      request.auth = authentication.auth;
    }
    return authentication;
  };
  /** Authenticates a request once, however many hooks ask; sends the cookie changes it calls for. */
  const authenticationOf = async (request: FastifyRequest, reply: FastifyReply): Promise<Authentication> => settle(request, reply, await pendingOf(request));
  const authOf = async (request: FastifyRequest, reply: FastifyReply): Promise<RequestAuth | null> => (await authenticationOf(request, reply)).auth;

  /** A hook that authenticates the request and passes it on when `check` returns, in Fastify's callback style. */
  const hook = (name: string, check: (auth: RequestAuth | null) => void): preHandlerHookHandler => {
    const run: preHandlerHookHandler = (request, reply, done) => {
      pendingOf(request).then((authentication) => {
        try {
          check(settle(request, reply, authentication).auth);
        } catch (error) {
          done(error as Error);
          return;
        }
        done(); // outside the try: done runs the rest of the route, whose errors are Fastify's
      }, done);
    };
    return Object.defineProperty(run, 'name', { value: name });
  };

  const errorHandler = (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const locale = localeOf(request);
    http.logRefusal(error, request, { auth: request.auth, route: `${request.method} ${request.routeOptions.url ?? request.url.split('?', 1)[0]}` });
    const response = http.errorResponse(error, locale);
    if (response.status >= 500 && options.onError === undefined) request.log.error({ err: error }, 'request failed');
    return reply.code(response.status).headers(response.headers).send(response.body);
  };

  const decorated: FastifyGatehouse & { [INTERNALS]: Internals } = {
    http,
    authenticate: hook('authenticate', () => undefined),
    requireAuth: hook('requireAuth', (auth) => void http.requireAuth(auth)),
    requireSession: hook('requireSession', (auth) => void http.requireSession(auth)),
    requireSameOrigin: function requireSameOrigin(request, _reply, done) {
      try {
        http.assertSameOrigin(request);
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    },
    securityHeaders(headerOptions) {
      const headers = securityHeaders(headerOptions);
      return function securityHeadersHook(_request, reply, done) {
        reply.headers(headers);
        done();
      };
    },
    requirePermission(permission, guardOptions = {}) {
      http.checkPermissionCode(permission);
      const owner = guardOptions.owner;
      if (owner !== undefined && typeof owner !== 'function') throw new TypeError('requirePermission: owner must be a function of the request');
      if (owner === undefined) return hook('requirePermission', (auth) => void http.requirePermission(auth, permission));
      return function requirePermission(request, reply, done) {
        authOf(request, reply)
          .then(async (auth) => void http.requirePermission(http.requireAuth(auth), permission, { ownerId: await owner(request) }))
          .then(() => done(), done);
      };
    },
    requireRole(code) {
      http.checkRoleCode(code);
      return hook('requireRole', (auth) => void http.requireRole(auth, code));
    },
    errorHandler,
    authOf,
    [INTERNALS]: { http, authenticationOf, errorHandler, bodyLimit },
  };

  fastify.decorateRequest('auth', null);
  // A decorated slot rather than a WeakMap keyed by requests: no ephemeron for the GC to trace per request.
  fastify.decorateRequest(AUTHENTICATION as unknown as string, null);
  fastify.decorateRequest(SETTLED as unknown as string, false);
  fastify.decorate('gatehouse', decorated);
  if (authenticateAll) {
    fastify.addHook('onRequest', hook('gatehouseAuthenticate', () => undefined));
  }
  if (installErrorHandler) fastify.setErrorHandler(errorHandler);
  if (routePrefix !== false) await fastify.register(fastifyAuthRoutes, { prefix: routePrefix });
  if (http.accessTokens !== undefined && jwksPath !== false) {
    fastify.get(jwksPath, async (_request, reply) => send(reply, http.jwks()));
  }
}, 'gatehouse');
