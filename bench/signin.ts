/**
 * Sign-in and first validation, each next to its floor measured in the same run:
 *
 * - `auth.sessions.login()` per second at concurrency 1, 2, 4 and 8, on the memory store and
 *   on PostgreSQL (by default, and with `flushSignIns: false`) and MariaDB (when reachable), next to a bare argon2id verify of
 *   `@node-rs/argon2` with the same parameters (gatehouse's defaults) at the same concurrency
 *   (target ≥ 90%): a sign-in should cost its hash and little else;
 * - on the memory store, the first validation of a session (a session never validated
 *   before, of a user who has not signed in before) next to the warm one (target ≥ 50%).
 *
 * The SQL first validation against the primary-key floor is in `bench/sql.ts`. The two sides
 * run in 15 pairs of half-second rounds, the order swapped each pair, and a share is the
 * median of the pairs' ratios (`support/side-by-side.ts`), so that drift on a shared machine
 * hits both alike and a disturbed pair does not move the figure.
 * Run alone with `npm run bench -- signin`.
 */
import { randomUUID } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { Argon2PasswordHasher, createAuth, type Auth, type AuthStore } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { createMysqlStore } from 'gatehouse/mysql';
import { createPostgresStore } from 'gatehouse/postgres';
import type { Benchmark, Figure } from './run.js';
import { firstValidationScene } from './support/first-validation-scene.js';
import { onScratchDatabase, sideBySide, type ScratchPool } from './support/side-by-side.js';

type Emit = (figure: Figure) => void;

const PASSWORD = 'correct horse battery staple';
/** gatehouse's default argon2id parameters (Argon2PasswordHasher, OWASP's minimum). */
const ARGON2 = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
const LEVELS = [1, 2, 4, 8] as const;
const ROUNDS = 3;
const USERS = 8;

/** Sign-ins next to bare verifies on one store; each worker signs in as a user of its own (the lockout counts per account). */
async function signIns(label: string, store: AuthStore, emit: Emit): Promise<void> {
  const auth = createAuth({ store, mailer: new MemoryMailer(), hasher: new Argon2PasswordHasher() });
  const emails: string[] = [];
  const now = new Date();
  const passwordHash = await argonHash(PASSWORD, ARGON2);
  for (let i = 0; i < USERS; i += 1) {
    const email = `signin${i}-${randomUUID().slice(0, 8)}@example.com`;
    await store.insertUser({
      id: randomUUID(), email, name: `Bench ${i}`, passwordHash, status: 'active', statusReason: null, statusUntil: null, emailVerifiedAt: now,
      mustChangePassword: false, locale: null, attributes: {}, lastLoginAt: null, createdAt: now, updatedAt: now,
    });
    emails.push(email);
  }
  const client = { ip: '203.0.113.10', userAgent: 'bench/1.0' };
  const login = (worker: number) => auth.sessions.login({ email: emails[worker % USERS]!, password: PASSWORD }, client);
  const verify = async (): Promise<void> => {
    if (!(await argonVerify(passwordHash, PASSWORD, ARGON2))) throw new Error('the bare verify failed');
  };
  for (const concurrency of LEVELS) {
    const { rates: [bare, signIn], ratio, spread } = await sideBySide(verify, login, concurrency);
    emit({ name: `${label}: argon2id verify (bare, same parameters), concurrency ${concurrency}`, value: Math.round(bare * 10) / 10, unit: 'ops/s' });
    emit({ name: `${label}: sessions.login(), concurrency ${concurrency}`, value: Math.round(signIn * 10) / 10, unit: 'ops/s' });
    emit({ name: `${label}: sign-in as a share of the bare verify, concurrency ${concurrency} (target ≥ 90%)`, value: Math.round(ratio * 1000) / 10, unit: '%' });
    emit({ name: `${label}: spread of that share over the pairs of rounds (interquartile), concurrency ${concurrency}`, value: Math.round(spread * 1000) / 10, unit: 'points' });
  }
  await auth.drain();
}

/** First validations (sessions and users never seen before) next to warm ones, on the memory store. */
async function memoryFirstValidation(emit: Emit): Promise<void> {
  const store = new MemoryAuthStore();
  const now = new Date();
  // The clock stands still: on a slow (loaded, or valgrind's) run, sessions made a minute before they are validated would be renewed, a write no first validation of a fresh session does.
  const auth: Auth = createAuth({ store, mailer: new MemoryMailer(), clock: { now: () => new Date(now.getTime()) } });
  const sessions = await firstValidationScene(store, now);
  const [warmToken] = await sessions(1);
  const rate = async (tokens: readonly string[]): Promise<number> => {
    const start = performance.now();
    for (const token of tokens) if ((await auth.sessions.validate(token)) === null) throw new Error('validation failed during the benchmark');
    return tokens.length / ((performance.now() - start) / 1000);
  };
  const N = 20_000;
  await rate(await sessions(2_000));
  let first = 0;
  let warm = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    first += await rate(await sessions(N));
    warm += await rate(Array.from({ length: N }, () => warmToken!));
  }
  first /= ROUNDS;
  warm /= ROUNDS;
  emit({ name: 'memory: sessions.validate(token), warm', value: Math.round(warm), unit: 'ops/s' });
  emit({ name: 'memory: sessions.validate(token), first validation (new session of a new user)', value: Math.round(first), unit: 'ops/s' });
  emit({ name: 'memory: first validation as a share of warm (target ≥ 50%)', value: Math.round((first / warm) * 1000) / 10, unit: '%' });
}

/** gatehouse's store on a scratch database, migrated; on PostgreSQL with `flushSignIns` as given. */
async function migratedStore(scratch: ScratchPool, flushSignIns = true): Promise<AuthStore> {
  const store = scratch.kind === 'postgres' ? createPostgresStore({ pool: scratch.pool }, { flushSignIns }) : createMysqlStore({ pool: scratch.pool });
  await store.migrate();
  return store;
}

export const run: Benchmark = async (emit) => {
  await memoryFirstValidation(emit);
  await signIns('memory', new MemoryAuthStore(), emit);
  await onScratchDatabase('postgres', async (scratch) => {
    await signIns('PostgreSQL', await migratedStore(scratch), emit);
    // The store's option that answers a successful sign-in before its commit is flushed (a durability trade-off, see its TSDoc).
    await signIns('PostgreSQL, flushSignIns: false', await migratedStore(scratch, false), emit);
  });
  await onScratchDatabase('mysql', async (scratch) => signIns('MySQL/MariaDB', await migratedStore(scratch), emit));
};

if (import.meta.url === `file://${process.argv[1]}`) {
  await run((figure) => console.log(`${figure.name}: ${figure.value} ${figure.unit}`));
}
