import { ecommercePreset, type Preset } from 'gatehouse';
import { withAuth } from './cli-auth.js';
import { EXIT, UsageError, count, type CliCommand } from './command.js';

/** The presets `roles seed` knows, by the name `--preset` takes. */
const PRESETS: Readonly<Record<string, Preset>> = { ecommerce: ecommercePreset };

/** `gatehouse roles seed --preset ecommerce`: adds the preset's missing roles, permissions and grants. */
export const rolesSeed: CliCommand = {
  name: 'roles seed',
  synopsis: '--preset <name>',
  summary: 'add the roles and permissions of a preset that are missing',
  description: [
    'Adds, as the system, the roles, permissions and grants of a preset that the database lacks; what',
    'exists keeps the fields an administrator gave it, and a second run changes nothing. Presets:',
    'ecommerce (customer 10, seller 20, content_manager 25, moderator 30, admin 50).',
  ].join('\n'),
  arity: { min: 0, max: 0 },
  options: { preset: { type: 'string', value: '<name>', help: `the preset: ${Object.keys(PRESETS).join(', ')} (required)` } },
  async run({ options, store, io }) {
    const name = options['preset'];
    if (typeof name !== 'string') throw new UsageError('pass --preset');
    const preset = PRESETS[name];
    if (preset === undefined) throw new UsageError(`no preset ${JSON.stringify(name)}; presets: ${Object.keys(PRESETS).join(', ')}`);
    const seeded = await withAuth(store, io, (auth) => auth.roles.seed(auth.system, preset));
    io.out(
      `gatehouse: preset ${name}: ${count(seeded.rolesCreated, 'role')}, ${count(seeded.permissionsCreated, 'permission')} and ` +
        `${count(seeded.grantsAdded, 'grant')} added${seeded.rolesCreated + seeded.permissionsCreated + seeded.grantsAdded === 0 ? ' (nothing was missing)' : ''}`,
    );
    return EXIT.ok;
  },
};
