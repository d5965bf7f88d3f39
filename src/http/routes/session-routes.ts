import { AuthError } from '../../errors.js';
import type { LoginResult } from '../../services/sign-in-service.js';
import type { AuthRoute, HttpRequest, HttpResult } from '../http-types.js';
import { fieldsOf, flag, json, type RouteKit } from './route-kit.js';

/**
 * The session routes: login (and `login/two-factor`, its second step), logout, me, the
 * user's sessions (list, revoke), and `token` when access tokens are on. A cookie-mode
 * sign-in sets the session cookie through `startSession`.
 */
export function sessionRoutes(kit: RouteKit): AuthRoute[] {
  const { auth } = kit;

  /** Signs in (cookie or bearer mode) with the given step and answers with the session. */
  const signIn = async (request: HttpRequest, step: (body: Record<string, unknown>) => Promise<LoginResult>): Promise<HttpResult> => {
    const body = fieldsOf(request.body);
    const mode = body.mode ?? 'cookie';
    if (mode !== 'cookie' && mode !== 'bearer') {
      throw new AuthError('VALIDATION_FAILED', { issues: [{ path: ['mode'], code: 'invalid_value', message: "Use 'cookie' or 'bearer'." }] });
    }
    // Login CSRF: another site must not sign the browser into an account of its choosing.
    if (mode === 'cookie') kit.assertSameOrigin(request);
    const login = await step(body);
    const summary = { user: login.user, session: { id: login.session.id, expiresAt: login.session.expiresAt } };
    if (mode === 'bearer') return json(200, { ...summary, token: login.token });
    return kit.maybeRedirect(request, json(200, summary, [await kit.startSession(request, login)]));
  };

  const routes: AuthRoute[] = [
    {
      method: 'POST',
      path: '/login',
      authenticated: false,
      handle: (request) =>
        signIn(request, (body) =>
          auth.sessions.login({ email: body.email as string, password: body.password as string, rememberMe: flag(body.rememberMe) as boolean | undefined }, kit.client(request)),
        ),
    },
    {
      // The second step when two-factor is on: the challenge of a 401 TWO_FACTOR_REQUIRED and a code.
      method: 'POST',
      path: '/login/two-factor',
      authenticated: false,
      handle: (request) =>
        signIn(request, (body) =>
          auth.sessions.verifyTwoFactor(
            { challenge: body.challenge as string, code: body.code as string, rememberMe: flag(body.rememberMe) as boolean | undefined },
            kit.client(request),
          ),
        ),
    },
    {
      method: 'POST',
      path: '/logout',
      authenticated: true,
      handle: async (request, authentication) => {
        await auth.sessions.logout(kit.session(authentication));
        return kit.maybeRedirect(request, json(204, undefined, authentication.via === 'cookie' ? [kit.cookie.clear()] : []));
      },
    },
    {
      method: 'GET',
      path: '/me',
      authenticated: true,
      handle: async (_request, authentication) => {
        const ctx = kit.session(authentication);
        return json(200, { user: ctx.user, roles: ctx.roles, permissions: ctx.permissions });
      },
    },
    {
      method: 'GET',
      path: '/sessions',
      authenticated: true,
      handle: async (_request, authentication) => {
        const items = await auth.sessions.list(kit.session(authentication));
        return json(200, { items, total: items.length });
      },
    },
    {
      method: 'DELETE',
      path: '/sessions/:id',
      authenticated: true,
      handle: async (request, authentication) => {
        const ctx = kit.session(authentication);
        const param = fieldsOf(request.params).id;
        const id = typeof param === 'string' ? param : '';
        await auth.sessions.revoke(ctx, id);
        const current = id === ctx.session.id && authentication.via === 'cookie';
        return json(204, undefined, current ? [kit.cookie.clear()] : []);
      },
    },
  ];
  const tokens = kit.accessTokens;
  if (tokens !== undefined) {
    routes.push({
      method: 'POST',
      path: '/token',
      authenticated: true,
      handle: async (_request, authentication) => {
        // Only a session issues tokens: a token that could renew itself would outlive a revoked session.
        const issued = await tokens.issue(kit.activeSession(authentication));
        return json(200, { accessToken: issued.token, tokenType: 'Bearer', expiresAt: issued.expiresAt, expiresIn: issued.expiresIn });
      },
    });
  }
  return routes;
}
