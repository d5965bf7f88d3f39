import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createConnection, type Connection } from 'mysql2/promise';
import { isAuthError, type Auth, type AuthError } from 'gatehouse';
import { SERVER_URLS } from './sql-servers.js';

/**
 * The legacy PHP/MySQL user module of seed 004, as a real MariaDB database: the schema the
 * team has (test/fixtures/legacy/schema.sql, a copy of shared/legacy/schema.sql), filled
 * with users whose bcrypt hashes PHP's own `password_hash()` made
 * (test/fixtures/legacy/hashes.json, made by make-hashes.php beside it), and with what the
 * old module would do when each of them signs in — the oracle of the import tests.
 */

const FIXTURES = new URL('../fixtures/legacy/', import.meta.url);

/** The legacy schema, unchanged: MariaDB 10.11 loads the MySQL 5.7 file as it is. */
export const LEGACY_SCHEMA = readFileSync(new URL('schema.sql', FIXTURES), 'utf8');

/** One bcrypt hash made by PHP, with the password it hashes. */
export interface PhpHash {
  readonly password: string;
  readonly cost: number;
  /** The password's length in UTF-8 bytes (bcrypt reads the first 72). */
  readonly bytes: number;
  readonly hash: string;
}

/** The hashes make-hashes.php wrote, by key. */
export const PHP_HASHES: Readonly<Record<'cost10' | 'cost12' | 'nfc' | 'nfd' | 'long' | 'short' | 'common', PhpHash>> = (
  JSON.parse(readFileSync(new URL('hashes.json', FIXTURES), 'utf8')) as { hashes: Record<'cost10' | 'cost12' | 'nfc' | 'nfd' | 'long' | 'short' | 'common', PhpHash> }
).hashes;

/**
 * The legacy application's wall clock: PHP wrote `date('Y-m-d H:i:s')` and MySQL's `NOW()`
 * in Bogotá time (the profiles' default `zona_horaria`), UTC−5 all year round.
 */
export const LEGACY_TIME_ZONE = 'America/Bogota';
const LEGACY_OFFSET = '-05:00';
const LEGACY_OFFSET_MS = -5 * 3_600_000;

