import { randomUUID } from 'node:crypto';
import type { CryptoKey, JWK, JWTPayload, KeyObject } from 'jose';
import { loadJose, type Jose } from './load-jose.js';
import {
  AuthError,
  createAccessTokenPrincipal,
  systemClock,
  type AccessTokenPrincipal,
  type AccessTokens,
  type AuthContext,
  type ClientInfo,
  type Clock,
  type IssuedAccessToken,
  type JsonWebKeySet,
  type TokenRole,
} from 'gatehouse';

/** The signature algorithms access tokens may use: Ed25519 (`EdDSA`) or P-256 ECDSA (`ES256`). */
export type AccessTokenAlgorithm = 'EdDSA' | 'ES256';

/** A key as {@link createAccessTokens} accepts it: a WebCrypto `CryptoKey`, a Node.js `KeyObject`, or a JWK. */
export type AccessTokenKeyMaterial = CryptoKey | KeyObject | JWK;

/** One key of the set. */
export interface AccessTokenKey {
  /** The key id, written in each token's header and in the JWKS; unique in the set. */
  readonly kid: string;
  /** `EdDSA` (Ed25519) or `ES256` (P-256). */
  readonly alg: AccessTokenAlgorithm;
  /** Signs new tokens. Leave it out on a retired key kept only to verify the tokens it signed. */
  readonly privateKey?: AccessTokenKeyMaterial | undefined;
  /** Verifies the tokens this key signed; served in the JWKS. */
  readonly publicKey: AccessTokenKeyMaterial;
}

/** What {@link createAccessTokens} takes. */
export interface AccessTokenOptions {
  /**
   * The key set. The first key with a private key signs; every key verifies. Rotate by
   * putting a new key first and keeping the old one (public part only is enough) until the
   * tokens it signed have expired.
   */
  keys: readonly AccessTokenKey[];
  /**
   * Seconds a token lives; it never outlives its session nor a role assignment's expiry.
   * @default 900 (15 minutes)
   */
  lifetime?: number;
  /**
   * The `iss` claim written and required.
   * @default 'gatehouse'
   */
  issuer?: string;
  /**
   * The `aud` claim written and required.
   * @default none
   */
  audience?: string | undefined;
  /**
   * Seconds of clock skew tolerated when checking `exp`, `nbf` and `iat`.
   * @default 5
   */
  clockTolerance?: number;
  /** @default the system clock — pass the same clock as `createAuth()` */
  clock?: Clock;
}

/** The claims gatehouse writes besides the registered ones. */
interface GatehouseClaims extends JWTPayload {
  sid?: unknown;
  roles?: unknown;
  perms?: unknown;
}

interface ResolvedKey {
  readonly kid: string;
  readonly alg: AccessTokenAlgorithm;
  readonly privateKey: CryptoKey | KeyObject | undefined;
  readonly publicKey: CryptoKey | KeyObject;
  readonly jwk: Readonly<Record<string, string>>;
}

/** RFC 9068: the type of a JWT access token, so that no other JWT signed with the same key passes as one. */
const TOKEN_TYPE = 'at+jwt';
const ALGORITHMS: ReadonlySet<string> = new Set<AccessTokenAlgorithm>(['EdDSA', 'ES256']);
const CURVE_OF: Readonly<Record<AccessTokenAlgorithm, { kty: string; crv: string; members: readonly string[] }>> = {
  EdDSA: { kty: 'OKP', crv: 'Ed25519', members: ['x'] },
  ES256: { kty: 'EC', crv: 'P-256', members: ['x', 'y'] },
};

/** How many verified tokens are remembered (the oldest go first). */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Short-lived JWT access tokens (signed with EdDSA or ES256, `typ: at+jwt`, a `kid` per key)
 * issued from a live session and verified without a store round trip. A token carries the
 * user (`sub`), the session (`sid`), the roles and the effective permissions at issue time;
 * revoking the session stops new tokens, and the short lifetime bounds the old ones.
 *
 * Made by {@link createAccessTokens}.
 */
