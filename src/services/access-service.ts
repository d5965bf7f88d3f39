import type { OwnedResource } from '../domain/permission.js';
import { AuthError } from '../errors.js';
import { permissionSetOf, SYSTEM, type AccessSubject } from '../domain/principal.js';

/**
 * Permission checks. They run in memory against the permissions resolved when the
 * session was validated, so a check costs no store round trip; a change to a user's roles
 * or to a role's permissions shows on the next validated request.
 *
 * @example
 * ```ts
 * const ctx = await auth.sessions.validate(token);
 * if (auth.access.can(ctx, 'orders:view', { ownerId: order.customerId })) show(order);
 * auth.access.assert(ctx, 'users:block'); // throws AuthError FORBIDDEN
 * ```
 */
export class AccessService {
  /**
   * Whether `subject` may do `permission` (`module:action` or `module:action:own`).
   * A grant of the code, of `module:*` or of `*` allows it everywhere; a grant of
   * `module:action:own` allows `module:action` only on a `resource` whose `ownerId` is the
   * subject. The system actor may do everything; `null` (no session) nothing. Malformed
   * or wildcard codes are never allowed. A verified access token is checked against the
   * permissions it carries.
   * @throws {TypeError} — when `subject` is neither a validated context, an access-token principal, the system actor nor `null`.
   */
  can(subject: AccessSubject | null | undefined, permission: string, resource?: OwnedResource): boolean {
    if (subject === null || subject === undefined) return false;
    if (subject === SYSTEM) return true;
    const set = permissionSetOf(subject);
    if (set === undefined) throw new TypeError('Expected the context returned by auth.sessions.validate() or auth.system');
    return set.has(permission, resource);
  }

  /**
   * Like {@link can}, but throws when the answer is no.
   * @throws {AuthError} UNAUTHENTICATED — when there is no session.
   * @throws {AuthError} FORBIDDEN — when the subject lacks the permission.
   */
  assert(subject: AccessSubject | null | undefined, permission: string, resource?: OwnedResource): void {
    if (subject === null || subject === undefined) throw new AuthError('UNAUTHENTICATED');
    if (!this.can(subject, permission, resource)) throw new AuthError('FORBIDDEN');
  }

  /**
   * Whether `subject` holds the role `code` right now (an expired assignment or an
   * inactive role does not count). The system actor holds every role.
   */
  hasRole(subject: AccessSubject | null | undefined, code: string): boolean {
    if (subject === null || subject === undefined) return false;
    if (subject === SYSTEM) return true;
    if (subject.kind === 'system' || permissionSetOf(subject) === undefined) {
      throw new TypeError('Expected the context returned by auth.sessions.validate() or auth.system');
    }
    return subject.roles.some((role) => role.code === code);
  }
}
