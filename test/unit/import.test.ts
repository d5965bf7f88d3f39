import { createHash, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { ecommercePreset, isAuthError, type ImportRecord } from 'gatehouse';
import { harness, rowCounts } from '../support/harness.js';

const T = (iso: string): Date => new Date(iso);
const BCRYPT = bcrypt.hashSync('clave-de-ana', 4).replace(/^\$2b\$/, '$2y$');
const OLD_BCRYPT = bcrypt.hashSync('vieja', 4);

function record(overrides: Partial<ImportRecord> = {}): ImportRecord {
  return {
    source: 'usuarios.id 42',
    id: null,
    email: 'ana@example.com',
    legacyEmail: 'Ana@Example.com',
    name: 'Ana Gómez',
    password: { hash: BCRYPT, scheme: 'bcrypt' },
    identifiers: { legacyId: '42', documentNumber: 'CC-1020' },
    status: 'active',
    statusReason: null,
    statusUntil: null,
    emailVerifiedAt: T('2024-01-02T00:00:00Z'),
    createdAt: T('2023-05-01T10:00:00Z'),
    lastLoginAt: T('2025-01-01T08:00:00Z'),
    locale: 'es',
    attributes: { city: 'Bogotá' },
    roles: [{ code: 'customer', assignedAt: T('2023-05-01T10:00:00Z'), expiresAt: null }],
    passwordHistory: [{ hash: OLD_BCRYPT, scheme: 'bcrypt', changedAt: T('2023-05-01T10:00:00Z'), reason: 'registered', forced: false }],
    twoFactor: null,
    activities: [
      { sourceKey: 'historial_acceso.id 1', action: 'login.succeeded', at: T('2025-01-01T08:00:00Z'), details: 'Signed in.', ip: '203.0.113.10', userAgent: 'Firefox', actor: null, metadata: {} },
    ],
    ...overrides,
  };
}

async function seeded() {
  const h = harness({ twoFactor: { encryptionKey: 'a'.repeat(64) } });
  await h.auth.roles.seed(h.auth.system, ecommercePreset);
  return h;
}

describe('users.import()', () => {
  it('imports a user with their hash, identifiers, status, roles, history and past activity; they sign in with the old password, upgraded to argon2id', async () => {
    const h = await seeded();
    const result = await h.auth.users.import(h.auth.system, [record()]);
    expect(result).toMatchObject({ imported: 1, updated: 0, skipped: 0, refused: [] });
    const user = await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '42');
    expect(user).toMatchObject({ email: 'ana@example.com', name: 'Ana Gómez', status: 'active', locale: 'es', attributes: { city: 'Bogotá' } });
    expect(user!.createdAt).toEqual(T('2023-05-01T10:00:00Z'));
    expect((await h.auth.users.findByIdentifier(h.auth.system, 'documentNumber', 'CC-1020'))?.id).toBe(user!.id);
    const details = await h.auth.users.get(h.auth.system, user!.id);
    expect(details.roles.map((r) => r.code)).toEqual(['customer']);
    expect(details.assignments[0]!.assignedAt).toEqual(T('2023-05-01T10:00:00Z'));
    expect(await h.store.listPasswordHistory(user!.id, 10)).toHaveLength(1);
    const activities = (await h.store.listActivities({ subjectId: user!.id, offset: 0, limit: 10 })).items;
    expect(activities.map((a) => a.action).sort()).toEqual(['login.succeeded', 'user.imported']);
    expect(activities.find((a) => a.action === 'login.succeeded')).toMatchObject({ createdAt: T('2025-01-01T08:00:00Z'), ip: '203.0.113.10', metadata: { imported: true, sourceKey: 'historial_acceso.id 1' } });
    expect(activities.find((a) => a.action === 'user.imported')?.metadata).toMatchObject({ source: 'usuarios.id 42', legacyEmail: 'Ana@Example.com' });

    expect((await h.store.findUserById(user!.id))?.passwordHash).toBe(BCRYPT);
    const login = await h.auth.sessions.login({ email: 'Ana@Example.com', password: 'clave-de-ana' });
    expect(login.user.id).toBe(user!.id);
    expect((await h.store.findUserById(user!.id))?.passwordHash).toMatch(/^\$argon2id\$/);
    await h.auth.sessions.login({ email: 'ana@example.com', password: 'clave-de-ana' });
  });

  it('a second run of the same records skips them and writes nothing; a changed record is updated, keeping the password already upgraded', async () => {
    const h = await seeded();
    await h.auth.users.import(h.auth.system, [record(), record({ source: 'usuarios.id 43', email: 'bob@example.com', legacyEmail: null, identifiers: { legacyId: '43' } })]);
    await h.auth.sessions.login({ email: 'ana@example.com', password: 'clave-de-ana' });
    const before = await rowCounts(h);
    const again = await h.auth.users.import(h.auth.system, [record(), record({ source: 'usuarios.id 43', email: 'bob@example.com', legacyEmail: null, identifiers: { legacyId: '43' } })]);
    expect(again).toMatchObject({ imported: 0, updated: 0, skipped: 2, refused: [] });
    expect(await rowCounts(h)).toEqual(before);

    const changed = record({
      name: 'Ana María Gómez',
      status: 'blocked',
      statusReason: 'Fraude',
      roles: [{ code: 'seller', assignedAt: T('2024-01-01T00:00:00Z'), expiresAt: T('2099-01-01T00:00:00Z') }],
      activities: [...record().activities, { sourceKey: 'auditoria.id 9', action: 'legacy.usuarios.update', at: T('2025-02-01T00:00:00Z'), details: 'Bloqueado.', ip: null, userAgent: null, actor: null, metadata: {} }],
    });
    const third = await h.auth.users.import(h.auth.system, [changed]);
    expect(third).toMatchObject({ imported: 0, updated: 1, skipped: 0 });
    const user = (await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '42'))!;
    expect(user).toMatchObject({ name: 'Ana María Gómez', status: 'blocked', statusReason: 'Fraude' });
    expect((await h.auth.users.get(h.auth.system, user.id)).assignments.map((a) => a.roleCode)).toEqual(['seller']);
    expect((await h.store.findUserById(user.id))?.passwordHash).toMatch(/^\$argon2id\$/);
    const actions = (await h.store.listActivities({ subjectId: user.id, offset: 0, limit: 50 })).items.map((a) => a.action);
    expect(actions.filter((a) => a === 'login.succeeded')).toHaveLength(2); // the imported one once, the gatehouse sign-in once
    expect(actions).toContain('legacy.usuarios.update');
    expect(actions).toContain('user.import_updated');
    expect((await h.auth.users.import(h.auth.system, [changed])).skipped).toBe(1);
  });

  it('refuses each bad record with its code and the field at fault, writing nothing of it, and imports the others', async () => {
    const h = await seeded();
    await h.auth.accounts.register({ email: 'taken@example.com', password: 'correct horse battery staple', name: 'Taken' });
    const before = await rowCounts(h);
    const bad: [ImportRecord, string, RegExp][] = [
      [record({ source: 'a', email: 'Ana@Example.com' }), 'VALIDATION_FAILED', /email/],
      [record({ source: 'b', password: { hash: 'md5:abc', scheme: 'md5' } }), 'VALIDATION_FAILED', /password.*md5/],
      [record({ source: 'c', password: { hash: 'not-bcrypt', scheme: 'bcrypt' } }), 'VALIDATION_FAILED', /password/],
      [record({ source: 'd', roles: [{ code: 'nope', assignedAt: T('2024-01-01T00:00:00Z'), expiresAt: null }] }), 'VALIDATION_FAILED', /roles\[0\].*nope/],
      [record({ source: 'e', identifiers: { 'legacy-id': '1' } }), 'VALIDATION_FAILED', /identifiers/],
      [record({ source: 'f', twoFactor: { secret: 'NO-ES-BASE32!!' } }), 'VALIDATION_FAILED', /twoFactor/],
      [record({ source: 'g', email: 'taken@example.com', identifiers: { legacyId: '7' } }), 'EMAIL_TAKEN', /taken@example.com/],
      [record({ source: 'h', status: 'gone' as never }), 'VALIDATION_FAILED', /status/],
      [record({ source: 'i', name: 'x\u0000' }), 'VALIDATION_FAILED', /name/],
    ];
    const result = await h.auth.users.import(h.auth.system, bad.map(([r]) => r));
    expect(result.imported).toBe(0);
    for (const [r, code, message] of bad) {
      const refused = result.refused.find((x) => x.source === r.source);
      expect(refused?.code, r.source).toBe(code);
      expect(refused?.message, r.source).toMatch(message);
    }
    expect(await rowCounts(h)).toEqual(before);
    const mixed = await h.auth.users.import(h.auth.system, [record({ source: 'x', email: 'Bad@Example.com' }), record()]);
    expect(mixed).toMatchObject({ imported: 1, refused: [{ source: 'x', code: 'VALIDATION_FAILED' }] });
  });

  it('within one batch, a second record with an address or identifier of the first is refused; the first is imported', async () => {
    const h = await seeded();
    const result = await h.auth.users.import(h.auth.system, [
      record(),
      record({ source: 'dup-email', identifiers: { legacyId: '99' } }),
      record({ source: 'dup-id', email: 'other@example.com', identifiers: { legacyId: '100', documentNumber: 'CC-1020' } }),
    ]);
    expect(result.imported).toBe(1);
    expect(result.refused.map((r) => [r.source, r.code])).toEqual([
      ['dup-email', 'EMAIL_TAKEN'],
      ['dup-id', 'IDENTIFIER_TAKEN'],
    ]);
  });

  it('seals a TOTP secret and asks for a code at the next sign-in; argon2i and plugged-in schemes verify and are upgraded', async () => {
    const { hash } = await import('@node-rs/argon2');
    const argon2i = await hash('clave-argon2i', { algorithm: 1, memoryCost: 1024, timeCost: 1 });
    const sha = (salt: string, password: string): string => createHash('sha256').update(salt + password).digest('hex');
    const h = harness({
      twoFactor: { encryptionKey: 'b'.repeat(64) },
      passwordVerifiers: {
        sha256salted: (stored, password) => {
          const [salt, digest] = stored.split(':');
          return timingSafeEqual(Buffer.from(sha(salt!, password)), Buffer.from(digest!));
        },
      },
    });
    await h.auth.roles.seed(h.auth.system, ecommercePreset);
    const result = await h.auth.users.import(h.auth.system, [
      record({ twoFactor: { secret: 'JBSWY3DPEHPK3PXP' } }),
      record({ source: 's2', email: 'i@example.com', identifiers: { legacyId: '2' }, password: { hash: argon2i, scheme: 'argon2i' } }),
      record({ source: 's3', email: 's@example.com', identifiers: { legacyId: '3' }, password: { hash: `salt:${sha('salt', 'clave-sha')}`, scheme: 'sha256salted' } }),
    ]);
    expect(result).toMatchObject({ imported: 3, refused: [] });
    const ana = (await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '42'))!;
    const stored = await h.store.findTwoFactor(ana.id);
    expect(stored?.enabledAt).not.toBeNull();
    expect(stored?.secret).not.toContain('JBSWY3DPEHPK3PXP');
    const twoStep = await h.auth.sessions.login({ email: 'ana@example.com', password: 'clave-de-ana' }).catch((e: unknown) => e);
    expect(isAuthError(twoStep, 'TWO_FACTOR_REQUIRED')).toBe(true);
    for (const [email, password] of [
      ['i@example.com', 'clave-argon2i'],
      ['s@example.com', 'clave-sha'],
    ]) {
      await expect(h.auth.sessions.login({ email: email!, password: 'wrong' })).rejects.toSatisfy((e: unknown) => isAuthError(e, 'INVALID_CREDENTIALS'));
      await h.auth.sessions.login({ email: email!, password: password! });
      expect((await h.store.findUserByEmail(email!))?.passwordHash, email).toMatch(/^\$argon2id\$/);
    }
  });

  it('a dry run validates and matches but writes nothing; only the system or an actor with users:create and roles:assign may import', async () => {
    const h = await seeded();
    const before = await rowCounts(h);
    const dry = await h.auth.users.import(h.auth.system, [record(), record({ source: 'bad', email: 'X@example.com' })], { dryRun: true });
    expect(dry).toMatchObject({ imported: 1, refused: [{ source: 'bad' }] });
    expect(await rowCounts(h)).toEqual(before);
    await expect(h.auth.users.import(null, [record()])).rejects.toSatisfy((e: unknown) => isAuthError(e, 'UNAUTHENTICATED') || isAuthError(e, 'FORBIDDEN'));
    await expect(h.auth.users.import(h.auth.system, [record()], { batchSize: 0 })).rejects.toSatisfy((e: unknown) => isAuthError(e, 'VALIDATION_FAILED'));
  });

  it('a record of a later batch is matched against what the earlier batches wrote, though it is read and validated while they write', async () => {
    const h = await seeded();
    const same = record();
    const changed = record({ name: 'Ana María Gómez' });
    const result = await h.auth.users.import(h.auth.system, [same, same, changed, record({ source: 'other', email: 'ana@example.com', identifiers: { legacyId: '77' } })], { batchSize: 1 });
    expect(result.outcomes.map((o) => [o.result, o.code])).toEqual([
      ['imported', null],
      ['skipped', null],
      ['updated', null],
      ['refused', 'EMAIL_TAKEN'],
    ]);
    expect((await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '42'))?.name).toBe('Ana María Gómez');
  });

  it('a batch that cannot be written stops the import with its error, and the batches after it are never written', async () => {
    const h = await seeded();
    const transaction = h.store.transaction.bind(h.store);
    let calls = 0;
    // One transaction per batch: the second batch's fails as a storage fault would.
    h.store.transaction = ((fn) => {
      calls += 1;
      return calls === 2 ? Promise.reject(new Error('disk full')) : transaction(fn);
    }) as typeof h.store.transaction;
    const many = Array.from({ length: 5 }, (_, i) => record({ source: `u${i}`, email: `u${i}@example.com`, identifiers: { legacyId: String(i) } }));
    await expect(h.auth.users.import(h.auth.system, many, { batchSize: 2 })).rejects.toThrow(/disk full/);
    expect(calls).toBe(2);
    expect(await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '1')).not.toBeNull();
    expect(await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '2')).toBeNull();
    expect(await h.auth.users.findByIdentifier(h.auth.system, 'legacyId', '4')).toBeNull();
  });

  it('writes in batches, reporting each batch, and takes an async iterable', async () => {
    const h = await seeded();
    async function* many() {
      for (let i = 0; i < 25; i += 1) yield record({ source: `u${i}`, email: `u${i}@example.com`, identifiers: { legacyId: String(i) } });
    }
    const batches: number[] = [];
    const result = await h.auth.users.import(h.auth.system, many(), { batchSize: 10, onBatch: (b) => batches.push(b.imported) });
    expect(result.imported).toBe(25);
    expect(batches).toEqual([10, 10, 5]);
  });
});