export class JwtAccessTokens implements AccessTokens {
  readonly #signer: ResolvedKey;
  readonly #byKid: ReadonlyMap<string, ResolvedKey>;
  readonly #algorithms: string[];
  readonly #lifetime: number;
  readonly #issuer: string;
  readonly #audience: string | undefined;
  readonly #clockTolerance: number;
  readonly #clock: Clock;
  readonly #jwks: JsonWebKeySet;
  readonly #jose: Jose;
  /**
   * Tokens that verified and their frozen payloads, by signature, oldest first; see
   * {@link #verifySignature}. Keyed by the signature rather than the whole token because a
   * lookup hashes its key, and the signature is a sixth of the token; a hit counts only when
   * the whole token is the same.
   */
  readonly #verified = new Map<string, { readonly token: string; readonly payload: GatehouseClaims }>();

  /** @internal Use {@link createAccessTokens}, which checks and imports the keys. */
  constructor(keys: readonly ResolvedKey[], options: Required<Omit<AccessTokenOptions, 'keys' | 'audience'>> & { audience: string | undefined }, jose: Jose) {
    this.#jose = jose;
    const signer = keys.find((key) => key.privateKey !== undefined);
    if (signer === undefined) throw new TypeError('createAccessTokens: no key has a privateKey to sign with');
    this.#signer = signer;
    this.#byKid = new Map(keys.map((key) => [key.kid, key]));
    this.#algorithms = [...new Set(keys.map((key) => key.alg))];
    this.#lifetime = options.lifetime;
    this.#issuer = options.issuer;
    this.#audience = options.audience;
    this.#clockTolerance = options.clockTolerance;
    this.#clock = options.clock;
    this.#jwks = Object.freeze({ keys: Object.freeze(keys.map((key) => key.jwk)) });
  }

  /**
   * Issues a token for a validated session context. It expires after the lifetime, or
   * earlier when the session or one of the roles it carries ends sooner.
   * @throws {AuthError} UNAUTHENTICATED — the context is not a session, or its session has already ended.
   */
  async issue(context: AuthContext): Promise<IssuedAccessToken> {
    if (context?.kind !== 'session') throw new AuthError('UNAUTHENTICATED');
    const now = Math.floor(this.#clock.now().getTime() / 1000);
    const deadlines = [now + this.#lifetime, Math.floor(context.session.expiresAt.getTime() / 1000)];
    for (const role of context.roles) if (role.expiresAt !== null) deadlines.push(Math.floor(role.expiresAt.getTime() / 1000));
    const exp = Math.min(...deadlines);
    if (exp <= now) throw new AuthError('UNAUTHENTICATED');
    const signer = this.#signer;
    const claims = {
      sid: context.session.id,
      roles: context.roles.map((role): TokenRole => ({ code: role.code, level: role.level })),
      perms: [...context.permissions],
    };
    let jwt = new this.#jose.SignJWT(claims)
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: TOKEN_TYPE })
      .setSubject(context.user.id)
      .setIssuer(this.#issuer)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(randomUUID());
    if (this.#audience !== undefined) jwt = jwt.setAudience(this.#audience);
    const token = await jwt.sign(signer.privateKey!);
    return { token, expiresAt: new Date(exp * 1000), expiresIn: exp - now };
  }

  /**
   * Verifies a token and makes its principal, or `null` for anything that does not hold: a
   * malformed token, a bad signature, a tampered payload, `alg: none` or an algorithm not in
   * the key set, an unknown `kid`, another `typ`, issuer or audience, an expired token, or
   * one whose `exp` lies further from `iat` than the lifetime allows.
   */
  async verify(token: string, client?: ClientInfo): Promise<AccessTokenPrincipal | null> {
    if (typeof token !== 'string' || token.length > 8192) return null;
    const nowMs = this.#clock.now().getTime();
    const signature = token.slice(token.lastIndexOf('.') + 1);
    const known = this.#verified.get(signature);
    let payload = known?.token === token ? known.payload : undefined;
    if (payload !== undefined && !this.#fresh(payload, nowMs)) {
      this.#verified.delete(signature);
      payload = undefined;
    }
    if (payload === undefined) payload = await this.#verifySignature(token, signature, nowMs);
    if (payload === undefined) return null;
    const { sub, sid, roles, perms, exp } = payload;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof exp !== 'number' || !Array.isArray(roles) || !Array.isArray(perms)) return null;
    try {
      return createAccessTokenPrincipal({
        userId: sub,
        sessionId: sid,
        roles: roles as TokenRole[],
        permissions: perms as string[],
        expiresAt: new Date(exp * 1000),
        client,
      });
    } catch {
      return null; // well signed but malformed claims: not a token we issued
    }
  }

  /**
   * Whether a payload verified earlier is still within its time bounds (what jose checks:
   * expiry and maximum age, with the clock tolerance), so the verification can be reused.
   */
  #fresh(payload: GatehouseClaims, nowMs: number): boolean {
    const tolerance = this.#clockTolerance * 1000;
    const { exp, iat } = payload;
    return typeof exp === 'number' && typeof iat === 'number' && nowMs < exp * 1000 + tolerance && nowMs - iat * 1000 <= (this.#lifetime * 1000 + tolerance) && iat * 1000 <= nowMs + tolerance;
  }

  /**
   * Verifies signature and claims with jose, remembering the payload of a good token: the
   * same string verifies the same way until it expires, and an EdDSA or ES256 verification
   * costs far more than a request should. Only tokens that verified are remembered.
   */
  async #verifySignature(token: string, signature: string, nowMs: number): Promise<GatehouseClaims | undefined> {
    let payload: GatehouseClaims;
    try {
      ({ payload } = await this.#jose.jwtVerify<GatehouseClaims>(
        token,
        (header) => {
          const key = typeof header.kid === 'string' ? this.#byKid.get(header.kid) : undefined;
          // The key decides the algorithm, never the token: a header naming another one is refused.
          if (key === undefined || key.alg !== header.alg) throw new AuthError('UNAUTHENTICATED');
          return key.publicKey;
        },
        {
          algorithms: this.#algorithms,
          typ: TOKEN_TYPE,
          issuer: this.#issuer,
          ...(this.#audience === undefined ? {} : { audience: this.#audience }),
          requiredClaims: ['sub', 'sid', 'iat', 'exp'],
          maxTokenAge: this.#lifetime + this.#clockTolerance,
          clockTolerance: this.#clockTolerance,
          currentDate: new Date(nowMs),
        },
      ));
    } catch {
      // Every verification failure means the same to the caller: no principal.
      return undefined;
    }
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(signature, { token, payload: Object.freeze(payload) });
    return payload;
  }

