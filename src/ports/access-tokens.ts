import type { ClientInfo } from '../domain/client.js';
import type { AccessTokenPrincipal, AuthContext } from '../domain/principal.js';

/** An access token just issued. */
export interface IssuedAccessToken {
  /** The compact token, for `Authorization: Bearer …`. */
  readonly token: string;
  /** When it stops being accepted. */
  readonly expiresAt: Date;
  /** Seconds from issue to expiry. */
  readonly expiresIn: number;
}

/** Public keys in JSON Web Key Set form (RFC 7517), as served at `/.well-known/jwks.json`. */
export interface JsonWebKeySet {
  /** The public keys, each with its `kid`. */
  readonly keys: readonly Readonly<Record<string, string>>[];
}

/**
 * Short-lived signed access tokens derived from a live session, verified without a store
 * round trip. `gatehouse/express` and `gatehouse/fastify` ship a JWT implementation
 * (`createAccessTokens()`, on jose); the session stays the source of truth, so a token
 * lives minutes and a revoked session issues no new ones.
 */
export interface AccessTokens {
  /**
   * Issues a token carrying the context's user, session, roles and permissions.
   * @throws {AuthError} UNAUTHENTICATED — when the context is not a live session.
   */
  issue(context: AuthContext): Promise<IssuedAccessToken>;
  /**
   * Verifies a token: the principal it stands for, or `null` when it is malformed, forged,
   * expired, signed by an unknown key or with an algorithm not configured. Never throws for
   * a bad token.
   */
  verify(token: string, client?: ClientInfo): Promise<AccessTokenPrincipal | null>;
  /** The public keys that verify tokens, for other services. */
  jwks(): JsonWebKeySet;
}
