import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuth, type Auth, type AuthStore } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { user as userRow } from '../../adapters/testing/fixtures.js';
import { fastHasher, PASSWORD } from '../support/harness.js';
import { describeSql, SQL_KINDS } from '../support/sql-servers.js';
import { countingPool, type CountingPool } from '../support/statement-counter.js';

/**
 * What a sign-in and a first validation cost in statements sent to the server, counted on the
 * driver's connections: BEGIN and COMMIT count like any other statement.
 */

const LAPTOP = { ip: '203.0.113.10', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0' };
const PHONE = { ip: '198.51.100.7', userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Safari/604.1' };

for (const kind of SQL_KINDS) {
  await describeSql(kind, `${kind}: statements per sign-in and per first validation`, (db) => {
    let counting: CountingPool;
    let mailer: MemoryMailer;
    let auth: Auth;
    /** A gatehouse on the counting pool, with a store of its own: nothing cached. */
    const fresh = (): Auth => createAuth({ store: db.store({ pool: counting.pool } as never) as AuthStore, mailer, hasher: fastHasher() });

    beforeAll(async () => {
      await db.store().migrate();
      counting = countingPool(kind, db.url);
      mailer = new MemoryMailer();
      auth = fresh();
    });
    afterAll(() => counting?.end());

    /** The statements one call sends, its background work (the new-device mail) included. */
    async function sentBy(call: () => Promise<unknown>): Promise<string[]> {
      await auth.drain();
      counting.reset();
      await call();
      await auth.drain();
      return [...counting.sent];
    }

    it('a sign-in sends at most 2 statements — the first, one from a known device, and one from a new device that mails a notice', async () => {
      const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: new Date() });
      await db.store().insertUser(record);
      const signIn = (client: typeof LAPTOP) => () => auth.sessions.login({ email: record.email, password: PASSWORD }, client);
      for (const [label, client] of [['first', LAPTOP], ['known device', LAPTOP], ['new device', PHONE]] as const) {
        const sent = await sentBy(signIn(client));
        expect(sent.length, `${label}: ${sent.join(' ‖ ')}`).toBeLessThanOrEqual(2);
      }
      expect(mailer.outbox.filter((m) => m.kind === 'new-sign-in' && m.to === record.email)).toHaveLength(1);
      const user = await db.store().findUserById(record.id);
      expect(user?.lastLoginAt).not.toBeNull();
    });

    if (kind === 'postgres') {
      it('with flushSignIns: false a sign-in still sends 2 statements, and the second one ends it whole', async () => {
        const own = createAuth({ store: db.store({ pool: counting.pool } as never, { flushSignIns: false } as never) as AuthStore, mailer, hasher: fastHasher() });
        const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: new Date() });
        await db.store().insertUser(record);
        await own.drain();
        counting.reset();
        const { session } = await own.sessions.login({ email: record.email, password: PASSWORD }, LAPTOP);
        await own.drain();
        expect(counting.sent.length, counting.sent.join(' ‖ ')).toBe(2);
        expect(await db.store().findSessionById(session.id)).not.toBeNull();
        expect((await db.store().findUserById(record.id))?.lastLoginAt).not.toBeNull();
      });
    }

    it('the first validation of a session sends 1 statement: session, user and grants in one query', async () => {
      const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: new Date() });
      const store = db.store();
      await store.insertUser(record);
      await store.upsertRole({ code: 'customer', name: 'Customer', description: '', level: 10, active: true, createdAt: new Date(), updatedAt: new Date() });
      await store.assignRole({ userId: record.id, roleCode: 'customer', assignedAt: new Date(), assignedBy: null, expiresAt: null });
      const { token } = await auth.sessions.login({ email: record.email, password: PASSWORD }, LAPTOP);
      const cold = fresh();
      counting.reset();
      const context = await cold.sessions.validate(token, LAPTOP);
      expect(context?.user.id).toBe(record.id);
      expect(context?.roles.map((r) => r.code)).toEqual(['customer']);
      expect(counting.sent, counting.sent.join(' ‖ ')).toHaveLength(1);
    });

    it("the password is checked after one round trip: the attempt and the lockout's read are one CALL", async () => {
      const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: new Date() });
      await db.store().insertUser(record);
      const hasher = fastHasher();
      const before: number[] = [];
      const verify = hasher.verify.bind(hasher);
      hasher.verify = (hash, password) => {
        before.push(counting.sent.length);
        return verify(hash, password);
      };
      const own = createAuth({ store: db.store({ pool: counting.pool } as never) as AuthStore, mailer, hasher });
      await own.sessions.login({ email: record.email, password: PASSWORD }, LAPTOP);
      await own.drain();
      counting.reset();
      before.length = 0;
      await own.sessions.login({ email: record.email, password: PASSWORD }, PHONE);
      await own.sessions.login({ email: record.email, password: 'wrong password!' }, LAPTOP).catch(() => undefined);
      await own.sessions.login({ email: `nobody-${record.id}@example.com`, password: PASSWORD }, LAPTOP).catch(() => undefined);
      await own.drain();
      // Each of the three (right password, wrong one, unknown email) verified after one statement of its own.
      expect(before, counting.sent.join(' ‖ ')).toHaveLength(3);
      expect(before[0]).toBe(1);
      expect(before[1]! - before[0]!, counting.sent.join(' ‖ ')).toBe(2); // the first sign-in's write, then the second's CALL
      expect(counting.sent.filter((s) => /^call /i.test(s) && s.includes('start_sign_in'))).toHaveLength(3);
    });

    it('a failed sign-in is refused after the same one statement before the hash; its log entry is the only other write', async () => {
      const record = userRow({ passwordHash: await fastHasher().hash(PASSWORD), emailVerifiedAt: new Date() });
      await db.store().insertUser(record);
      const sent = await sentBy(() => auth.sessions.login({ email: record.email, password: 'wrong password!' }, LAPTOP).catch(() => undefined));
      // The attempt and the read in one CALL, then the `login.failed` entry in a transaction of its own.
      expect(sent[0], sent.join(' ‖ ')).toMatch(/^call /i);
      expect(sent.slice(0, 1).every((s) => !/^(begin|start|set transaction)/i.test(s)), sent.join(' ‖ ')).toBe(true);
      expect(sent.filter((s) => /insert into .?activities/i.test(s))).toHaveLength(1);
    });
  });
}
