/**
 * The first validation on the memory store, in the shape of `bench/signin.ts` (new users with
 * two roles holding 6 permissions, each session validated once), next to warm validations of
 * one token, for `valgrind --tool=callgrind --dump-before=uv_os_getpriority`:
 *
 *   valgrind --tool=callgrind --dump-before=uv_os_getpriority node --single-threaded \
 *     --import tsx bench/support/first-validation-target.ts [count=5000] [cacheSize=2500] [rounds=3]
 *
 * `rounds` rounds of warm-up (2,000 first and 2,000 warm validations each), then `os.getPriority()`,
 * `count` first validations, `os.getPriority()`, `count` warm ones, `os.getPriority()`: dump 2 holds
 * the first validations, dump 3 the warm ones, garbage collection included (with
 * `--single-threaded` its work is on the main thread). Prints both counts' phases' CPU time too.
 */
import { getPriority } from 'node:os';
import { createAuth } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { firstValidationScene } from './first-validation-scene.js';

const [count = 5000, cacheSize = 2500, rounds = 3] = process.argv.slice(2).map(Number);
const mark = (): void => {
  getPriority();
  if (process.env["FIRST_TARGET_MARKS"] === "1") console.log("-- mark");
};

const store = new MemoryAuthStore();
const now = new Date('2026-12-04T00:00:00Z');
const auth = createAuth({ store, mailer: new MemoryMailer(), clock: { now: () => new Date(now.getTime()) }, sessions: { cacheSize } });
const sessions = await firstValidationScene(store, now);
async function validateAll(tokens: readonly string[]): Promise<number> {
  const start = process.cpuUsage();
  for (const token of tokens) if ((await auth.sessions.validate(token)) === null) throw new Error('validation failed');
  const used = process.cpuUsage(start);
  return (used.user + used.system) / tokens.length;
}
const [warmToken] = await sessions(1);
const warmTokens = (n: number): string[] => Array.from({ length: n }, () => warmToken!);
for (let round = 0; round < rounds; round += 1) {
  await validateAll(await sessions(2000));
  await validateAll(warmTokens(2000));
}
const firstTokens = await sessions(count);
const warm = warmTokens(count);
// Experiments: FIRST_TARGET_GC=1 (with --expose-gc) collects before the measured phases, so that the store's rows made just before are old already.
if (process.env['FIRST_TARGET_GC'] === '1') (globalThis as { gc?: () => void }).gc?.();
mark();
const firstCpu = await validateAll(firstTokens);
mark();
const warmCpu = await validateAll(warm);
mark();
console.log(JSON.stringify({ count, cacheSize, firstCpuUs: firstCpu, warmCpuUs: warmCpu }));
