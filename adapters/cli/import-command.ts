import { createAuth, isAuthError, type ImportRefused, type Mailer } from 'gatehouse';
import type { ImportNotice } from '../import/import-record.js';
import type { LegacyMapping } from '../import/legacy-mapping.js';
import type { LegacyReader } from '../import/legacy-reader.js';
import type { SqlAuthStore } from '../sql/sql-auth-store.js';
import { CommandFailure, EXIT, UsageError, count, type CliCommand, type CliIo } from './command.js';
import { describeError } from './describe-error.js';

/** The presets `--preset` names. */
const PRESETS = ['php-usuarios'] as const;

/** The import side (mysql2, the mappings), loaded when `import` runs: the other commands start without it. */
const importSide = () => import('../import/index.js');

/** Rolls a dry run back. */
class DryRun extends Error {}

const noMail: Mailer = { send: (message) => Promise.reject(new Error(`the gatehouse import sends no mail (a ${message.kind} mail was not sent)`)) };

/** What one run did, summed over the batches. */
interface Tally {
  read: number;
  imported: number;
  updated: number;
  skipped: number;
  refused: ImportRefused[];
  notices: ImportNotice[];
}

function positiveInteger(value: unknown, option: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < 1 || n > max) throw new UsageError(`--${option} must be a whole number from 1 to ${max}`);
  return n;
}

async function mappingOf(options: Readonly<Record<string, string | boolean | undefined>>): Promise<LegacyMapping> {
  const preset = options['preset'] ?? 'php-usuarios';
  if (typeof preset !== 'string' || !(PRESETS as readonly string[]).includes(preset)) throw new UsageError(`no preset ${JSON.stringify(preset)}; presets: ${PRESETS.join(', ')}`);
  const { PHP_USUARIOS_MAPPING, loadMappingFile } = await importSide();
  let mapping = PHP_USUARIOS_MAPPING;
  const file = options['mapping'];
  if (typeof file === 'string') {
    try {
      mapping = await loadMappingFile(file);
    } catch (error) {
      const issues = isAuthError(error) ? (error.issues ?? []).map((i) => `\n  ${i.path.join('.') || '(file)'}: ${i.message}`).join('') : '';
      throw new CommandFailure(`the mapping ${file} cannot be used: ${describeError(error)}${issues}`);
    }
  }
  if (options['verified-if-active'] === true && options['no-verified-if-active'] === true) throw new UsageError('pass --verified-if-active or --no-verified-if-active, not both');
  if (options['verified-if-active'] === true) mapping = { ...mapping, verifiedIfActive: true };
  if (options['no-verified-if-active'] === true) mapping = { ...mapping, verifiedIfActive: false };
  return mapping;
}

/** Reads the legacy database batch by batch and imports each batch into gatehouse on `store`, printing progress. */
async function run(store: SqlAuthStore, reader: LegacyReader, io: CliIo, dryRun: boolean, total: number): Promise<Tally> {
  const auth = createAuth({
    store,
    mailer: noMail,
    // Sealing the legacy TOTP secrets needs the application's key: the import reads it from the environment.
    ...(io.env['GATEHOUSE_TWO_FACTOR_KEY'] === undefined ? {} : { twoFactor: { encryptionKey: io.env['GATEHOUSE_TWO_FACTOR_KEY'] } }),
    onError: (error, { operation }) => io.err(`gatehouse: warning: ${operation}: ${describeError(error)}`),
  });
  const seeded = await auth.roles.seed(auth.system, await reader.readRoles());
  io.out(`gatehouse: roles: ${count(seeded.rolesCreated, 'role')}, ${count(seeded.permissionsCreated, 'permission')} and ${count(seeded.grantsAdded, 'grant')} added`);
  const tally: Tally = { read: 0, imported: 0, updated: 0, skipped: 0, refused: [], notices: [] };
  const started = Date.now();
  for await (const batch of reader.batches()) {
    // One reader batch is one transaction of the import.
    const result = await auth.users.import(auth.system, batch.records, { batchSize: Math.max(1, batch.records.length), matchBy: ['legacyId'] });
    tally.read += batch.records.length + batch.refusals.length;
    tally.imported += result.imported;
    tally.updated += result.updated;
    tally.skipped += result.skipped;
    tally.refused.push(...batch.refusals.map((r) => ({ source: r.source, email: r.email, code: 'VALIDATION_FAILED' as const, message: r.message })), ...result.refused);
    tally.notices.push(...batch.notices);
    if (io.progress !== undefined) {
      const done = Math.min(1, tally.read / Math.max(1, total));
      const bar = '#'.repeat(Math.round(done * 30)).padEnd(30, '.');
      const rate = Math.round(tally.read / Math.max(0.001, (Date.now() - started) / 1000));
      io.progress(`[${bar}] ${tally.read}/${total} users, ${rate}/s${dryRun ? ' (dry run)' : ''}`);
    }
  }
  if (io.progress !== undefined) io.progress('');
  return tally;
}

