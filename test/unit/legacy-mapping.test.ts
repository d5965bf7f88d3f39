import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import {
  PHP_USUARIOS_MAPPING,
  checkTimeZone,
  importableEmail,
  legacyInstant,
  loadMappingFile,
  mappingJsonSchema,
  resolveMapping,
  translatePermissionCode,
  translateRoleCode,
} from '../../adapters/import/index.js';
import { PERMISSION_CODE as IMPORT_PERMISSION_CODE, ROLE_CODE as IMPORT_ROLE_CODE } from '../../adapters/import/legacy-codes.js';
import { PERMISSION_CODE } from '../../src/domain/permission.js';
import { permissionCodeSchema, roleCodeSchema } from '../../src/validation/schemas.js';
import { LEGACY_SCHEMA, LEGACY_USERS, PHP_HASHES, SEED_004_PERMISSIONS, splitSqlScript, validationFailure } from '../support/legacy-db.js';


describe('legacy fixtures', () => {
  it("every hash PHP's password_hash() made verifies its password with bcryptjs, at the cost it states", async () => {
    for (const [key, fixture] of Object.entries(PHP_HASHES)) {
      expect(fixture.hash, key).toMatch(/^\$2y\$(10|12)\$/);
      expect(bcrypt.getRounds(fixture.hash), key).toBe(fixture.cost);
      expect(Buffer.byteLength(fixture.password), key).toBe(fixture.bytes);
      expect(await bcrypt.compare(fixture.password, fixture.hash), key).toBe(true);
      expect(await bcrypt.compare(`${fixture.password}x`.slice(1), fixture.hash), key).toBe(false);
    }
    expect(new Set(Object.values(PHP_HASHES).map((f) => f.cost))).toEqual(new Set([10, 12]));
    expect(PHP_HASHES.long.bytes).toBeGreaterThan(72);
    expect(PHP_HASHES.short.password.length).toBeLessThan(8);
    expect(PHP_HASHES.nfc.password).toBe(PHP_HASHES.nfc.password.normalize('NFC'));
    expect(PHP_HASHES.nfd.password).toBe(PHP_HASHES.nfd.password.normalize('NFD'));
    expect(PHP_HASHES.nfd.password).not.toBe(PHP_HASHES.nfd.password.normalize('NFC'));
  });

  it('the oracle is consistent: each recorded password matches the hash exactly when the old module refused for a reason other than the password', async () => {
    for (const user of LEGACY_USERS) {
      for (const attempt of user.signIn) {
        const matches = await bcrypt.compare(attempt.password, PHP_HASHES[user.hash].hash);
        expect(matches, `${user.email} ${attempt.why}`).toBe(attempt.gatehouse !== 'INVALID_CREDENTIALS');
        expect(attempt.oldModule === 'allowed', `${user.email} ${attempt.why}`).toBe(matches && user.status === 'ACTIVO' && user.activo !== 0);
      }
    }
  });

  it('the legacy schema splits into the statements the mysql client would send, routine bodies whole', () => {
    const statements = splitSqlScript(LEGACY_SCHEMA);
    expect(statements.filter((s) => /^CREATE TABLE/i.test(s))).toHaveLength(14);
    const trigger = statements.find((s) => s.includes('CREATE TRIGGER trg_uuid_usuario'));
    expect(trigger).toContain('SET NEW.uuid_usuario = UUID(); END IF;\nEND');
    expect(statements.some((s) => /DELIMITER/i.test(s))).toBe(false);
    expect(() => splitSqlScript('select 1;\nselect 2')).toThrow(/ends inside a statement/);
  });
});

