import { afterAll, beforeAll, expect, it } from 'vitest';
import { LegacyReader, resolveMapping, type ImportBatch, type ImportRecord, type ImportRoleSet } from '../../adapters/import/index.js';
import { describeSql } from '../support/sql-servers.js';
import {
  LEGACY_TIME_ZONE,
  LEGACY_USERS,
  createLegacyDatabase,
  fillGeneratedUsers,
  fillLegacyFixtures,
  legacyDatetime,
  SEED_004_PERMISSIONS,
  validationFailure,
  type LegacyDatabase,
} from '../support/legacy-db.js';

/** Reads every batch of a reader. */
async function readAll(reader: LegacyReader): Promise<{ batches: ImportBatch[]; records: ImportRecord[] }> {
  const batches: ImportBatch[] = [];
  for await (const batch of reader.batches()) batches.push(batch);
  return { batches, records: batches.flatMap((b) => b.records) };
}

async function read(url: string, options: Partial<Parameters<typeof LegacyReader.open>[1]> = {}): Promise<{ roles: ImportRoleSet; batches: ImportBatch[]; records: ImportRecord[] }> {
  const reader = await LegacyReader.open(url, { timeZone: LEGACY_TIME_ZONE, ...options });
  try {
    const roles = await reader.readRoles();
    return { roles, ...(await readAll(reader)) };
  } finally {
    await reader.close();
  }
}

const byLegacyId = (records: readonly ImportRecord[], id: number): ImportRecord => {
  const found = records.find((r) => r.identifiers['legacyId'] === String(id));
  if (found === undefined) throw new Error(`no record for usuarios.id ${id}`);
  return found;
};

/** What gatehouse grants a record at `now`: its unexpired assignments of active roles, their active permissions. */
function effectivePermissions(record: ImportRecord, roles: ImportRoleSet, now: Date): string[] {
  const active = new Set(roles.permissions.filter((p) => p.active).map((p) => p.code));
  const codes = new Set<string>();
  for (const assignment of record.roles) {
    if (assignment.expiresAt !== null && assignment.expiresAt <= now) continue;
    const role = roles.roles.find((r) => r.code === assignment.code);
    if (role === undefined || !role.active) continue;
    for (const code of role.permissions) if (active.has(code)) codes.add(code);
  }
  return [...codes].sort();
}


