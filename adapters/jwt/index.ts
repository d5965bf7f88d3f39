/**
 * `gatehouse/jwt`: short-lived JWT access tokens (EdDSA or ES256) for API clients, signed
 * and verified with jose, which loads when tokens are first made, never at import.
 *
 * @example
 * ```ts
 * import { createAccessTokens, generateAccessTokenKey } from 'gatehouse/jwt';
 * import { expressAuth } from 'gatehouse/express';
 *
 * // In production load the key (a private JWK) from your secret store instead.
 * const accessTokens = await createAccessTokens({ keys: [await generateAccessTokenKey()] });
 * app.use(expressAuth(auth, { accessTokens }).router());
 * ```
 * @packageDocumentation
 */
export {
  createAccessTokens,
  generateAccessTokenKey,
  JwtAccessTokens,
  type AccessTokenAlgorithm,
  type AccessTokenKey,
  type AccessTokenKeyMaterial,
  type AccessTokenOptions,
} from './jwt-access-tokens.js';
