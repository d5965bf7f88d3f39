import { exportJWK, SignJWT, base64url, type CryptoKey } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isAuthError, type AccessTokenPrincipal } from 'gatehouse';
import { createAccessTokens, generateAccessTokenKey, type AccessTokenOptions } from 'gatehouse/jwt';
import { activeUser, harness, PASSWORD, signIn, type Harness } from '../support/harness.js';
import { grantRole } from './http-cases.js';
import { cookiePair, targets, type Target } from './support.js';

const ADMIN = { code: 'admin', level: 50, permissions: ['reports:view', 'orders:view:own'] };

async function setup(options: Partial<AccessTokenOptions> = {}) {
  const h = harness();
  const key = await generateAccessTokenKey({ kid: 'k1' });
  const tokens = await createAccessTokens({ keys: [key], clock: h.clock, ...options });
  const user = await activeUser(h);
  await grantRole(h, user.id, ADMIN.code, ADMIN.level, ADMIN.permissions);
  const { context } = await signIn(h, user.email);
  return { h, key, tokens, user, context };
}

/** Re-encodes a token's payload, keeping header and signature. */
function withPayload(token: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
  change(claims);
  return `${header}.${base64url.encode(JSON.stringify(claims))}.${signature}`;
}

const encode = (value: object): string => base64url.encode(JSON.stringify(value));

