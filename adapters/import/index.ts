/**
 * gatehouse's import side: reading a legacy PHP/MySQL user module (the `php-usuarios`
 * preset, seed 004's schema, or another one through a mapping file) into plain import
 * records for `auth.users.import()`; `LegacyReader` also serves lazy migration
 * (`createAuth({ legacy })`). Needs the `mysql2` driver.
 *
 * @example
 * ```ts
 * import { LegacyReader } from 'gatehouse/import';
 * const reader = await LegacyReader.open('mysql://reader@old-db/tienda', { timeZone: 'America/Bogota' });
 * await auth.roles.seed(auth.system, await reader.readRoles());
 * for await (const batch of reader.batches()) await auth.users.import(auth.system, batch.records);
 * await reader.close();
 * ```
 * @packageDocumentation
 */
export { LegacyReader, type LegacyReaderOptions } from './legacy-reader.js';
export { PHP_USUARIOS_MAPPING, mappingFileSchema, resolveMapping, loadMappingFile, mappingJsonSchema, type LegacyMapping, type MappingFile } from './legacy-mapping.js';
export { translatePermissionCode, translateRoleCode } from './legacy-codes.js';
export { importableEmail, type EmailVerdict } from './legacy-email.js';
export { checkTimeZone, legacyInstant } from './legacy-time.js';
export type {
  ImportRecord,
  ImportPassword,
  PasswordScheme,
  ImportRoleAssignment,
  ImportPasswordHistoryEntry,
  ImportActivity,
  ImportUserReference,
  ImportTwoFactor,
  ImportRefusal,
  ImportNotice,
  ImportBatch,
  ImportRole,
  ImportPermission,
  ImportRoleSet,
} from './import-record.js';
