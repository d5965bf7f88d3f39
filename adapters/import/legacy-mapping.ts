import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AuthError, USER_STATUSES, type FieldIssue, type UserStatus } from 'gatehouse';

/** A table or column name of the legacy database: letters, digits, `_` and `$`, at most 64 characters (MySQL's limit). */
const sqlName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,63}$/, { error: 'Use a table or column name: letters, digits, _ and $, at most 64 characters.' });

/** Lower-case words such as `users` or `view`: what a module or an action may become. */
const codeWord = z.string().regex(/^[a-z][a-z0-9_-]*$/, { error: 'Use lower-case letters, digits, _ and -, starting with a letter.' });

/** An object of names, one per key; those in `optional` may be `null` (absent). */
function names<K extends string>(keys: readonly K[], optional: readonly string[]): Record<K, z.ZodType<string | null>> {
  const shape = {} as Record<K, z.ZodType<string | null>>;
  for (const key of keys) shape[key] = optional.includes(key) ? sqlName.nullable() : sqlName;
  return shape;
}

const columns = <K extends string>(keys: readonly K[], optional: readonly K[] = []) => z.strictObject(names(keys, optional)).partial();

const USER_COLUMNS = ['id', 'uuid', 'email', 'passwordHash', 'name', 'statusId', 'active', 'emailVerified', 'createdAt', 'lastLoginAt'] as const;
const STATUS_COLUMNS = ['id', 'code'] as const;
const PROFILE_COLUMNS = ['userId', 'twoFactorActive', 'twoFactorSecret', 'locale'] as const;
const ROLE_COLUMNS = ['id', 'code', 'name', 'description', 'level', 'active'] as const;
const PERMISSION_COLUMNS = ['id', 'code', 'name', 'module', 'active'] as const;
const USER_ROLE_COLUMNS = ['userId', 'roleId', 'assignedAt', 'expiresAt', 'active'] as const;
const ROLE_PERMISSION_COLUMNS = ['roleId', 'permissionId'] as const;
const HISTORY_COLUMNS = ['userId', 'previousHash', 'newHash', 'changedAt', 'forced'] as const;
const SIGN_IN_COLUMNS = ['id', 'userId', 'email', 'ip', 'userAgent', 'success', 'failureReason', 'at'] as const;
const AUDIT_COLUMNS = ['id', 'userId', 'table', 'operation', 'before', 'after', 'adminId', 'reason', 'ip', 'at'] as const;

/** Names of the legacy tables the mapping reads; those that may be `null` (absent) say so. */
const TABLES = ['users', 'statuses', 'profiles', 'roles', 'permissions', 'userRoles', 'rolePermissions', 'passwordHistory', 'signIns', 'audit'] as const;
const OPTIONAL_TABLES = ['profiles', 'passwordHistory', 'signIns', 'audit'] as const;

/** `users.column` or `profiles.column` (a bare column is one of `users`). */
const attributeSource = z.string().regex(/^(?:(?:users|profiles)\.)?[A-Za-z_][A-Za-z0-9_$]{0,63}$/, {
  error: 'Use a column of the users table, or profiles.<column> for one of the profiles table.',
});

/**
 * The `--mapping <file>` format: how a legacy schema that differs from seed 004's is read.
 * Every key is optional and is laid over the `php-usuarios` preset; a `null` removes an
 * optional table, column, identifier or attribute. Unknown keys are errors, so that a typo
 * never silently falls back to the preset.
 */