describe('JWT access tokens', () => {
  it('issue() signs a short-lived EdDSA token with a kid, typ at+jwt, the user, session, roles and permissions', async () => {
    const { h, tokens, user, context } = await setup();
    const issued = await tokens.issue(context);
    expect(issued.expiresIn).toBe(900);
    expect(issued.expiresAt.getTime()).toBe(h.clock.now().getTime() + 900_000);
    const [header, payload] = issued.token.split('.').slice(0, 2).map((part) => JSON.parse(new TextDecoder().decode(base64url.decode(part))) as Record<string, unknown>);
    expect(header).toEqual({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: user.id, sid: context.session.id, iss: 'gatehouse', perms: ['orders:view:own', 'reports:view'], roles: [{ code: 'admin', level: 50 }] });
  });

  it('verify() makes a principal that auth.access checks without the store', async () => {
    const { h, tokens, user, context } = await setup();
    const { token } = await tokens.issue(context);
    const find = vi.spyOn(h.store, 'findSessionByTokenHash');
    const principal = (await tokens.verify(token, { ip: '203.0.113.5', userAgent: 'cli' }))!;
    expect(principal).toMatchObject({ kind: 'token', user: { id: user.id }, session: { id: context.session.id }, level: 50, client: { ip: '203.0.113.5', userAgent: 'cli' } });
    expect(h.auth.access.can(principal, 'reports:view')).toBe(true);
    expect(h.auth.access.can(principal, 'users:delete')).toBe(false);
    expect(h.auth.access.can(principal, 'orders:view', { ownerId: user.id })).toBe(true);
    expect(h.auth.access.can(principal, 'orders:view', { ownerId: 'someone else' })).toBe(false);
    expect(h.auth.access.hasRole(principal, 'admin')).toBe(true);
    expect(h.auth.access.hasRole(principal, 'customer')).toBe(false);
    expect(find).not.toHaveBeenCalled();
  });

  it('a principal is not a session: services acting for the user refuse it with UNAUTHENTICATED', async () => {
    const { h, tokens, context } = await setup();
    const principal = (await tokens.verify((await tokens.issue(context)).token))!;
    const error = await h.auth.sessions.list(principal as never).catch((e: unknown) => e);
    expect(isAuthError(error, 'UNAUTHENTICATED')).toBe(true);
    const logout = await h.auth.sessions.logout(principal as never).catch((e: unknown) => e);
    expect(isAuthError(logout, 'UNAUTHENTICATED')).toBe(true);
  });

  it('an expired token is refused (after the clock tolerance)', async () => {
    const { h, tokens, context } = await setup();
    const { token } = await tokens.issue(context);
    h.clock.advance(900);
    expect(await tokens.verify(token)).not.toBeNull(); // within the 5 s tolerance
    h.clock.advance(6);
    expect(await tokens.verify(token)).toBeNull();
  });

  it('a token never outlives its session', async () => {
    const { h, tokens, context } = await setup({ lifetime: 3600 });
    const issued = await tokens.issue(context);
    expect(issued.expiresAt.getTime()).toBe(context.session.expiresAt.getTime());
    expect(issued.expiresIn).toBe(30 * 60);
    h.clock.advance(31 * 60);
    expect(await tokens.verify(issued.token)).toBeNull();
  });

  it('a token signed by another key is refused, even under the same kid', async () => {
    const { h, tokens, context } = await setup();
    const impostor = await createAccessTokens({ keys: [await generateAccessTokenKey({ kid: 'k1' })], clock: h.clock });
    expect(await tokens.verify((await impostor.issue(context)).token)).toBeNull();
    const stranger = await createAccessTokens({ keys: [await generateAccessTokenKey({ kid: 'k9' })], clock: h.clock });
    expect(await tokens.verify((await stranger.issue(context)).token)).toBeNull();
  });

  it('alg "none" is refused', async () => {
    const { tokens, context, user } = await setup();
    const { token } = await tokens.issue(context);
    const payload = token.split('.')[1]!;
    for (const header of [{ alg: 'none', typ: 'at+jwt', kid: 'k1' }, { alg: 'none', typ: 'at+jwt' }, { alg: 'NONE', kid: 'k1' }]) {
      expect(await tokens.verify(`${encode(header)}.${payload}.`)).toBeNull();
    }
    const forged = `${encode({ alg: 'none', kid: 'k1', typ: 'at+jwt' })}.${encode({ sub: user.id, sid: context.session.id, roles: [], perms: ['*'], iss: 'gatehouse', iat: 1, exp: 9_999_999_999 })}.`;
    expect(await tokens.verify(forged)).toBeNull();
  });

  it('an algorithm other than the key’s is refused (HS256 with the public key as secret, ES256 under an EdDSA kid)', async () => {
    const { h, key, tokens, context } = await setup();
    const publicJwk = await exportJWK(key.publicKey as CryptoKey);
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const claims = { sid: context.session.id, roles: [], perms: ['*'] };
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' }).setSubject(context.user.id).setIssuer('gatehouse').setIssuedAt(now).setExpirationTime(now + 60).sign(secret);
    expect(await tokens.verify(hs)).toBeNull();
    const es = await generateAccessTokenKey({ alg: 'ES256', kid: 'k1' });
    const esToken = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }).setSubject(context.user.id).setIssuer('gatehouse').setIssuedAt(now).setExpirationTime(now + 60).sign(es.privateKey as CryptoKey);
    expect(await tokens.verify(esToken)).toBeNull();
  });

  it('a tampered payload is refused', async () => {
    const { tokens, context } = await setup();
    const { token } = await tokens.issue(context);
    expect(await tokens.verify(token)).not.toBeNull();
    expect(await tokens.verify(withPayload(token, (claims) => (claims.perms = ['*'])))).toBeNull();
    expect(await tokens.verify(withPayload(token, (claims) => (claims.sub = 'someone-else')))).toBeNull();
    expect(await tokens.verify(withPayload(token, (claims) => (claims.exp = (claims.exp as number) + 3600)))).toBeNull();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    expect(await tokens.verify(`${header}.${payload}.${flipped}`)).toBeNull();
  });

  it('another typ, issuer or audience is refused; garbage never throws', async () => {
    const { h, key, tokens, context } = await setup({ audience: 'shop-api' });
    const { token } = await tokens.issue(context);
    expect(await tokens.verify(token)).not.toBeNull();
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const sign = (header: Record<string, unknown>, issuer: string, audience: string) =>
      new SignJWT({ sid: context.session.id, roles: [], perms: [] })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', ...header })
        .setSubject(context.user.id)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(key.privateKey as CryptoKey);
    expect(await tokens.verify(await sign({ typ: 'at+jwt' }, 'gatehouse', 'shop-api'))).not.toBeNull();
    expect(await tokens.verify(await sign({ typ: 'JWT' }, 'gatehouse', 'shop-api'))).toBeNull();
    expect(await tokens.verify(await sign({ typ: 'at+jwt' }, 'someone', 'shop-api'))).toBeNull();
    expect(await tokens.verify(await sign({ typ: 'at+jwt' }, 'gatehouse', 'other-api'))).toBeNull();
    for (const garbage of ['', 'a.b.c', '...', 'x'.repeat(10_000), `${encode({ alg: 'EdDSA', kid: 'k1' })}.e30.AAAA`]) {
      expect(await tokens.verify(garbage)).toBeNull();
    }
  });

  it('a well-signed token with malformed claims is refused', async () => {
    const { h, key, tokens, context } = await setup();
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' }).setSubject(context.user.id).setIssuer('gatehouse').setIssuedAt(now).setExpirationTime(now + 60).sign(key.privateKey as CryptoKey);
    expect(await tokens.verify(await sign({ sid: context.session.id, roles: [], perms: 'users:*' }))).toBeNull();
    expect(await tokens.verify(await sign({ sid: context.session.id, roles: [{ code: 1 }], perms: [] }))).toBeNull();
    expect(await tokens.verify(await sign({ roles: [], perms: [] }))).toBeNull();
    const tooLong = await new SignJWT({ sid: context.session.id, roles: [], perms: [] })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'at+jwt' })
      .setSubject(context.user.id)
      .setIssuer('gatehouse')
      .setIssuedAt(now)
      .setExpirationTime(now + 86_400)
      .sign(key.privateKey as CryptoKey);
    expect(await tokens.verify(tooLong)).not.toBeNull(); // within its exp, iat is fresh
    h.clock.advance(1000);
    expect(await tokens.verify(tooLong)).toBeNull(); // older than the lifetime allows
  });

  it('rotates keys through the key set: the first signing key signs, retired public keys still verify', async () => {
    const { h, key: old, tokens, context } = await setup();
    const before = (await tokens.issue(context)).token;
    const next = await generateAccessTokenKey({ alg: 'ES256', kid: 'k2' });
    const rotated = await createAccessTokens({ keys: [next, { kid: old.kid, alg: old.alg, publicKey: old.publicKey }], clock: h.clock });
    const after = (await rotated.issue(context)).token;
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(after.split('.')[0]!)))).toMatchObject({ alg: 'ES256', kid: 'k2' });
    expect(await rotated.verify(before)).not.toBeNull();
    expect(await rotated.verify(after)).not.toBeNull();
    expect(await tokens.verify(after)).toBeNull();
    const retired = await createAccessTokens({ keys: [next], clock: h.clock });
    expect(await retired.verify(before)).toBeNull();
    expect(rotated.jwks().keys.map((jwk) => jwk.kid)).toEqual(['k2', 'k1']);
  });

  it('the JWKS holds public members only, even when a private JWK was passed as publicKey', async () => {
    const key = await generateAccessTokenKey({ kid: 'k1' });
    const privateJwk = await exportJWK(key.privateKey as CryptoKey);
    const tokens = await createAccessTokens({ keys: [{ kid: 'k1', alg: 'EdDSA', privateKey: privateJwk, publicKey: privateJwk }] });
    const [jwk] = tokens.jwks().keys;
    expect(Object.keys(jwk!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: 'k1' });
  });

  it('createAccessTokens() checks the key set now', async () => {
    const a = await generateAccessTokenKey({ kid: 'a' });
    const b = await generateAccessTokenKey({ kid: 'b' });
    const es = await generateAccessTokenKey({ alg: 'ES256', kid: 'e' });
    const refused: [string, AccessTokenOptions][] = [
      ['no keys', { keys: [] }],
      ['no private key', { keys: [{ kid: 'a', alg: 'EdDSA', publicKey: a.publicKey }] }],
      ['mismatched pair', { keys: [{ kid: 'a', alg: 'EdDSA', privateKey: a.privateKey, publicKey: b.publicKey }] }],
      ['a private key as publicKey', { keys: [{ kid: 'a', alg: 'EdDSA', privateKey: a.privateKey, publicKey: a.privateKey! }] }],
      ['duplicate kid', { keys: [a, { ...b, kid: 'a' }] }],
      ['wrong curve', { keys: [{ ...es, alg: 'EdDSA' }] }],
      ['unsupported alg', { keys: [{ ...a, alg: 'HS256' as never }] }],
      ['bad lifetime', { keys: [a], lifetime: 0 }],
      ['not a JWK', { keys: [{ kid: 'a', alg: 'EdDSA', publicKey: { kty: 'oct', k: 'c2VjcmV0' } }] }],
    ];
    for (const [label, options] of refused) await expect(createAccessTokens(options), label).rejects.toThrow(TypeError);
  });

  it('issue() refuses anything but a session context', async () => {
    const { h, tokens, context } = await setup();
    const principal = (await tokens.verify((await tokens.issue(context)).token)) as AccessTokenPrincipal;
    for (const subject of [principal, h.auth.system, null]) {
      const error = await tokens.issue(subject as never).catch((e: unknown) => e);
      expect(isAuthError(error, 'UNAUTHENTICATED')).toBe(true);
    }
  });
});

