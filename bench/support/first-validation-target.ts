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
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { getPriority } from 'node:os';
import { createAuth } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';

const [count = 5000, cacheSize = 2500, rounds = 3] = process.argv.slice(2).map(Number);
const mark = (): void => {
  getPriority();
  if (process.env["FIRST_TARGET_MARKS"] === "1") console.log("-- mark");
};

const store = new MemoryAuthStore();
const now = new Date('2026-12-04T00:00:00Z');
const auth = createAuth({ store, mailer: new MemoryMailer(), clock: { now: () => new Date(now.getTime()) }, sessions: { cacheSize } });
for (const [code, level] of [['customer', 10], ['seller', 20]] as const) {
  await store.upsertRole({ code, name: code, description: '', level, active: true, createdAt: now, updatedAt: now });
}
for (const [i, code] of ['users:view', 'orders:view:own', 'orders:create', 'products:view', 'reports:view', 'profile:edit'].entries()) {
  const [module = '', ...action] = code.split(':');
  await store.upsertPermission({ code, name: code, module, action: action.join(':'), active: true, createdAt: now });
  await store.grantPermission(i % 2 === 0 ? 'customer' : 'seller', code);
}
let made = 0;
async function sessions(n: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < n; i += 1, made += 1) {
    const userId = randomUUID();
    await store.insertUser({
      id: userId, email: `first${made}-${userId}@example.com`, name: `User ${made}`, passwordHash: null, status: 'active', statusReason: null, statusUntil: null,
      emailVerifiedAt: now, mustChangePassword: false, locale: null, attributes: { phone: '+58 412 1234567' }, lastLoginAt: null, createdAt: now, updatedAt: now,
    });
    for (const roleCode of ['customer', 'seller']) await store.assignRole({ userId, roleCode, assignedAt: now, assignedBy: null, expiresAt: null });
    const token = randomBytes(32).toString('base64url');
    await store.insertSession({
      id: randomUUID(), userId, tokenHash: createHash('sha256').update(token).digest('hex'), ip: null, userAgent: null, rememberMe: false, createdAt: now, lastActiveAt: now,
      expiresAt: new Date(now.getTime() + 3600_000), revokedAt: null,
    });
    tokens.push(token);
  }
  return tokens;
}
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
