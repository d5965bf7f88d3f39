/**
 * The TypeScript blocks of the README and of docs/, as the docs tests check them.
 *
 * Every ```ts (or ```typescript) block is a module of its own, type-checked against the
 * package's sources. HTML comments on the lines right above a block's fence say how:
 *
 * - `<!-- prelude: auth, express -->` — the block continues others: the named files of
 *   test/docs/preludes/ are put before it (they declare what the block uses, e.g. `auth`).
 * - `<!-- fragment -->` — deliberately not a whole program (a shape, an excerpt): not checked.
 * - `<!-- run -->` — also executed, against the sources (needs no prelude).
 * - `<!-- prints: INVALID_CREDENTIALS 401 -->` — a run block must log this line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PRELUDES = join(ROOT, 'test/docs/preludes');

/** One TypeScript block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository, e.g. `docs/jwt.md`. */
  readonly file: string;
  /** The 1-based line of the block's first line of code. */
  readonly line: number;
  readonly code: string;
  readonly preludes: readonly string[];
  readonly fragment: boolean;
  readonly run: boolean;
  /** Lines a run block must log. */
  readonly prints: readonly string[];
}

/** README.md and every Markdown file under docs/, except the generated API reference. */
export function markdownFiles(): string[] {
  const files = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (path !== 'docs/api') walk(path);
      } else if (entry.name.endsWith('.md')) {
        files.push(path);
      }
    }
  };
  walk('docs');
  return files.sort();
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;
const MARKER = /^<!--\s*(fragment|run|prelude:|prints:)\s*(.*?)\s*-->$/;

/** The TypeScript blocks of one Markdown file. A malformed marker is an error, not a silent skip. */
export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (open === null) continue;
    const [, indent, fence, lang] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence!)) end++;
    if (lang === 'ts' || lang === 'typescript') {
      const code = lines
        .slice(i + 1, end)
        .map((text) => (text.startsWith(indent!) ? text.slice(indent!.length) : text))
        .join('\n');
      blocks.push({ file, line: i + 2, code, ...markers(file, lines, i) });
    }
    i = end;
  }
  return blocks;
}

/** The markers in the HTML comments right above the fence at `fenceIndex` (blank lines between are allowed). */
function markers(file: string, lines: readonly string[], fenceIndex: number): Omit<CodeBlock, 'file' | 'line' | 'code'> {
  const found = { preludes: [] as string[], fragment: false, run: false, prints: [] as string[] };
  for (let j = fenceIndex - 1; j >= 0; j--) {
    const text = lines[j]!.trim();
    if (text === '') continue;
    if (!text.startsWith('<!--')) break;
    const marker = MARKER.exec(text);
    if (marker === null) throw new Error(`${file}:${j + 1}: unknown marker ${text} (fragment, run, prelude: names, prints: text)`);
    const [, kind, value] = marker;
    if (kind === 'fragment') found.fragment = true;
    else if (kind === 'run') found.run = true;
    else if (kind === 'prelude:') found.preludes.push(...value!.split(',').map((name) => name.trim()).filter(Boolean));
    else found.prints.push(value!);
  }
  return found;
}

/** A prelude's source, by name (test/docs/preludes/<name>.ts), without its closing `export {}`. */
export function prelude(name: string): string {
  return readFileSync(join(PRELUDES, `${name}.ts`), 'utf8').replace(/^export \{\};\s*$/m, '');
}

/** Where a block comes from, for messages: `docs/jwt.md:42`. */
export const where = (block: CodeBlock, offset = 0): string => `${block.file}:${block.line + offset}`;

export const relativeToRoot = (path: string): string => relative(ROOT, path);
