import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { AuthError, USER_STATUSES, type FieldIssue, type UserStatus } from 'gatehouse';

/** A table or column name of the legacy database: letters, digits, `_` and `$`, at most 64 characters (MySQL's limit). */
const sqlName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]{0,63}$/, { error: 'Use a table or column name: letters, digits, _ and $, at most 64 characters.' });

/** Lower-case words such as `users` or `view`: what a module or an action may become. */
const codeWord = z.string().regex(/^[a-z][a-z0-9_-]*$/, { error: 'Use lower-case letters, digits, _ and -, starting with a letter.' });

/** For each key of `T`: `true` when its value may be `null` (an optional table or column), `false` when not. */
type Nullable<T> = { readonly [K in keyof T]-?: null extends T[K] ? true : false };

type LegacyColumns = LegacyMapping['columns'];

/**
 * The tables and columns a mapping file may name, and which of them it may set to `null`:
 * typed against {@link LegacyMapping}, so that the file format and the mapping cannot drift
 * apart. Their order is that of the published JSON Schema's keys.
 */
const TABLES: Nullable<LegacyMapping['tables']> = {
  users: false,
  statuses: false,
  profiles: true,
  roles: false,
  permissions: false,
  userRoles: false,
  rolePermissions: false,
  passwordHistory: true,
  signIns: true,
  audit: true,
};
const COLUMNS: { readonly [T in keyof LegacyColumns]: Nullable<LegacyColumns[T]> } = {
  users: { id: false, uuid: true, email: false, passwordHash: false, name: false, statusId: false, active: true, emailVerified: true, createdAt: false, lastLoginAt: true },
  statuses: { id: false, code: false },
  profiles: { userId: false, twoFactorActive: false, twoFactorSecret: false, locale: true },
  roles: { id: false, code: false, name: false, description: true, level: false, active: true },
  permissions: { id: false, code: false, name: true, module: true, active: true },
  userRoles: { userId: false, roleId: false, assignedAt: true, expiresAt: true, active: true },
  rolePermissions: { roleId: false, permissionId: false },
  passwordHistory: { userId: false, previousHash: true, newHash: false, changedAt: false, forced: true },
  signIns: { id: true, userId: false, email: true, ip: true, userAgent: true, success: false, failureReason: true, at: false },
  audit: { id: true, userId: false, table: false, operation: false, before: true, after: true, adminId: true, reason: true, ip: true, at: false },
};

/** An object of names, one per key of `T`, every key optional (a file says only what differs); those `nullable` marks may be `null`. */
function names<T>(nullable: Nullable<T>): z.ZodType<Partial<T>> {
  const shape: Record<string, z.ZodType<string | null>> = {};
  for (const [key, canBeNull] of Object.entries(nullable as Readonly<Record<string, boolean>>)) shape[key] = canBeNull ? sqlName.nullable() : sqlName;
  // The cast is what `Nullable<T>` checked: a key of T, a name, `null` only where T allows it.
  return z.strictObject(shape).partial() as unknown as z.ZodType<Partial<T>>;
}

/** `users.column` or `profiles.column` (a bare column is one of `users`). */
const attributeSource = z.string().regex(/^(?:(?:users|profiles)\.)?[A-Za-z_][A-Za-z0-9_$]{0,63}$/, {
  error: 'Use a column of the users table, or profiles.<column> for one of the profiles table.',
});

/**
 * A `--mapping` file's contents: what differs from the `php-usuarios` preset
 * ({@link PHP_USUARIOS_MAPPING}). Every key is optional and replaces the preset's; a `null`
 * removes an optional table, column, identifier, attribute or permission word. Unknown keys
 * are errors, so that a typo never silently falls back to the preset.
 */
