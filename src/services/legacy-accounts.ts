import type { ImportRecord } from '../domain/import.js';
import type { LegacyUserSource } from '../ports/legacy-user-source.js';
import type { UserRecord } from '../domain/user.js';
import { AuthError } from '../errors.js';
import { SYSTEM } from '../domain/principal.js';
import { importUsers, type ImportDependencies } from './user-import.js';

/**
 * Brings a legacy user over the first time gatehouse is asked about their address. Only a
 * record with exactly that address is taken: a source answering another user's record for
 * it could otherwise hand out that user's account.
 */
export class LegacyAccounts {
  constructor(
    private readonly source: LegacyUserSource | undefined,
    private readonly deps: ImportDependencies,
    private readonly report: (error: unknown, operation: string) => void,
  ) {}

  /** Whether a legacy system is configured. */
  get enabled(): boolean {
    return this.source !== undefined;
  }

  /**
   * Imports the legacy user with this (normalised) address when gatehouse has no account for
   * it, and resolves the account — or `null` when neither system has one.
   * @throws {AuthError} STORAGE_FAILED — the legacy system could not be asked.
   */
  async bringOver(email: string): Promise<UserRecord | null> {
    if (this.source === undefined) return null;
    let record: ImportRecord | null;
    try {
      record = await this.source.findUser(email);
    } catch (error) {
      throw new AuthError('STORAGE_FAILED', { message: 'The legacy user store could not be read.', cause: error });
    }
    if (record === null || record.email !== email) return null;
    const result = await importUsers(this.deps, SYSTEM, [record], { matchBy: ['legacyId'] });
    const refused = result.refused[0];
    // A concurrent sign-in of the same user imported them first: their account is there all the same.
    if (refused !== undefined && refused.code !== 'EMAIL_TAKEN') this.report(new Error(`the legacy user ${refused.source} was not imported: ${refused.code}: ${refused.message}`), 'legacy-import');
    return this.deps.store.findUserByEmail(email);
  }
}
