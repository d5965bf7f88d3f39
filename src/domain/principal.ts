import { normalizeClient, type ClientInfo, type NormalizedClient } from './client.js';
import { PermissionSet } from './permission.js';
import type { ActiveRole } from './role.js';
import type { Session } from './session.js';
import type { User } from './user.js';
import { AuthError } from '../errors.js';

/**
 * A validated session: who is acting in this request, with their live roles and effective
 * permissions. Only {@link SessionService.validate} makes these; services that act for
 * the signed-in user take one and refuse anything else, so the acting user always comes
 * from the session and never from a request field.
 */
export interface AuthContext {
  /** Always `session`: a validated session. */
  readonly kind: 'session';
  /** The signed-in user, as the store held them at validation. */
  readonly user: User;
  /** The session (without its token). */
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
  /** Always `system`. */
  readonly kind: 'system';
}

/** Who performs an administrative action. */
export type Actor = AuthContext | SystemActor;

/** A role as an access token carries it. */
export interface TokenRole {
  /** The role's code. */
  readonly code: string;
  /** The role's level. */
  readonly level: number;
}

/**
 * Who is acting in a request authenticated by a verified access token (a signed JWT
 * issued from a live session): the roles and permissions the session had when the token
 * was issued, checked without a store round trip. `auth.access` accepts it; services that
 * act for the signed-in user need the session itself and refuse it with `UNAUTHENTICATED`.
 * Only a token verifier should make one, with {@link createAccessTokenPrincipal}.
 */
export interface AccessTokenPrincipal {
  /** Always `token`: a verified access token. */
  readonly kind: 'token';
  /** The user the token was issued to (its `sub`). */
  readonly user: {
    /** The user's id. */
    readonly id: string;
  };
  /** The session the token was issued from (its `sid`); revoking it stops new tokens, not this one. */
  readonly session: {
    /** The session's id. */
    readonly id: string;
  };
  /** Roles at issue time, highest level first. */
  readonly roles: readonly TokenRole[];
  /** Effective permission codes at issue time (wildcards as granted). */
  readonly permissions: readonly string[];
  /** The level of the principal role, 0 without roles. */
  readonly level: number;
  /** When the token stops being accepted. */
  readonly expiresAt: Date;
  /** The client of the request, for the activity log. */
  readonly client: NormalizedClient;
}

/** Anyone whose permissions `auth.access` can check: a session, a verified access token, or the system. */
export type AccessSubject = Actor | AccessTokenPrincipal;

/** The one system actor. */
export const SYSTEM: SystemActor = Object.freeze({ kind: 'system' });

/** What {@link createContext} derives a context from: what a validation derived from the session's bundle. */
export type ContextViews = Pick<AuthContext, 'user' | 'session' | 'roles' | 'permissions' | 'level'> & {
  /** The set of `permissions` for `user`. */
  readonly permissionSet: PermissionSet;
};

/**
 * What a session's context and a token's principal share: the compiled permissions as a
 * private field, which is also the brand (a copy, a spread with another user, say, carries
 * none and is refused), and the request's client, normalised when first read (most requests
 * never log anything).
 */
abstract class Principal {
  readonly #permissionSet: PermissionSet;
  readonly #rawClient: ClientInfo | undefined;
  #client: NormalizedClient | undefined;

  constructor(permissionSet: PermissionSet, client: ClientInfo | undefined) {
    this.#permissionSet = permissionSet;
    this.#rawClient = client;
  }

  get client(): NormalizedClient {
    return (this.#client ??= normalizeClient(this.#rawClient));
  }

  /** The compiled permissions of a principal made here, or `undefined` for anything else. */
  static permissionSetOf(value: object): PermissionSet | undefined {
    return #permissionSet in value ? value.#permissionSet : undefined;
  }
}

/** A validated session's context. */
class SessionContext extends Principal implements AuthContext {
  readonly kind = 'session';
  readonly user: User;
  readonly session: Session;
  readonly roles: readonly ActiveRole[];
  readonly permissions: readonly string[];
  readonly level: number;
  readonly renewed: boolean;

