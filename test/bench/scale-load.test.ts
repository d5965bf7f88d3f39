import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import type { AuthStore, UserRole } from 'gatehouse';
import { ScaleLoader } from '../../bench/support/scale-load.js';
import { describe as describeSchema, LOADED_TABLES, rebuild, setAside, type Execute } from '../../bench/support/scale-indexes.js';
import { activityRecordAt, expectedCounts, rolesAt, userAt } from '../../bench/support/scale-rows.js';
import { describeSql, SQL_KINDS, type SqlKind, type TestDatabase } from '../support/sql-servers.js';

/**
 * The scale bench's loader writes, with the server generating the rows and the indexes set
 * aside, exactly the rows the store itself writes for the same users and activities
 * (`insertUsers`, `insertUserRoles`, `appendActivities`), and puts back exactly the indexes
 * and constraints the migrations created.
 */

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');
/** The store's copy lives beside the loader's, under this table prefix. */
const PREFIX = 'zq_';
/** Two loads, as the bench does (small, then on to the full size): 2,003 users take in i = 0, 1000, 2000 (admins) and 1650 (i % 50 and i % 33). */
const SIZES = [
  { users: 1_200, activities: 3_000 },
  { users: 2_003, activities: 7_001 },
] as const;
const ORDER: Record<(typeof LOADED_TABLES)[number], string> = {
  users: 'id',
  user_roles: 'user_id, role_code',
  user_search_words: 'word, user_id',
  activities: 'id',
};
const q = (kind: SqlKind, name: string): string => (kind === 'postgres' ? `"${name}"` : `\`${name}\``);

function executeOn(db: TestDatabase): Execute {
  return (statement, parameters = []) => db.query(statement, [...parameters]);
}

/** Writes, through the store, what the loader generates for `SIZES` (each load's activities name the users there were then). */
async function writeThroughStore(store: AuthStore): Promise<void> {
  const at = new Date(Date.UTC(2025, 0, 1));
  for (const [code, level] of [['customer', 10], ['seller', 20], ['admin', 50]] as const) await store.upsertRole({ code, name: code, description: '', level, active: true, createdAt: at, updatedAt: at });
  let users = 0;
  let activities = 0;
  for (const size of SIZES) {
    const ids = Array.from({ length: size.users - users }, (_, k) => users + k);
    const records = ids.map((i) => userAt(i, md5));
    await store.insertUsers(records);
    await store.insertUserRoles(
      ids.flatMap((i, k): UserRole[] => rolesAt(i).map((roleCode) => ({ userId: records[k]!.id, roleCode, assignedAt: records[k]!.createdAt, assignedBy: null, expiresAt: null }))),
    );
    users = size.users;
    await store.appendActivities(Array.from({ length: size.activities - activities }, (_, k) => activityRecordAt(activities + k, users, md5)));
    activities = size.activities;
  }
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `scale bench loader (${kind})`, (db) => {
    it('writes exactly the rows the store writes for the same users and activities, and rebuilds exactly the migrated indexes', async () => {
      const store = db.store();
      await store.migrate();
      const theirs = db.store(undefined, { tablePrefix: PREFIX });
      await theirs.migrate();
      const execute = executeOn(db);
      const loader = new ScaleLoader(kind, store, execute);
      await loader.roles();
      for (const size of SIZES) expect(await loader.load(size)).not.toBeNull();
      expect(await loader.load(SIZES[1])).toBeNull();

      await writeThroughStore(theirs);
      for (const table of LOADED_TABLES) {
        const ours = await db.query(`select * from ${q(kind, table)} order by ${ORDER[table]}`);
        const stored = await db.query(`select * from ${q(kind, PREFIX + table)} order by ${ORDER[table]}`);
        expect(ours.length, table).toBe(stored.length);
        expect(ours, table).toEqual(stored);
      }
      const withoutPrefix = (text: string): string => text.replaceAll(PREFIX, '');
      expect(await describeSchema(kind, execute, LOADED_TABLES)).toBe(
        withoutPrefix(
          await describeSchema(
            kind,
            execute,
            LOADED_TABLES.map((t) => PREFIX + t),
          ),
        ),
      );
      expect(await loader.counts()).toEqual(expectedCounts(SIZES[1].users, SIZES[1].activities));
    });

    it('sets every secondary index aside for the load (primary keys stay) and puts back the same ones', async () => {
      const store = await db.freshStore();
      const execute = executeOn(db);
      const before = await describeSchema(kind, execute, LOADED_TABLES);
      const aside = await setAside(kind, execute, LOADED_TABLES);
      const during = (await describeSchema(kind, execute, LOADED_TABLES)).split('\n');
      // What is left: the primary keys (and MariaDB's foreign keys, unchecked during the load).
      const secondary = during.filter((line) => (kind === 'postgres' ? (/ index /.test(line) && !/_pk(ey)?:/.test(line)) || /FOREIGN KEY/.test(line) : /: (UNIQUE |FULLTEXT |SPATIAL )?KEY `/.test(line)));
      expect(secondary).toEqual([]);
      expect(during.filter((line) => /PRIMARY KEY/.test(line))).toHaveLength(LOADED_TABLES.length);
      expect(aside.names).toEqual(expect.arrayContaining(['users_email_uq', 'users_status_idx', 'activities_action_idx', 'activities_module_idx', 'user_roles_role_expiry_idx']));
      await rebuild(kind, execute, LOADED_TABLES, aside);
      expect(await describeSchema(kind, execute, LOADED_TABLES)).toBe(before);
      expect(store).toBeDefined();
    });

    it('refuses a load whose rows are not all there', async () => {
      const store = await db.freshStore();
      const execute = executeOn(db);
      const loader = new ScaleLoader(kind, store, execute);
      await loader.roles();
      await loader.load({ users: 1_000, activities: 2_000 });
      await loader.check();
      // One seller's assignment gone: the counts per role differ.
      await db.query(`delete from ${q(kind, 'user_roles')} where role_code = 'seller' and user_id = ${kind === 'postgres' ? '$1' : '?'}`, [userAt(10, md5).id]);
      await expect(loader.check()).rejects.toThrow(/counted/);
      // One activity of another action: the counts per action differ.
      await db.query(`update ${q(kind, 'activities')} set action = 'login.failed' where action = 'user.blocked' and id = ${kind === 'postgres' ? '$1' : '?'}`, [activityRecordAt(0, 1_000, md5).id]);
      await expect(loader.check()).rejects.toThrow(/counted/);
    });

    it('refuses a rebuild that does not give back the migrated schema', async () => {
      await db.freshStore();
      const execute = executeOn(db);
      const aside = await setAside(kind, execute, LOADED_TABLES);
      const [first, ...rest] = aside.restore;
      expect(first!.table).toBe('users');
      await expect(rebuild(kind, execute, LOADED_TABLES, { ...aside, restore: rest })).rejects.toThrow(/differ/);
    });
  });
}