export const mappingFileSchema = z.strictObject({
  /** Free text, ignored: lets the file point editors at the published JSON Schema. */
  $schema: z.string().optional(),
  /** The preset the file adjusts; only `php-usuarios` exists. */
  preset: z.literal('php-usuarios').optional(),
  /** Legacy table names. */
  tables: z
    .strictObject(names(TABLES, OPTIONAL_TABLES))
    .partial()
    .optional(),
  /** Legacy column names, per table. */
  columns: z
    .strictObject({
      users: columns(USER_COLUMNS, ['uuid', 'active', 'emailVerified', 'lastLoginAt']),
      statuses: columns(STATUS_COLUMNS),
      profiles: columns(PROFILE_COLUMNS, ['locale']),
      roles: columns(ROLE_COLUMNS, ['description', 'active']),
      permissions: columns(PERMISSION_COLUMNS, ['name', 'module', 'active']),
      userRoles: columns(USER_ROLE_COLUMNS, ['assignedAt', 'expiresAt', 'active']),
      rolePermissions: columns(ROLE_PERMISSION_COLUMNS),
      passwordHistory: columns(HISTORY_COLUMNS, ['previousHash', 'forced']),
      signIns: columns(SIGN_IN_COLUMNS, ['id', 'email', 'ip', 'userAgent', 'failureReason']),
      audit: columns(AUDIT_COLUMNS, ['id', 'before', 'after', 'adminId', 'reason', 'ip']),
    })
    .partial()
    .optional(),
  /** Legacy status codes (`estados_usuario.codigo`) → gatehouse statuses. */
  statuses: z.record(z.string().min(1), z.enum(USER_STATUSES)).optional(),
  /** Legacy role codes → gatehouse role codes (a role not named here is lower-cased). */
  roles: z.record(z.string().min(1), z.string().regex(/^[a-z][a-z0-9_-]{0,49}$/, { error: 'Use a gatehouse role code: lower-case letters, digits, _ and -.' })).optional(),
  /** How permission codes `MODULO_ACCION` are translated into `module:action`. */
  permissions: z
    .strictObject({
      /** Module words (lower-cased legacy) → gatehouse modules, e.g. `"pedidos": "orders"`. */
      modules: z.record(z.string().min(1), codeWord.nullable()),
      /** Action words → gatehouse actions, e.g. `"ver": "view"`. */
      actions: z.record(z.string().min(1), codeWord.nullable()),
      /** Action endings that mean "only the user's own", e.g. `"propios"`: `PEDIDOS_VER_PROPIOS` → `orders:view:own`. */
      ownSuffixes: z.array(codeWord),
      /** Action endings that mean "everyone's", dropped: `PEDIDOS_VER_TODOS` → `orders:view`. */
      allSuffixes: z.array(codeWord),
      /** Whole legacy codes → gatehouse codes, ahead of every rule above. */
      codes: z.record(z.string().min(1), z.string().min(1)),
    })
    .partial()
    .optional(),
  /** Identifier name → column of the users table; `legacyId` is the primary key unless said. */
  identifiers: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/, { error: 'Use letters, digits and _ for an identifier name.' }), sqlName.nullable()).optional(),
  /** Attribute name → `column` (users) or `profiles.column`. */
  attributes: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/, { error: 'Use letters, digits and _ for an attribute name.' }), attributeSource.nullable()).optional(),
  /** Import users who are active in the legacy system as verified, whatever its verification flag says. */
  verifiedIfActive: z.boolean().optional(),
  /** The scheme of hashes whose prefix says nothing (e.g. a site's own `sha256` scheme); recognised prefixes win. */
  passwordScheme: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/).nullable().optional(),
});

/** A `--mapping` file's contents. */
export type MappingFile = z.infer<typeof mappingFileSchema>;

type Columns<K extends string, O extends K = never> = { readonly [P in Exclude<K, O>]: string } & { readonly [P in O]: string | null };

/** The complete mapping the reader follows: the preset with a mapping file laid over it. */
export interface LegacyMapping {
  readonly tables: {
    readonly users: string;
    readonly statuses: string;
    readonly profiles: string | null;
    readonly roles: string;
    readonly permissions: string;
    readonly userRoles: string;
    readonly rolePermissions: string;
    readonly passwordHistory: string | null;
    readonly signIns: string | null;
    readonly audit: string | null;
  };
  readonly columns: {
    readonly users: Columns<(typeof USER_COLUMNS)[number], 'uuid' | 'active' | 'emailVerified' | 'lastLoginAt'>;
    readonly statuses: Columns<(typeof STATUS_COLUMNS)[number]>;
    readonly profiles: Columns<(typeof PROFILE_COLUMNS)[number], 'locale'>;
    readonly roles: Columns<(typeof ROLE_COLUMNS)[number], 'description' | 'active'>;
    readonly permissions: Columns<(typeof PERMISSION_COLUMNS)[number], 'name' | 'module' | 'active'>;
    readonly userRoles: Columns<(typeof USER_ROLE_COLUMNS)[number], 'assignedAt' | 'expiresAt' | 'active'>;
    readonly rolePermissions: Columns<(typeof ROLE_PERMISSION_COLUMNS)[number]>;
    readonly passwordHistory: Columns<(typeof HISTORY_COLUMNS)[number], 'previousHash' | 'forced'>;
    readonly signIns: Columns<(typeof SIGN_IN_COLUMNS)[number], 'id' | 'email' | 'ip' | 'userAgent' | 'failureReason'>;
    readonly audit: Columns<(typeof AUDIT_COLUMNS)[number], 'id' | 'before' | 'after' | 'adminId' | 'reason' | 'ip'>;
  };
  readonly statuses: Readonly<Record<string, UserStatus>>;
  readonly roles: Readonly<Record<string, string>>;
  readonly permissions: {
    readonly modules: Readonly<Record<string, string>>;
    readonly actions: Readonly<Record<string, string>>;
    readonly ownSuffixes: readonly string[];
    readonly allSuffixes: readonly string[];
    readonly codes: Readonly<Record<string, string>>;
  };
  readonly identifiers: Readonly<Record<string, string>>;
  /** Attribute name → `{ table, column }`. */
  readonly attributes: Readonly<Record<string, { readonly table: 'users' | 'profiles'; readonly column: string }>>;
  readonly verifiedIfActive: boolean;
  readonly passwordScheme: string | null;
}

