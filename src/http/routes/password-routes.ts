import type { AuthRoute } from '../http-types.js';
import { fieldsOf, json, type RouteKit } from './route-kit.js';

/** The password routes: change-password (signed in), forgot-password and reset-password (with the mailed key). */
export function passwordRoutes(kit: RouteKit): AuthRoute[] {
  const { auth } = kit;
  return [
    {
      method: 'POST',
      path: '/change-password',
      authenticated: true,
      handle: async (request, authentication) => {
        const body = fieldsOf(request.body);
        await auth.passwords.change(kit.session(authentication), { currentPassword: body.currentPassword as string, newPassword: body.newPassword as string });
        return json(204);
      },
    },
    {
      method: 'POST',
      path: '/forgot-password',
      authenticated: false,
      handle: async (request) => {
        await kit.limit('forgotPassword', request);
        await auth.passwords.requestReset({ email: fieldsOf(request.body).email as string }, kit.client(request));
        return json(202, {});
      },
    },
    {
      method: 'POST',
      path: '/reset-password',
      authenticated: false,
      handle: async (request) => {
        const body = fieldsOf(request.body);
        await auth.passwords.reset({ key: body.key as string, password: body.password as string }, kit.client(request));
        return kit.maybeRedirect(request, json(200, {}));
      },
    },
  ];
}
