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