  /** The public keys, for `GET /.well-known/jwks.json`. */
  jwks(): JsonWebKeySet {
    return this.#jwks;
  }
}

/**
 * Creates the access-token service from a key set, checking every key now: supported
 * algorithm, unique `kid`, a public key of the right curve, and a private key that matches it.
 *
 * @throws {TypeError} — when the options or a key are unusable.
 * @example
 * ```ts
 * import { createAccessTokens, generateAccessTokenKey } from 'gatehouse/jwt';
 *
 * // In production load the key (a private JWK) from your secret store instead.
 * const accessTokens = await createAccessTokens({ keys: [await generateAccessTokenKey()] });
 * app.use(expressAuth(auth, { accessTokens }).router());
 * ```
 */
export async function createAccessTokens(options: AccessTokenOptions): Promise<JwtAccessTokens> {
  const keys = options?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new TypeError('createAccessTokens: keys must be a non-empty array');
  const lifetime = options.lifetime ?? 900;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 86_400) throw new TypeError('createAccessTokens: lifetime must be whole seconds between 1 and 86400');
  const clockTolerance = options.clockTolerance ?? 5;
  if (!Number.isInteger(clockTolerance) || clockTolerance < 0 || clockTolerance > 300) throw new TypeError('createAccessTokens: clockTolerance must be whole seconds between 0 and 300');
  const issuer = options.issuer ?? 'gatehouse';
  if (typeof issuer !== 'string' || issuer.length === 0) throw new TypeError('createAccessTokens: issuer must be a non-empty string');
  if (options.audience !== undefined && (typeof options.audience !== 'string' || options.audience.length === 0)) {
    throw new TypeError('createAccessTokens: audience must be a non-empty string');
  }
  // Loaded before the keys are read, so that a jose that cannot load says so rather than failing each key.
  const jose = await loadJose();
  const seen = new Set<string>();
  const resolved: ResolvedKey[] = [];
  for (const key of keys) {
    if (typeof key?.kid !== 'string' || key.kid.length === 0 || key.kid.length > 128) throw new TypeError('createAccessTokens: every key needs a kid (1–128 characters)');
    if (seen.has(key.kid)) throw new TypeError(`createAccessTokens: duplicate kid '${key.kid}'`);
    seen.add(key.kid);
    resolved.push(await resolveKey(key));
  }
  return new JwtAccessTokens(resolved, { lifetime, issuer, audience: options.audience, clockTolerance, clock: options.clock ?? systemClock }, jose);
}

