import type { ImportRecord } from '../domain/import.js';

/**
 * Where lazy migration finds the users a legacy system still holds (`createAuth({ legacy })`).
 * `LegacyReader` of `adapters/import`, opened with `snapshot: false`, is one.
 */
export interface LegacyUserSource {
  /**
   * The legacy user with this address — given as gatehouse stores it (`normalizeEmail()`) —
   * mapped into an import record, or `null` when the legacy system has none.
   */
  findUser(email: string): Promise<ImportRecord | null>;
}
