import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuth, type Auth } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { TestPasswordHasher } from 'gatehouse/testing';
import { runCli } from '../../adapters/cli/run-cli.js';
import { TABLE_NAMES } from '../../adapters/sql/schema.js';
import { createLegacyDatabase, fillLegacyFixtures, LEGACY_TIME_ZONE, LEGACY_USERS, PHP_HASHES, SEED_004_PERMISSIONS, signInOutcome, type LegacyDatabase } from '../support/legacy-db.js';
import { describeSql, SQL_KINDS, type SqlKind, type TestDatabase } from '../support/sql-servers.js';

/**
 * The oracle, end to end: a real seed-004 database on MariaDB, imported by
 * `gatehouse import` into PostgreSQL and MariaDB; then every legacy user signs in exactly as
 * the old module would have let them, permissions equal the old view's, and orders find
 * their owner through legacyId. A second run changes nothing; a dry run writes nothing.
 */

const KEY = randomBytes(32).toString('hex');
/** Thirty-odd sign-ins, each hashing (the first one of each user rehashes): more than the default 30 s on a loaded machine. */
const SIGN_INS_TIMEOUT = 300_000;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), env: { GATEHOUSE_TWO_FACTOR_KEY: KEY } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const quote = (kind: SqlKind, name: string): string => (kind === 'postgres' ? `"${name}"` : `\`${name}\``);

/** Every row of gatehouse's tables with this prefix, table by table, in a stable order (what "changes nothing" compares). */
async function snapshot(db: TestDatabase, prefix: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLE_NAMES) {
    const [row] = await db.query(`select count(*) as n from ${quote(db.kind, prefix + table)}`);
    counts[table] = Number(row?.['n']);
  }
  return counts;
}