/**
 * `gatehouse import --from mysql://… --timezone America/Bogota`: moves the users of a PHP/MySQL
 * user module (seed 004's schema, or another through `--mapping`) into gatehouse.
 */
export const importCommand: CliCommand = {
  name: 'import',
  synopsis: '--from <legacy-url> --timezone <zone> [--preset php-usuarios | --mapping <file>] [--batch <n>] [--dry-run]',
  summary: 'import the users of a PHP/MySQL user module, with their passwords, roles and history',
  description: [
    'Reads a legacy user module (MySQL or MariaDB, read-only, one consistent snapshot) and imports,',
    'as the system: its roles and permissions (seeded first), then every user with their password',
    'hash (upgraded to argon2id at the first sign-in), identifiers (legacyId, documentNumber), status,',
    'roles, password history, TOTP secret and past sign-ins and audit entries. Run it again to bring',
    'over what changed: users imported before are matched by legacyId and updated or skipped.',
    'TOTP secrets are sealed with the key in GATEHOUSE_TWO_FACTOR_KEY (your twoFactor.encryptionKey).',
    'Prints a summary; exits 1 when any user was refused (each is named), 0 otherwise.',
  ].join('\n'),
  arity: { min: 0, max: 0 },
  options: {
    from: { type: 'string', value: '<url>', help: 'the legacy database, mysql://… or mariadb://… (required)' },
    timezone: { type: 'string', value: '<zone>', help: 'zone of the legacy DATETIMEs: an IANA name (America/Bogota) or an offset (-05:00) (required)' },
    preset: { type: 'string', value: '<name>', help: `the legacy schema: ${PRESETS.join(', ')} (default)` },
    mapping: { type: 'string', value: '<file>', help: 'a JSON mapping for a schema that differs from the preset (docs/import-mapping.md)' },
    batch: { type: 'string', value: '<n>', help: 'users per batch and transaction (default 500)' },
    'dry-run': { type: 'boolean', help: 'read, validate and match everything, write nothing' },
    'verified-if-active': { type: 'boolean', help: "users active in the legacy system count as verified (the preset's default)" },
    'no-verified-if-active': { type: 'boolean', help: 'keep the legacy verification flag as it is' },
  },
  async run({ options, store, where, io }) {
    const from = options['from'];
    if (typeof from !== 'string' || from === '') throw new UsageError('pass --from <legacy database URL>');
    const timeZone = options['timezone'];
    if (typeof timeZone !== 'string') throw new UsageError('pass --timezone: the zone the legacy application wrote its DATETIMEs in (e.g. America/Bogota or -05:00)');
    const batchSize = positiveInteger(options['batch'], 'batch', 5000);
    const dryRun = options['dry-run'] === true;
    const mapping = await mappingOf(options);
    const pending = (await store.migrationStatus()).pending;
    if (pending.length > 0) throw new CommandFailure(`${where} lacks gatehouse's migrations ${pending.join(', ')}: run gatehouse migrate first`);

    let reader: LegacyReader;
    try {
      reader = await (await importSide()).LegacyReader.open(from, { timeZone, batchSize, mapping });
    } catch (error) {
      if (error instanceof TypeError) throw new UsageError(error.message);
      const issues = isAuthError(error) ? (error.issues ?? []).map((i) => `\n  ${i.message}`).join('') : '';
      throw new CommandFailure(`the legacy database cannot be read: ${describeError(error)}${issues}`);
    }
    let tally: Tally;
    try {
      const total = await reader.countUsers();
      io.out(`gatehouse: importing ${count(total, 'user')} into ${where}${dryRun ? ' (dry run: nothing is written)' : ''}`);
      if (dryRun) {
        // The whole run in one transaction, rolled back: the roles it seeds too, so the users validate against them.
        let kept: Tally | undefined;
        await store
          .transaction(async (tx) => {
            kept = await run(tx as SqlAuthStore, reader, io, true, total);
            throw new DryRun();
          })
          .catch((error: unknown) => {
            if (!(error instanceof DryRun)) throw error;
          });
        tally = kept!;
      } else {
        tally = await run(store, reader, io, false, total);
      }
    } finally {
      await reader.close();
    }

    const verb = dryRun ? 'would be ' : '';
    io.out(`gatehouse: ${count(tally.read, 'user')} read: ${tally.imported} ${verb}imported, ${tally.updated} ${verb}updated, ${tally.skipped} unchanged, ${tally.refused.length} refused`);
    const kinds = new Map<string, number>();
    for (const notice of tally.notices) kinds.set(notice.kind, (kinds.get(notice.kind) ?? 0) + 1);
    for (const [kind, n] of kinds) io.out(`gatehouse: note: ${count(n, 'user')}: ${kind.replaceAll('_', ' ')}`);
    for (const r of tally.refused) io.err(`gatehouse: refused ${r.source} <${r.email}>: ${r.code}: ${r.message}`);
    return tally.refused.length === 0 ? EXIT.ok : EXIT.failed;
  },
};
