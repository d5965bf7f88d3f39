/**
 * What both example apps serve besides gatehouse's own `/api/auth/*` routes: the admin and
 * orders JSON API of the HTTP contract, the dev outbox, and the HTML pages. Written once,
 * framework-free; each app mounts them with its framework's own guards.
 */
import { renderSVG } from 'uqr';
import { isAuthError, safeRedirect, type AuthContext, type AuthError, type ClientInfo, type HttpAuth, type HttpRequest, type RequestAuth, type UserStatus } from 'gatehouse';
import * as pages from './pages.js';
import type { ExampleRuntime } from './setup.js';

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
  /** The framework's request itself, for gatehouse's HTTP layer (the cookie it carries). */
  readonly raw: HttpRequest;
}

/** A JSON answer. */
export interface JsonReply {
  readonly status: number;
  readonly body?: unknown;
}

/** An HTML answer: a page, or a redirect (303) with cookies to set. */
export interface PageReply {
  readonly status: number;
  readonly html?: string;
  readonly redirect?: string;
  readonly cookies?: readonly string[];
}

/** A JSON route: the permission its guard checks (or `session`), and its handler. */
export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly guard: { readonly permission: string } | 'session' | 'public';
  handle(req: AppRequest): Promise<JsonReply>;
}

/** An HTML route. */
export interface PageRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  handle(req: AppRequest): Promise<PageReply>;
}

/** The signed-in session of a request: the admin services act for a session, never for a bare token. */
const session = (req: AppRequest): AuthContext | null => (req.auth?.kind === 'session' ? req.auth : null);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

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
        if (typeof item !== 'string' || item.trim() === '' || item.length > 200 || !Number.isInteger(quantity) || (quantity as number) < 1) {
          return { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'Send an item and a whole positive quantity.' } } };
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

/**
 * The HTML pages. Forms post back to the page; errors are shown next to their field. Mount
 * every one behind the framework's `requireSameOrigin` (another site must not post them).
 */
