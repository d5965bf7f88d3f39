import { defineConfig, type Options } from 'tsup';

/** Every public entry point: the core and one per adapter. */
export const entries = {
  index: 'src/index.ts',
  'memory/index': 'adapters/memory/index.ts',
  'testing/index': 'adapters/testing/index.ts',
  'smtp/index': 'adapters/smtp/index.ts',
  'express/index': 'adapters/express/index.ts',
  'fastify/index': 'adapters/fastify/index.ts',
  'postgres/index': 'adapters/postgres/index.ts',
  'mysql/index': 'adapters/mysql/index.ts',
  'redis/index': 'adapters/redis/index.ts',
};

/** Executables, listed in package.json `bin` rather than `exports`: `gatehouse migrate`. */
export const binaries = {
  cli: 'adapters/cli/index.ts',
};

/** What both builds share. */
const common = {
  entry: { ...entries, ...binaries } as Record<string, string>,
  dts: true,
  splitting: true,
  sourcemap: false,
  // Both builds write into dist/ at once: `npm run build` empties it first.
  clean: false,
  target: 'node20',
  platform: 'node',
  // Adapters import the core by its package name, as a third-party adapter would: at run
  // time that resolves to the one core entry, so every entry shares one AuthError class.
  external: [/^gatehouse(\/|$)/],
} satisfies Options;

/**
 * Entries whose CommonJS build carries its own copy of jose. jose ships ES modules only, and
 * Jest's module system cannot require() one (it ignores Node's require(esm)). tsup makes a
 * split CommonJS build by rewriting ES modules, which breaks jose's classes, so these
 * entries are built unsplit, by esbuild itself.
 */
const withOwnJose = Object.keys(entries).filter((name) => name === 'jwt/index');
const pick = (names: readonly string[], keep: boolean): Record<string, string> =>
  Object.fromEntries(Object.entries({ ...entries, ...binaries }).filter(([name]) => names.includes(name) === keep));

export default defineConfig([
  { ...common, format: ['esm'] },
  { ...common, entry: pick(withOwnJose, false), format: ['cjs'] },
  ...(withOwnJose.length === 0 ? [] : [{ ...common, entry: pick(withOwnJose, true), format: ['cjs'], splitting: false, noExternal: ['jose'] } satisfies Options]),
]);