export interface MappingFile {
  /** Free text, ignored: lets the file point editors at the published JSON Schema (`./import-mapping.schema.json`). */
  readonly $schema?: string | undefined;
  /**
   * The preset the file adjusts; only `php-usuarios` exists.
   * @default 'php-usuarios'
   */
  readonly preset?: 'php-usuarios' | undefined;
  /** Legacy table names, as in {@link LegacyMapping.tables}; `null` for an optional table the schema does not have. */
  readonly tables?: Partial<LegacyMapping['tables']> | undefined;
  /** Legacy column names, per table, as in {@link LegacyMapping.columns}; `null` for an optional column the table does not have. */
  readonly columns?: { readonly [T in keyof LegacyColumns]?: Partial<LegacyColumns[T]> | undefined } | undefined;
  /** Legacy status codes (`estados_usuario.codigo`) → gatehouse statuses, added to the preset's. */
  readonly statuses?: Readonly<Record<string, UserStatus>> | undefined;
  /** Legacy role codes → gatehouse role codes (lower-case letters, digits, `_` and `-`, at most 50); a role not named here is lower-cased. */
  readonly roles?: Readonly<Record<string, string>> | undefined;
  /** How permission codes `MODULO_ACCION` are translated into `module:action`; each key given replaces the preset's. */
  readonly permissions?:
    | {
        /** Module words (lower-cased legacy) → gatehouse modules, e.g. `"pedidos": "orders"`, over the preset's; `null` removes a preset entry. */
        readonly modules?: Readonly<Record<string, string | null>> | undefined;
        /** Action words → gatehouse actions, e.g. `"ver": "view"`, over the preset's; `null` removes a preset entry. */
        readonly actions?: Readonly<Record<string, string | null>> | undefined;
        /** Action endings that mean "only the user's own", e.g. `"propios"`: `PEDIDOS_VER_PROPIOS` → `orders:view:own`. Replaces the preset's list. */
        readonly ownSuffixes?: readonly string[] | undefined;
        /** Action endings that mean "everyone's", dropped: `PEDIDOS_VER_TODOS` → `orders:view`. Replaces the preset's list. */
        readonly allSuffixes?: readonly string[] | undefined;
        /** Whole legacy codes → gatehouse codes, ahead of every rule above. */
        readonly codes?: Readonly<Record<string, string>> | undefined;
      }
    | undefined;
  /** Identifier name → column of the users table, over the preset's (`legacyId` ← `id`, `documentNumber` ← `numero_documento`); `null` removes one. */
  readonly identifiers?: Readonly<Record<string, string | null>> | undefined;
  /** Attribute name → `column` (of the users table) or `profiles.column`, over the preset's; `null` removes one. */
  readonly attributes?: Readonly<Record<string, string | null>> | undefined;
  /**
   * Import users who are active (or pending) in the legacy system as verified, whatever its
   * verification flag says: its sign-in never asked for a verified address.
   * @default true
   */
  readonly verifiedIfActive?: boolean | undefined;
  /**
   * The scheme of hashes whose prefix says nothing (e.g. a site's own `sha256`, verified by a
   * plugged-in verifier); bcrypt and argon2 prefixes win whatever it says. `null`: none.
   * @default null
   */
  readonly passwordScheme?: string | null | undefined;
}

/**
 * The `--mapping <file>` format, as a zod schema of {@link MappingFile}: how a legacy schema
 * that differs from seed 004's is read. {@link resolveMapping} lays a parsed file over the
 * `php-usuarios` preset.
 */