  constructor(views: ContextViews, renewed: boolean, client: ClientInfo | undefined) {
    super(views.permissionSet, client);
    this.user = views.user;
    this.session = views.session;
    this.roles = views.roles;
    this.permissions = views.permissions;
    this.level = views.level;
    this.renewed = renewed;
    Object.freeze(this);
  }
}

/** Makes the context of a session just validated, for the request of `client`. */
export function createContext(views: ContextViews, renewed: boolean, client: ClientInfo | undefined): AuthContext {
  return new SessionContext(views, renewed, client);
}

/** What a token principal derives from its claims: the same for every request presenting one token. */
type TokenClaims = Omit<AccessTokenPrincipal, 'kind' | 'client'> & { readonly permissionSet: PermissionSet };

/** The principal of a verified access token. */
class TokenPrincipal extends Principal implements AccessTokenPrincipal {
  readonly kind = 'token';
  readonly user: { readonly id: string };
  readonly session: { readonly id: string };
  readonly roles: readonly TokenRole[];
  readonly permissions: readonly string[];
  readonly level: number;
  readonly expiresAt: Date;

  constructor(claims: TokenClaims, client: ClientInfo | undefined) {
    super(claims.permissionSet, client);
    this.user = claims.user;
    this.session = claims.session;
    this.roles = claims.roles;
    this.permissions = claims.permissions;
    this.level = claims.level;
    this.expiresAt = claims.expiresAt;
    Object.freeze(this);
  }
}

/** The fields of {@link createAccessTokenPrincipal}: what a verified token says. */
export interface TokenFields {
  /** The user (`sub`). */
  userId: string;
  /** The session (`sid`). */
  sessionId: string;
  /** The roles at issue time. */
  roles: readonly TokenRole[];
  /** The effective permissions at issue time. */
  permissions: readonly string[];
  /** When the token expires (`exp`). */
  expiresAt: Date;
  /** The client of the request that presented the token. */
  client?: ClientInfo | undefined;
}

function deriveClaims(fields: TokenFields): TokenClaims {
  const { userId, sessionId, roles, permissions, expiresAt } = fields;
  const valid =
    typeof userId === 'string' &&
    userId.length > 0 &&
    typeof sessionId === 'string' &&
    sessionId.length > 0 &&
    Array.isArray(roles) &&
    roles.every((role) => typeof role?.code === 'string' && Number.isInteger(role.level)) &&
    Array.isArray(permissions) &&
    permissions.every((code) => typeof code === 'string') &&
    expiresAt instanceof Date &&
    !Number.isNaN(expiresAt.getTime());
  if (!valid) throw new TypeError('createAccessTokenPrincipal: malformed fields');
  const ordered = roles.map((role) => Object.freeze({ code: role.code, level: role.level })).sort((a, b) => b.level - a.level || a.code.localeCompare(b.code));
  return {
    user: Object.freeze({ id: userId }),
    session: Object.freeze({ id: sessionId }),
    roles: Object.freeze(ordered),
    permissions: Object.freeze([...permissions]),
    level: ordered.reduce((max, role) => Math.max(max, role.level), 0),
    expiresAt: new Date(expiresAt.getTime()),
    permissionSet: new PermissionSet(permissions, userId),
  };
}

/**
 * Makes the principal of a request authenticated by a verified access token, for
 * `auth.access.can()`/`assert()`/`hasRole()`. Call it only with claims whose signature you
 * verified: whoever holds a principal holds its permissions. The claims are checked and
 * compiled on every call (a few microseconds for a token's handful of permissions).
 * @throws {TypeError} — when a field is malformed.
 */
export function createAccessTokenPrincipal(fields: TokenFields): AccessTokenPrincipal {
  const claims = deriveClaims(fields);
  return new TokenPrincipal(claims, fields.client);
}

/** The compiled permissions of a context made by {@link createContext} or a principal made by {@link createAccessTokenPrincipal}, or `undefined` for anything else. */
export function permissionSetOf(value: unknown): PermissionSet | undefined {
  return typeof value === 'object' && value !== null ? Principal.permissionSetOf(value) : undefined;
}

/**
 * Checks that a value is a context made by `sessions.validate()`.
 * @throws {AuthError} UNAUTHENTICATED — for `null` or `undefined` (no session), or for an access-token principal (a token is not a session).
 * @throws {TypeError} — for anything else that was not made by gatehouse.
 */
export function requireContext(value: AuthContext | null | undefined): AuthContext {
  if (value === null || value === undefined) throw new AuthError('UNAUTHENTICATED');
  if (permissionSetOf(value) === undefined) throw new TypeError('Expected the context returned by auth.sessions.validate()');
  // A verified access token carries permissions but no session: acting for the user (or as an admin) needs the session.
  if ((value as { kind: string }).kind !== 'session') throw new AuthError('UNAUTHENTICATED', { message: 'This needs a signed-in session; an access token is not enough.' });
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