/**
 * The `php-usuarios` preset: seed 004's schema (`usuarios`, `estados_usuario`,
 * `perfiles_usuario`, `roles`, `permisos`, `usuarios_roles`, `roles_permisos`,
 * `historial_contrasenas`, `historial_acceso`, `auditoria_usuarios`).
 */
export const PHP_USUARIOS_MAPPING: LegacyMapping = {
  tables: {
    users: 'usuarios',
    statuses: 'estados_usuario',
    profiles: 'perfiles_usuario',
    roles: 'roles',
    permissions: 'permisos',
    userRoles: 'usuarios_roles',
    rolePermissions: 'roles_permisos',
    passwordHistory: 'historial_contrasenas',
    signIns: 'historial_acceso',
    audit: 'auditoria_usuarios',
  },
  columns: {
    users: {
      id: 'id',
      uuid: 'uuid_usuario',
      email: 'email',
      passwordHash: 'contrasena_hash',
      name: 'nombre_completo',
      statusId: 'estado_id',
      active: 'activo',
      emailVerified: 'estado_verificacion_email',
      createdAt: 'fecha_creacion',
      lastLoginAt: 'fecha_ultima_conexion',
    },
    statuses: { id: 'id', code: 'codigo' },
    profiles: { userId: 'usuario_id', twoFactorActive: 'verificacion_2fa_activa', twoFactorSecret: 'codigo_2fa_secreto', locale: 'idioma' },
    roles: { id: 'id', code: 'codigo', name: 'nombre', description: 'descripcion', level: 'nivel_acceso', active: 'activo' },
    permissions: { id: 'id', code: 'codigo', name: 'nombre', module: 'modulo', active: 'activo' },
    userRoles: { userId: 'usuario_id', roleId: 'rol_id', assignedAt: 'fecha_asignacion', expiresAt: 'fecha_vencimiento', active: 'activo' },
    rolePermissions: { roleId: 'rol_id', permissionId: 'permiso_id' },
    passwordHistory: { userId: 'usuario_id', previousHash: 'contrasena_hash_anterior', newHash: 'contrasena_hash_nueva', changedAt: 'fecha_cambio', forced: 'cambio_requerido' },
    signIns: { id: 'id', userId: 'usuario_id', email: 'email_intento', ip: 'direccion_ip', userAgent: 'user_agent', success: 'exitoso', failureReason: 'razon_fallo', at: 'fecha_intento' },
    audit: {
      id: 'id',
      userId: 'usuario_id',
      table: 'tabla_afectada',
      operation: 'operacion',
      before: 'datos_anteriores',
      after: 'datos_nuevos',
      adminId: 'usuario_admin_id',
      reason: 'razon_cambio',
      ip: 'direccion_ip',
      at: 'fecha_operacion',
    },
  },
  statuses: { ACTIVO: 'active', INACTIVO: 'inactive', BLOQUEADO: 'blocked', PENDIENTE: 'pending', SUSPENDIDO: 'suspended' },
  roles: {},
  permissions: {
    modules: {
      usuarios: 'users',
      pedidos: 'orders',
      productos: 'products',
      roles: 'roles',
      reportes: 'reports',
      configuracion: 'config',
      config: 'config',
      auditoria: 'audit',
    },
    actions: {
      ver: 'view',
      crear: 'create',
      editar: 'edit',
      eliminar: 'delete',
      bloquear: 'block',
      cancelar: 'cancel',
      asignar: 'assign',
      exportar: 'export',
    },
    ownSuffixes: ['propios', 'propias', 'propio', 'propia'],
    allSuffixes: ['todos', 'todas'],
    codes: {},
  },
  identifiers: { legacyId: 'id', documentNumber: 'numero_documento' },
  attributes: {
    lastName: { table: 'users', column: 'apellido' },
    documentType: { table: 'users', column: 'tipo_documento' },
    birthDate: { table: 'users', column: 'fecha_nacimiento' },
    gender: { table: 'users', column: 'genero' },
    phone: { table: 'users', column: 'telefono' },
    mobile: { table: 'users', column: 'celular' },
    country: { table: 'profiles', column: 'pais' },
    region: { table: 'profiles', column: 'departamento' },
    city: { table: 'profiles', column: 'ciudad' },
  },
  verifiedIfActive: true,
  passwordScheme: null,
};

