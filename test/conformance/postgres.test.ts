import { it } from 'vitest';
import { rateLimitConformanceCases, storeConformanceCases } from 'gatehouse/testing';
import { describeSql } from '../support/sql-servers.js';

await describeSql('postgres', 'PostgresAuthStore conformance', (db) => {
  for (const c of storeConformanceCases) it(c.name, async () => c.run(await db.freshStore()));
  for (const c of rateLimitConformanceCases) it(`rate limits: ${c.name}`, async () => c.run(await db.freshStore()));
});
