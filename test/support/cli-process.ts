import { fileURLToPath } from 'node:url';

/** The repository's root, where the CLI's sources run from. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The arguments that make `node` run the CLI from its sources (through tsx) on the Kysely under
 * test: Kysely 0.29 when `GATEHOUSE_KYSELY=0.29` (the vitest project `kysely-0.29`), 0.28 otherwise.
 */
export function cliNodeArgs(): string[] {
  const kysely = process.env['GATEHOUSE_KYSELY'] === '0.29' ? ['--import', fileURLToPath(new URL('./kysely-029-hook.mjs', import.meta.url))] : [];
  return ['--import', 'tsx', ...kysely, 'adapters/cli/index.ts'];
}
