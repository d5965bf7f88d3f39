import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { createAuth, isAuthError, type Auth } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { TestPasswordHasher } from 'gatehouse/testing';
import { LegacyReader } from '../../adapters/import/index.js';
import { createLegacyDatabase, fillLegacyFixtures, LEGACY_TIME_ZONE, LEGACY_USERS, PHP_HASHES, SEED_004_PERMISSIONS, signInOutcome, type LegacyDatabase } from '../support/legacy-db.js';
import { PASSWORD } from '../support/harness.js';
import { describeSql, SQL_KINDS } from '../support/sql-servers.js';

/**
 * Lazy migration against the same oracle as the batch import: the legacy database stays the
 * source, and each user comes over at their first sign-in (LegacyReader without a snapshot
 * as `createAuth({ legacy })`). Beside it, unique registration fields under concurrent
 * registrations on each database.
 */

const KEY = randomBytes(32).toString('hex');
/** Thirty-odd sign-ins, each hashing (the first one of each user rehashes): more than the default 30 s on a loaded machine. */
const SIGN_INS_TIMEOUT = 300_000;
const notImported = (u: (typeof LEGACY_USERS)[number]): boolean => u.signIn.some((s) => s.gatehouse === 'not_imported');

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: lazy migration from a seed-004 database, checked against the old module`, (db) => {
    let legacy: LegacyDatabase;
    let reader: LegacyReader;
    let auth: Auth;

    beforeAll(async () => {
      legacy = await createLegacyDatabase();
      await fillLegacyFixtures(legacy, new Date());
      reader = await LegacyReader.open(legacy.url, { timeZone: LEGACY_TIME_ZONE, snapshot: false });
      const store = db.store({ url: db.url }, { tablePrefix: 'lazy_' });
      await store.migrate();
      auth = createAuth({ store, mailer: new MemoryMailer(), hasher: new TestPasswordHasher(), twoFactor: { encryptionKey: KEY }, legacy: reader });
      await auth.roles.seed(auth.system, await reader.readRoles());
    });
    afterAll(async () => {
      await reader?.close();
      await legacy?.drop();
    });

    it('each legacy user signs in at first contact exactly as the old module let them; the hash is then argon2id; permissions equal v_permisos_usuario', async () => {
      const view = await legacy.query('select usuario_id, permiso_codigo from v_permisos_usuario');
      for (const user of LEGACY_USERS) {
        const own = PHP_HASHES[user.hash].password;
        const attempts = [...user.signIn].sort((a, b) => Number(a.password === own) - Number(b.password === own));
        for (const attempt of attempts) {
          const expected = attempt.gatehouse === 'not_imported' ? 'INVALID_CREDENTIALS' : attempt.gatehouse;
          expect(await signInOutcome(auth, user.email, attempt.password), `${user.email}: ${attempt.why}`).toBe(expected);
        }
        const stored = await auth.users.findByIdentifier(auth.system, 'legacyId', String(user.id));
        if (notImported(user)) {
          expect(stored, user.email).toBeNull();
          continue;
        }
        const record = await db.store({ url: db.url }, { tablePrefix: 'lazy_' }).findUserById(stored!.id);
        const passed = user.signIn.some((s) => s.gatehouse === 'signed_in' || s.gatehouse === 'two_factor_required');
        const long = Buffer.byteLength(own) > 72;
        expect(record?.passwordHash, user.email).toMatch(passed && !long ? /^\$argon2id\$/ : /^\$2y\$/);
        const expectedPermissions = [...new Set(view.filter((r) => String(r['usuario_id']) === String(user.id)).map((r) => SEED_004_PERMISSIONS[String(r['permiso_codigo'])]!))].sort();
        expect([...(await auth.users.get(auth.system, stored!.id)).permissions].sort(), user.email).toEqual(expectedPermissions);
      }
    }, SIGN_INS_TIMEOUT);

    it('sign-up refuses an address the legacy system still holds, typed in any case or with its Unicode domain', async () => {
      for (const email of ['Nuevo.Legado@Example.com', 'Otro@Peñalara.com.co']) {
        await legacy.query(`insert into usuarios (email, contrasena_hash, nombre_completo, estado_id, estado_verificacion_email) select ?, contrasena_hash, 'Nuevo Legado', estado_id, 1 from usuarios where id = 101`, [email]);
      }
      await expect(auth.accounts.register({ email: 'nuevo.legado@example.com', password: PASSWORD, name: 'Impostor' })).rejects.toSatisfy((e: unknown) => isAuthError(e, 'EMAIL_TAKEN'));
      await expect(auth.accounts.register({ email: 'OTRO@xn--pealara-5za.com.co', password: PASSWORD, name: 'Impostor' })).rejects.toSatisfy((e: unknown) => isAuthError(e, 'EMAIL_TAKEN'));
      await auth.accounts.register({ email: 'brand.new@example.com', password: PASSWORD, name: 'New' });
    });
  });

  await describeSql(kind, `${kind}: unique registration fields under concurrent registrations`, (db) => {
    it('of 10 concurrent registrations with one national id, exactly one succeeds; the others are refused IDENTIFIER_TAKEN and store nothing', async () => {
      const store = db.store({ url: db.url }, { tablePrefix: 'uq_' });
      await store.migrate();
      const auth = createAuth({
        store,
        mailer: new MemoryMailer(),
        hasher: new TestPasswordHasher(),
        registration: { fields: { nationalId: z.string().optional() }, uniqueFields: ['nationalId'] },
      });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => auth.accounts.register({ email: `racer${i}@example.com`, password: PASSWORD, name: `Racer ${i}`, nationalId: 'V-12345678' })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isAuthError(r.reason, 'IDENTIFIER_TAKEN'), String(r.reason)).toBe(true);
      expect((await store.listUsers({ offset: 0, limit: 20, now: new Date() })).total).toBe(1);
      const winner = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ user: { id: string } }>).value.user.id;
      expect((await auth.users.findByIdentifier(auth.system, 'nationalId', 'V-12345678'))?.id).toBe(winner);
    });
  });
}
