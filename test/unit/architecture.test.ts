import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(root, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  // Statements only: an import shown in a TSDoc example starts with ` * ` and does not count.
  const statements = /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  return [...text.matchAll(statements)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

/**
 * The layers inside the core, lowest first: a file imports only from its own layer or a
 * lower one (domain <- ports <- services <- http). Shared leaves (errors, plain text helpers)
 * sit under everything; the building blocks services are made of (crypto, validation, mail
 * templates, rate limits, options, events) sit between the ports and the services; `createAuth`
 * assembles the services, the HTTP layer drives the assembled `Auth`, and the root entry
 * re-exports.
 */
const LAYERS: readonly (readonly [rank: number, name: string, match: RegExp])[] = [
  [0, 'leaves', /^src\/(errors|error-messages)\.ts$|^src\/validation\/(text|standard-schema)\.ts$/],
  [1, 'domain', /^src\/domain\//],
  [2, 'ports', /^src\/ports\//],
  [3, 'building blocks', /^src\/(crypto|validation|mail|rate-limits|cache)\/|^src\/(options|events)\.ts$/],
  [4, 'services', /^src\/services\//],
  [5, 'assembly', /^src\/create-auth\.ts$/],
  [6, 'http', /^src\/http\//],
  [7, 'entry', /^src\/index\.ts$/],
];

function layerOf(file: string): readonly [number, string] {
  const layer = LAYERS.find(([, , match]) => match.test(file));
  if (layer === undefined) throw new Error(`${file} belongs to no layer: add it to LAYERS`);
  return [layer[0], layer[1]];
}

const DRIVERS_AND_FRAMEWORKS = /^(pg|pg-\w+|mysql2|kysely|nodemailer|express|fastify|@fastify\/.+|jose)(\/|$)/;

describe('architecture', () => {
  it('the core (src/) imports nothing from adapters/, no database driver and no web framework', () => {
    for (const file of sources('src')) {
      for (const specifier of imports(file)) {
        expect(specifier.includes('adapters/'), `${file} imports ${specifier}`).toBe(false);
        expect(DRIVERS_AND_FRAMEWORKS.test(specifier), `${file} imports ${specifier}`).toBe(false);
        expect(specifier.startsWith('gatehouse'), `${file} imports ${specifier}`).toBe(false);
      }
    }
  });

  it('inside the core nothing imports upward: domain <- ports <- services <- http', () => {
    for (const file of sources('src')) {
      const [rank, name] = layerOf(file);
      for (const specifier of imports(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = relative(root, join(root, file, '..', specifier)).replace(/\.js$/, '.ts');
        const [targetRank, targetName] = layerOf(target);
        expect(targetRank <= rank, `${file} (${name}) imports ${specifier} (${targetName})`).toBe(true);
      }
    }
  });

  it('the layering check sees an upward import', () => {
    expect(layerOf('src/ports/access-tokens.ts')[0]).toBeLessThan(layerOf('src/services/session-service.ts')[0]);
    expect(layerOf('src/domain/principal.ts')[0]).toBeLessThan(layerOf('src/ports/access-tokens.ts')[0]);
    expect(layerOf('src/services/session-service.ts')[0]).toBeLessThan(layerOf('src/http/index.ts')[0]);
  });

  it('adapters reach the core only through its public entry, like a third-party adapter', () => {
    for (const file of sources('adapters')) {
      for (const specifier of imports(file)) {
        if (!specifier.startsWith('.')) continue;
        const target = relative(root, join(root, file, '..', specifier));
        if (target === 'package.json') continue; // the manifest (the CLI's --version), not the core
        expect(target.startsWith('src'), `${file} imports ${specifier}`).toBe(false);
        expect(target.startsWith('adapters'), `${file} imports ${specifier}`).toBe(true);
      }
    }
  });
});