export const mappingFileSchema: z.ZodType<MappingFile> = z.strictObject({
  $schema: z.string().optional(),
  preset: z.literal('php-usuarios').optional(),
  tables: names(TABLES).optional(),
  columns: z
    .strictObject({
      users: names(COLUMNS.users),
      statuses: names(COLUMNS.statuses),
      profiles: names(COLUMNS.profiles),
      roles: names(COLUMNS.roles),
      permissions: names(COLUMNS.permissions),
      userRoles: names(COLUMNS.userRoles),
      rolePermissions: names(COLUMNS.rolePermissions),
      passwordHistory: names(COLUMNS.passwordHistory),
      signIns: names(COLUMNS.signIns),
      audit: names(COLUMNS.audit),
    })
    .partial()
    .optional(),
  statuses: z.record(z.string().min(1), z.enum(USER_STATUSES)).optional(),
  roles: z.record(z.string().min(1), z.string().regex(/^[a-z][a-z0-9_-]{0,49}$/, { error: 'Use a gatehouse role code: lower-case letters, digits, _ and -.' })).optional(),
  permissions: z
    .strictObject({
      modules: z.record(z.string().min(1), codeWord.nullable()),
      actions: z.record(z.string().min(1), codeWord.nullable()),
      ownSuffixes: z.array(codeWord),
      allSuffixes: z.array(codeWord),
      codes: z.record(z.string().min(1), z.string().min(1)),
    })
    .partial()
    .optional(),
  identifiers: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/, { error: 'Use letters, digits and _ for an identifier name.' }), sqlName.nullable()).optional(),
  attributes: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,63}$/, { error: 'Use letters, digits and _ for an attribute name.' }), attributeSource.nullable()).optional(),
  verifiedIfActive: z.boolean().optional(),
  passwordScheme: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/).nullable().optional(),
});

/**
 * The complete mapping the reader follows: the preset with a mapping file laid over it.
 * Table and column names are checked against the legacy database when the reader opens;
 * `null` marks an optional table or column the legacy schema does not have.
 */
