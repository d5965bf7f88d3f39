import { randomBytes } from 'node:crypto';
import { ecommercePreset, isAuthError, isValidEmail, type Auth } from 'gatehouse';
import { withAuth } from './cli-auth.js';
import { CommandFailure, EXIT, UsageError, count, type CliCommand, type CliIo } from './command.js';
import { describeError } from './describe-error.js';
import { hiddenPrompt, type Terminal } from './hidden-prompt.js';

const ADMIN_ROLE = 'admin';
/** How many times a password may be typed again (the two differ, or the policy refuses it). */
const ATTEMPTS = 3;

/** `gatehouse create-admin`: the first administrator, or an existing account promoted. */
export const createAdmin: CliCommand = {
  name: 'create-admin',
  synopsis: '--email <email> [--name <name>] [--generate-password | --promote]',
  summary: 'create an administrator (or promote an existing account)',
  description: [
    'Creates an active account with the admin role and its email marked verified, as the system.',
    'The admin role comes from the e-commerce preset, whose roles and permissions are created first when',
    'there is no admin role. On a terminal the password is asked twice, with echo off; when stdin is not',
    'a terminal, or with --generate-password, a generated password is printed instead, and must be',
    'changed at the first sign-in. An existing email is refused unless --promote, which gives that',
    'account the admin role and changes nothing else.',
  ].join('\n'),
  arity: { min: 0, max: 0 },
  options: {
    email: { type: 'string', value: '<email>', help: 'the administrator’s email (required)' },
    name: { type: 'string', value: '<name>', help: 'their name (default: Administrator)' },
    'generate-password': { type: 'boolean', help: 'print a generated password instead of asking for one' },
    promote: { type: 'boolean', help: 'give the admin role to the existing account with this email' },
  },
  async run({ options, store, io }) {
    const email = options['email'];
    if (typeof email !== 'string') throw new UsageError('pass --email');
    if (!isValidEmail(email)) throw new UsageError(`not an email address: ${JSON.stringify(email)}`);
    if (options['promote'] === true && (options['generate-password'] === true || options['name'] !== undefined)) {
      throw new UsageError('--promote keeps the account as it is: it takes no --name nor --generate-password');
    }
    const existing = await store.findUserByEmail(email.toLowerCase());
    if (existing !== null && options['promote'] !== true) {
      throw new CommandFailure(`an account with the email ${existing.email} exists; pass --promote to give it the admin role`);
    }
    if (existing === null && options['promote'] === true) {
      throw new CommandFailure(`no account has the email ${email.toLowerCase()}; leave out --promote to create one`);
    }
    return withAuth(store, io, async (auth) => {
      await ensureAdminRole(auth, io);
      if (existing !== null) {
        const details = await auth.users.assignRole(auth.system, existing.id, { code: ADMIN_ROLE });
        io.out(`gatehouse: ${existing.email} now holds ${details.roles.map((role) => role.code).join(', ')}`);
        if (existing.emailVerifiedAt === null) io.out('gatehouse: note: the email is not verified yet: they activate the account from its activation mail before signing in');
        if (existing.status !== 'active') io.out(`gatehouse: note: the account is ${existing.status}`);
        return EXIT.ok;
      }
      const name = typeof options['name'] === 'string' ? options['name'] : 'Administrator';
      const ask = options['generate-password'] === true || io.terminal === undefined ? null : io.terminal;
      const { user } = ask === null ? await createWithGenerated(auth, email, name, io) : await createWithTyped(auth, email, name, ask, io);
      io.out(`gatehouse: created the administrator ${user.email} (id ${user.id})`);
      return EXIT.ok;
    });
  },
};

/** Seeds the e-commerce preset when there is no admin role; an application's own admin role is left alone. */
async function ensureAdminRole(auth: Auth, io: CliIo): Promise<void> {
  if ((await auth.roles.listRoles(auth.system)).some((role) => role.code === ADMIN_ROLE)) return;
  const seeded = await auth.roles.seed(auth.system, ecommercePreset);
  io.out(`gatehouse: no admin role yet: seeded the e-commerce preset (${count(seeded.rolesCreated, 'role')}, ${count(seeded.permissionsCreated, 'permission')})`);
}

const adminInput = (email: string, name: string, password: string, generated: boolean) => ({
  email,
  name,
  password,
  roles: [{ code: ADMIN_ROLE }],
  emailVerified: true,
  // A generated password was printed (to a log, a scrollback): its owner replaces it at once.
  mustChangePassword: generated,
});

async function createWithGenerated(auth: Auth, email: string, name: string, io: CliIo) {
  // 192 bits: far beyond guessing, and within every password policy's length.
  const password = randomBytes(24).toString('base64url');
  const details = await auth.users.create(auth.system, adminInput(email, name, password, true));
  io.out(`gatehouse: generated password: ${password}`);
  io.out('gatehouse: it must be changed at the first sign-in');
  return details;
}

async function createWithTyped(auth: Auth, email: string, name: string, terminal: Terminal, io: CliIo) {
  const prompt = hiddenPrompt(terminal);
  try {
    for (let attempt = 1; ; attempt += 1) {
      const password = await prompt.ask(`Password for ${email}: `);
      const again = await prompt.ask('The same password again: ');
      try {
        if (password !== again) throw new CommandFailure('the two passwords differ');
        return await auth.users.create(auth.system, adminInput(email, name, password, false));
      } catch (error) {
        if (!refusesThePassword(error) || attempt === ATTEMPTS) throw error;
        io.err(`gatehouse: ${describeError(error)}; try again`);
      }
    }
  } finally {
    prompt.close();
  }
}

/** Whether typing another password may help: the two differed, or the policy refused this one. */
function refusesThePassword(error: unknown): boolean {
  if (error instanceof CommandFailure || isAuthError(error, 'WEAK_PASSWORD')) return true;
  return isAuthError(error, 'VALIDATION_FAILED') && (error.issues ?? []).some((issue) => issue.path[0] === 'password');
}
