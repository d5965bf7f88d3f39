import { beforeEach, expect, it } from 'vitest';
import type { AuthStore, SessionBundle } from 'gatehouse';
import { MysqlAuthStore } from 'gatehouse/mysql';
import { at, hex64, permission, role, session, T0, user as fixtureUser } from '../../adapters/testing/fixtures.js';
import { describeSql, mysqlPool, SQL_KINDS } from '../support/sql-servers.js';

/**
 * The role catalogue (`adapters/sql/role-catalog.ts`): each SQL store keeps every role and its
 * active permissions in memory under the version in `role_catalog`, and the session query
 * sends the catalogue again only when that version changed. Each store below stands for a
 * process of its own (its own pool, its own catalogue) on the same database.
 */

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: the role catalogue`, (db) => {
    const p = (n: number): string => (kind === 'postgres' ? `$${n}` : '?');
    let writer: AuthStore;
    let userId: string;
    let tokenHash: string;

    /** The row of `role_catalog`. */
    const catalogRow = async (): Promise<{ version: string; document: unknown } | undefined> =>
      (await db.query('select version, document from role_catalog where id = 1'))[0] as { version: string; document: unknown } | undefined;
    /** A process of its own, holding no catalogue yet. */
    const process = (): AuthStore => db.store();
    /** What a process that holds no catalogue reads: the truth, built from the tables. */
    const truth = async (): Promise<SessionBundle | null> => process().findSessionByTokenHash(tokenHash);
    const grantsOf = (bundle: SessionBundle | null) => bundle?.grants.map((g) => [g.roleCode, g.role.name, g.role.level, g.role.active, [...g.permissions]]);

    beforeEach(async () => {
      writer = await db.freshStore();
      await writer.upsertRole(role({ code: 'customer', name: 'Customer', level: 10, createdAt: T0, updatedAt: T0 }));
      await writer.upsertRole(role({ code: 'seller', name: 'Seller', level: 20, createdAt: T0, updatedAt: T0 }));
      for (const code of ['orders:create', 'products:edit', 'reports:view']) await writer.upsertPermission(permission(code, { createdAt: T0 }));
      await writer.grantPermission('customer', 'orders:create');
      await writer.grantPermission('seller', 'products:edit');
      const u = fixtureUser({ createdAt: T0, updatedAt: T0 });
      userId = u.id;
      await writer.insertUser(u);
      await writer.assignRole({ userId, roleCode: 'customer', assignedAt: T0, assignedBy: null, expiresAt: null });
      await writer.assignRole({ userId, roleCode: 'seller', assignedAt: at(1), assignedBy: null, expiresAt: at(3600) });
      tokenHash = hex64();
      await writer.insertSession(session(userId, { tokenHash }));
    });

    it('a process keeps its catalogue: a role changed by plain SQL does not show until a role write through a store, and then does', async () => {
      const reader = process();
      expect(grantsOf(await reader.findSessionByTokenHash(tokenHash))).toEqual([
        ['seller', 'Seller', 20, true, ['products:edit']],
        ['customer', 'Customer', 10, true, ['orders:create']],
      ]);
      await db.query(`update roles set name = ${p(1)} where code = ${p(2)}`, ['Renamed by SQL', 'seller']);
      // The catalogue held: the version did not change. A process holding none reads the tables.
      expect((await reader.findSessionByTokenHash(tokenHash))?.grants[0]?.role.name).toBe('Seller');
      expect((await truth())?.grants[0]?.role.name).toBe('Renamed by SQL');
      await writer.grantPermission('seller', 'reports:view');
      const after = await reader.findSessionByTokenHash(tokenHash);
      expect(grantsOf(after)).toEqual([
        ['seller', 'Renamed by SQL', 20, true, ['products:edit', 'reports:view']],
        ['customer', 'Customer', 10, true, ['orders:create']],
      ]);
      expect(after).toEqual(await truth());
    });

    it('another process’s role and permission writes show at this process’s next full read, each kind of write', async () => {
      const reader = process();
      await reader.findSessionByTokenHash(tokenHash);
      const other = process();
      const steps: [string, () => Promise<unknown>, unknown][] = [
        ['upsertRole', () => other.upsertRole(role({ code: 'seller', name: 'Vendor', level: 5, createdAt: T0, updatedAt: at(2) })), [
          ['customer', 'Customer', 10, true, ['orders:create']],
          ['seller', 'Vendor', 5, true, ['products:edit']],
        ]],
        ['upsertRole (deactivate)', () => other.upsertRole(role({ code: 'customer', name: 'Customer', level: 10, active: false, createdAt: T0, updatedAt: at(3) })), [
          ['customer', 'Customer', 10, false, ['orders:create']],
          ['seller', 'Vendor', 5, true, ['products:edit']],
        ]],
        ['upsertPermission (deactivate)', () => other.upsertPermission(permission('products:edit', { active: false, createdAt: T0 })), [
          ['customer', 'Customer', 10, false, ['orders:create']],
          ['seller', 'Vendor', 5, true, []],
        ]],
        ['grantPermission', () => other.grantPermission('seller', 'reports:view'), [
          ['customer', 'Customer', 10, false, ['orders:create']],
          ['seller', 'Vendor', 5, true, ['reports:view']],
        ]],
        ['revokePermission', () => other.revokePermission('customer', 'orders:create'), [
          ['customer', 'Customer', 10, false, []],
          ['seller', 'Vendor', 5, true, ['reports:view']],
        ]],
        ['a new role, assigned', async () => {
          await other.upsertRole(role({ code: 'auditor', name: 'Auditor', level: 40, createdAt: T0, updatedAt: T0 }));
          await other.assignRole({ userId, roleCode: 'auditor', assignedAt: at(4), assignedBy: null, expiresAt: null });
        }, [
          ['auditor', 'Auditor', 40, true, []],
          ['customer', 'Customer', 10, false, []],
          ['seller', 'Vendor', 5, true, ['reports:view']],
        ]],
      ];
      for (const [label, write, expected] of steps) {
        await write();
        const seen = await reader.findSessionByTokenHash(tokenHash);
        expect(grantsOf(seen), label).toEqual(expected);
        expect(seen, label).toEqual(await truth());
      }
    });

    it('every kind of role or permission write sets a fresh catalogue version and stores the catalogue it leaves', async () => {
      const writes: [string, () => Promise<unknown>][] = [
        ['upsertRole', () => writer.upsertRole(role({ code: 'auditor', name: 'Auditor', level: 40, createdAt: T0, updatedAt: T0 }))],
        ['upsertPermission', () => writer.upsertPermission(permission('audit:view', { createdAt: T0 }))],
        ['grantPermission', () => writer.grantPermission('auditor', 'audit:view')],
        ['revokePermission', () => writer.revokePermission('auditor', 'audit:view')],
        ['revokePermission of a permission the role has not', () => writer.revokePermission('auditor', 'audit:view')],
      ];
      const seen = new Set<string>();
      for (const [label, write] of writes) {
        const before = await catalogRow();
        await write();
        const after = await catalogRow();
        expect(after?.version, label).toMatch(/^[0-9a-f]{32}$/);
        expect(after?.version, label).not.toBe(before?.version);
        expect(seen.has(after!.version), label).toBe(false);
        seen.add(after!.version);
        const stored = (typeof after?.document === 'string' ? JSON.parse(after.document) : after?.document) as unknown[][];
        const auditor = stored.find((r) => r[0] === 'auditor');
        expect(auditor?.[3], label).toBe(40);
        const codes = typeof auditor?.[7] === 'string' ? JSON.parse(auditor[7]) : auditor?.[7];
        expect(codes, label).toEqual(label === 'grantPermission' ? ['audit:view'] : []);
      }
    });

    it('a catalogue read inside a transaction that rolls back is used there, and not kept', async () => {
      const reader = process();
      await reader
        .transaction(async (tx) => {
          // A write by other means, in the transaction: the version stays; the catalogue read from the tables holds it.
          await tx.appTransaction!()!.query(`update roles set name = ${p(1)} where code = ${p(2)}`, ['Uncommitted', 'seller']);
          expect((await tx.findSessionByTokenHash(tokenHash))?.grants[0]?.role.name).toBe('Uncommitted');
          throw new Error('roll back');
        })
        .catch((error: unknown) => {
          if (!(error instanceof Error) || error.message !== 'roll back') throw error;
        });
      expect((await reader.findSessionByTokenHash(tokenHash))?.grants[0]?.role.name).toBe('Seller');
      expect(await reader.findSessionByTokenHash(tokenHash)).toEqual(await truth());
    });

    it('a process that holds no catalogue builds it from the tables, whatever the stored copy says', async () => {
      await db.query(`update role_catalog set document = ${p(1)} where id = 1`, ['[]']);
      expect(grantsOf(await process().findSessionByTokenHash(tokenHash))).toEqual([
        ['seller', 'Seller', 20, true, ['products:edit']],
        ['customer', 'Customer', 10, true, ['orders:create']],
      ]);
    });

    it.runIf(kind === 'mysql')('MariaDB/MySQL: a catalogue cut short by group_concat_max_len is read from the tables instead, and not kept', async () => {
      const pool = mysqlPool(db.url);
      // The server's smallest limit: every JSON_ARRAYAGG of the catalogue comes back cut, not JSON.
      pool.on('connection', (connection) => void connection.query('set session group_concat_max_len = 4'));
      const reader = new MysqlAuthStore({ pool });
      try {
        expect(grantsOf(await reader.findSessionByTokenHash(tokenHash))).toEqual([
          ['seller', 'Seller', 20, true, ['products:edit']],
          ['customer', 'Customer', 10, true, ['orders:create']],
        ]);
        await db.query(`update roles set name = ${p(1)} where code = ${p(2)}`, ['Renamed by SQL', 'seller']);
        // Nothing was kept: the next read builds the catalogue again.
        expect((await reader.findSessionByTokenHash(tokenHash))?.grants[0]?.role.name).toBe('Renamed by SQL');
        // A role write on such a connection still commits; it stores no catalogue, and readers build it from the tables.
        await reader.grantPermission('seller', 'reports:view');
        expect((await catalogRow())?.document).toBeNull();
        const holding = process();
        expect(grantsOf(await holding.findSessionByTokenHash(tokenHash))?.[0]).toEqual(['seller', 'Renamed by SQL', 20, true, ['products:edit', 'reports:view']]);
        await writer.revokePermission('seller', 'reports:view');
        expect(grantsOf(await holding.findSessionByTokenHash(tokenHash))?.[0]).toEqual(['seller', 'Renamed by SQL', 20, true, ['products:edit']]);
      } finally {
        await reader.close();
        await new Promise<void>((resolve) => pool.end(() => resolve()));
      }
    });

    it('without a catalogue row (deleted by other means) every read builds the catalogue, and the next role write puts the row back', async () => {
      const reader = process();
      await reader.findSessionByTokenHash(tokenHash);
      await db.query('delete from role_catalog');
      await db.query(`update roles set name = ${p(1)} where code = ${p(2)}`, ['Renamed by SQL', 'seller']);
      expect((await reader.findSessionByTokenHash(tokenHash))?.grants[0]?.role.name).toBe('Renamed by SQL');
      await writer.upsertRole(role({ code: 'customer', name: 'Client', level: 10, createdAt: T0, updatedAt: T0 }));
      expect((await catalogRow())?.version).toMatch(/^[0-9a-f]{32}$/);
      expect(await reader.findSessionByTokenHash(tokenHash)).toEqual(await truth());
    });
  });
}
