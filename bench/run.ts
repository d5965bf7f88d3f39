/**
 * Runs the benchmarks and prints one JSON line per figure: `{"name", "value", "unit"}`.
 * Every target is compared with a baseline measured in the same run, on the same machine.
 *
 *   npm run bench            # every benchmark but those run only by name (callgrind)
 *   npm run bench -- access  # only those whose name contains "access"
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One measured figure. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

/** What each `bench/<area>.ts` exports. */
export type Benchmark = (emit: (figure: Figure) => void) => Promise<void>;

const here = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts')
  .filter((file) => only.length === 0 || only.some((word) => file.includes(word)))
  .sort();

// Counts (instructions, statements, failures) print whole; measurements to four digits.
const emit = (figure: Figure): void => {
  const value = Number.isInteger(figure.value) ? figure.value : Number(figure.value.toPrecision(4));
  console.log(JSON.stringify({ name: figure.name, value, unit: figure.unit }));
};

let failed = false;
for (const file of files) {
  const module = (await import(new URL(file, `file://${here}`).href)) as { run?: Benchmark; onlyWhenNamed?: boolean };
  if (typeof module.run !== 'function') continue;
  // A bench that takes minutes (callgrind) runs only when its name is given.
  if (module.onlyWhenNamed === true && only.length === 0) continue;
  try {
    await module.run(emit);
  } catch (error) {
    failed = true;
    console.error(`[bench] ${file} failed:`, error);
  }
}
process.exitCode = failed ? 1 : 0;
