/**
 * `users.import()` on PostgreSQL and MySQL/MariaDB: users imported per second, each with two
 * identifiers, two roles, two password-history entries and three past activities, next to a
 * plain batched insert of the same rows — multi-row INSERTs straight through the driver, in
 * transactions of the same size, with no validation, matching or audit — measured in the same
 * run, alternating, each into tables of its own. Target: at least 2,000 users/s and at least
 * half the plain insert's rate. Then the same records again with a changed name: every user
 * matched, locked, compared and updated (a second run after the old system moved on). A server
 * that cannot be reached is skipped and emits nothing.
 *
 *   npm run bench -- import        (or alone: npx tsx bench/import.ts)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createPool } from 'mysql2';
import pg from 'pg';
import { createAuth, type ImportRecord } from 'gatehouse';
import { MemoryMailer } from 'gatehouse/memory';
import { MysqlAuthStore } from 'gatehouse/mysql';
import { PostgresAuthStore } from 'gatehouse/postgres';
import { TestPasswordHasher } from 'gatehouse/testing';
import { IMPORT_ROLE_SEED, importRecords } from './support/import-records.js';

type Emit = (figure: { name: string; value: number; unit: string }) => void;
type Kind = 'postgres' | 'mysql';

const SERVERS: Record<Kind, string> = {
  postgres: process.env['GATEHOUSE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env['GATEHOUSE_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test',
};
const USERS = Number(process.env['GATEHOUSE_BENCH_IMPORT_USERS'] ?? 4000);
const BATCH = 500;
const ROUNDS = 2;
const withDatabase = (url: string, name: string): string => Object.assign(new URL(url), { pathname: `/${name}` }).toString();

/** Runs SQL with positional parameters through the driver, in a transaction per call. */
interface Plain {
  transaction(statements: readonly { table: string; columns: readonly string[]; rows: readonly unknown[][] }[]): Promise<void>;
  end(): Promise<void>;
}

function plainPool(kind: Kind, url: string): Plain {
  const statement = (table: string, columns: readonly string[], rows: readonly unknown[][]): { text: string; values: unknown[] } => {
    const values: unknown[] = [];
    const q = (name: string): string => (kind === 'postgres' ? `"${name}"` : `\`${name}\``);
    const tuples = rows.map((row) => `(${row.map((value) => (values.push(value), kind === 'postgres' ? `$${values.length}` : '?')).join(', ')})`);
    return { text: `insert into ${q(table)} (${columns.map(q).join(', ')}) values ${tuples.join(', ')}`, values };
  };
  if (kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => undefined);
    return {
      async transaction(statements) {
        const client = await pool.connect();
        try {
          await client.query('begin');
          for (const s of statements) if (s.rows.length > 0) await client.query(statement(s.table, s.columns, s.rows));
          await client.query('commit');
        } finally {
          client.release();
        }
      },
      end: () => pool.end(),
    };
  }
  const pool = createPool({ uri: url, connectionLimit: 2, timezone: 'Z' }).promise();
  return {
    async transaction(statements) {
      const connection = await pool.getConnection();
      try {
        await connection.query('start transaction');
        for (const s of statements) {
          if (s.rows.length === 0) continue;
          const { text, values } = statement(s.table, s.columns, s.rows);
          await connection.query(text, values);
        }
        await connection.query('commit');
      } finally {
        connection.release();
      }
    },
    end: () => pool.end(),
  };
}

/** The same rows the import writes, as plain multi-row INSERTs in transactions of {@link BATCH} users. */
async function plainInsert(plain: Plain, prefix: string, all: readonly ImportRecord[]): Promise<void> {
  const now = new Date();
  for (let start = 0; start < all.length; start += BATCH) {
    const batch = all.slice(start, start + BATCH);
    await plain.transaction([
      {
        table: `${prefix}users`,
        columns: ['id', 'email', 'name', 'password_hash', 'status', 'status_reason', 'status_until', 'email_verified_at', 'must_change_password', 'locale', 'attributes', 'last_login_at', 'created_at', 'updated_at'],
        rows: batch.map((r) => [r.id, r.email, r.name, r.password!.hash, r.status, null, null, r.emailVerifiedAt, false, r.locale, JSON.stringify(r.attributes), r.lastLoginAt, r.createdAt, now]),
      },
      {
        table: `${prefix}user_identifiers`,
        columns: ['user_id', 'name', 'value'],
        rows: batch.flatMap((r) => Object.entries(r.identifiers).map(([name, value]) => [r.id, name, value])),
      },
      {
        table: `${prefix}user_roles`,
        columns: ['user_id', 'role_code', 'assigned_at', 'assigned_by', 'expires_at'],
        rows: batch.flatMap((r) => r.roles.map((role) => [r.id, role.code, role.assignedAt, null, role.expiresAt])),
      },
      {
        table: `${prefix}password_history`,
        columns: ['id', 'user_id', 'password_hash', 'changed_at', 'reason', 'forced'],
        rows: batch.flatMap((r) => r.passwordHistory.map((h) => [randomUUID(), r.id, h.hash, h.changedAt, h.reason, h.forced])),
      },
      {
        table: `${prefix}activities`,
        columns: ['id', 'subject_id', 'actor_id', 'action', 'details', 'ip', 'user_agent', 'metadata', 'created_at'],
        rows: batch.flatMap((r) => [
          ...r.activities.map((a) => [randomUUID(), r.id, null, a.action, a.details, a.ip, a.userAgent, JSON.stringify({ imported: true, sourceKey: a.sourceKey }), a.at]),
          [randomUUID(), r.id, null, 'user.imported', 'Imported from another system.', null, null, JSON.stringify({ source: r.source }), now],
        ]),
      },
    ]);
  }
}