/** `base` with the keys `over` gives replaced (the schema already checked which may be `null`). */
function overlay<T extends object>(base: T, over: object | undefined): T {
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(over ?? {})) if (value !== undefined) out[key] = value;
  return out as T;
}

/** `base` with the keys `over` gives replaced, and those it sets to `null` removed. */
function overlayRemovable<T>(base: Readonly<Record<string, T>>, over: Readonly<Record<string, T | null>> | undefined): Record<string, T> {
  const out: Record<string, T> = { ...base };
  for (const [key, value] of Object.entries(over ?? {})) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}

const attribute = (source: string): { table: 'users' | 'profiles'; column: string } => {
  const dot = source.indexOf('.');
  return dot < 0 ? { table: 'users', column: source } : { table: source.slice(0, dot) as 'users' | 'profiles', column: source.slice(dot + 1) };
};

/**
 * The mapping a file asks for: the `php-usuarios` preset with the file laid over it.
 * @param where names the file in error messages.
 * @throws {AuthError} VALIDATION_FAILED — the file is not JSON, or breaks the format (its issues say where).
 */
export function resolveMapping(file: unknown, where = 'the mapping'): LegacyMapping {
  const parsed = mappingFileSchema.safeParse(file);
  if (!parsed.success) {
    const issues: FieldIssue[] = parsed.error.issues.map((issue) => ({
      path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
      code: issue.code,
      message: issue.message,
    }));
    const lines = issues.map((issue) => `  ${issue.path.length === 0 ? '(top level)' : issue.path.join('.')}: ${issue.message}`);
    throw new AuthError('VALIDATION_FAILED', { message: `${where} is not a valid mapping:\n${lines.join('\n')}`, issues });
  }
  const m = parsed.data;
  const base = PHP_USUARIOS_MAPPING;
  const c = m.columns ?? {};
  return {
    tables: overlay(base.tables, m.tables),
    columns: {
      users: overlay(base.columns.users, c.users),
      statuses: overlay(base.columns.statuses, c.statuses),
      profiles: overlay(base.columns.profiles, c.profiles),
      roles: overlay(base.columns.roles, c.roles),
      permissions: overlay(base.columns.permissions, c.permissions),
      userRoles: overlay(base.columns.userRoles, c.userRoles),
      rolePermissions: overlay(base.columns.rolePermissions, c.rolePermissions),
      passwordHistory: overlay(base.columns.passwordHistory, c.passwordHistory),
      signIns: overlay(base.columns.signIns, c.signIns),
      audit: overlay(base.columns.audit, c.audit),
    },
    statuses: overlay(base.statuses, m.statuses),
    roles: overlay(base.roles, m.roles),
    permissions: {
      modules: overlayRemovable(base.permissions.modules, m.permissions?.modules),
      actions: overlayRemovable(base.permissions.actions, m.permissions?.actions),
      ownSuffixes: m.permissions?.ownSuffixes ?? base.permissions.ownSuffixes,
      allSuffixes: m.permissions?.allSuffixes ?? base.permissions.allSuffixes,
      codes: overlay(base.permissions.codes, m.permissions?.codes),
    },
    identifiers: overlayRemovable(base.identifiers, m.identifiers),
    attributes: Object.fromEntries(
      Object.entries(overlayRemovable(Object.fromEntries(Object.entries(base.attributes).map(([k, v]) => [k, `${v.table}.${v.column}`])), m.attributes)).map(([k, v]) => [k, attribute(v)]),
    ),
    verifiedIfActive: m.verifiedIfActive ?? base.verifiedIfActive,
    passwordScheme: m.passwordScheme === undefined ? base.passwordScheme : m.passwordScheme,
  };
}

/**
 * Reads a `--mapping` JSON file and resolves it over the `php-usuarios` preset.
 * @throws {AuthError} VALIDATION_FAILED — the file is not JSON or breaks the format.
 */
export async function loadMappingFile(path: string): Promise<LegacyMapping> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AuthError('VALIDATION_FAILED', { message: `${path} is not JSON: ${reason}`, issues: [{ path: [], code: 'invalid_json', message: reason }], cause: error });
  }
  return resolveMapping(json, path);
}

/** The JSON Schema of the mapping file format, for editors (published as docs/import-mapping.schema.json). */
export function mappingJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(mappingFileSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