describe('php-usuarios codes', () => {
  it('checks translated codes with the core’s own permission and role code rules', () => {
    expect(IMPORT_PERMISSION_CODE).toBe(PERMISSION_CODE);
    for (const code of ['ADMIN', 'admin', 'gestor_contenidos', 'a'.repeat(50), 'a'.repeat(51), '1x', 'x-y', 'x y', 'ñandú']) {
      expect(IMPORT_ROLE_CODE.test(code), code).toBe(roleCodeSchema.safeParse(code).success);
    }
  });

  it('translates every permission of seed 004 as the issue says, into codes the core accepts', () => {
    for (const [legacy, expected] of Object.entries(SEED_004_PERMISSIONS)) {
      const module = legacy.startsWith('CONFIG_') ? 'config' : legacy.split('_')[0]!.toLowerCase();
      const code = translatePermissionCode(legacy, module, PHP_USUARIOS_MAPPING.permissions);
      expect(code, legacy).toBe(expected);
      expect(permissionCodeSchema.safeParse(code).success, code).toBe(true);
      // Without the modulo column, the code alone says the same.
      expect(translatePermissionCode(legacy, null, PHP_USUARIOS_MAPPING.permissions), legacy).toBe(expected);
    }
  });

  it('translates feminine and unknown words, a module with an underscore named by its column, and named codes first', () => {
    const rules = PHP_USUARIOS_MAPPING.permissions;
    expect(translatePermissionCode('FACTURAS_VER_PROPIAS', 'facturas', rules)).toBe('facturas:view:own');
    expect(translatePermissionCode('CONFIGURACION_EDITAR', null, rules)).toBe('config:edit');
    expect(translatePermissionCode('PEDIDOS_EXPORTAR_TODOS', null, rules)).toBe('orders:export');
    expect(translatePermissionCode('GESTION_CLIENTES_VER', 'gestion_clientes', rules)).toBe('gestion_clientes:view');
    expect(translatePermissionCode('GESTION_CLIENTES_VER', null, rules)).toBe('gestion:clientes_ver');
    expect(translatePermissionCode('INFORMES', null, rules)).toBe('informes');
    expect(translatePermissionCode('USUARIOS_VER', 'usuarios', { ...rules, codes: { USUARIOS_VER: 'people:read' } })).toBe('people:read');
    expect(translateRoleCode('GESTOR_CONTENIDOS', {})).toBe('gestor_contenidos');
    expect(translateRoleCode('ADMINISTRADOR', { ADMINISTRADOR: 'admin' })).toBe('admin');
  });
});

describe('legacy emails', () => {
  it('lower-cases addresses, keeps +tags and turns an internationalised domain into its xn-- form', () => {
    expect(importableEmail('Ana.Gomez@Example.com')).toEqual({ ok: true, email: 'ana.gomez@example.com' });
    expect(importableEmail('Carla+Tienda@Example.com')).toEqual({ ok: true, email: 'carla+tienda@example.com' });
    expect(importableEmail('diego@peñalara.com.co')).toEqual({ ok: true, email: 'diego@xn--pealara-5za.com.co' });
    expect(importableEmail('DIEGO@PEÑALARA.COM.CO')).toEqual({ ok: true, email: 'diego@xn--pealara-5za.com.co' });
    // A local part in letters beyond ASCII is accepted (stored in NFC, lower-cased), as sign-in reads it.
    expect(importableEmail('María.López@example.com')).toEqual({ ok: true, email: 'maría.lópez@example.com' });
    expect(importableEmail('Mari\u0301a@example.com')).toEqual({ ok: true, email: 'maría@example.com' });
  });

  it('refuses, with a reason, what gatehouse cannot take — never adjusting it into another address', () => {
    for (const address of ['\u0430dmin@example.com', '\u212Aate@example.com', 'ana@', '@example.com', 'ana', '"a b"@example.com', 'ana@exa mple.com', 'ana@localhost']) {
      const verdict = importableEmail(address);
      expect(verdict.ok, address).toBe(false);
      if (!verdict.ok) expect(verdict.reason.length, address).toBeGreaterThan(0);
    }
    // The Kelvin sign lower-cases to ASCII 'k': it must not become kate@example.com.
    expect(importableEmail('\u212Aate@example.com')).toMatchObject({ ok: false, reason: expect.stringMatching(/look-alike/) });
  });
});

describe('legacy DATETIMEs', () => {
  it('reads wall-clock times in the legacy zone, zero dates as null', () => {
    expect(legacyInstant('2025-03-01 14:30:00', 'America/Bogota')?.toISOString()).toBe('2025-03-01T19:30:00.000Z');
    expect(legacyInstant('2025-03-01 14:30:00', '-05:00')?.toISOString()).toBe('2025-03-01T19:30:00.000Z');
    expect(legacyInstant('2025-03-01 14:30:00.250', 'UTC')?.toISOString()).toBe('2025-03-01T14:30:00.250Z');
    expect(legacyInstant('2025-07-01 12:00:00', 'Europe/Madrid')?.toISOString()).toBe('2025-07-01T10:00:00.000Z');
    expect(legacyInstant('2025-01-01 12:00:00', 'Europe/Madrid')?.toISOString()).toBe('2025-01-01T11:00:00.000Z');
    expect(legacyInstant('0000-00-00 00:00:00', 'America/Bogota')).toBeNull();
    expect(legacyInstant(null, 'America/Bogota')).toBeNull();
    expect(() => legacyInstant('ayer', 'UTC')).toThrow(TypeError);
  });

  it('places a time that happened twice at the later one, and moves one that never happened forward', () => {
    // Madrid set clocks back at 03:00 CEST on 2024-10-27 and forward at 02:00 CET on 2024-03-31.
    expect(legacyInstant('2024-10-27 02:30:00', 'Europe/Madrid')?.toISOString()).toBe('2024-10-27T01:30:00.000Z');
    expect(legacyInstant('2024-03-31 02:30:00', 'Europe/Madrid')?.toISOString()).toBe('2024-03-31T01:30:00.000Z');
  });

  it('refuses an unknown time zone with a TypeError', () => {
    for (const zone of ['Mars/Olympus', '', 'GMT+25', '-5', 42, undefined]) expect(() => checkTimeZone(zone), String(zone)).toThrow(TypeError);
    for (const zone of ['America/Bogota', 'UTC', '-05:00', '+00:00']) expect(checkTimeZone(zone)).toBe(zone);
  });
});