/**
 * Generates a fresh key pair for access tokens, for development and tests or to create a
 * key to store. The private key is extractable, so `exportJWK(key.privateKey)` (from jose)
 * can save it.
 * @default alg 'EdDSA', kid a random UUID
 */
export async function generateAccessTokenKey(options: { alg?: AccessTokenAlgorithm; kid?: string } = {}): Promise<AccessTokenKey> {
  const alg = options.alg ?? 'EdDSA';
  if (!ALGORITHMS.has(alg)) throw new TypeError(`generateAccessTokenKey: unsupported alg '${String(alg)}'`);
  const { publicKey, privateKey } = await (await loadJose()).generateKeyPair(alg, { extractable: true });
  return { kid: options.kid ?? randomUUID(), alg, privateKey, publicKey };
}

async function importKey(material: AccessTokenKeyMaterial, alg: AccessTokenAlgorithm, kid: string, part: string): Promise<CryptoKey | KeyObject> {
  if (isJwk(material)) {
    try {
      const key = await (await loadJose()).importJWK(material, alg);
      if (key instanceof Uint8Array) throw new TypeError('symmetric key');
      return key;
    } catch (error) {
      throw new TypeError(`createAccessTokens: key '${kid}': the ${part} is not a ${alg} JWK`, { cause: error });
    }
  }
  return material as CryptoKey | KeyObject;
}

function pick(jwk: JWK, members: readonly string[]): JWK {
  const picked: Record<string, unknown> = {};
  for (const member of members) if (jwk[member as keyof JWK] !== undefined) picked[member] = jwk[member as keyof JWK];
  return picked as JWK;
}

function isJwk(material: AccessTokenKeyMaterial): material is JWK {
  return typeof material === 'object' && material !== null && typeof (material as JWK).kty === 'string';
}

async function resolveKey(key: AccessTokenKey): Promise<ResolvedKey> {
  const { kid, alg } = key;
  if (!ALGORITHMS.has(alg)) throw new TypeError(`createAccessTokens: key '${kid}': alg must be EdDSA or ES256`);
  if (key.publicKey === undefined || key.publicKey === null) throw new TypeError(`createAccessTokens: key '${kid}' needs a publicKey`);
  const curve = CURVE_OF[alg];
  // Of a JWK, only the public members are read: a private JWK passed as publicKey must not become a private key here.
  const publicMaterial = isJwk(key.publicKey) ? pick(key.publicKey, ['kty', 'crv', ...curve.members]) : key.publicKey;
  if ((publicMaterial as { type?: unknown }).type === 'private') throw new TypeError(`createAccessTokens: key '${kid}': publicKey is a private key`);
  const publicKey = await importKey(publicMaterial, alg, kid, 'publicKey');
  let exported: JWK;
  try {
    exported = await (await loadJose()).exportJWK(publicKey);
  } catch (error) {
    throw new TypeError(`createAccessTokens: key '${kid}': the publicKey cannot be used`, { cause: error });
  }
  if (exported.kty !== curve.kty || exported.crv !== curve.crv) throw new TypeError(`createAccessTokens: key '${kid}': ${alg} needs a ${curve.crv} key`);
  // Publish only the public members, whatever was passed (a private JWK given as publicKey must not leak `d`).
  const jwk: Record<string, string> = { kty: curve.kty, crv: curve.crv };
  for (const member of curve.members) jwk[member] = String(exported[member as keyof JWK]);
  Object.assign(jwk, { kid, alg, use: 'sig' });
  const privateKey = key.privateKey === undefined ? undefined : await importKey(key.privateKey, alg, kid, 'privateKey');
  if (privateKey !== undefined) {
    // A pair that does not match would sign tokens nobody can verify: prove it now.
    const { SignJWT, jwtVerify } = await loadJose();
    const probe = await new SignJWT({}).setProtectedHeader({ alg }).sign(privateKey).catch((error: unknown) => {
      throw new TypeError(`createAccessTokens: key '${kid}': the privateKey cannot sign ${alg}`, { cause: error });
    });
    const matches = await jwtVerify(probe, publicKey, { algorithms: [alg] }).then(
      () => true,
      () => false,
    );
    if (!matches) throw new TypeError(`createAccessTokens: key '${kid}': the privateKey does not match the publicKey`);
  }
  return { kid, alg, privateKey, publicKey, jwk: Object.freeze(jwk) };
}
