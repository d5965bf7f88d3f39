import type { AuthRoute } from '../http-types.js';
import { accountRoutes } from './account-routes.js';
import { passwordRoutes } from './password-routes.js';
import type { RouteKit } from './route-kit.js';
import { sessionRoutes } from './session-routes.js';
import { twoFactorRoutes } from './two-factor-routes.js';

/** Every route of the auth HTTP contract, by concern (see `HttpAuth.routes()`). */
export function authRoutes(kit: RouteKit): readonly AuthRoute[] {
  return Object.freeze([...accountRoutes(kit), ...sessionRoutes(kit), ...passwordRoutes(kit), ...twoFactorRoutes(kit)]);
}
