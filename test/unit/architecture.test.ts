import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
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

/** The longest a file in src/ may be: past it, split the file by concern (CONTRIBUTING.md). */
const MAX_LINES = 450;

/** Lines of a text, as `wc -l` counts them for a file ending in a newline. */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Every name (values and types) an entry file exports, as TypeScript resolves its re-exports. */
function exportedNames(...entries: string[]): Map<string, Set<string>> {
  const program = ts.createProgram({
    rootNames: entries.map((entry) => join(root, entry)),
    options: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true, skipLibCheck: true, types: [] },
  });
  const checker = program.getTypeChecker();
  return new Map(
    entries.map((entry) => {
      const module = checker.getSymbolAtLocation(program.getSourceFile(join(root, entry))!)!;
      return [entry, new Set(checker.getExportsOfModule(module).map((symbol) => symbol.name))];
    }),
  );
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

  it(`no file in src/ is longer than ${MAX_LINES} lines`, () => {
    expect(lineCount('a\nb\n')).toBe(2);
    expect(lineCount('a\nb')).toBe(2);
    const long = sources('src')
      .map((file) => [file, lineCount(readFileSync(join(root, file), 'utf8'))] as const)
      .filter(([, lines]) => lines > MAX_LINES)
      .map(([file, lines]) => `${file}: ${lines} lines`);
    expect(long).toEqual([]);
  });

  it('the root entry exports the core only: no name of gatehouse/http or gatehouse/jwt; the framework entries export no JWT name', () => {
    const names = exportedNames('src/index.ts', 'src/http/index.ts', 'adapters/jwt/index.ts', 'adapters/express/index.ts', 'adapters/fastify/index.ts');
    const core = names.get('src/index.ts')!;
    const http = names.get('src/http/index.ts')!;
    const jwt = names.get('adapters/jwt/index.ts')!;
    // The lists are real: each entry exports what it is for (types included).
    expect(core).toContain('createAuth');
    expect(core).toContain('AuthStore');
    expect(http).toContain('HttpAuth');
    expect(http).toContain('HttpAuthOptions');
    expect(jwt).toContain('createAccessTokens');
    expect(jwt).toContain('AccessTokenOptions');
    expect([...http].filter((name) => core.has(name)), 'HTTP names in gatehouse').toEqual([]);
    expect([...jwt].filter((name) => core.has(name)), 'JWT names in gatehouse').toEqual([]);
    for (const framework of ['adapters/express/index.ts', 'adapters/fastify/index.ts']) {
      expect([...jwt].filter((name) => names.get(framework)!.has(name)), `JWT names in ${framework}`).toEqual([]);
    }
  });

  it('adapters name the core by its public entries only: gatehouse and gatehouse/http', () => {
    const entries = new Set(['gatehouse', 'gatehouse/http']);
    for (const file of sources('adapters')) {
      for (const specifier of imports(file)) {
        if (specifier.startsWith('gatehouse')) expect(entries.has(specifier), `${file} imports ${specifier}`).toBe(true);
      }
    }
  });
});
