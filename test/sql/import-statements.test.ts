import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuth, type Auth, type AuthStore, type ImportRecord, type ImportResult } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { fastHasher } from '../support/harness.js';
import { describeSql, SQL_KINDS } from '../support/sql-servers.js';
import { countingPool, type CountingPool } from '../support/statement-counter.js';
import { IMPORT_ROLES, IMPORT_ROLE_SEED, importRecords } from '../../bench/support/import-records.js';

/**
 * What `users.import()` costs in statements sent to the server, counted on the driver's
 * connections (BEGIN and COMMIT included): a batch costs the same number of statements
 * whatever its number of users — never one per user.
 */

const day = (n: number): Date => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000);

/** `count` users from `from` on, each with two identifiers, two roles, two history entries and three activities, one naming another user as its actor. */
const records = (from: number, count: number, tag = ''): ImportRecord[] => importRecords({ from, count, tag, withActors: true });

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: statements per import batch`, (db) => {
    let counting: CountingPool;
    let auth: Auth;

    beforeAll(async () => {
      await db.store().migrate();
      counting = countingPool(kind, db.url);
      auth = createAuth({ store: db.store({ pool: counting.pool } as never) as AuthStore, mailer: new MemoryMailer(), hasher: fastHasher() });
      await auth.roles.seed(auth.system, IMPORT_ROLE_SEED);
    });
    afterAll(() => counting?.end());

    /** The statements an import of `list` in one batch sends, and its result. */
    async function sentBy(list: readonly ImportRecord[]): Promise<{ sent: string[]; result: ImportResult }> {
      counting.reset();
      const result = await auth.users.import(auth.system, list, { batchSize: list.length });
      expect(result.refused).toEqual([]);
      return { sent: [...counting.sent], result };
    }
    /** A statement without its lists of values, which grow with the batch. */
    const shape = (sent: readonly string[]): string[] => sent.map((s) => s.replace(/\s*(values|where|from|set|join)\b.*$/i, ''));
    // MySQL/MariaDB set the isolation level in a statement of its own before BEGIN.
    const begin = kind === 'mysql' ? 1 : 0;

    it('a batch of new users sends the same statements for 10 users as for 100: none per user', async () => {
      const ten = await sentBy(records(0, 10));
      const hundred = await sentBy(records(10, 100));
      expect(ten.result.imported).toBe(10);
      expect(hundred.result.imported).toBe(100);
      expect(shape(hundred.sent), hundred.sent.join(' ‖ ')).toEqual(shape(ten.sent));
      // Lookups before the transaction (roles once per import), then one statement per table
      // (user_search_words included).
      expect(ten.sent.length, ten.sent.join(' ‖ ')).toBeLessThanOrEqual(17 + begin);
      expect(ten.sent.filter((s) => /^insert into .?users.? /i.test(s))).toHaveLength(1);
      expect(ten.sent.filter((s) => /^insert into .?activities/i.test(s))).toHaveLength(1);
    });

    it('a batch that updates changed users sends the same statements for 10 users as for 100, and each user ends as their record says', async () => {
      const ten = await sentBy(records(0, 10, ' (changed)'));
      const hundred = await sentBy(records(10, 100, ' (changed)'));
      expect(ten.result.updated).toBe(10);
      expect(hundred.result.updated).toBe(100);
      expect(shape(hundred.sent), hundred.sent.join(' ‖ ')).toEqual(shape(ten.sent));
      // The search words of updated users: one delete, one look at which users exist, one insert.
      expect(ten.sent.length, ten.sent.join(' ‖ ')).toBeLessThanOrEqual(26 + begin);

      const store = db.store();
      const user = (await store.findUserByIdentifier('legacyId', '42'))!;
      expect(user.name).toBe('User 42 (changed)');
      const grants = await store.listUserGrants(user.id);
      expect(grants.map((g) => [g.roleCode, g.assignedAt.getTime(), g.expiresAt?.getTime() ?? null]).sort()).toEqual(
        [
          [IMPORT_ROLES[42 % 3]!, day(0).getTime(), null],
          [IMPORT_ROLES[43 % 3]!, day(2).getTime(), day(400).getTime()],
        ].sort(),
      );
      // History is not written twice; activities keep the first run's three, add the changed ones and one entry per run.
      expect(await store.listPasswordHistory(user.id, 100)).toHaveLength(2);
      const actions = (await store.listActivities({ subjectId: user.id, offset: 0, limit: 100 })).items.map((a) => a.action).sort();
      expect(actions).toEqual(['login.failed', 'login.failed', 'login.succeeded', 'login.succeeded', 'login.succeeded', 'login.succeeded', 'user.import_updated', 'user.imported']);
      expect((await store.listUserIdentifiers([user.id])).map((i) => i.name)).toEqual(['documentNumber', 'gatehouse.import', 'legacyId']);
    });

    it('a second run of the same batch sends the same statements for 10 users as for 100 and writes nothing', async () => {
      const ten = await sentBy(records(0, 10, ' (changed)'));
      const hundred = await sentBy(records(10, 100, ' (changed)'));
      expect([ten.result.skipped, hundred.result.skipped]).toEqual([10, 100]);
      expect(shape(hundred.sent)).toEqual(shape(ten.sent));
      expect(ten.sent.filter((s) => /^(insert|update|delete|begin|start)/i.test(s)), ten.sent.join(' ‖ ')).toEqual([]);
      // The roles once per import, the matching reads, and the fingerprints of the matched users.
      expect(ten.sent.length, ten.sent.join(' ‖ ')).toBeLessThanOrEqual(8);
    });
  });
}
