import type { RegisterInput } from '../../services/account-service.js';
import type { AuthRoute } from '../http-types.js';
import { fieldsOf, json, type RouteKit } from './route-kit.js';

/** The account routes: register, check-email, activate, resend-activation, profile, and the email change (email, confirm-email). */
export function accountRoutes(kit: RouteKit): AuthRoute[] {
  const { auth } = kit;
  const routes: AuthRoute[] = [
    {
      method: 'POST',
      path: '/register',
      authenticated: false,
      handle: async (request) => {
        await kit.limit('register', request);
        const { user } = await auth.accounts.register(fieldsOf(request.body) as RegisterInput, kit.client(request));
        return json(201, { user });
      },
    },
    {
      method: 'GET',
      path: '/check-email',
      authenticated: false,
      handle: async (request) => {
        await kit.limit('checkEmail', request);
        const available = await auth.accounts.isEmailAvailable(fieldsOf(request.query).email as string);
        return json(200, { available });
      },
    },
    {
      method: 'POST',
      path: '/activate',
      authenticated: false,
      handle: async (request) => {
        const { user } = await auth.accounts.activate({ key: fieldsOf(request.body).key as string }, kit.client(request));
        return kit.maybeRedirect(request, json(200, { user }));
      },
    },
    {
      method: 'POST',
      path: '/resend-activation',
      authenticated: false,
      handle: async (request) => {
        await kit.limit('resendActivation', request);
        await auth.accounts.resendActivation({ email: fieldsOf(request.body).email as string }, kit.client(request));
        return json(202, {});
      },
    },
    {
      method: 'PATCH',
      path: '/profile',
      authenticated: true,
      handle: async (request, authentication) => {
        const user = await auth.accounts.updateProfile(kit.activeSession(authentication), fieldsOf(request.body));
        return json(200, { user });
      },
    },
    // Email change: the signed-in user asks with the current password, a key goes to the new address; the key confirms it.
    {
      method: 'POST',
      path: '/email',
      authenticated: true,
      handle: async (request, authentication) => {
        const body = fieldsOf(request.body);
        await auth.accounts.requestEmailChange(kit.activeSession(authentication), { newEmail: body.newEmail as string, currentPassword: body.currentPassword as string });
        return json(202, {});
      },
    },
    {
      method: 'POST',
      path: '/confirm-email',
      authenticated: false,
      handle: async (request) => {
        const { user } = await auth.accounts.confirmEmailChange({ key: fieldsOf(request.body).key as string }, kit.client(request));
        return kit.maybeRedirect(request, json(200, { user }));
      },
    },
  ];
  // With registration.revealExistingEmail off, nothing public says whether an address has an account.
  return auth.accounts.revealsExistingEmail === false ? routes.filter((route) => route.path !== '/check-email') : routes;
}