export function pageRoutes(runtime: ExampleRuntime, http: HttpAuth): PageRoute[] {
  const { auth, outbox } = runtime;
  const viewer = (req: AppRequest): pages.Viewer | null => {
    const ctx = session(req);
    return ctx === null ? null : { name: ctx.user.name, admin: auth.access.can(ctx, 'users:view') };
  };
  const page = (html: string, status = 200): PageReply => ({ status, html });
  const redirect = (to: string, cookies: readonly string[] = []): PageReply => ({ status: 303, redirect: to, cookies });
  const fail = (error: unknown, fallback = 'Something went wrong.'): Record<string, string> => {
    if (!isAuthError(error) || error.status >= 500) throw error;
    return pages.errorsByField(error.issues, error.message ?? fallback);
  };
  const signedIn = (req: AppRequest, next: string): AuthContext | PageReply => session(req) ?? redirect(`/login?next=${encodeURIComponent(next)}`);
  const isReply = (value: AuthContext | PageReply): value is PageReply => 'status' in value;
  const profile = async (ctx: AuthContext, extra: Partial<pages.ProfileView> = {}): Promise<PageReply> =>
    page(
      pages.profilePage(
        { name: ctx.user.name, admin: auth.access.can(ctx, 'users:view') },
        {
          user: await auth.accounts.getProfile(ctx),
          roles: ctx.roles,
          sessions: await auth.sessions.list(ctx),
          twoFactorEnabled: (await auth.twoFactor.status(ctx)).enabled,
          ...extra,
        },
      ),
    );
  const admin = (req: AppRequest, path: string): AuthContext | PageReply => {
    const ctx = signedIn(req, path);
    if (isReply(ctx)) return ctx;
    if (auth.access.can(ctx, 'users:view')) return ctx;
    auth.audit.recordRefusal(ctx, { kind: 'forbidden', permission: 'users:view', route: req.route }, req.client);
    return page(pages.messagePage('Forbidden', 'You do not have permission to see this page.', viewer(req)), 403);
  };
  /** An administrator's action refused: into the activity log (as the JSON API's error handler does), and its message for the page. */
  const refusal = (ctx: AuthContext, req: AppRequest, error: unknown): string => {
    if (isAuthError(error, 'FORBIDDEN')) auth.audit.recordRefusal(ctx, { kind: 'forbidden', route: req.route }, req.client);
    return Object.values(fail(error)).join(' ');
  };
  const usersList = async (ctx: AuthContext, req: AppRequest, note: { notice?: string; error?: string } = {}): Promise<PageReply> => {
    const query = {
      status: (req.query['status'] || undefined) as UserStatus | undefined,
      role: req.query['role'] || undefined,
      q: req.query['q'] || undefined,
      page: Math.max(1, Number(req.query['page'] ?? 1) || 1),
      pageSize: Math.min(100, Math.max(1, Number(req.query['pageSize'] ?? 10) || 10)),
    };
    return page(
      pages.usersPage(viewer(req)!, { page: await auth.users.list(ctx, query), query, roles: await auth.roles.listRoles(ctx).catch(() => []), ...note }),
    );
  };
  const userDetail = async (ctx: AuthContext, req: AppRequest, note: { notice?: string; error?: string } = {}): Promise<PageReply> => {
    const details = await auth.users.get(ctx, req.params['id']!);
    const activity = auth.access.can(ctx, 'audit:view') ? await auth.audit.query(ctx, { subjectId: details.user.id, pageSize: 50 }) : { items: [], total: 0 };
    return page(pages.userPage(viewer(req)!, { user: details.user, roles: details.roles, allRoles: await auth.roles.listRoles(ctx).catch(() => []), activity, ...note }));
  };
  /** Runs an admin action from the users list and shows the list again with its outcome. */
  const adminAction = (action: (ctx: AuthContext, req: AppRequest) => Promise<unknown>, done: string) => async (req: AppRequest) => {
    const ctx = admin(req, '/admin/users');
    if (isReply(ctx)) return ctx;
    try {
      await action(ctx, req);
      return usersList(ctx, req, { notice: done });
    } catch (error) {
      return usersList(ctx, req, { error: refusal(ctx, req, error) });
    }
  };
  // Ends the session the browser held before (signing in over it must not leave it alive), then sets the new cookie.
  const signInWith = async (req: AppRequest, login: { token: string; session: { expiresAt: Date } }, next: unknown): Promise<PageReply> =>
    redirect(safeRedirect(next, { fallback: '/profile' }), [await http.startSession(req.raw, login)]);

  const routes: PageRoute[] = [
    { method: 'GET', path: '/', handle: async (req) => page(pages.homePage(viewer(req))) },
    { method: 'GET', path: '/login', handle: async (req) => page(pages.loginPage({}, safeRedirect(req.query['next'], { fallback: '/profile' }))) },
    {
      method: 'POST',
      path: '/login',
      handle: async (req) => {
        const values = { email: str(req.body['email']), rememberMe: str(req.body['rememberMe']) };
        try {
          const login = await auth.sessions.login({ email: values.email, password: str(req.body['password']), rememberMe: values.rememberMe === 'true' }, req.client);
          return await signInWith(req, login, req.body['next']);
        } catch (error) {
          if (isAuthError(error, 'TWO_FACTOR_REQUIRED')) return page(pages.twoFactorPage({}, (error as AuthError).challenge!, str(req.body['next'])));
          return page(pages.loginPage({ values, errors: fail(error) }, str(req.body['next'])), 400);
        }
      },
    },
    {
      method: 'POST',
      path: '/login/two-factor',
      handle: async (req) => {
        const challenge = str(req.body['challenge']);
        try {
          return await signInWith(req, await auth.sessions.verifyTwoFactor({ challenge, code: str(req.body['code']) }, req.client), req.body['next']);
        } catch (error) {
          if (isAuthError(error, 'KEY_INVALID') || isAuthError(error, 'KEY_EXPIRED')) {
            return page(pages.loginPage({ errors: { _: 'That took too long. Sign in again.' } }, str(req.body['next'])), 400);
          }
          return page(pages.twoFactorPage({ errors: { code: (error as AuthError).message } }, challenge, str(req.body['next'])), 400);
        }
      },
    },
    {
      method: 'POST',
      path: '/logout',
      handle: async (req) => {
        const ctx = session(req);
        if (ctx !== null) await auth.sessions.logout(ctx);
        return redirect('/login', [http.cookie.clear()]);
      },
    },
    { method: 'GET', path: '/register', handle: async () => page(pages.registerPage({})) },
    {
      method: 'POST',
      path: '/register',
      handle: async (req) => {
        const values = { name: str(req.body['name']), email: str(req.body['email']), nationalId: str(req.body['nationalId']), phone: str(req.body['phone']) };
        const optional = (value: string): string | undefined => (value.trim() === '' ? undefined : value);
        try {
          await auth.accounts.register(
            { ...values, password: str(req.body['password']), nationalId: optional(values.nationalId), phone: optional(values.phone) },
            req.client,
          );
        } catch (error) {
          return page(pages.registerPage({ values, errors: fail(error) }), 400);
        }
        const links = outbox === undefined ? '' : '<p>Development: the mail is in the <a href="/dev/outbox">outbox</a>.</p>';
        return page(pages.messagePage('Check your mail', 'We sent you a link to activate your account.', null, links), 201);
      },
    },
    { method: 'GET', path: '/activate', handle: async (req) => page(pages.activatePage(str(req.query['key']), {})) },
    {
      method: 'POST',
      path: '/activate',
      handle: async (req) => {
        try {
          await auth.accounts.activate({ key: str(req.body['key']) }, req.client);
        } catch (error) {
          return page(pages.activatePage(str(req.body['key']), { errors: { _: Object.values(fail(error)).join(' ') } }), 400);
        }
        const waiting = runtime.config.requireApproval ? ' An administrator will approve it shortly.' : '';
        return page(pages.messagePage('Account activated', `Your email is confirmed.${waiting}`, null, '<p><a href="/login">Sign in</a></p>'));
      },
    },
    { method: 'GET', path: '/forgot-password', handle: async () => page(pages.forgotPasswordPage({})) },
    {
      method: 'POST',
      path: '/forgot-password',
      handle: async (req) => {
        try {
          await auth.passwords.requestReset({ email: str(req.body['email']) }, req.client);
        } catch (error) {
          return page(pages.forgotPasswordPage({ values: { email: str(req.body['email']) }, errors: fail(error) }), 400);
        }
        return page(pages.messagePage('Check your mail', 'If an account uses that address, we sent it a link to choose a new password.'));
      },
    },
    { method: 'GET', path: '/reset-password', handle: async (req) => page(pages.resetPasswordPage(str(req.query['key']), {})) },
    {
      method: 'POST',
      path: '/reset-password',
      handle: async (req) => {
        try {
          await auth.passwords.reset({ key: str(req.body['key']), password: str(req.body['password']) }, req.client);
        } catch (error) {
          return page(pages.resetPasswordPage(str(req.body['key']), { errors: fail(error) }), 400);
        }
        return page(pages.messagePage('Password changed', 'Your new password is saved and your other sessions are signed out.', null, '<p><a href="/login">Sign in</a></p>'));
      },
    },
    {
      method: 'GET',
      path: '/profile',
      handle: async (req) => {
        const ctx = signedIn(req, '/profile');
        if (isReply(ctx)) return ctx;
        return profile(ctx, ctx.user.mustChangePassword ? { notice: 'Please choose a new password before you go on.' } : {});
      },
    },
    {
      method: 'POST',
      path: '/profile',
      handle: async (req) => {
        const ctx = signedIn(req, '/profile');
        if (isReply(ctx)) return ctx;
        const values = { name: str(req.body['name']), phone: str(req.body['phone']) };
        try {
          await auth.accounts.updateProfile(ctx, { name: values.name, phone: values.phone.trim() === '' ? undefined : values.phone });
          return redirect('/profile');
        } catch (error) {
          return profile(ctx, { profileForm: { values, errors: fail(error) } });
        }
      },
    },
    {
      method: 'POST',
      path: '/profile/password',
      handle: async (req) => {
        const ctx = signedIn(req, '/profile');
        if (isReply(ctx)) return ctx;
        try {
          await auth.passwords.change(ctx, { currentPassword: str(req.body['currentPassword']), newPassword: str(req.body['newPassword']) });
          return profile(ctx, { notice: 'Password changed. Your other sessions were signed out.' });
        } catch (error) {
          const errors = fail(error);
          if (isAuthError(error, 'INVALID_CREDENTIALS')) errors['currentPassword'] = 'The current password is wrong.';
          return profile(ctx, { passwordForm: { errors } });
        }
      },
    },
    {
      method: 'POST',
      path: '/profile/sessions/:id/revoke',
      handle: async (req) => {
        const ctx = signedIn(req, '/profile');
        if (isReply(ctx)) return ctx;
        await auth.sessions.revoke(ctx, req.params['id']!).catch((error: unknown) => fail(error));
        return redirect('/profile');
      },
    },
    {
      method: 'GET',
      path: '/profile/two-factor',
      handle: async (req) => {
        const ctx = signedIn(req, '/profile/two-factor');
        if (isReply(ctx)) return ctx;
        return page(pages.twoFactorSettingsPage(viewer(req)!, { enabled: (await auth.twoFactor.status(ctx)).enabled }));
      },
    },
    {
      method: 'POST',
      path: '/profile/two-factor/enrol',
      handle: async (req) => {
        const ctx = signedIn(req, '/profile/two-factor');
        if (isReply(ctx)) return ctx;
        try {
          const { secret, uri } = await auth.twoFactor.enrol(ctx, { password: str(req.body['password']) });
          return page(pages.twoFactorSettingsPage(viewer(req)!, { enabled: false, enrolment: { secret, uri, qr: qrDataUrl(uri) } }));
        } catch (error) {
          if (!isAuthError(error)) throw error;
          return page(pages.twoFactorSettingsPage(viewer(req)!, { enabled: false, form: { errors: { password: Object.values(fail(error)).join(' ') } } }), 400);
        }
      },
    },
    {
      method: 'POST',
      path: '/profile/two-factor/confirm',
      handle: async (req) => {
        const ctx = signedIn(req, '/profile/two-factor');
        if (isReply(ctx)) return ctx;
        try {
          const { recoveryCodes } = await auth.twoFactor.confirm(ctx, { code: str(req.body['code']) });
          return page(pages.twoFactorSettingsPage(viewer(req)!, { enabled: true, recoveryCodes, notice: 'Two-step verification is on.' }));
        } catch (error) {
          fail(error);
          return page(pages.twoFactorSettingsPage(viewer(req)!, { enabled: false, notice: 'That code did not match. Set it up again.' }), 400);
        }
      },
    },
    {
      method: 'POST',
      path: '/profile/two-factor/disable',
      handle: async (req) => {
        const ctx = signedIn(req, '/profile/two-factor');
        if (isReply(ctx)) return ctx;
        try {
          await auth.twoFactor.disable(ctx, { password: str(req.body['password']) });
          return page(pages.twoFactorSettingsPage(viewer(req)!, { enabled: false, notice: 'Two-step verification is off.' }));
        } catch (error) {
          return page(pages.twoFactorSettingsPage(viewer(req)!, { enabled: true, form: { errors: { password: Object.values(fail(error)).join(' ') } } }), 400);
        }
      },
    },
    {
      method: 'GET',
      path: '/admin/users',
      handle: async (req) => {
        const ctx = admin(req, '/admin/users');
        return isReply(ctx) ? ctx : usersList(ctx, req);
      },
    },
    {
      method: 'GET',
      path: '/admin/users/:id',
      handle: async (req) => {
        const ctx = admin(req, '/admin/users');
        return isReply(ctx) ? ctx : userDetail(ctx, req);
      },
    },
    { method: 'POST', path: '/admin/users/:id/approve', handle: adminAction((ctx, req) => auth.users.approve(ctx, req.params['id']!), 'Approved.') },
    { method: 'POST', path: '/admin/users/:id/toggle', handle: adminAction((ctx, req) => auth.users.toggle(ctx, req.params['id']!), 'Status changed.') },
    { method: 'POST', path: '/admin/users/:id/unblock', handle: adminAction((ctx, req) => auth.users.unblock(ctx, req.params['id']!), 'Unblocked.') },
    {
      method: 'POST',
      path: '/admin/users/:id/block',
      handle: adminAction((ctx, req) => auth.users.block(ctx, req.params['id']!, { reason: str(req.body['reason']) }), 'Blocked; their sessions were signed out.'),
    },
    {
      method: 'POST',
      path: '/admin/users/:id/roles',
      handle: async (req) => {
        const ctx = admin(req, '/admin/users');
        if (isReply(ctx)) return ctx;
        const chosen = req.body['roles'];
        const codes = Array.isArray(chosen) ? chosen.map(String) : typeof chosen === 'string' ? [chosen] : [];
        try {
          await auth.users.setRoles(ctx, req.params['id']!, codes.map((code) => ({ code })));
          return userDetail(ctx, req, { notice: 'Roles saved.' });
        } catch (error) {
          return userDetail(ctx, req, { error: refusal(ctx, req, error) });
        }
      },
    },
  ];
  if (outbox !== undefined) {
    routes.push({
      method: 'GET',
      path: '/dev/outbox',
      handle: async () => {
        await auth.drain();
        return page(pages.outboxPage(outbox.outbox));
      },
    });
  }
  return routes;
}

/** A QR code of the otpauth URI as an SVG data URL, for an `<img>`. */
function qrDataUrl(text: string): string {
  return `data:image/svg+xml;base64,${Buffer.from(renderSVG(text)).toString('base64')}`;
}