async function measure(kind: Kind, url: string, emit: Emit): Promise<void> {
  const plain = plainPool(kind, url);
  const rates = { import: [] as number[], plain: [] as number[], update: [] as number[] };
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const side of ['import', 'plain'] as const) {
        const prefix = `${side}${round}_`;
        const store = kind === 'postgres' ? new PostgresAuthStore({ url }, { tablePrefix: prefix }) : new MysqlAuthStore({ url }, { tablePrefix: prefix });
        await store.migrate();
        const auth = createAuth({ store, mailer: new MemoryMailer(), hasher: new TestPasswordHasher() });
        await auth.roles.seed(auth.system, IMPORT_ROLE_SEED);
        const all = importRecords({ from: 0, count: USERS, scope: `${round}-`, withIds: true });
        const started = performance.now();
        if (side === 'import') {
          const result = await auth.users.import(auth.system, all, { batchSize: BATCH });
          if (result.imported !== all.length) throw new Error(`imported ${result.imported} of ${all.length}: ${JSON.stringify(result.refused.slice(0, 3))}`);
        } else {
          await plainInsert(plain, prefix, all);
        }
        rates[side].push(all.length / ((performance.now() - started) / 1000));
        if (side === 'import') {
          // A second run in which every record changed: each user is matched, locked, compared and updated.
          const changed = all.map((r) => ({ ...r, name: `${r.name} (changed)` }));
          const again = performance.now();
          const result = await auth.users.import(auth.system, changed, { batchSize: BATCH });
          if (result.updated !== all.length) throw new Error(`updated ${result.updated} of ${all.length}: ${JSON.stringify(result.refused.slice(0, 3))}`);
          rates.update.push(all.length / ((performance.now() - again) / 1000));
        }
        await auth.close();
      }
    }
  } finally {
    await plain.end();
  }
  const best = (list: number[]): number => Math.max(...list);
  emit({ name: `import ${kind}: users.import() with roles and history`, value: best(rates.import), unit: 'users/s' });
  emit({ name: `import ${kind}: plain batched insert of the same rows`, value: best(rates.plain), unit: 'users/s' });
  emit({ name: `import ${kind}: users.import() / plain insert`, value: (100 * best(rates.import)) / best(rates.plain), unit: '%' });
  emit({ name: `import ${kind}: users.import() of changed records (second run: every user updated)`, value: best(rates.update), unit: 'users/s' });
}

/** Creates a database of its own on each server, measures, and drops it. */
export async function run(emit: Emit): Promise<void> {
  for (const kind of ['postgres', 'mysql'] as const) {
    const name = `gh_bench_${randomBytes(4).toString('hex')}`;
    const admin = kind === 'postgres' ? new pg.Client({ connectionString: SERVERS.postgres }) : null;
    const mysqlAdmin = kind === 'mysql' ? createPool({ uri: SERVERS.mysql, connectionLimit: 1, connectTimeout: 3000 }).promise() : null;
    try {
      if (admin !== null) {
        await admin.connect();
        await admin.query(`create database "${name}"`);
      } else {
        await mysqlAdmin!.query(`create database \`${name}\``);
      }
    } catch {
      await admin?.end().catch(() => undefined);
      await mysqlAdmin?.end().catch(() => undefined);
      continue;
    }
    try {
      await measure(kind, withDatabase(SERVERS[kind], name), emit);
    } finally {
      if (admin !== null) {
        await admin.query(`drop database if exists "${name}" with (force)`).catch(() => undefined);
        await admin.end();
      } else {
        await mysqlAdmin!.query(`drop database if exists \`${name}\``).catch(() => undefined);
        await mysqlAdmin!.end();
      }
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await run((figure) => console.log(`${figure.name}: ${figure.value} ${figure.unit}`));
}