describe.each(targets)('JWT access tokens over HTTP (%s)', (_name, make) => {
  const open: Target[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  async function setup(jwt = true) {
    const h: Harness = harness();
    const key = await generateAccessTokenKey({ kid: 'k1' });
    const accessTokens = jwt ? await createAccessTokens({ keys: [key], clock: h.clock }) : undefined;
    const t = await make(h, { accessTokens, onError: () => undefined });
    open.push(t);
    const user = await activeUser(h);
    await grantRole(h, user.id, ADMIN.code, ADMIN.level, ADMIN.permissions);
    const login = await t.call({ method: 'POST', path: '/api/auth/login', body: { email: user.email, password: PASSWORD } });
    const cookie = cookiePair(login.cookies[0]!);
    return { h, t, user, cookie, key };
  }

  it('POST /api/auth/token issues a token from the session; guards accept it without a store round trip', async () => {
    const { h, t, user, cookie } = await setup();
    const issued = await t.call({ method: 'POST', path: '/api/auth/token', headers: { cookie } });
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(issued.headers['cache-control']).toBe('no-store');
    const authorization = `Bearer ${issued.body.accessToken as string}`;
    const find = vi.spyOn(h.store, 'findSessionByTokenHash');
    expect((await t.call({ method: 'GET', path: '/api/reports', headers: { authorization } })).body).toEqual({ kind: 'token', userId: user.id });
    expect((await t.call({ method: 'GET', path: `/api/orders/of/${user.id}`, headers: { authorization } })).status).toBe(200);
    expect((await t.call({ method: 'GET', path: '/api/orders/of/another', headers: { authorization } })).status).toBe(403);
    expect((await t.call({ method: 'GET', path: '/api/admin', headers: { authorization } })).status).toBe(200);
    expect(find).not.toHaveBeenCalled();
  });

  it('a JWT is not a session: /me, /logout, /token and requireSession answer 401', async () => {
    const { t, cookie } = await setup();
    const authorization = `Bearer ${(await t.call({ method: 'POST', path: '/api/auth/token', headers: { cookie } })).body.accessToken as string}`;
    for (const [method, path] of [['GET', '/api/auth/me'], ['POST', '/api/auth/logout'], ['POST', '/api/auth/token'], ['GET', '/api/session-only'], ['GET', '/api/auth/sessions']] as const) {
      const reply = await t.call({ method, path, headers: { authorization } });
      expect([reply.status, reply.body.error?.code], path).toEqual([401, 'UNAUTHENTICATED']);
    }
  });

  it('a revoked session issues no new token; expired, tampered and alg-none tokens get 401', async () => {
    const { h, t, cookie, user } = await setup();
    const token = (await t.call({ method: 'POST', path: '/api/auth/token', headers: { cookie } })).body.accessToken as string;
    const none = `${encode({ alg: 'none', typ: 'at+jwt', kid: 'k1' })}.${token.split('.')[1]}.`;
    const tampered = withPayload(token, (claims) => (claims.perms = ['*']));
    for (const bad of [none, tampered]) {
      const reply = await t.call({ method: 'GET', path: '/api/reports', headers: { authorization: `Bearer ${bad}` } });
      expect([reply.status, reply.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    }
    expect((await t.call({ method: 'POST', path: '/api/auth/logout', headers: { cookie } })).status).toBe(204);
    expect((await t.call({ method: 'POST', path: '/api/auth/token', headers: { cookie } })).status).toBe(401);
    // The token lives out its minutes (the documented trade-off), then stops.
    expect((await t.call({ method: 'GET', path: '/api/reports', headers: { authorization: `Bearer ${token}` } })).body.userId).toBe(user.id);
    h.clock.advance(906);
    expect((await t.call({ method: 'GET', path: '/api/reports', headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('serves the public keys at /.well-known/jwks.json', async () => {
    const { t } = await setup();
    const reply = await t.call({ method: 'GET', path: '/.well-known/jwks.json' });
    expect(reply.status).toBe(200);
    expect(reply.body.keys).toHaveLength(1);
    expect(reply.body.keys[0]).toMatchObject({ kid: 'k1', kty: 'OKP', alg: 'EdDSA', use: 'sig' });
    expect(reply.body.keys[0]).not.toHaveProperty('d');
  });

  it('with JWT off there is no /token route, JWKS is 404 and JWT-shaped bearers are just invalid', async () => {
    const { t, cookie } = await setup(false);
    expect((await t.call({ method: 'POST', path: '/api/auth/token', headers: { cookie } })).status).toBe(404);
    expect((await t.call({ method: 'GET', path: '/.well-known/jwks.json' })).status).toBe(404);
    expect((await t.call({ method: 'GET', path: '/api/private', headers: { authorization: 'Bearer a.b.c' } })).status).toBe(401);
  });
});