await describeSql('mysql', 'legacy reader: the php-usuarios preset on a real seed-004 database', () => {
  let legacy: LegacyDatabase;
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  let result: Awaited<ReturnType<typeof read>>;

  beforeAll(async () => {
    legacy = await createLegacyDatabase();
    await fillLegacyFixtures(legacy, now);
    result = await read(legacy.url);
  });
  afterAll(() => legacy?.drop());

  it('maps every legacy user into a record or a refusal that names them; none goes missing', () => {
    const refusals = result.batches.flatMap((b) => b.refusals);
    expect(result.records.length + refusals.length).toBe(LEGACY_USERS.length);
    const refusedIds = refusals.map((r) => r.source);
    expect(refusedIds.sort()).toEqual(LEGACY_USERS.filter((u) => u.refusedBecause !== undefined).map((u) => `usuarios.id ${u.id}`).sort());
    for (const user of LEGACY_USERS.filter((u) => u.refusedBecause !== undefined)) {
      const refusal = refusals.find((r) => r.source === `usuarios.id ${user.id}`)!;
      expect(refusal.reason).toBe(user.refusedBecause);
      expect(refusal.email).toBe(user.email);
      expect(refusal.message).toContain(user.email);
    }
  });

  it("every user's permissions equal the old v_permisos_usuario view's, translated", async () => {
    const rows = await legacy.query('select usuario_id, permiso_codigo from v_permisos_usuario');
    for (const user of LEGACY_USERS.filter((u) => u.refusedBecause === undefined)) {
      const expected = [...new Set(rows.filter((r) => String(r['usuario_id']) === String(user.id)).map((r) => SEED_004_PERMISSIONS[String(r['permiso_codigo'])]!))].sort();
      expect(effectivePermissions(byLegacyId(result.records, user.id), result.roles, now), user.email).toEqual(expected);
    }
    // The cases that make the comparison worth making.
    expect(effectivePermissions(byLegacyId(result.records, 104), result.roles, now)).toEqual(['orders:view:own', 'products:view']);
    expect(effectivePermissions(byLegacyId(result.records, 105), result.roles, now)).not.toContain('reports:export');
    expect(effectivePermissions(byLegacyId(result.records, 114), result.roles, now)).toEqual([]);
  });

  it('brings the roles with their levels and lower-cased codes, and the permissions translated, as a preset for roles.seed()', () => {
    expect(result.roles.roles.map((r) => [r.code, r.level, r.active])).toEqual([
      ['cliente', 10, true],
      ['vendedor', 20, true],
      ['moderador', 30, true],
      ['gestor_contenidos', 25, true],
      ['administrador', 50, true],
      ['auditor_externo', 15, false],
    ]);
    expect(result.roles.permissions.map((p) => p.code).sort()).toEqual(Object.values(SEED_004_PERMISSIONS).sort());
    expect(result.roles.permissions.find((p) => p.legacyCode === 'REPORTES_EXPORTAR')?.active).toBe(false);
    expect(result.roles.roles.find((r) => r.code === 'cliente')?.permissions).toEqual(['orders:view:own', 'products:view']);
    expect(result.roles.roles.find((r) => r.code === 'administrador')?.permissions).toHaveLength(21);
  });

  it('maps statuses and reasons: estados_usuario codes, activo = 0 as inactive keeping its reason', () => {
    const expected: Record<number, [string, string | null]> = {
      101: ['active', null],
      102: ['active', null],
      106: ['inactive', 'Inactividad prolongada'],
      107: ['blocked', 'Violación de términos de servicio'],
      108: ['pending', null],
      109: ['suspended', 'Contracargos pendientes de revisión'],
      110: ['inactive', 'Cuenta cerrada a petición del usuario'],
    };
    for (const [id, [status, reason]] of Object.entries(expected)) {
      const record = byLegacyId(result.records, Number(id));
      expect([record.status, record.statusReason], id).toEqual([status, reason]);
      expect(record.statusUntil).toBeNull();
    }
  });

  it('keeps expiring and expired assignments with their dates, drops switched-off ones and reports them', () => {
    const carla = byLegacyId(result.records, 103);
    const day = 86_400_000;
    expect(carla.roles.map((r) => [r.code, r.expiresAt?.getTime() ?? null])).toEqual([
      ['cliente', null],
      ['gestor_contenidos', now.getTime() + 30 * day],
    ]);
    expect(byLegacyId(result.records, 104).roles.find((r) => r.code === 'moderador')?.expiresAt?.getTime()).toBe(now.getTime() - 10 * day);
    expect(byLegacyId(result.records, 107).roles.map((r) => r.code)).toEqual(['cliente']);
    const notices = result.batches.flatMap((b) => b.notices).filter((n) => n.kind === 'assignment_switched_off');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ source: 'usuarios.id 107', email: 'gloria.vargas@example.com', message: expect.stringContaining('vendedor') });
  });

  it('lower-cases emails and converts IDN domains, keeping the legacy address beside them', () => {
    expect([byLegacyId(result.records, 101).email, byLegacyId(result.records, 101).legacyEmail]).toEqual(['ana.gomez@example.com', 'Ana.Gomez@Example.com']);
    expect(byLegacyId(result.records, 103).email).toBe('carla+tienda@example.com');
    expect(byLegacyId(result.records, 104).email).toBe('diego@xn--pealara-5za.com.co');
    expect(byLegacyId(result.records, 114).email).toBe('mario@example.com');
    expect(byLegacyId(result.records, 102).legacyEmail).toBeNull();
  });

  it('takes ids from uuid_usuario (lower-cased), the BIGINT id and the document number as identifiers, hashes as they are', async () => {
    const rows = await legacy.query('select id, uuid_usuario, numero_documento, contrasena_hash from usuarios');
    for (const row of rows) {
      const user = LEGACY_USERS.find((u) => u.id === Number(row['id']))!;
      if (user.refusedBecause !== undefined) continue;
      const record = byLegacyId(result.records, user.id);
      expect(record.id).toBe(String(row['uuid_usuario']).toLowerCase());
      expect(record.identifiers).toEqual(row['numero_documento'] === null ? { legacyId: String(user.id) } : { legacyId: String(user.id), documentNumber: row['numero_documento'] });
      expect(record.password).toEqual({ hash: row['contrasena_hash'], scheme: 'bcrypt' });
    }
    expect(byLegacyId(result.records, 112).id).toBe('a3f1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b');
  });

  it('imports active users as verified when the old flag was off (verifiedIfActive), and only them', async () => {
    expect(byLegacyId(result.records, 102).emailVerifiedAt).toEqual(byLegacyId(result.records, 102).createdAt);
    // Pending, never verified: the old module let such a user in once approved, so approval is all gatehouse asks too.
    expect(byLegacyId(result.records, 108).emailVerifiedAt).toEqual(byLegacyId(result.records, 108).createdAt);
    expect(result.batches.flatMap((b) => b.notices).filter((n) => n.kind === 'verified_because_active').map((n) => n.source).sort()).toEqual(['usuarios.id 102', 'usuarios.id 108', 'usuarios.id 115']);
    const strict = await read(legacy.url, { mapping: resolveMapping({ verifiedIfActive: false }) });
    expect(byLegacyId(strict.records, 102).emailVerifiedAt).toBeNull();
    expect(byLegacyId(strict.records, 101).emailVerifiedAt).not.toBeNull();
  });

  it('carries TOTP secrets where two-step verification is on, in canonical base32, and leaves unused ones behind', () => {
    expect(byLegacyId(result.records, 105).twoFactor).toEqual({ secret: 'JBSWY3DPEHPK3PXP' });
    expect(byLegacyId(result.records, 112).twoFactor).toBeNull();
    expect(byLegacyId(result.records, 101).twoFactor).toBeNull();
  });

  it('turns sign-ins and audit entries into activities with their own times and row keys, password changes into history', async () => {
    const day = 86_400_000;
    const ana = byLegacyId(result.records, 101);
    expect(ana.activities.map((a) => [a.action, a.at.getTime(), a.ip])).toEqual([
      ['login.failed', now.getTime() - 3 * day, '203.0.113.10'],
      ['login.succeeded', now.getTime() - 2 * day, '203.0.113.10'],
    ]);
    expect(ana.activities.every((a) => a.metadata['imported'] === true)).toBe(true);
    const rows = await legacy.query('select id from historial_acceso where usuario_id = 101 order by fecha_intento');
    expect(ana.activities.map((a) => a.sourceKey)).toEqual(rows.map((r) => `historial_acceso.id ${String(r['id'])}`));
    expect(ana.lastLoginAt?.getTime()).toBe(now.getTime() - 2 * day);
    expect(ana.createdAt.getTime()).toBe(now.getTime() - 400 * day);
    expect(ana.passwordHistory.map((h) => [h.reason, h.changedAt.getTime(), h.scheme])).toEqual([
      ['registered', now.getTime() - 400 * day, 'bcrypt'],
      ['changed', now.getTime() - 100 * day, 'bcrypt'],
    ]);
    const gloria = byLegacyId(result.records, 107);
    const block = gloria.activities.find((a) => a.details === 'Violación de términos de servicio');
    expect(block).toMatchObject({ action: 'legacy.usuarios.update', actor: { identifier: 'legacyId', value: '105' }, metadata: { after: { estado_id: 3 } } });
    expect(ana.attributes).toEqual({ lastName: 'Gómez', documentType: 'CC', city: 'Bogotá' });
    expect(byLegacyId(result.records, 103).locale).toBe('es-CO');
  });

  it('reads DATETIMEs in the zone it is told: the same rows read as UTC land five hours earlier', async () => {
    const utc = await read(legacy.url, { timeZone: 'UTC' });
    for (const record of result.records) {
      const other = utc.records.find((r) => r.source === record.source)!;
      expect(other.createdAt.getTime() - record.createdAt.getTime(), record.source).toBe(-5 * 3_600_000);
    }
    const [row] = await legacy.query('select fecha_creacion from usuarios where id = 101');
    expect(row?.['fecha_creacion']).toBe(legacyDatetime(byLegacyId(result.records, 101).createdAt));
  });

  it('reads in batches of the size asked, in key order, each user once', async () => {
    const small = await read(legacy.url, { batchSize: 4 });
    expect(small.batches.map((b) => b.records.length + b.refusals.length)).toEqual([4, 4, 4, 3]);
    expect(small.records.map((r) => r.source)).toEqual(result.records.map((r) => r.source));
    expect(small.records).toEqual(result.records);
    const exact = await read(legacy.url, { batchSize: 15 });
    expect(exact.batches.map((b) => b.records.length + b.refusals.length)).toEqual([15]);
  });

  it('refuses a bad URL, time zone or batch size with a TypeError before connecting', async () => {
    await expect(LegacyReader.open('postgres://localhost/x', { timeZone: 'UTC' })).rejects.toThrow(TypeError);
    await expect(LegacyReader.open(legacy.url, { timeZone: 'Bogota' })).rejects.toThrow(TypeError);
    await expect(LegacyReader.open(legacy.url, { timeZone: 'UTC', batchSize: 0 })).rejects.toThrow(TypeError);
  });
});

