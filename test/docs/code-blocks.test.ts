/**
 * Docs that cannot rot: every TypeScript block of README.md and docs/ type-checks against
 * the package's sources, and the blocks marked `<!-- run -->` (the README's quick start)
 * run and print what they say. The markers are described in ./code-blocks.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { codeBlocks, markdownFiles, prelude, PRELUDES, relativeToRoot, ROOT, where, type CodeBlock } from './code-blocks.js';

const files = markdownFiles();
const blocks = files.flatMap(codeBlocks);
const checked = blocks.filter((block) => !block.fragment);

let dir: string;
/** The type errors of each Markdown file, as `file:line: TSnnnn message`. */
const errors = new Map<string, string[]>();

beforeAll(() => {
  mkdirSync(join(ROOT, '.scratch'), { recursive: true });
  // Inside the repository, so that `gatehouse` and `gatehouse/*` resolve as tsconfig.json maps them.
  dir = mkdtempSync(join(ROOT, '.scratch/doc-blocks-'));
  const sources = new Map<string, { block: CodeBlock; offset: number }>();
  checked.forEach((block, index) => {
    const head = block.preludes.map(prelude).join('\n');
    const offset = head === '' ? 0 : head.split('\n').length;
    const path = join(dir, `block-${index}.ts`);
    writeFileSync(path, `${head === '' ? '' : `${head}\n`}${block.code}\nexport {};\n`);
    sources.set(path, { block, offset });
  });
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  const program = ts.createProgram({ rootNames: [...sources.keys()], options: { ...config!.options, noEmit: true } });
  // Only the blocks' own diagnostics: the checker then checks no more of the sources than the
  // blocks use (`npm run typecheck` checks the sources themselves).
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...[...sources.keys()].flatMap((path) => {
      const file = program.getSourceFile(path)!;
      return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    }),
  ];
  for (const diagnostic of diagnostics) {
    const source = diagnostic.file === undefined ? undefined : sources.get(diagnostic.file.fileName);
    const message = `TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    if (diagnostic.file === undefined || source === undefined) {
      const at = diagnostic.file === undefined ? '' : `${relativeToRoot(diagnostic.file.fileName)}: `;
      errors.set('(sources)', [...(errors.get('(sources)') ?? []), `${at}${message}`]);
      continue;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const at = line < source.offset ? `${where(source.block)} (in a prelude: ${source.block.preludes.join(', ')})` : where(source.block, line - source.offset);
    errors.set(source.block.file, [...(errors.get(source.block.file) ?? []), `${at}: ${message}`]);
  }
}, 300_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the TypeScript blocks of the docs', () => {
  it('are found, and each prelude a block names exists', () => {
    expect(checked.length).toBeGreaterThan(20);
    for (const block of blocks) {
      for (const name of block.preludes) expect(existsSync(join(PRELUDES, `${name}.ts`)), `${where(block)}: prelude ${name}`).toBe(true);
      if (block.run) expect(block.preludes, `${where(block)}: a run block stands alone`).toEqual([]);
      if (block.fragment) expect(block.run, `${where(block)}: a fragment cannot run`).toBe(false);
    }
  });

  it('type-check with no error outside a block (options, globals)', () => {
    expect(errors.get('(sources)') ?? []).toEqual([]);
  });

  for (const file of files.filter((file) => checked.some((block) => block.file === file))) {
    it(`of ${file} type-check against the sources`, () => {
      expect(errors.get(file) ?? []).toEqual([]);
    });
  }
});

describe('the blocks marked to run', () => {
  const runs = blocks.filter((block) => block.run);

  it('include the README quick start', () => {
    expect(runs.some((block) => block.file === 'README.md')).toBe(true);
  });

  runs.forEach((block, index) => {
    it(`${where(block)} runs and prints what it says`, async () => {
      const path = join(dir, `run-${index}.ts`);
      writeFileSync(path, `${block.code}\nexport {};\n`);
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        await import(path);
        const printed = log.mock.calls.map((args) => args.map(String).join(' '));
        for (const line of block.prints) expect(printed, where(block)).toContain(line);
      } finally {
        log.mockRestore();
      }
    });
  });
});


/** The anchors GitHub gives the headings of a Markdown file: lower case, punctuation dropped, spaces as `-`. */
function headingSlugs(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/^(`{3,}|~{3,})[^]*?^\1/gm, '');
  return [...text.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) =>
    heading!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-'),
  );
}

/** Notes for the people building gatehouse, not documentation of it. */
const DESIGN_NOTES = new Set(['docs/import-design.md']);

describe('the README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

  it('keeps the two commands of "Try it" that CI runs (.ci/run runs the README\'s test command)', () => {
    expect(readme).toMatch(/^npm ci && npm run example\b/m);
    expect(readme).toMatch(/^npm test\b/m);
    expect(scripts.example).toBeDefined();
    expect(scripts.test).toBe('vitest run');
  });

  it('links to every page of docs/ (but design notes)', () => {
    for (const file of files.filter((file) => file.startsWith('docs/') && !DESIGN_NOTES.has(file))) {
      expect(readme, `README.md links to ${file}`).toContain(`](${file})`);
    }
  });

  it('links only to files and headings that exist', () => {
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, target, anchor] of text.matchAll(/\]\(((?!https?:|mailto:)[^)#\s]*)(?:#([^)\s]*))?\)/g)) {
        const path = target === '' ? file : relativeToRoot(join(ROOT, file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.', target!));
        expect(existsSync(join(ROOT, path)), `${file} links to ${target}`).toBe(true);
        if (anchor !== undefined && path.endsWith('.md')) expect(headingSlugs(path), `${file} links to ${target}#${anchor}`).toContain(anchor);
      }
    }
  });
});
