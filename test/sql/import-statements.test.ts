import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuth, type Auth, type AuthStore, type ImportRecord } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { fastHasher } from '../support/harness.js';
import { describeSql, SQL_KINDS } from '../support/sql-servers.js';
import { countingPool, type CountingPool } from '../support/statement-counter.js';

/**
 * What `users.import()` costs in statements sent to the server, counted on the driver's
 * connections (BEGIN and COMMIT included): a batch costs the same number of statements
 * whatever its number of users — never one per user.
 */

const HASH = '$2y$10$abcdefghijklmnopqrstuuJ0qtpo7bR4vY0FzV1o6zA9WgA0xwE7W';
const ROLES = ['customer', 'seller', 'moderator'];
const day = (n: number): Date => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000);

/** `count` users from `from` on, each with two identifiers, two roles, two history entries and three activities, one naming another user as its actor. */
function records(from: number, count: number, tag = ''): ImportRecord[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      source: `usuarios.id ${i}`,
      id: null,
      email: `user${i}@example.com`,
      legacyEmail: null,
      name: `User ${i}${tag}`,
      password: { hash: HASH, scheme: 'bcrypt' },
      identifiers: { legacyId: String(i), documentNumber: `CC-${i}` },
      status: 'active',
      statusReason: null,
      statusUntil: null,
      emailVerifiedAt: day(1),
      createdAt: day(0),
      lastLoginAt: day(30),
      locale: 'es',
      attributes: { city: 'Bogotá' },
      roles: [
        { code: ROLES[i % 3]!, assignedAt: day(0), expiresAt: null },
        { code: ROLES[(i + 1) % 3]!, assignedAt: day(2), expiresAt: day(400) },
      ],
      passwordHistory: [
        { hash: HASH, scheme: 'bcrypt', changedAt: day(0), reason: 'registered', forced: false },
        { hash: HASH, scheme: 'bcrypt', changedAt: day(10), reason: 'changed', forced: false },
      ],
      twoFactor: null,
      activities: [0, 1, 2].map((n) => ({
        sourceKey: `historial_acceso.id ${i * 3 + n}${tag}`,
        action: n === 1 ? 'login.failed' : 'login.succeeded',
        at: day(20 + n),
        details: 'Signed in.',
        ip: '203.0.113.10',
        userAgent: 'Mozilla/5.0',
        actor: n === 2 ? { identifier: 'legacyId', value: String(i + 100_000) } : null,
        metadata: {},
      })),
    };
  });
}

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: statements per import batch`, (db) => {
    let counting: CountingPool;
    let auth: Auth;

    beforeAll(async () => {
      await db.store().migrate();
      counting = countingPool(kind, db.url);
      auth = createAuth({ store: db.store({ pool: counting.pool } as never) as AuthStore, mailer: new MemoryMailer(), hasher: fastHasher() });
      await auth.roles.seed(auth.system, { roles: ROLES.map((code, i) => ({ code, name: code, description: '', level: 10 * (i + 1), permissions: [] })), permissions: [] });
    });
    afterAll(() => counting?.end());

    /** The statements an import of `list` in one batch sends. */
    async function sentBy(list: readonly ImportRecord[]): Promise<string[]> {
      counting.reset();
      const result = await auth.users.import(auth.system, list, { batchSize: list.length });
      expect(result.refused).toEqual([]);
      return [...counting.sent];
    }

    it('probe', async () => {
      for (const [from, n] of [[0, 10], [10, 100]] as const) {
        const sent = await sentBy(records(from, n));
        console.log(kind, n, sent.length, sent.map((s) => s.slice(0, 90)).join('\n'));
      }
      const sent = await sentBy(records(0, 10, ' changed'));
      console.log(kind, 'update 10', sent.length, sent.map((s) => s.slice(0, 90)).join('\n'));
    });
  });
}