await describeSql('mysql', 'legacy reader: a schema that differs, read through a mapping file', () => {
  let legacy: LegacyDatabase;

  beforeAll(async () => {
    legacy = await createLegacyDatabase();
    await fillLegacyFixtures(legacy);
    // What a team that customised the module has: renamed columns and tables, a new status,
    // a role whose code gatehouse cannot take as it is, a permission code without an action,
    // and created_at as a TIMESTAMP (which carries its own zone).
    await legacy.query('alter table usuarios change contrasena_hash clave varchar(255) not null');
    await legacy.query('alter table usuarios modify fecha_creacion timestamp not null default current_timestamp');
    await legacy.query('rename table historial_acceso to accesos');
    await legacy.query("insert into estados_usuario (id, codigo, nombre) values (6, 'VACACIONES', 'De vacaciones')");
    await legacy.query('update usuarios set estado_id = 6 where id = 102');
    await legacy.query("insert into roles (id, codigo, nombre, nivel_acceso) values (7, 'JEFE DE TIENDA', 'Jefe de tienda', 40)");
    await legacy.query("insert into permisos (codigo, nombre, modulo, accion) values ('INFORMES', 'Informes', 'informes', '')");
    await legacy.query("insert into roles_permisos (rol_id, permiso_id) select 7, id from permisos where codigo in ('INFORMES', 'CONFIG_EDITAR')");
    await legacy.query('insert into usuarios_roles (usuario_id, rol_id) values (101, 7)');
  });
  afterAll(() => legacy?.drop());

  const MAPPING = {
    tables: { signIns: 'accesos' },
    columns: { users: { passwordHash: 'clave' } },
    statuses: { VACACIONES: 'suspended' },
    roles: { 'JEFE DE TIENDA': 'store_manager', ADMINISTRADOR: 'admin' },
    permissions: { codes: { INFORMES: 'reports:view', CONFIG_EDITAR: 'settings:edit' } },
    identifiers: { documentNumber: null },
    attributes: { city: null, birth: 'fecha_nacimiento' },
  } as const;

  it('without a mapping, names every missing column and unmapped status', async () => {
    const error = await validationFailure(() => read(legacy.url));
    expect(error.issues?.map((i) => i.path)).toEqual(expect.arrayContaining([['tables', 'signIns'], ['columns', 'users', 'passwordHash']]));
    expect(error.message).toContain('usuarios.contrasena_hash');
    expect(error.message).toContain('historial_acceso');
    const statuses = await validationFailure(() => read(legacy.url, { mapping: resolveMapping({ tables: MAPPING.tables, columns: MAPPING.columns }) }));
    expect(statuses.issues?.map((i) => i.path)).toEqual([['statuses', 'VACACIONES']]);
  });

  it('names the role and permission codes that do not translate, and the two roles that would collide', async () => {
    const reader = await LegacyReader.open(legacy.url, { timeZone: LEGACY_TIME_ZONE, mapping: resolveMapping({ ...MAPPING, roles: { CLIENTE: 'vendedor' }, permissions: {} }) });
    try {
      const error = await validationFailure(() => reader.readRoles());
      expect(error.issues?.map((i) => [i.code, i.path])).toEqual(
        expect.arrayContaining([
          ['invalid_permission_code', ['permissions', 'codes', 'INFORMES']],
          ['invalid_role_code', ['roles', 'JEFE DE TIENDA']],
          ['duplicate_role_code', ['roles', 'VENDEDOR']],
        ]),
      );
    } finally {
      await reader.close();
    }
  });

  it('with the mapping, reads the renamed columns and tables, the new status, renamed roles and named codes', async () => {
    const { roles, records } = await read(legacy.url, { mapping: resolveMapping(MAPPING) });
    expect(roles.roles.find((r) => r.legacyCode === 'JEFE DE TIENDA')).toMatchObject({ code: 'store_manager', level: 40, permissions: ['reports:view', 'settings:edit'] });
    expect(roles.roles.find((r) => r.legacyCode === 'ADMINISTRADOR')?.code).toBe('admin');
    expect(roles.permissions.find((p) => p.legacyCode === 'CONFIG_EDITAR')?.code).toBe('settings:edit');
    const ana = byLegacyId(records, 101);
    expect(ana.password?.hash).toMatch(/^\$2y\$10\$/);
    expect(ana.roles.map((r) => r.code).sort()).toEqual(['cliente', 'store_manager']);
    expect(ana.identifiers).toEqual({ legacyId: '101' });
    expect(ana.attributes).toEqual({ lastName: 'Gómez', documentType: 'CC' });
    expect(ana.activities.filter((a) => a.action.startsWith('login.'))).toHaveLength(2);
    expect(ana.activities.every((a) => a.metadata['source'] !== 'historial_acceso')).toBe(true);
    expect(byLegacyId(records, 102).status).toBe('suspended');
  });

  it('reads a TIMESTAMP column in its own zone, not in the legacy one', async () => {
    const [row] = await legacy.query("select convert_tz(fecha_creacion, @@session.time_zone, '+00:00') as utc from usuarios where id = 101");
    const { records } = await read(legacy.url, { mapping: resolveMapping(MAPPING), timeZone: 'Asia/Tokyo' });
    expect(byLegacyId(records, 101).createdAt.toISOString().slice(0, 19).replace('T', ' ')).toBe(row?.['utc']);
  });
});

await describeSql('mysql', 'legacy reader: a thousand generated users', () => {
  let legacy: LegacyDatabase;
  beforeAll(async () => {
    legacy = await createLegacyDatabase();
    await fillGeneratedUsers(legacy, { count: 1_000, batch: 400 });
  });
  afterAll(() => legacy?.drop());

  it('reads every generated user exactly once across batches, with their roles and history', async () => {
    const reader = await LegacyReader.open(legacy.url, { timeZone: LEGACY_TIME_ZONE, batchSize: 300 });
    try {
      expect(await reader.countUsers()).toBe(1_000);
      const { batches, records } = await readAll(reader);
      expect(batches.map((b) => b.records.length)).toEqual([300, 300, 300, 100]);
      expect(new Set(records.map((r) => r.identifiers['legacyId'])).size).toBe(1_000);
      expect(records.filter((r) => r.status === 'blocked')).toHaveLength(50);
      expect(records.filter((r) => r.roles.length === 2)).toHaveLength(200);
      expect(records.every((r) => r.activities.length === 2 && r.passwordHistory.length === 2)).toBe(true);
    } finally {
      await reader.close();
    }
  });
});
