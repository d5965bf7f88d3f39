// Loaded with `node --import`: in this process, `kysely` and `kysely/…` are the devDependency
// `kysely-029` (Kysely 0.29), as the vitest project `kysely-0.29` aliases them for the tests.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
  const match = /^kysely(\\/.*)?$/.exec(specifier);
  return next(match === null ? specifier : 'kysely-029' + (match[1] ?? ''), context);
}`),
);
