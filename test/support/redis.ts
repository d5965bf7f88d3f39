import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, it } from 'vitest';

/** Where the Redis server is. */
export const REDIS_URL = process.env['GATEHOUSE_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** With `GATEHOUSE_REQUIRE_DB=1` (CI) an unreachable server fails the run instead of skipping. */
const REQUIRED = process.env['GATEHOUSE_REQUIRE_DB'] === '1';

/** What a Redis suite gets: clients of its own, and a key prefix no other run uses. */
export interface TestRedis {
  /** Starts every key this run writes; the keys are deleted after the suite. */
  readonly prefix: string;
  /** A new client (a new connection: another instance of the app); closed after the suite. */
  client(): Redis;
}

async function probe(): Promise<string | null> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    redis.disconnect();
  }
}

/**
 * Declares a suite that needs Redis (shared with other runs: it only ever touches keys under
 * its own prefix, and deletes them after). When Redis is unreachable the suite is skipped with
 * a visible message, or, under `GATEHOUSE_REQUIRE_DB=1`, fails.
 */
export async function describeRedis(name: string, body: (redis: TestRedis) => void): Promise<void> {
  const problem = await probe();
  if (problem !== null) {
    if (REQUIRED) {
      describe(name, () => {
        it(`reaches Redis at ${REDIS_URL}`, () => {
          throw new Error(`Redis at ${REDIS_URL} is unreachable (${problem}) and GATEHOUSE_REQUIRE_DB=1 requires it`);
        });
      });
      return;
    }
    const reason = `skipped: Redis at ${REDIS_URL} is unreachable (${problem}); set GATEHOUSE_REQUIRE_DB=1 to fail instead`;
    console.warn(`[gatehouse tests] ${name} — ${reason}`);
    // Deliberate: a developer without Redis still runs the rest; CI sets GATEHOUSE_REQUIRE_DB=1 and fails above.
    describe.skip(`${name} — ${reason}`, () => body({ prefix: 'unused', client: () => new Redis(REDIS_URL, { lazyConnect: true }) }));
    return;
  }
  describe(name, () => {
    const prefix = `gh_test_${randomBytes(5).toString('hex')}`;
    const clients: Redis[] = [];
    afterAll(async () => {
      const cleaner = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await cleaner.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await cleaner.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await cleaner.quit();
      for (const client of clients) await client.quit().catch(() => undefined);
    });
    body({
      prefix,
      client: () => {
        const client = new Redis(REDIS_URL);
        clients.push(client);
        return client;
      },
    });
  });
}
