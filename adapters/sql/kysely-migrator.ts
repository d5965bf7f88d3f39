import * as kysely from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * One schema change, as Kysely's Migrator runs it. Typed here rather than imported: Kysely
 * 0.28 exports `Migration` from `kysely`, 0.29 from `kysely/migration` only.
 */
export interface SchemaMigration {
  up(db: Kysely<unknown>): Promise<void>;
  down?(db: Kysely<unknown>): Promise<void>;
}

/** Where Kysely's Migrator finds the migrations. */
export interface SchemaMigrationProvider {
  getMigrations(): Promise<Record<string, SchemaMigration>>;
}

/** What the store uses of Kysely's Migrator; the same in Kysely 0.28 and 0.29. */
export interface KyselyMigrator {
  /** Never rejects: a failure is in `error`, with the migration that failed among `results`. */
  migrateToLatest(): Promise<{
    readonly error?: unknown;
    readonly results?: readonly { readonly migrationName: string; readonly status: 'Success' | 'Error' | 'NotExecuted' }[];
  }>;
  /** Every known migration, in order, with when it was applied (`undefined`: pending). Creates no table. */
  getMigrations(): Promise<readonly { readonly name: string; readonly executedAt?: Date | undefined }[]>;
}

/** The constructor of Kysely's Migrator, as the store calls it. */
export type KyselyMigratorClass = new (props: {
  readonly db: Kysely<Database>;
  readonly provider: SchemaMigrationProvider;
  readonly migrationTableName: string;
  readonly migrationLockTableName: string;
  /** Whether a pending migration may sort before one already applied (both Kysely versions take it). */
  readonly allowUnorderedMigrations?: boolean;
}) => KyselyMigrator;

/** Kysely 0.29's entry of the Migrator; a variable, so that no bundler or type check looks for it under 0.28. */
const MIGRATION_ENTRY = 'kysely/migration';

let loaded: Promise<KyselyMigratorClass> | undefined;

/**
 * Kysely's Migrator, from the Kysely the application installed: 0.28 exports it from
 * `kysely`; 0.29 moved it to `kysely/migration` (its root keeps only a type of that name).
 * Loaded once, on the first `migrate()`, so that the store's entry imports under either.
 */
export function kyselyMigrator(): Promise<KyselyMigratorClass> {
  loaded ??= (async (): Promise<KyselyMigratorClass> => {
    const fromRoot = (kysely as unknown as Record<string, unknown>)['Migrator'];
    if (typeof fromRoot === 'function') return fromRoot as KyselyMigratorClass;
    const entry = (await import(MIGRATION_ENTRY)) as Record<string, unknown>;
    if (typeof entry['Migrator'] === 'function') return entry['Migrator'] as KyselyMigratorClass;
    throw new TypeError('gatehouse: the installed kysely has no Migrator; gatehouse supports kysely ^0.28.11 and ^0.29');
  })();
  // A failed load (a broken install) is not remembered: the next call looks again.
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}
