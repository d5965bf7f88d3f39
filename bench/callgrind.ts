/**
 * Instructions, counted by `valgrind --tool=callgrind`, that a session guard and a permission
 * guard add to a request on Fastify and on Express, and that one warm `sessions.validate()`
 * costs on the memory store. Instruction counts repeat from run to run where throughput, on a
 * shared machine, does not. Run it by name (`npm run bench -- callgrind`); a plain
 * `npm run bench` leaves it out (it takes minutes), as does a machine without valgrind.
 *
 * Method (docs/performance.md has the long form). `support/callgrind-target.ts` is bundled
 * once with tsup, so that no TypeScript is compiled while callgrind watches, and each
 * scenario runs in a process of its own under callgrind with instrumentation off
 * (`--instr-atstart=no`, a few times faster): setup, then `WARM_UP` requests (or calls) until
 * V8 has compiled the hot paths. The target then says `warm` and spins; this harness switches
 * instrumentation on (`callgrind_control -i on <pid>`) and lets it go. The target calls
 * `os.getPriority()` (libuv's `uv_os_getpriority`), runs `RUNS` requests, and calls it
 * again; callgrind runs with `--dump-before=uv_os_getpriority`, so the second dump file holds
 * exactly those `RUNS` requests (see NODE_FLAGS for how V8 is kept from compiling or
 * collecting garbage among them). A figure is that dump's total over `RUNS`, less the same for the baseline, which gets the
 * very same request (session cookie included) on a route without gatehouse. The counts are
 * of user-space instructions, client and server alike (both are this one process); the
 * kernel's share of a request is not in them, nor is time.
 *
 *   GATEHOUSE_CALLGRIND_WARMUP=500 GATEHOUSE_CALLGRIND_RUNS=500 npm run bench -- callgrind
 *   GATEHOUSE_CALLGRIND_ONLY=fastify npm run bench -- callgrind   # the fastify scenarios only
 *   GATEHOUSE_CALLGRIND_KEEP=/tmp/cg npm run bench -- callgrind   # keep the dumps, for callgrind_annotate
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'tsup';
import type { Benchmark } from './run.js';
import { callgrindFigures, dumpTotal } from './support/callgrind-figures.js';

/** `npm run bench` runs this bench only when named. */
export const onlyWhenNamed = true;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WARM_UP = Number(process.env['GATEHOUSE_CALLGRIND_WARMUP'] ?? 300);
const RUNS = Number(process.env['GATEHOUSE_CALLGRIND_RUNS'] ?? 300);
/**
 * V8 runs on one thread (no concurrent compiler or parallel GC working at moments of their
 * own), and in one tier: every function is compiled by Sparkplug, the baseline compiler, on
 * its first call and never by Turbofan, whose compilations and deoptimisations kept landing
 * in the measured requests even after 10,000 requests of warm-up. The target collects all
 * garbage (`gc()`) at the end of the warm-up, and the young generation is large enough
 * (128 MB semi-spaces) that no collection runs during the measured requests: collections
 * landed in some measured phases and not in others and doubled their count. So a figure is
 * the work of a request without the garbage collector's share of it.
 */
const NODE_FLAGS = ['--single-threaded', '--no-opt', '--always-sparkplug', '--expose-gc', '--min-semi-space-size=128', '--max-semi-space-size=128'];
/** Scenarios run side by side (counts do not depend on it; the wall time does). */
const JOBS = Number(process.env['GATEHOUSE_CALLGRIND_JOBS'] ?? 2);
const SCENARIOS = ['fastify:plain', 'fastify:session', 'fastify:permission', 'express:plain', 'express:session', 'express:permission', 'memory:await', 'memory:validate'].filter((scenario) =>
  scenario.includes(process.env['GATEHOUSE_CALLGRIND_ONLY'] ?? ''),
);

/** Bundles the target into one ES module under node_modules/.cache (one directory per run), so that callgrind sees no compiler at work; resolves its path. */
async function bundleTarget(outDir: string): Promise<string> {
  await build({
    entry: { 'callgrind-target': join(ROOT, 'bench/support/callgrind-target.ts') },
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    splitting: false,
    sourcemap: false,
    dts: false,
    clean: false,
    config: false,
    silent: true,
    // gatehouse itself is bundled from the sources (tsconfig paths); the frameworks load from node_modules.
    external: ['express', 'fastify'],
  });
  return join(outDir, 'callgrind-target.js');
}

/** Entry points of V8's garbage collector (a collection, a marking step, a sweep), named in a dump only when they ran in its phase. */
const GARBAGE_COLLECTION = /^c?fn=\(\d+\) v8::internal::(?:Heap::CollectGarbage\(|Heap::Scavenge\(|MarkCompactCollector::CollectGarbage\(|IncrementalMarking::(?:Start|Step|AdvanceOnAllocation)\(|Sweeper::RawSweep\()/m;

/** Runs one scenario under callgrind; resolves the instructions its measured phase counted. */
async function measure(target: string, scenario: string, directory: string): Promise<number> {
  const name = scenario.replace(':', '-');
  const out = join(directory, `${name}.out`);
  const go = join(directory, `${name}.go`);
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', '--instr-atstart=no', `--dump-before=uv_os_getpriority`, `--callgrind-out-file=${out}`, process.execPath, ...NODE_FLAGS, target, scenario, String(WARM_UP), String(RUNS), go],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    if (!chunk.includes('warm')) return;
    promisify(execFile)('callgrind_control', ['-i', 'on', String(child.pid)])
      .then(() => writeFile(go, ''))
      .catch((error: unknown) => {
        stderr += String(error);
        child.kill();
      });
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`callgrind ${scenario} exited with ${code}:\n${stderr.split('\n').slice(-20).join('\n')}`);
  const dump = await readFile(`${out}.2`, 'utf8');
  if (GARBAGE_COLLECTION.test(dump)) console.error(`[bench] callgrind ${scenario}: the garbage collector ran among the measured runs, its count is not comparable (fewer GATEHOUSE_CALLGRIND_RUNS)`);
  return dumpTotal(dump);
}

export const run: Benchmark = async (emit) => {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.error('[bench] callgrind: valgrind is not installed, skipped');
    return;
  }
  const bundle = join(ROOT, 'node_modules/.cache/gatehouse-bench', String(process.pid));
  const target = await bundleTarget(bundle);
  const keep = process.env['GATEHOUSE_CALLGRIND_KEEP'];
  const directory = keep ?? (await mkdtemp(join(tmpdir(), 'gatehouse-callgrind-')));
  if (keep !== undefined) await mkdir(keep, { recursive: true });
  try {
    const counts: Record<string, number> = {};
    const queue = [...SCENARIOS];
    const worker = async (): Promise<void> => {
      for (let scenario = queue.shift(); scenario !== undefined; scenario = queue.shift()) counts[scenario] = await measure(target, scenario, directory);
    };
    await Promise.all(Array.from({ length: JOBS }, worker));
    for (const figure of callgrindFigures(counts, RUNS)) emit(figure);
  } finally {
    if (keep === undefined) await rm(directory, { recursive: true, force: true });
    await rm(bundle, { recursive: true, force: true });
  }
};
