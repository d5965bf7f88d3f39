import { randomBytes, randomUUID } from 'node:crypto';
import { Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuth } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { ManualClock } from 'gatehouse/testing';
import { hashToken } from '../../src/crypto/tokens.js';
import { session as fixtureSession, user as fixtureUser } from '../../adapters/testing/fixtures.js';
import { describeSql, mysqlPool, SQL_KINDS } from '../support/sql-servers.js';

/** The core's session cache, on the SQL stores, evicts the least recently used bundle, not the oldest added. */
for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: the session cache evicts the least recently used`, (db) => {
    let kysely: Kysely<unknown>;
    const sent: string[] = [];

    beforeAll(async () => {
      await (await db.freshStore()).migrate();
      const pool = kind === 'postgres' ? new pg.Pool({ connectionString: db.url, max: 2 }) : null;
      pool?.on('error', () => undefined);
      kysely = new Kysely({
        dialect: pool !== null ? new PostgresDialect({ pool }) : new MysqlDialect({ pool: mysqlPool(db.url) }),
        log: (event) => void (event.level === 'query' && sent.push(event.query.sql)),
      });
    });
    afterAll(() => kysely?.destroy());

    it('a session validated again stays cached while sessions nobody used since are dropped', async () => {
      const writer = await db.freshStore();
      const clock = new ManualClock();
      const reader = createAuth({ store: db.store({ db: kysely }), mailer: new MemoryMailer(), clock, sessions: { cacheSize: 3 } });
      const user = fixtureUser({ emailVerifiedAt: clock.now() });
      await writer.insertUser(user);
      const tokens = new Map<string, string>();
      const [a, b, c, d] = Array.from({ length: 4 }, () => {
        const token = randomBytes(32).toString('base64url');
        const s = fixtureSession(user.id, { id: randomUUID(), tokenHash: hashToken(token), lastActiveAt: clock.now(), expiresAt: new Date(clock.now().getTime() + 3_600_000) });
        tokens.set(s.id, token);
        return s;
      });
      for (const s of [a!, b!, c!, d!]) await writer.insertSession(s);
      /** Whether the reader answered `s` from its cache (a read of the stamp alone) rather than in full. */
      const cached = async (s: typeof a): Promise<boolean> => {
        sent.length = 0;
        expect((await reader.sessions.validate(tokens.get(s!.id)))?.session.id).toBe(s!.id);
        return sent.length === 1 && /stamp/.test(sent[0]!) && !/users/.test(sent[0]!);
      };
      for (const s of [a, b, c]) expect(await cached(s)).toBe(false);
      expect(await cached(a)).toBe(true);
      // The cache is full: d takes the place of b, the least recently used — not of a, the oldest added.
      expect(await cached(d)).toBe(false);
      expect(await cached(a)).toBe(true);
      expect(await cached(c)).toBe(true);
      expect(await cached(b)).toBe(false);
    });
  });
}
