import type { SessionBundle } from 'gatehouse';

/**
 * Freezes a session bundle a store hands out again and again (a cached bundle), all the way
 * down to its records, so no caller can change what the next caller gets. The core knows a
 * frozen bundle for one that may be remembered: it then derives the context's roles,
 * permissions and public user once per bundle. Dates stay as they are (a Date cannot be frozen).
 */
export function freezeBundle(bundle: SessionBundle): SessionBundle {
  const { session, user, grants } = bundle;
  Object.freeze(user.attributes);
  for (const grant of grants) {
    Object.freeze(grant.role);
    Object.freeze(grant.permissions);
    Object.freeze(grant);
  }
  return Object.freeze({ session: Object.freeze(session), user: Object.freeze(user), grants: Object.freeze(grants) });
}
