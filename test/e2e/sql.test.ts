import { SQL_KINDS, describeSql } from '../support/sql-servers.js';
import { APP_KINDS } from './apps.js';
import { contractSuite } from './contract.js';

// The same contract on each database: the apps migrate it on start, as in production.
for (const kind of SQL_KINDS) {
  await describeSql(kind, `the example apps on ${kind}`, (db) => {
    for (const app of APP_KINDS) contractSuite(app, () => ({ DATABASE_URL: db.url }));
  });
}
