import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * The suites that run a second time on Kysely 0.29 (the devDependency `kysely-029`): what
 * touches Kysely — the stores' conformance, migrations, the CLI and the session paths.
 */
export const KYSELY_029_SUITES = [
  'test/conformance/postgres.test.ts',
  'test/conformance/mysql.test.ts',
  'test/sql/migrations.test.ts',
  'test/sql/cli.test.ts',
  'test/sql/session-cache.test.ts',
  'test/sql/session-bundle.test.ts',
];

export default defineConfig({
  resolve: {
    // Tests import gatehouse by its public names, resolved to the sources.
    alias: [
      { find: /^gatehouse$/, replacement: root('./src/index.ts') },
      { find: /^gatehouse\/http$/, replacement: root('./src/http/index.ts') },
      { find: /^gatehouse\/(.+)$/, replacement: root('./adapters/$1/index.ts') },
    ],
  },
  test: {
    reporters: ['default', root('./test/support/totals-reporter.ts')],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'gatehouse', include: ['test/**/*.test.ts'], env: { GATEHOUSE_KYSELY: '0.28' } },
      },
      {
        extends: true,
        // `kysely` (and `kysely/migration`) is Kysely 0.29 here, for the sources and the tests alike.
        resolve: { alias: [{ find: /^kysely(\/.*)?$/, replacement: 'kysely-029$1' }] },
        test: { name: 'kysely-0.29', include: KYSELY_029_SUITES, env: { GATEHOUSE_KYSELY: '0.29' } },
      },
    ],
  },
});