/** What a sign-in came to, in the oracle's words. */
for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: gatehouse import of a seed-004 database, checked against the old module`, (db) => {
    let legacy: LegacyDatabase;
    let auth: Auth;
    let first: Awaited<ReturnType<typeof cli>>;
    const target = (prefix = ''): string[] => ['--database-url', db.url, ...(prefix === '' ? [] : ['--table-prefix', prefix])];
    const importArgs = ['import', '--from', '', '--timezone', LEGACY_TIME_ZONE];

    beforeAll(async () => {
      legacy = await createLegacyDatabase();
      await fillLegacyFixtures(legacy, new Date());
      importArgs[2] = legacy.url;
      const store = db.store({ url: db.url });
      await store.migrate();
      first = await cli([...importArgs, ...target()]);
      auth = createAuth({ store, mailer: new MemoryMailer(), hasher: new TestPasswordHasher(), twoFactor: { encryptionKey: KEY } });
    });
    afterAll(() => legacy?.drop());

    it('imports every user it can and names each one it cannot, exiting 1 for them', () => {
      const refused = LEGACY_USERS.filter((u) => u.signIn.some((s) => s.gatehouse === 'not_imported'));
      expect(first.code, first.err).toBe(1);
      expect(first.out).toContain(`${LEGACY_USERS.length - refused.length} imported, 0 updated, 0 unchanged, ${refused.length} refused`);
      for (const u of refused) expect(first.err).toContain(`usuarios.id ${u.id} <${u.email}>`);
    });

    it('every legacy user signs in exactly when the old module let them in, with the refusal code otherwise; the hash is argon2id after the first sign-in', async () => {
      for (const user of LEGACY_USERS) {
        // Variants first: the first sign-in with the own password rehashes to argon2id (NFKC), after which bcrypt's quirks are gone.
        const attempts = [...user.signIn].sort((a, b) => Number(a.password === PHP_HASHES[user.hash].password) - Number(b.password === PHP_HASHES[user.hash].password));
        for (const attempt of attempts) {
          const expected = attempt.gatehouse === 'not_imported' ? 'INVALID_CREDENTIALS' : attempt.gatehouse;
          expect(await signInOutcome(auth, user.email, attempt.password), `${user.email}: ${attempt.why}`).toBe(expected);
        }
        const stored = await auth.users.findByIdentifier(auth.system, 'legacyId', String(user.id));
        if (user.signIn.some((s) => s.gatehouse === 'not_imported')) {
          expect(stored, user.email).toBeNull();
          continue;
        }
        const hash = (await db.query(`select password_hash as h from users where id = ${kind === 'postgres' ? '$1' : '?'}`, [stored!.id]))[0]?.['h'];
        const passed = user.signIn.some((s) => s.gatehouse === 'signed_in' || s.gatehouse === 'two_factor_required');
        // bcrypt read only 72 bytes of a longer password: which one the user meant is unknown, so that hash stays bcrypt.
        const long = Buffer.byteLength(PHP_HASHES[user.hash].password) > 72;
        expect(String(hash), user.email).toMatch(passed && !long ? /^\$argon2id\$/ : /^\$2y\$/);
      }
    }, SIGN_INS_TIMEOUT);

    it("every user's permissions equal the old v_permisos_usuario view's", async () => {
      const rows = await legacy.query('select usuario_id, permiso_codigo from v_permisos_usuario');
      for (const user of LEGACY_USERS.filter((u) => !u.signIn.some((s) => s.gatehouse === 'not_imported'))) {
        const expected = [...new Set(rows.filter((r) => String(r['usuario_id']) === String(user.id)).map((r) => SEED_004_PERMISSIONS[String(r['permiso_codigo'])]!))].sort();
        const found = (await auth.users.findByIdentifier(auth.system, 'legacyId', String(user.id)))!;
        const details = await auth.users.get(auth.system, found.id);
        expect([...details.permissions].sort(), user.email).toEqual(expected);
      }
    });

    it('orders find their owner through legacyId', async () => {
      const orders = await legacy.query('select p.usuario_id as owner, u.email as email from pedidos p join usuarios u on u.id = p.usuario_id');
      expect(orders.length).toBeGreaterThan(0);
      for (const order of orders) {
        const owner = await auth.users.findByIdentifier(auth.system, 'legacyId', String(order['owner']));
        expect(owner?.email.split('@')[0]).toBe(String(order['email']).split('@')[0]!.toLowerCase());
      }
    });

    it('a second run changes nothing: every user unchanged, the same rows', async () => {
      const before = await snapshot(db, '');
      const again = await cli([...importArgs, ...target()]);
      const refused = LEGACY_USERS.filter((u) => u.signIn.some((s) => s.gatehouse === 'not_imported')).length;
      expect(again.out).toContain(`0 imported, 0 updated, ${LEGACY_USERS.length - refused} unchanged, ${refused} refused`);
      expect(await snapshot(db, '')).toEqual(before);
    });

    it('--dry-run reads, validates and matches everything and writes nothing', async () => {
      const store = db.store({ url: db.url }, { tablePrefix: 'dry_' });
      await store.migrate();
      const migrated = await snapshot(db, 'dry_');
      // Migrations leave one row: the role catalogue's version (0011).
      expect(Object.entries(migrated).every(([table, n]) => n === (table === 'role_catalog' ? 1 : 0))).toBe(true);
      const dry = await cli([...importArgs, '--dry-run', ...target('dry_')]);
      expect(dry.out).toContain('dry run');
      expect(dry.out).toMatch(/\d+ would be imported/);
      expect(await snapshot(db, 'dry_')).toEqual(migrated);
    });

    it('refuses a database without gatehouse’s migrations, creating nothing', async () => {
      const bare = await cli([...importArgs, ...target('bare_')]);
      expect(bare.code).toBe(1);
      expect(bare.err).toMatch(/run gatehouse migrate first/);
      expect((await db.tables()).filter((t) => t.startsWith('bare_'))).toEqual([]);
    });
  });
}