/** A `DATETIME` as the legacy application wrote it for an instant: Bogotá wall-clock time. */
export function legacyDatetime(instant: Date): string {
  return new Date(instant.getTime() + LEGACY_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

const DAY = 86_400_000;

/**
 * Splits a script as the `mysql` / `mariadb` client does for this file: statements end at the
 * current delimiter at the end of a line, and `DELIMITER x` lines (a client command, not
 * SQL) change it so that routine and trigger bodies can hold `;`.
 */
export function splitSqlScript(script: string): string[] {
  const statements: string[] = [];
  let delimiter = ';';
  let current: string[] = [];
  for (const line of script.split('\n')) {
    const change = /^\s*DELIMITER\s+(\S+)\s*$/i.exec(line);
    if (change !== null) {
      delimiter = change[1]!;
      continue;
    }
    const trimmed = line.trimEnd();
    if (trimmed.endsWith(delimiter)) {
      current.push(trimmed.slice(0, -delimiter.length));
      const statement = current.join('\n').trim();
      if (statement !== '' && !/^(--[^\n]*\n?\s*)*$/.test(statement)) statements.push(statement);
      current = [];
    } else {
      current.push(line);
    }
  }
  if (current.join('').trim() !== '' && !current.every((l) => l.trim() === '' || l.trim().startsWith('--'))) {
    throw new Error(`the script ends inside a statement: ${current.join('\n').slice(0, 200)}`);
  }
  return statements;
}

/** A legacy database made for one test file's run. */
export interface LegacyDatabase {
  readonly name: string;
  /** A `mysql://` URL of the database, as `--from` takes it. */
  readonly url: string;
  /** Raw SQL on the database, on a connection in the legacy application's time zone; DATETIMEs come back as strings. */
  query(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Drops the database and closes the connection. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh MariaDB database next to the test server's and loads the legacy schema
 * into it (tables, seed rows of estados_usuario / roles / permisos / roles_permisos, views,
 * functions, procedures and triggers).
 */
export async function createLegacyDatabase(): Promise<LegacyDatabase> {
  const name = `gh_legacy_${randomBytes(5).toString('hex')}`;
  const server = new URL(SERVER_URLS.mysql);
  const admin = await createConnection({ uri: server.toString() });
  await admin.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_unicode_ci`);
  await admin.end();
  server.pathname = `/${name}`;
  const url = server.toString();
  const connection: Connection = await createConnection({ uri: url, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4' });
  // The connection runs in the legacy application's zone, so NOW() and DEFAULT CURRENT_TIMESTAMP write Bogotá time as theirs did.
  await connection.query(`set time_zone = '${LEGACY_OFFSET}'`);
  for (const statement of splitSqlScript(LEGACY_SCHEMA)) await connection.query(statement);
  return {
    name,
    url,
    async query(text, params = []) {
      const [rows] = await connection.query(text, params);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    async drop() {
      await connection.query(`drop database if exists \`${name}\``).catch(() => undefined);
      await connection.end().catch(() => undefined);
    },
  };
}

/** The codes of `estados_usuario`. */
export type LegacyStatus = 'ACTIVO' | 'INACTIVO' | 'BLOQUEADO' | 'PENDIENTE' | 'SUSPENDIDO';
const STATUS_ID: Record<LegacyStatus, number> = { ACTIVO: 1, INACTIVO: 2, BLOQUEADO: 3, PENDIENTE: 4, SUSPENDIDO: 5 };

/** Role codes of the legacy `roles` table (the five of the schema and one switched-off role the fixtures add). */
export type LegacyRole = 'CLIENTE' | 'VENDEDOR' | 'MODERADOR' | 'GESTOR_CONTENIDOS' | 'ADMINISTRADOR' | 'AUDITOR_EXTERNO';

/** A role assignment of a fixture user. */
export interface LegacyAssignment {
  readonly role: LegacyRole;
  /** Days from now until `fecha_vencimiento` (negative: already expired); absent: permanent. */
  readonly expiresInDays?: number;
  /** `usuarios_roles.activo = 0`: switched off. */
  readonly off?: true;
}

/** How the old module answers a sign-in with `password`, and what gatehouse should answer once the user is imported. */
export interface LegacySignIn {
  readonly password: string;
  /** Whether the old module lets the user in (seed 001: password_verify, then only `activo` may enter; seed 004: `activo = 1`). */
  readonly oldModule: 'allowed' | 'refused';
  /** Why, in the words of the seeds. */
  readonly why: string;
  /**
   * What gatehouse answers after the import: `signed_in`, `two_factor_required` (the TOTP
   * secret came along; the old module had 2FA "prepared" but never asked), or the refusal
   * code. `not_imported` when the import refuses the record itself.
   */
  readonly gatehouse: 'signed_in' | 'two_factor_required' | 'not_imported' | 'INVALID_CREDENTIALS' | 'ACCOUNT_PENDING' | 'ACCOUNT_INACTIVE' | 'ACCOUNT_BLOCKED' | 'ACCOUNT_SUSPENDED';
}

/** One user of the legacy fixture, and what the old module does with them. */
export interface LegacyFixtureUser {
  /** `usuarios.id`, the BIGINT the rest of the legacy application (e.g. `pedidos`) refers to. */
  readonly id: number;
  /** `uuid_usuario` when given; otherwise the schema's trigger fills it with `UUID()`. */
  readonly uuid?: string;
  readonly email: string;
  readonly nombre: string;
  readonly apellido?: string;
  readonly hash: keyof typeof PHP_HASHES;
  readonly status: LegacyStatus;
  /** `usuarios.activo`; 1 unless said. */
  readonly activo?: 0 | 1;
  /** `estado_verificacion_email`; the old login never read it. */
  readonly emailVerified: 0 | 1;
  readonly documento?: { readonly numero: string; readonly tipo: 'CC' | 'CE' | 'PAS' | 'NIT' };
  /** Why an administrator changed the status, as `auditoria_usuarios.razon_cambio` has it. */
  readonly statusReason?: string;
  readonly roles: readonly LegacyAssignment[];
  /** `perfiles_usuario`: the TOTP secret and whether two-step verification is on. */
  readonly twoFactor?: { readonly secret: string; readonly active: 0 | 1 };
  readonly idioma?: string;
  readonly ciudad?: string;
  /** Orders the user owns through the legacy BIGINT id. */
  readonly orders?: number;
  /** Sign-ins (`historial_acceso`), days ago, successful or not. */
  readonly signIns?: readonly { readonly daysAgo: number; readonly ok: boolean; readonly ip: string }[];
  /** Password changes (`historial_contrasenas`), days ago. */
  readonly passwordChanges?: readonly { readonly daysAgo: number; readonly previous: keyof typeof PHP_HASHES; readonly forced: boolean; readonly reason: string }[];
  readonly createdDaysAgo: number;
  /** How each sign-in attempt goes: the user's own password first, then variants. */
  readonly signIn: readonly LegacySignIn[];
  /** When the import must refuse the record, why (its words). */
  readonly refusedBecause?: 'email' | 'two_factor_secret';
}

const allowed = (password: string, gatehouse: LegacySignIn['gatehouse'] = 'signed_in'): LegacySignIn => ({
  password,
  oldModule: 'allowed',
  why: 'password_verify() matched and the account is ACTIVO with activo = 1 (email verification is never checked)',
  gatehouse,
});
const wrongPassword = (password: string, why: string): LegacySignIn => ({ password, oldModule: 'refused', why, gatehouse: 'INVALID_CREDENTIALS' });
const h = PHP_HASHES;
const nfcTyped = h.nfd.password.normalize('NFC');
const nfdTyped = h.nfc.password.normalize('NFD');
const longVariant = `${Buffer.from(h.long.password).subarray(0, 72).toString('utf8')}-otra-cola`;

/**
 * The fixture users: every case of the issue's Tests section. Ids are fixed so that tests can
 * name them; each `signIn` list is the oracle for the login checks after an import.
 */
export const LEGACY_USERS: readonly LegacyFixtureUser[] = [
  {
    id: 101,
    email: 'Ana.Gomez@Example.com',
    nombre: 'Ana María Gómez',
    apellido: 'Gómez',
    hash: 'cost10',
    status: 'ACTIVO',
    emailVerified: 1,
    documento: { numero: '1020304050', tipo: 'CC' },
    roles: [{ role: 'CLIENTE' }],
    idioma: 'es',
    ciudad: 'Bogotá',
    orders: 2,
    signIns: [
      { daysAgo: 3, ok: false, ip: '203.0.113.10' },
      { daysAgo: 2, ok: true, ip: '203.0.113.10' },
    ],
    passwordChanges: [{ daysAgo: 100, previous: 'common', forced: false, reason: 'Cambio por el usuario' }],
    createdDaysAgo: 400,
    signIn: [allowed(h.cost10.password), wrongPassword('clave-segura-2024', 'password_verify() did not match (case matters)')],
  },
  {
    id: 102,
    email: 'bruno.diaz@example.com',
    nombre: 'Bruno Díaz',
    hash: 'cost12',
    status: 'ACTIVO',
    // One of the issue's 13%: active, never verified, let in by the old login.
    emailVerified: 0,
    documento: { numero: '79111222', tipo: 'CC' },
    roles: [{ role: 'VENDEDOR' }],
    orders: 1,
    createdDaysAgo: 200,
    signIn: [allowed(h.cost12.password)],
  },
  {
    id: 103,
    email: 'Carla+Tienda@Example.com',
    nombre: 'Carla Peña',
    hash: 'nfc',
    status: 'ACTIVO',
    emailVerified: 1,
    documento: { numero: 'PA-778899', tipo: 'PAS' },
    roles: [{ role: 'CLIENTE' }, { role: 'GESTOR_CONTENIDOS', expiresInDays: 30 }],
    idioma: 'es_CO',
    createdDaysAgo: 150,
    signIn: [allowed(h.nfc.password), wrongPassword(nfdTyped, 'password_verify() compares bytes: the decomposed form is another password')],
  },
  {
    id: 104,
    email: 'diego@peñalara.com.co',
    nombre: 'Diego Ibáñez',
    hash: 'nfd',
    status: 'ACTIVO',
    emailVerified: 1,
    roles: [{ role: 'CLIENTE' }, { role: 'MODERADOR', expiresInDays: -10 }],
    createdDaysAgo: 120,
    signIn: [allowed(h.nfd.password), wrongPassword(nfcTyped, 'password_verify() compares bytes: the composed form is another password')],
  },
  {
    id: 105,
    email: 'elena.rojas@example.com',
    nombre: 'Elena Rojas',
    hash: 'long',
    status: 'ACTIVO',
    emailVerified: 1,
    documento: { numero: '900123456', tipo: 'NIT' },
    roles: [{ role: 'ADMINISTRADOR' }],
    // Written as people copy it from an authenticator's setup screen.
    twoFactor: { secret: 'jbsw y3dp ehpk 3pxp', active: 1 },
    createdDaysAgo: 800,
    signIns: [{ daysAgo: 1, ok: true, ip: '198.51.100.7' }],
    signIn: [
      allowed(h.long.password, 'two_factor_required'),
      // bcrypt reads 72 bytes: the old module lets in any password with the same first 72.
      { password: longVariant, oldModule: 'allowed', why: 'bcrypt ignores every byte past the 72nd', gatehouse: 'two_factor_required' },
    ],
  },
  {
    id: 106,
    email: 'fabian.soto@example.com',
    nombre: 'Fabián Soto',
    hash: 'short',
    status: 'INACTIVO',
    emailVerified: 1,
    statusReason: 'Inactividad prolongada',
    roles: [{ role: 'CLIENTE' }],
    createdDaysAgo: 900,
    signIn: [{ password: h.short.password, oldModule: 'refused', why: 'inactivo: cuenta desactivada', gatehouse: 'ACCOUNT_INACTIVE' }],
  },
  {
    id: 107,
    email: 'gloria.vargas@example.com',
    nombre: 'Gloria Vargas',
    hash: 'common',
    status: 'BLOQUEADO',
    emailVerified: 1,
    statusReason: 'Violación de términos de servicio',
    roles: [{ role: 'VENDEDOR', off: true }, { role: 'CLIENTE' }],
    createdDaysAgo: 300,
    signIn: [{ password: h.common.password, oldModule: 'refused', why: 'bloqueado: only ACTIVO may sign in', gatehouse: 'ACCOUNT_BLOCKED' }],
  },
  {
    id: 108,
    email: 'hector.mora@example.com',
    nombre: 'Héctor Mora',
    hash: 'cost10',
    status: 'PENDIENTE',
    emailVerified: 0,
    roles: [{ role: 'CLIENTE' }],
    createdDaysAgo: 5,
    signIn: [{ password: h.cost10.password, oldModule: 'refused', why: 'pendiente: cuenta no aprobada', gatehouse: 'ACCOUNT_PENDING' }],
  },
  {
    id: 109,
    email: 'ines.cano@example.com',
    nombre: 'Inés Cano',
    hash: 'cost12',
    status: 'SUSPENDIDO',
    emailVerified: 1,
    statusReason: 'Contracargos pendientes de revisión',
    roles: [{ role: 'CLIENTE' }],
    createdDaysAgo: 60,
    signIn: [{ password: h.cost12.password, oldModule: 'refused', why: 'suspendido: only ACTIVO may sign in', gatehouse: 'ACCOUNT_SUSPENDED' }],
  },
  {
    id: 110,
    email: 'jose.ruiz@example.com',
    nombre: 'José Ruiz',
    hash: 'cost10',
    status: 'ACTIVO',
    activo: 0,
    emailVerified: 1,
    statusReason: 'Cuenta cerrada a petición del usuario',
    roles: [{ role: 'CLIENTE' }],
    createdDaysAgo: 500,
    signIn: [{ password: h.cost10.password, oldModule: 'refused', why: 'activo = 0: cuenta desactivada', gatehouse: 'ACCOUNT_INACTIVE' }],
  },
  {
    id: 111,
    email: 'maría.lópez@example.com',
    nombre: 'María López',
    hash: 'cost10',
    status: 'ACTIVO',
    emailVerified: 1,
    roles: [{ role: 'CLIENTE' }],
    createdDaysAgo: 90,
    // A local part beyond ASCII: gatehouse takes it (in NFC, lower-cased), and she signs in as she typed it.
    signIn: [allowed(h.cost10.password)],
  },
  {
    id: 112,
    uuid: 'A3F1C2D4-5B6E-4F70-8A9B-0C1D2E3F4A5B',
    email: 'kevin.prado@example.com',
    nombre: 'Kevin Prado',
    hash: 'cost12',
    status: 'ACTIVO',
    emailVerified: 1,
    roles: [{ role: 'CLIENTE' }],
    // A secret was stored but two-step verification never switched on: it stays behind.
    twoFactor: { secret: 'KRSXG5CTMVRXEZLU', active: 0 },
    createdDaysAgo: 45,
    signIn: [allowed(h.cost12.password)],
  },
  {
    id: 113,
    email: 'lucia.mejia@example.com',
    nombre: 'Lucía Mejía',
    hash: 'cost10',
    status: 'ACTIVO',
    emailVerified: 1,
    roles: [{ role: 'CLIENTE' }],
    // Two-step verification on with a secret no authenticator could hold: imported without it, she would lose her second step.
    twoFactor: { secret: 'NO-ES-BASE32!!', active: 1 },
    createdDaysAgo: 30,
    signIn: [allowed(h.cost10.password, 'not_imported')],
    refusedBecause: 'two_factor_secret',
  },
  {
    id: 114,
    email: 'MARIO@EXAMPLE.COM',
    nombre: 'Mario Quintero',
    hash: 'nfc',
    status: 'ACTIVO',
    emailVerified: 1,
    roles: [],
    createdDaysAgo: 10,
    signIn: [allowed(h.nfc.password)],
  },
  {
    id: 115,
    email: 'nora.lugo@example.com',
    nombre: 'Nora Lugo',
    hash: 'cost10',
    status: 'ACTIVO',
    emailVerified: 0,
    roles: [{ role: 'CLIENTE' }, { role: 'AUDITOR_EXTERNO' }],
    createdDaysAgo: 20,
    signIn: [allowed(h.cost10.password)],
  },
];

/** The 21 permissions of seed 004 and what the issue says each becomes, written out by hand. */
export const SEED_004_PERMISSIONS: Readonly<Record<string, string>> = {
  USUARIOS_VER: 'users:view',
  USUARIOS_CREAR: 'users:create',
  USUARIOS_EDITAR: 'users:edit',
  USUARIOS_ELIMINAR: 'users:delete',
  USUARIOS_BLOQUEAR: 'users:block',
  PEDIDOS_VER_PROPIOS: 'orders:view:own',
  PEDIDOS_VER_TODOS: 'orders:view',
  PEDIDOS_EDITAR: 'orders:edit',
  PEDIDOS_CANCELAR: 'orders:cancel',
  PRODUCTOS_VER: 'products:view',
  PRODUCTOS_CREAR: 'products:create',
  PRODUCTOS_EDITAR: 'products:edit',
  PRODUCTOS_ELIMINAR: 'products:delete',
  ROLES_VER: 'roles:view',
  ROLES_EDITAR: 'roles:edit',
  ROLES_ASIGNAR: 'roles:assign',
  REPORTES_VER: 'reports:view',
  REPORTES_EXPORTAR: 'reports:export',
  CONFIG_VER: 'config:view',
  CONFIG_EDITAR: 'config:edit',
  AUDITORIA_VER: 'audit:view',
};

/** The role the fixtures add to the schema's five: switched off, so it grants nothing. */
const EXTRA_ROLE = { id: 6, code: 'AUDITOR_EXTERNO', name: 'Auditor externo', level: 15, grants: ['REPORTES_VER', 'AUDITORIA_VER'] };
/** A permission the fixtures switch off: no role grants it any more, ADMINISTRADOR included. */
export const SWITCHED_OFF_PERMISSION = 'REPORTES_EXPORTAR';

/** `roles.id` of the schema's roles (its INSERT gives them 1–5) and the fixtures' extra one. */
const ROLE_IDS: Record<LegacyRole, number> = { CLIENTE: 1, VENDEDOR: 2, MODERADOR: 3, GESTOR_CONTENIDOS: 4, ADMINISTRADOR: 5, AUDITOR_EXTERNO: EXTRA_ROLE.id };

/** Inserts rows, a batch per statement. */
async function insertRows(db: LegacyDatabase, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const values = rows.map((row) => columns.map((column) => row[column] ?? null));
  await db.query(`insert into \`${table}\` (${columns.map((c) => `\`${c}\``).join(', ')}) values ?`, [values]);
}

/**
 * Fills a legacy database with {@link LEGACY_USERS} and their rows, the way the old
 * application would have left them: status changes through an `UPDATE` (its trigger writes
 * the audit row) or `sp_bloquear_usuario`, an audit row with the administrator's reason,
 * orders through the BIGINT id. Times are relative to `now`, written in Bogotá time.
 */
export async function fillLegacyFixtures(db: LegacyDatabase, now: Date = new Date()): Promise<void> {
  const ago = (days: number): string => legacyDatetime(new Date(now.getTime() - days * DAY));
  await db.query('insert into roles (id, codigo, nombre, descripcion, nivel_acceso, activo) values (?, ?, ?, ?, ?, 0)', [EXTRA_ROLE.id, EXTRA_ROLE.code, EXTRA_ROLE.name, 'Rol retirado', EXTRA_ROLE.level]);
  await db.query('insert into roles_permisos (rol_id, permiso_id) select ?, id from permisos where codigo in (?)', [EXTRA_ROLE.id, EXTRA_ROLE.grants]);
  await db.query('update permisos set activo = 0 where codigo = ?', [SWITCHED_OFF_PERMISSION]);

  for (const u of LEGACY_USERS) {
    await insertRows(db, 'usuarios', [
      {
        id: u.id,
        uuid_usuario: u.uuid ?? '',
        email: u.email,
        contrasena_hash: PHP_HASHES[u.hash].hash,
        nombre_completo: u.nombre,
        apellido: u.apellido,
        numero_documento: u.documento?.numero,
        tipo_documento: u.documento?.tipo,
        estado_id: STATUS_ID.ACTIVO,
        estado_verificacion_email: u.emailVerified,
        fecha_ultima_conexion: u.signIns?.filter((s) => s.ok).map((s) => ago(s.daysAgo)).at(-1),
        fecha_creacion: ago(u.createdDaysAgo),
        activo: 1,
      },
    ]);
    // The trigger made the profile row.
    await db.query('update perfiles_usuario set idioma = ?, ciudad = ?, verificacion_2fa_activa = ?, codigo_2fa_secreto = ? where usuario_id = ?', [
      u.idioma ?? 'es',
      u.ciudad ?? null,
      u.twoFactor?.active ?? 0,
      u.twoFactor?.secret ?? null,
      u.id,
    ]);
    await insertRows(
      db,
      'usuarios_roles',
      u.roles.map((r) => ({
        usuario_id: u.id,
        rol_id: ROLE_IDS[r.role],
        fecha_asignacion: ago(u.createdDaysAgo),
        fecha_vencimiento: r.expiresInDays === undefined ? null : ago(-r.expiresInDays),
        activo: r.off === true ? 0 : 1,
      })),
    );
    await insertRows(
      db,
      'historial_acceso',
      (u.signIns ?? []).map((s) => ({
        usuario_id: u.id,
        email_intento: u.email,
        direccion_ip: s.ip,
        user_agent: 'Mozilla/5.0 (legacy)',
        exitoso: s.ok ? 1 : 0,
        razon_fallo: s.ok ? null : 'Contraseña incorrecta',
        fecha_intento: ago(s.daysAgo),
      })),
    );
    await insertRows(
      db,
      'historial_contrasenas',
      (u.passwordChanges ?? []).map((c) => ({
        usuario_id: u.id,
        contrasena_hash_anterior: PHP_HASHES[c.previous].hash,
        contrasena_hash_nueva: PHP_HASHES[u.hash].hash,
        fecha_cambio: ago(c.daysAgo),
        cambio_requerido: c.forced ? 1 : 0,
        razon: c.reason,
      })),
    );
    await insertRows(
      db,
      'pedidos',
      Array.from({ length: u.orders ?? 0 }, (_, i) => ({
        usuario_id: u.id,
        numero_pedido: `PED-2025-${u.id}${i + 1}`,
        estado: 'entregado',
        total: 10_000 * (i + 1),
        fecha_pedido: ago(30 - i),
      })),
    );
    // Status changes the way the old application made them, after the user existed.
    if (u.status === 'BLOQUEADO') {
      await db.query('call sp_bloquear_usuario(?, ?, ?)', [u.id, u.statusReason ?? null, 105]);
    } else if (u.status !== 'ACTIVO') {
      await db.query('update usuarios set estado_id = ? where id = ?', [STATUS_ID[u.status], u.id]);
    }
    if (u.activo === 0) await db.query('update usuarios set activo = 0 where id = ?', [u.id]);
    if (u.statusReason !== undefined && u.status !== 'BLOQUEADO') {
      await insertRows(db, 'auditoria_usuarios', [
        {
          usuario_id: u.id,
          tabla_afectada: 'usuarios',
          id_registro: u.id,
          operacion: 'UPDATE',
          datos_anteriores: JSON.stringify({ estado_id: 1, activo: 1 }),
          datos_nuevos: JSON.stringify({ estado_id: STATUS_ID[u.status], activo: u.activo ?? 1 }),
          usuario_admin_id: 105,
          razon_cambio: u.statusReason,
          direccion_ip: '198.51.100.7',
        },
      ]);
    }
  }
}

/** What {@link fillGeneratedUsers} makes. */
export interface GeneratedUsersOptions {
  /** How many users. */
  readonly count: number;
  /** The first `usuarios.id`; the others follow. @default 10_000 */
  readonly firstId?: number;
  /** Rows per INSERT. @default 500 */
  readonly batch?: number;
}

/**
 * Fills a legacy database with `count` plain users for the import bench: every fifth one
 * holds a second role (one in ten of those expiring), every user has two sign-ins and one
 * password change, one in twenty is blocked, one in fifty pending; all share PHP hashes of
 * cost 10 (verifying hashes is not what an import spends its time on).
 */
export async function fillGeneratedUsers(db: LegacyDatabase, options: GeneratedUsersOptions): Promise<void> {
  const first = options.firstId ?? 10_000;
  const batch = options.batch ?? 500;
  const now = Date.now();
  const at = (days: number): string => legacyDatetime(new Date(now - days * DAY));
  for (let start = 0; start < options.count; start += batch) {
    const ids = Array.from({ length: Math.min(batch, options.count - start) }, (_, i) => first + start + i);
    await insertRows(
      db,
      'usuarios',
      ids.map((id) => ({
        id,
        uuid_usuario: '',
        email: `usuario${id}@example.com`,
        contrasena_hash: PHP_HASHES.cost10.hash,
        nombre_completo: `Usuario ${id}`,
        numero_documento: String(1_000_000_000 + id),
        tipo_documento: 'CC',
        estado_id: id % 20 === 0 ? STATUS_ID.BLOQUEADO : id % 50 === 1 ? STATUS_ID.PENDIENTE : STATUS_ID.ACTIVO,
        estado_verificacion_email: id % 7 === 0 ? 0 : 1,
        fecha_ultima_conexion: at(id % 30),
        fecha_creacion: at(365 + (id % 365)),
        activo: 1,
      })),
    );
    await insertRows(
      db,
      'usuarios_roles',
      ids.flatMap((id) => [
        { usuario_id: id, rol_id: ROLE_IDS.CLIENTE, fecha_asignacion: at(365), fecha_vencimiento: null, activo: 1 },
        ...(id % 5 === 0 ? [{ usuario_id: id, rol_id: ROLE_IDS.VENDEDOR, fecha_asignacion: at(100), fecha_vencimiento: id % 50 === 0 ? at(-60) : null, activo: 1 }] : []),
      ]),
    );
    await insertRows(
      db,
      'historial_acceso',
      ids.flatMap((id) => [
        { usuario_id: id, email_intento: `usuario${id}@example.com`, direccion_ip: '203.0.113.20', exitoso: 0, razon_fallo: 'Contraseña incorrecta', fecha_intento: at(5) },
        { usuario_id: id, email_intento: `usuario${id}@example.com`, direccion_ip: '203.0.113.20', exitoso: 1, razon_fallo: null, fecha_intento: at(4) },
      ]),
    );
    await insertRows(
      db,
      'historial_contrasenas',
      ids.map((id) => ({ usuario_id: id, contrasena_hash_anterior: PHP_HASHES.common.hash, contrasena_hash_nueva: PHP_HASHES.cost10.hash, fecha_cambio: at(200), cambio_requerido: 0, razon: 'Cambio por el usuario' })),
    );
  }
}

/** The `VALIDATION_FAILED` error `run` throws; any other outcome fails the test. */
export async function validationFailure(run: () => unknown): Promise<AuthError> {
  try {
    await run();
  } catch (error) {
    if (isAuthError(error, 'VALIDATION_FAILED')) return error;
    throw error;
  }
  throw new Error('expected VALIDATION_FAILED, got no error');
}

/** What a sign-in answered, in the oracle's terms: `signed_in`, `two_factor_required`, or the refusal code. */
export async function signInOutcome(auth: Auth, email: string, password: string): Promise<string> {
  try {
    await auth.sessions.login({ email, password });
    return 'signed_in';
  } catch (error) {
    if (!isAuthError(error)) throw error;
    return error.code === 'TWO_FACTOR_REQUIRED' ? 'two_factor_required' : error.code;
  }
}
