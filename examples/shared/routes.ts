/**
 * What both example apps serve besides gatehouse's own `/api/auth/*` routes: the admin and
 * orders JSON API of the HTTP contract, the dev outbox, and the HTML pages. Written once,
 * framework-free; each app mounts them with its framework's own guards.
 */
import { readFileSync } from 'node:fs';
import type { AuthContext, ClientInfo } from 'gatehouse';
import type { HttpAuth, HttpRequest, RequestAuth } from 'gatehouse/http';
import { PageCookies } from './cookies.js';
import { PageKit, open, type PageRoute } from './page-kit.js';
import { accountPages } from './routes/account-pages.js';
import { adminPages } from './routes/admin-pages.js';
import { profilePages } from './routes/profile-pages.js';
import { shopPages } from './routes/shop-pages.js';
import type { ExampleRuntime } from './setup.js';
import { outboxBody } from './views/account.js';

export type { PageReply, PageRoute } from './page-kit.js';

/** A request as the shared handlers see it. */
export interface AppRequest {
  readonly auth: RequestAuth | null;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The JSON body, or the form fields of an HTML form (repeated fields as arrays). */
  readonly body: Readonly<Record<string, unknown>>;
  readonly client: ClientInfo;
  /** The route, e.g. `POST /admin/users/:id/block`, for the activity log. */
  readonly route: string;
  /** The request's path, without the query. */
  readonly path: string;
  /** The framework's request itself, for gatehouse's HTTP layer (the cookie it carries). */
  readonly raw: HttpRequest;
}

/** A JSON answer. */
export interface JsonReply {
  readonly status: number;
  readonly body?: unknown;
}

/** A JSON route: the permission its guard checks (or `session`), and its handler. */
export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly guard: { readonly permission: string } | 'session' | 'public';
  handle(req: AppRequest): Promise<JsonReply>;
}

/** The signed-in session of a request: the admin services act for a session, never for a bare token. */
const session = (req: AppRequest): AuthContext | null => (req.auth?.kind === 'session' ? req.auth : null);

