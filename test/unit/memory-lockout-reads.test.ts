import { afterEach, expect, it, vi } from 'vitest';
import { Table } from '../../adapters/memory/table.js';
import { activeUser, harness, PASSWORD, uniqueEmail } from '../support/harness.js';

/**
 * The memory store counts the lockout over an address's and an account's failures only, as the
 * SQL stores do through their failures-only indexes: successful sign-ins from one address (a
 * NAT, a proxy) do not make the next sign-in's read longer.
 */

afterEach(() => vi.restoreAllMocks());

it('a sign-in reads only failures for the lockout: 200 successful sign-ins from one address leave the next one nothing to look through', async () => {
  const h = harness();
  const client = { ip: '203.0.113.10', userAgent: 'bench/1.0' };
  const emails = [uniqueEmail(), uniqueEmail()];
  for (const email of emails) await activeUser(h, { email });
  for (let i = 0; i < 200; i += 1) await h.auth.sessions.login({ email: emails[i % 2]!, password: PASSWORD }, client);
  await expect(h.auth.sessions.login({ email: emails[0]!, password: 'wrong password!' }, client)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  const where = vi.spyOn(Table.prototype, 'where');
  await h.auth.sessions.login({ email: emails[0]!, password: PASSWORD }, client);
  const read = where.mock.results.map((r) => (r.value as unknown[]).length);
  // The account's and the address's groups: the one failure above and this attempt, not 200 successes.
  expect(read.length).toBeGreaterThan(0);
  expect(Math.max(...read)).toBeLessThanOrEqual(2);
});
