import { AuthError } from '../../errors.js';
import type { AuthContext } from '../../domain/principal.js';
import type { Authentication, AuthRoute } from '../http-types.js';
import { fieldsOf, json, type RouteKit } from './route-kit.js';

/**
 * The two-factor routes of the signed-in user: status, enrol, confirm, recovery codes, disable.
 * Without `twoFactor` in the options, only the status answers; the others are `NOT_FOUND`
 * (404), like any route the app does not serve.
 */
export function twoFactorRoutes(kit: RouteKit): AuthRoute[] {
  const { auth } = kit;
  const configuredSession = (authentication: Authentication): AuthContext => {
    const session = kit.activeSession(authentication);
    if (!auth.twoFactor.available) throw new AuthError('NOT_FOUND');
    return session;
  };
  return [
    {
      method: 'GET',
      path: '/two-factor',
      authenticated: true,
      handle: async (_request, authentication) => json(200, await auth.twoFactor.status(kit.activeSession(authentication))),
    },
    {
      // Starts the set-up, after the password: the secret as text and as an otpauth:// URI for a QR code.
      method: 'POST',
      path: '/two-factor/enrol',
      authenticated: true,
      handle: async (request, authentication) =>
        json(200, await auth.twoFactor.enrol(configuredSession(authentication), { password: fieldsOf(request.body).password as string })),
    },
    {
      method: 'POST',
      path: '/two-factor/confirm',
      authenticated: true,
      handle: async (request, authentication) => json(200, await auth.twoFactor.confirm(configuredSession(authentication), { code: fieldsOf(request.body).code as string })),
    },
    {
      method: 'POST',
      path: '/two-factor/recovery-codes',
      authenticated: true,
      handle: async (request, authentication) =>
        json(200, await auth.twoFactor.regenerateRecoveryCodes(configuredSession(authentication), { password: fieldsOf(request.body).password as string })),
    },
    {
      method: 'POST',
      path: '/two-factor/disable',
      authenticated: true,
      handle: async (request, authentication) => {
        await auth.twoFactor.disable(configuredSession(authentication), { password: fieldsOf(request.body).password as string });
        return json(204);
      },
    },
  ];
}
