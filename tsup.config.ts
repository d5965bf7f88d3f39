import { defineConfig } from 'tsup';

/** Every public entry point: the core, its HTTP layer, and one per adapter. */
export const entries = {
  index: 'src/index.ts',
  'http/index': 'src/http/index.ts',
  'memory/index': 'adapters/memory/index.ts',
  'testing/index': 'adapters/testing/index.ts',
  'smtp/index': 'adapters/smtp/index.ts',
  'express/index': 'adapters/express/index.ts',
  'fastify/index': 'adapters/fastify/index.ts',
  'postgres/index': 'adapters/postgres/index.ts',
  'mysql/index': 'adapters/mysql/index.ts',
  'redis/index': 'adapters/redis/index.ts',
  'import/index': 'adapters/import/index.ts',
  'jwt/index': 'adapters/jwt/index.ts',
};

/** Executables, listed in package.json `bin` rather than `exports`: `gatehouse migrate`. */
export const binaries = {
  cli: 'adapters/cli/index.ts',
};

export default defineConfig({
  entry: { ...entries, ...binaries },
  format: ['esm', 'cjs'],
  dts: true,
  splitting: true,
  sourcemap: false,
  clean: true,
  target: 'node20',
  platform: 'node',
  // Adapters import the core by its package name, as a third-party adapter would: at run
  // time that resolves to the one core entry, so every entry shares one AuthError class.
  external: [/^gatehouse(\/|$)/],
});