export interface LegacyMapping {
  /** Legacy table names. */
  readonly tables: {
    /** The users, one row each (`usuarios`). */
    readonly users: string;
    /** The user statuses, each with a code that {@link LegacyMapping.statuses} translates (`estados_usuario`). */
    readonly statuses: string;
    /** One row of profile data per user: two-factor settings, language, attributes (`perfiles_usuario`); `null`: none, users import without 2FA, locale or profile attributes. */
    readonly profiles: string | null;
    /** The roles (`roles`). */
    readonly roles: string;
    /** The permissions (`permisos`). */
    readonly permissions: string;
    /** Role assignments of users (`usuarios_roles`). */
    readonly userRoles: string;
    /** Permissions granted to roles (`roles_permisos`). */
    readonly rolePermissions: string;
    /** One row per password change (`historial_contrasenas`); `null`: users import without password history. */
    readonly passwordHistory: string | null;
    /** One row per sign-in attempt (`historial_acceso`), imported as `login.succeeded`/`login.failed` activities; `null`: none. */
    readonly signIns: string | null;
    /** The legacy audit log (`auditoria_usuarios`), imported as `legacy.<table>.<operation>` activities and read for status reasons; `null`: none. */
    readonly audit: string | null;
  };
  /** Legacy column names, per table; the `php-usuarios` names in parentheses. */
  readonly columns: {
    /** Columns of `tables.users`. */
    readonly users: {
      /** The primary key (`id`): batches follow its order, reports name it (`usuarios.id 42`), and the preset's `legacyId` identifier holds it. */
      readonly id: string;
      /** A UUID kept as the gatehouse id (`uuid_usuario`); a row whose value is no UUID gets a new id and a notice. `null`: every user gets a new id. */
      readonly uuid: string | null;
      /** The address (`email`). */
      readonly email: string;
      /** The password hash (`contrasena_hash`); an empty value imports a user without a password. */
      readonly passwordHash: string;
      /** The display name (`nombre_completo`). */
      readonly name: string;
      /** The user's status, a key of `tables.statuses` (`estado_id`). */
      readonly statusId: string;
      /** A 0/1 flag: 0 imports the user `inactive` whatever the status says (`activo`). `null`: every user counts as switched on. */
      readonly active: string | null;
      /** A 0/1 flag: 1 imports the address as verified as of the user's creation (`estado_verificacion_email`). `null`: only `verifiedIfActive` verifies. */
      readonly emailVerified: string | null;
      /** When the user was created (`fecha_creacion`); an empty value reads as the time the reader opened. */
      readonly createdAt: string;
      /** The last successful sign-in (`fecha_ultima_conexion`). `null`: imported as never. */
      readonly lastLoginAt: string | null;
    };
    /** Columns of `tables.statuses`. */
    readonly statuses: {
      /** The key `users.statusId` points at (`id`). */
      readonly id: string;
      /** The status code, e.g. `ACTIVO`, a key of {@link LegacyMapping.statuses} (`codigo`). */
      readonly code: string;
    };
    /** Columns of `tables.profiles`. */
    readonly profiles: {
      /** The user's primary key (`usuario_id`). */
      readonly userId: string;
      /** A 0/1 flag: two-step verification is on (`verificacion_2fa_activa`). */
      readonly twoFactorActive: string;
      /** The TOTP secret in base32 (`codigo_2fa_secreto`); a user with 2FA on whose secret is not base32 of at least 80 bits is refused. */
      readonly twoFactorSecret: string;
      /** The user's language, `es`, `es_CO` or `es-co` (`idioma`); another value is dropped with a notice. `null`: imported without one. */
      readonly locale: string | null;
    };
    /** Columns of `tables.roles`. */
    readonly roles: {
      /** The primary key (`id`). */
      readonly id: string;
      /** The role code, translated by {@link LegacyMapping.roles} or lower-cased (`codigo`). */
      readonly code: string;
      /** The display name; an empty value falls back to the code (`nombre`). */
      readonly name: string;
      /** The description (`descripcion`). `null`: imported empty. */
      readonly description: string | null;
      /** The access level, a number (`nivel_acceso`). */
      readonly level: string;
      /** A 0/1 flag: 0 imports the role switched off (`activo`). `null`: every role is on. */
      readonly active: string | null;
    };
    /** Columns of `tables.permissions`. */
    readonly permissions: {
      /** The primary key (`id`). */
      readonly id: string;
      /** The permission code `MODULO_ACCION`, translated by {@link LegacyMapping.permissions} (`codigo`). */
      readonly code: string;
      /** The display name (`nombre`); empty or `null`: the translated code. */
      readonly name: string | null;
      /** The module the code starts with, which may hold `_` (`modulo`). `null`: the code's module ends at its first `_`. */
      readonly module: string | null;
      /** A 0/1 flag: 0 imports the permission switched off, granted by no role (`activo`). `null`: every permission is on. */
      readonly active: string | null;
    };
    /** Columns of `tables.userRoles`. */
    readonly userRoles: {
      /** The user's primary key (`usuario_id`). */
      readonly userId: string;
      /** The role's primary key (`rol_id`). */
      readonly roleId: string;
      /** When the role was given (`fecha_asignacion`); empty or `null`: the user's creation time. */
      readonly assignedAt: string | null;
      /** When the assignment ends (`fecha_vencimiento`); empty or `null`: never. */
      readonly expiresAt: string | null;
      /** A 0/1 flag: 0 drops the assignment with a notice (`activo`). `null`: every assignment is on. */
      readonly active: string | null;
    };
    /** Columns of `tables.rolePermissions`. */
    readonly rolePermissions: {
      /** The role's primary key (`rol_id`). */
      readonly roleId: string;
      /** The permission's primary key (`permiso_id`). */
      readonly permissionId: string;
    };
    /** Columns of `tables.passwordHistory`. */
    readonly passwordHistory: {
      /** The user's primary key (`usuario_id`). */
      readonly userId: string;
      /** The hash before the change (`contrasena_hash_anterior`): the first change's is the password from sign-up. `null`: history starts with the first change. */
      readonly previousHash: string | null;
      /** The hash after the change (`contrasena_hash_nueva`). */
      readonly newHash: string;
      /** When it changed (`fecha_cambio`). */
      readonly changedAt: string;
      /** A 0/1 flag: an administrator required the change (`cambio_requerido`). `null`: no change was forced. */
      readonly forced: string | null;
    };
    /** Columns of `tables.signIns`. */
    readonly signIns: {
      /** The row's key (`id`), so that a second run knows the row is imported already. `null`: a later run that updates the user adds its rows again. */
      readonly id: string | null;
      /** The user's primary key (`usuario_id`). */
      readonly userId: string;
      /** The address typed (`email_intento`), kept in the activity's metadata. `null`: not kept. */
      readonly email: string | null;
      /** The client address (`direccion_ip`). `null`: imported without one. */
      readonly ip: string | null;
      /** The client's `User-Agent` (`user_agent`). `null`: imported without one. */
      readonly userAgent: string | null;
      /** A 0/1 flag: the attempt succeeded (`exitoso`). */
      readonly success: string;
      /** Why a failed attempt failed (`razon_fallo`), added to the activity's details. `null`: not said. */
      readonly failureReason: string | null;
      /** When it happened (`fecha_intento`). */
      readonly at: string;
    };
    /** Columns of `tables.audit`. */
    readonly audit: {
      /** The row's key (`id`), so that a second run knows the row is imported already. `null`: a later run that updates the user adds its rows again. */
      readonly id: string | null;
      /** The primary key of the user the entry is about (`usuario_id`). */
      readonly userId: string;
      /** The legacy table changed (`tabla_afectada`), part of the activity's action. */
      readonly table: string;
      /** The operation, e.g. `UPDATE` (`operacion`), part of the activity's action. */
      readonly operation: string;
      /** The row before, as JSON (`datos_anteriores`), kept in the activity's metadata. `null`: not kept. */
      readonly before: string | null;
      /** The row after, as JSON (`datos_nuevos`), kept in the metadata and read to find the entry that set the user's status. `null`: not kept, and no status reason is read. */
      readonly after: string | null;
      /** The primary key of the administrator who acted (`usuario_admin_id`), the activity's actor, named by the identifier that holds `users.id` (`legacyId`). `null`: no actor. */
      readonly adminId: string | null;
      /** The reason given (`razon_cambio`): the activity's details, and the user's status reason. `null`: neither. */
      readonly reason: string | null;
      /** The client address (`direccion_ip`). `null`: imported without one. */
      readonly ip: string | null;
      /** When it happened (`fecha_operacion`). */
      readonly at: string;
    };
  };
  /** Legacy status code → gatehouse status; every code of `tables.statuses` must have one, or the reader refuses to open. */
  readonly statuses: Readonly<Record<string, UserStatus>>;
  /** Legacy role code → gatehouse role code; a code not named is lower-cased. */
  readonly roles: Readonly<Record<string, string>>;
  /** How permission codes `MODULO_ACCION` are translated into `module:action` (see {@link translatePermissionCode}). */
  readonly permissions: {
    /** Module words (lower-cased) → gatehouse modules, e.g. `pedidos` → `orders`; a word not named stays as it is. */
    readonly modules: Readonly<Record<string, string>>;
    /** Action words (lower-cased) → gatehouse actions, e.g. `ver` → `view`; a word not named stays as it is. */
    readonly actions: Readonly<Record<string, string>>;
    /** Action endings meaning "only the user's own": dropped, and `:own` added (`PEDIDOS_VER_PROPIOS` → `orders:view:own`). */
    readonly ownSuffixes: readonly string[];
    /** Action endings meaning "everyone's": dropped (`PEDIDOS_VER_TODOS` → `orders:view`). */
    readonly allSuffixes: readonly string[];
    /** Whole legacy codes → gatehouse codes, ahead of every rule above. */
    readonly codes: Readonly<Record<string, string>>;
  };
  /** Identifier name → column of the users table whose value the user keeps under that name, e.g. `legacyId` ← `id`; an empty value is left out. */
  readonly identifiers: Readonly<Record<string, string>>;
  /** Attribute name → `{ table, column }`. */
  readonly attributes: Readonly<
    Record<
      string,
      {
        /** The table holding it: `users`, or `profiles` (left out when `tables.profiles` is `null`). */
        readonly table: 'users' | 'profiles';
        /** Its column in that table; an empty value is left out. */
        readonly column: string;
      }
    >
  >;
  /** Import users who are active (or pending) in the legacy system as verified, whatever `columns.users.emailVerified` says (`true` in the preset). */
  readonly verifiedIfActive: boolean;
  /** The scheme of hashes whose prefix says nothing; bcrypt and argon2 prefixes win. `null` (the preset): such a hash gets the scheme `unknown`, which no verifier handles, and the record is refused. */
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
