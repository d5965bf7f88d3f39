import type { NormalizedClient } from '../domain/client.js';
import { PermissionSet } from '../domain/permission.js';
import type { ActiveRole } from '../domain/role.js';
import type { Session } from '../domain/session.js';
import type { User } from '../domain/user.js';
import { AuthError } from '../errors.js';

/**
 * A validated session: who is acting in this request, with their live roles and effective
 * permissions. Only {@link SessionService.validate} makes these; services that act for
 * the signed-in user take one and refuse anything else, so the acting user always comes
 * from the session and never from a request field.
 */
export interface AuthContext {
  readonly kind: 'session';
  readonly user: User;
  readonly session: Session;
  /** Live roles, highest level first; the first is the principal role. */
  readonly roles: readonly ActiveRole[];
  /** Effective permission codes (wildcards as granted). */
  readonly permissions: readonly string[];
  /** The level of the principal role, 0 without roles. */
  readonly level: number;
  /** Whether this validation slid the session's expiry (an HTTP layer re-sends the cookie). */
  readonly renewed: boolean;
  /** The client of the request, for the activity log. */
  readonly client: NormalizedClient;
}

/** The application itself acting (seeding, jobs, a CLI): every permission, above every level. */
export interface SystemActor {
  readonly kind: 'system';
}

/** Who performs an administrative action. */
export type Actor = AuthContext | SystemActor;

const PERMISSIONS = Symbol('gatehouse.permissions');
type Branded = AuthContext & { readonly [PERMISSIONS]: PermissionSet };

/** The one system actor. */
export const SYSTEM: SystemActor = Object.freeze({ kind: 'system' });

/** Makes a context; the permission set hides behind a module-private symbol, which is also the brand. */
export function createContext(fields: Omit<AuthContext, 'kind'>): AuthContext {
  const context = { kind: 'session' as const, ...fields };
  Object.defineProperty(context, PERMISSIONS, { value: new PermissionSet(fields.permissions, fields.user.id) });
  return Object.freeze(context);
}

/** The compiled permissions of a context made by {@link createContext}, or `undefined` for anything else. */
export function permissionSetOf(value: unknown): PermissionSet | undefined {
  return typeof value === 'object' && value !== null ? (value as Partial<Branded>)[PERMISSIONS] : undefined;
}

/**
 * Checks that a value is a context made by `sessions.validate()`.
 * @throws {AuthError} UNAUTHENTICATED — for `null` or `undefined` (no session).
 * @throws {TypeError} — for anything else that was not made by gatehouse.
 */
export function requireContext(value: AuthContext | null | undefined): AuthContext {
  if (value === null || value === undefined) throw new AuthError('UNAUTHENTICATED');
  if (permissionSetOf(value) === undefined) throw new TypeError('Expected the context returned by auth.sessions.validate()');
  return value;
}

/**
 * Checks that a value is the system actor or a context made by `sessions.validate()`.
 * @throws {AuthError} UNAUTHENTICATED — for `null` or `undefined`.
 * @throws {TypeError} — for anything else.
 */
export function requireActor(value: Actor | null | undefined): Actor {
  if (value === SYSTEM) return value;
  return requireContext(value as AuthContext | null | undefined);
}

/** The acting user's id, `null` for the system. */
export function actorIdOf(actor: Actor): string | null {
  return actor.kind === 'system' ? null : actor.user.id;
}