describe('--mapping files', () => {
  it('an empty file is the php-usuarios preset', () => {
    expect(resolveMapping({})).toEqual(PHP_USUARIOS_MAPPING);
  });

  it('overrides what it names and keeps the rest; null removes optional tables, identifiers and attributes', () => {
    const mapping = resolveMapping({
      tables: { users: 'clientes', audit: null },
      columns: { users: { passwordHash: 'clave', lastLoginAt: null } },
      statuses: { VACACIONES: 'suspended' },
      roles: { ADMINISTRADOR: 'admin' },
      permissions: { modules: { tienda: 'shop', roles: null }, codes: { CONFIG_EDITAR: 'settings:edit' } },
      identifiers: { documentNumber: null, taxId: 'nit' },
      attributes: { city: null, nickname: 'apodo', avatar: 'profiles.foto_perfil_url' },
      verifiedIfActive: false,
    });
    expect(mapping.tables.users).toBe('clientes');
    expect(mapping.tables.audit).toBeNull();
    expect(mapping.tables.roles).toBe('roles');
    expect(mapping.columns.users.passwordHash).toBe('clave');
    expect(mapping.columns.users.lastLoginAt).toBeNull();
    expect(mapping.columns.users.email).toBe('email');
    expect(mapping.statuses).toMatchObject({ ACTIVO: 'active', VACACIONES: 'suspended' });
    expect(mapping.roles).toEqual({ ADMINISTRADOR: 'admin' });
    expect(mapping.permissions.modules['tienda']).toBe('shop');
    expect(mapping.permissions.modules['roles']).toBeUndefined();
    expect(mapping.permissions.modules['pedidos']).toBe('orders');
    expect(mapping.permissions.codes).toEqual({ CONFIG_EDITAR: 'settings:edit' });
    expect(mapping.identifiers).toEqual({ legacyId: 'id', taxId: 'nit' });
    expect(mapping.attributes['city']).toBeUndefined();
    expect(mapping.attributes['nickname']).toEqual({ table: 'users', column: 'apodo' });
    expect(mapping.attributes['avatar']).toEqual({ table: 'profiles', column: 'foto_perfil_url' });
    expect(mapping.verifiedIfActive).toBe(false);
  });

  it('refuses a bad file with VALIDATION_FAILED naming each wrong key', async () => {
    const cases: [unknown, (string | number)[]][] = [
      [{ colums: {} }, []],
      [{ columns: { users: { emial: 'correo' } } }, ['columns', 'users']],
      [{ tables: { users: null } }, ['tables', 'users']],
      [{ tables: { users: 'usuarios; drop table x' } }, ['tables', 'users']],
      [{ statuses: { ACTIVO: 'enabled' } }, ['statuses', 'ACTIVO']],
      [{ roles: { ADMINISTRADOR: 'Admin' } }, ['roles', 'ADMINISTRADOR']],
      [{ permissions: { modules: { pedidos: 'Orders' } } }, ['permissions', 'modules', 'pedidos']],
      [{ attributes: { city: 'sessions.ciudad' } }, ['attributes', 'city']],
      [{ verifiedIfActive: 'yes' }, ['verifiedIfActive']],
      [{ preset: 'wordpress' }, ['preset']],
      [[], []],
      [null, []],
    ];
    for (const [file, path] of cases) {
      const error = await validationFailure(() => resolveMapping(file, 'mapping.json'));
      expect(error.message, JSON.stringify(file)).toMatch(/^mapping\.json is not a valid mapping:/);
      expect(error.issues?.map((issue) => issue.path), JSON.stringify(file)).toContainEqual(path);
    }
  });

  it('loadMappingFile() reads a file, and says so when it is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-mapping-'));
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ roles: { CLIENTE: 'customer' } }));
    expect((await loadMappingFile(good)).roles).toEqual({ CLIENTE: 'customer' });
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{ roles: ');
    const error = await validationFailure(() => loadMappingFile(bad));
    expect(error.message).toContain(`${bad} is not JSON`);
  });

  it('the published JSON Schema (docs/import-mapping.schema.json) is the one the zod schema gives', async () => {
    const published = JSON.parse(await readFile(new URL('../../docs/import-mapping.schema.json', import.meta.url), 'utf8')) as unknown;
    expect(published).toEqual(mappingJsonSchema());
  });
});