/** The JSON routes of the HTTP contract beyond `/api/auth`. */
export function apiRoutes(runtime: ExampleRuntime): ApiRoute[] {
  const { auth, orders, outbox } = runtime;
  const routes: ApiRoute[] = [
    {
      method: 'GET',
      path: '/api/users',
      guard: { permission: 'users:view' },
      handle: async (req) => ({ status: 200, body: await auth.users.list(session(req), req.query) }),
    },
    {
      method: 'POST',
      path: '/api/users',
      guard: { permission: 'users:create' },
      handle: async (req) => ({ status: 201, body: await auth.users.create(session(req), req.body as never) }),
    },
    {
      method: 'GET',
      path: '/api/users/:id',
      guard: { permission: 'users:view' },
      handle: async (req) => ({ status: 200, body: await auth.users.get(session(req), req.params['id']!) }),
    },
    {
      method: 'PATCH',
      path: '/api/users/:id',
      guard: { permission: 'users:edit' },
      handle: async (req) => ({ status: 200, body: { user: await auth.users.edit(session(req), req.params['id']!, req.body) } }),
    },
    {
      method: 'POST',
      path: '/api/users/:id/approve',
      guard: { permission: 'users:edit' },
      handle: async (req) => ({ status: 200, body: { user: await auth.users.approve(session(req), req.params['id']!) } }),
    },
    {
      method: 'POST',
      path: '/api/users/:id/toggle-status',
      guard: { permission: 'users:edit' },
      handle: async (req) => ({ status: 200, body: { user: await auth.users.toggle(session(req), req.params['id']!) } }),
    },
    {
      method: 'POST',
      path: '/api/users/:id/block',
      guard: { permission: 'users:block' },
      handle: async (req) => ({ status: 200, body: { user: await auth.users.block(session(req), req.params['id']!, req.body as never) } }),
    },
    {
      method: 'DELETE',
      path: '/api/users/:id',
      guard: { permission: 'users:delete' },
      handle: async (req) => ({ status: 200, body: { user: await auth.users.delete(session(req), req.params['id']!) } }),
    },
    {
      method: 'PUT',
      path: '/api/users/:id/roles',
      guard: { permission: 'roles:assign' },
      handle: async (req) => ({ status: 200, body: await auth.users.setRoles(session(req), req.params['id']!, (req.body['roles'] ?? []) as never) }),
    },
    {
      method: 'GET',
      path: '/api/users/:id/activity',
      guard: { permission: 'audit:view' },
      handle: async (req) => ({ status: 200, body: await auth.audit.query(session(req), { ...req.query, subjectId: req.params['id']! }) }),
    },
    {
      method: 'POST',
      path: '/api/users/:id/two-factor/reset',
      guard: { permission: 'users:edit' },
      handle: async (req) => {
        await auth.twoFactor.reset(session(req), req.params['id']!);
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/api/orders',
      guard: 'session',
      handle: async (req) => {
        // orders:view sees every order; orders:view:own only the requester's own.
        const who = req.auth!;
        auth.access.assert(who, 'orders:view:own');
        return { status: 200, body: { items: orders.list((order) => auth.access.can(who, 'orders:view', order)) } };
      },
    },
    {
      method: 'POST',
      path: '/api/orders',
      guard: 'session',
      handle: async (req) => {
        const item = req.body['item'];
        const quantity = req.body['quantity'];
        if (typeof item !== 'string' || item.trim() === '' || item.length > 200 || !Number.isInteger(quantity) || (quantity as number) < 1 || (quantity as number) > 1000) {
          return { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'Send an item and a whole quantity from 1 to 1000.' } } };
        }
        return { status: 201, body: { order: orders.add(req.auth!.user.id, item.trim(), quantity as number) } };
      },
    },
  ];
  if (outbox !== undefined) {
    routes.push({
      method: 'GET',
      path: '/api/dev/outbox',
      guard: 'public',
      handle: async () => {
        await auth.drain(); // mails of reset and resend requests go out in the background
        return { status: 200, body: outbox.outbox.map(({ to, subject, kind, key, link, text }) => ({ to, subject, kind, key: key ?? null, link: link ?? null, text })) };
      },
    });
  }
  return routes;
}


/** The stylesheet and the script of the pages: plain files, no build step. */
const ASSETS: Readonly<Record<string, { type: string; file: string }>> = {
  '/assets/shop.css': { type: 'text/css; charset=utf-8', file: 'shop.css' },
  '/assets/shop.js': { type: 'text/javascript; charset=utf-8', file: 'shop.js' },
};

/** The HTML pages, and the error page of requests they did not answer. */
export interface HtmlPages {
  /** Mount every one behind the framework's `requireSameOrigin` (another site must not post them). */
  readonly routes: readonly PageRoute[];
  /** The styled page of a 404, or of an error the framework caught (403, 413, 500, 503…). */
  errorPage: PageKit['errorPage'];
}

/** The HTML pages. Every form posts, then redirects to a page (Post/Redirect/Get). */
export function htmlPages(runtime: ExampleRuntime, http: HttpAuth): HtmlPages {
  const kit = new PageKit(runtime, http, new PageCookies(runtime.cookieSecret, !runtime.config.development));
  const routes = [...accountPages(kit), ...shopPages(kit), ...profilePages(kit), ...adminPages(kit)];
  for (const [path, { type, file }] of Object.entries(ASSETS)) {
    const body = readFileSync(new URL(`./assets/${file}`, import.meta.url), 'utf8');
    routes.push({ method: 'GET', path, handle: async () => ({ status: 200, asset: { type, body } }) });
  }
  const { outbox } = runtime;
  if (outbox !== undefined) {
    routes.push(
      kit.route('GET', '/dev/outbox', open, async (_req, ui) => {
        await runtime.auth.drain(); // mails of reset and resend requests go out in the background
        return ui.page(ui.t.outbox.title, outboxBody(ui.t, outbox.outbox));
      }),
    );
  }
  return { routes, errorPage: (request, status) => kit.errorPage(request, status) };
}

/** Whether a path is one of the JSON API's (its errors are JSON, the pages' are pages). */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}
