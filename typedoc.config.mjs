// The API reference (`npm run docs`): one module per entry point that package.json exports,
// so a new entry is documented as soon as it is published. Output in docs/api/ (not committed).
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const entryPoints = Object.keys(pkg.exports)
  .filter((name) => name !== './package.json')
  .map((name) => (name === '.' ? 'src/index.ts' : name === './http' ? 'src/http/index.ts' : `adapters/${name.slice(2)}/index.ts`));

/** @type {import('typedoc').TypeDocOptions} */
export default {
  name: 'gatehouse',
  entryPoints,
  entryPointStrategy: 'resolve',
  tsconfig: './tsconfig.json',
  out: 'docs/api',
  readme: 'none',
  // Source links need a hosted repository; a clone (CI's) has none, and links to it would be broken.
  disableSources: true,
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  treatWarningsAsErrors: true,
  // The literal table behind AUTH_ERROR_CODES, whose keys are AuthErrorCode: published as AUTH_ERROR_CODES.
  intentionallyNotExported: ['src/errors.ts:CODES'],
  validation: { notExported: true, notDocumented: true, invalidLink: true, invalidPath: true, rewrittenLink: true, unusedMergeModuleWith: true },
  requiredToBeDocumented: [
    'Enum', 'EnumMember', 'Variable', 'Function', 'Class', 'Interface', 'Property', 'Method', 'Accessor', 'TypeAlias',
  ],
};
