import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import gatehouse by its public names, resolved to the sources.
    alias: [
      { find: /^gatehouse$/, replacement: root('./src/index.ts') },
      { find: /^gatehouse\/(.+)$/, replacement: root('./adapters/$1/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', root('./test/support/totals-reporter.ts')],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
