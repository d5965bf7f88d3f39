import { recordSystemActivity } from './cli-auth.js';
import { count, EXIT, type CliCommand } from './command.js';

/** `gatehouse migrate`: applies the pending migrations. */
export const migrate: CliCommand = {
  name: 'migrate',
  synopsis: '',
  summary: "create or upgrade gatehouse's tables",
  description: "Creates or upgrades gatehouse's tables; running it again is a no-op. Logged as schema.migrated when it applied something.",
  arity: { min: 0, max: 0 },
  async run({ store, where, io }) {
    io.out(`gatehouse: migrating ${where}`);
    const report = await store.migrate();
    for (const name of report.applied) io.out(`  applied ${name}`);
    if (report.applied.length === 0) {
      io.out(`gatehouse: already up to date (${count(report.known.length, 'migration')})`);
      return EXIT.ok;
    }
    await recordSystemActivity(store, 'schema.migrated', `Applied ${count(report.applied.length, 'migration')}.`, { applied: [...report.applied] });
    io.out(`gatehouse: applied ${count(report.applied.length, 'migration')}`);
    return EXIT.ok;
  },
};

/** `gatehouse migrate status`: which migrations are applied and which pending; changes nothing. */
export const migrateStatus: CliCommand = {
  name: 'migrate status',
  synopsis: '',
  summary: 'list the applied and the pending migrations',
  description: 'Lists the migrations this database has (with when each was applied) and those `gatehouse migrate` would apply. Reads only.',
  arity: { min: 0, max: 0 },
  async run({ store, where, io }) {
    const status = await store.migrationStatus();
    io.out(`gatehouse: ${where}`);
    for (const { name, appliedAt } of status.applied) io.out(`  applied  ${name.padEnd(24)} ${appliedAt.toISOString()}`);
    for (const name of status.pending) io.out(`  pending  ${name}`);
    const next = status.pending.length === 0 ? 'up to date' : 'run gatehouse migrate to apply the pending ones';
    io.out(`gatehouse: ${status.applied.length} applied, ${status.pending.length} pending; ${next}`);
    return EXIT.ok;
  },
};
