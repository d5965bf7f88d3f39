import type { ActiveRole, Auth, RoleAssignmentInput, UserRecord, UserRole } from 'gatehouse';
import { userByEmail, withAuth } from './cli-auth.js';
import { EXIT, UsageError, count, type CliCommand } from './command.js';

/**
 * A `users` command that does one thing to the account with the email its first argument
 * names, as the system — the way out when two administrators of one level cannot act on
 * each other. `act` resolves the line to print.
 */
function userCommand(
  name: string,
  summary: string,
  description: string,
  act: (auth: Auth, user: UserRecord, args: readonly string[]) => Promise<string>,
  more: Pick<CliCommand, 'synopsis' | 'arity'> = { synopsis: '<email>', arity: { min: 1, max: 1 } },
): CliCommand {
  return {
    name: `users ${name}`,
    summary,
    description,
    ...more,
    async run({ args, store, io }) {
      const user = await userByEmail(store, args[0]!);
      io.out(`gatehouse: ${user.email}: ${await withAuth(store, io, (auth) => act(auth, user, args.slice(1)))}`);
      return EXIT.ok;
    },
  };
}

/** `role` or `role:YYYY-MM-DD` (held through that day, UTC). */
function parseRoleArgument(argument: string, now: Date): RoleAssignmentInput {
  const match = /^([^:]+)(?::(\d{4})-(\d{2})-(\d{2}))?$/.exec(argument);
  if (match === null) throw new UsageError(`a role is written code or code:YYYY-MM-DD, not ${JSON.stringify(argument)}`);
  const [, code, year, month, day] = match;
  if (year === undefined) return { code: code! };
  const lastDay = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (lastDay.toISOString().slice(0, 10) !== `${year}-${month}-${day}`) throw new UsageError(`no such date: ${year}-${month}-${day}`);
  // Held through its last day: it ends when the next day begins.
  const expiresAt = new Date(lastDay.getTime() + 86_400_000);
  if (expiresAt <= now) throw new UsageError(`${argument}: that day is over`);
  return { code: code!, expiresAt };
}

const describeRoles = (roles: readonly ActiveRole[], assignments: readonly UserRole[]): string => {
  if (roles.length === 0) return 'no role';
  return roles
    .map((role) => {
      const until = assignments.find((a) => a.roleCode === role.code)?.expiresAt;
      return until == null ? role.code : `${role.code} (until ${new Date(until.getTime() - 1).toISOString().slice(0, 10)})`;
    })
    .join(', ');
};

export const usersSetRoles = userCommand(
  'set-roles',
  "replace a user's roles",
  'Replaces the roles of the account with exactly these, as the system; code:YYYY-MM-DD holds a role through that day (UTC).',
  async (auth, user, args) => {
    const now = new Date();
    const details = await auth.users.setRoles(auth.system, user.id, args.map((arg) => parseRoleArgument(arg, now)));
    return `now holds ${describeRoles(details.roles, details.assignments)}`;
  },
  { synopsis: '<email> <role[:YYYY-MM-DD]>…', arity: { min: 2, max: 50 } },
);

export const usersUnblock = userCommand('unblock', 'lift a block or suspension', 'Lifts the block or suspension of the account, as the system.', async (auth, user) => {
  await auth.users.unblock(auth.system, user.id);
  return 'unblocked';
});

export const usersResetTwoFactor = userCommand(
  'reset-two-factor',
  'turn off two-step verification',
  'Turns off the two-step verification of the account (a lost phone and lost recovery codes) and voids its recovery codes, as the system.',
  async (auth, user) => {
    await auth.twoFactor.reset(auth.system, user.id);
    return 'two-step verification is off';
  },
);

export const usersForcePasswordChange = userCommand(
  'force-password-change',
  'require a new password at the next sign-in',
  'Makes the account choose a new password at its next sign-in, as the system.',
  async (auth, user) => {
    if (user.mustChangePassword) return 'must already change the password at the next sign-in';
    await auth.users.forcePasswordChange(auth.system, user.id);
    return 'must change the password at the next sign-in';
  },
);

export const usersRevokeSessions = userCommand(
  'revoke-sessions',
  'sign a user out everywhere',
  'Ends every session of the account, as the system; the account itself is unchanged.',
  async (auth, user) => `signed out of ${count(await auth.users.revokeSessions(auth.system, user.id), 'session')}`,
);

export const usersShow = userCommand('show', 'show an account, its roles and sessions', 'Shows the account: status, roles, verification, sessions. Reads only.', async (auth, user) => {
  const [details, summary] = await Promise.all([auth.users.get(auth.system, user.id), auth.users.summary(auth.system, user.id)]);
  const when = (date: Date | null): string => date?.toISOString() ?? 'never';
  const status = [details.user.status, details.user.statusReason, details.user.statusUntil && `until ${details.user.statusUntil.toISOString()}`].filter(Boolean).join(', ');
  return [
    details.user.name,
    `  id                    ${details.user.id}`,
    `  status                ${status}`,
    `  roles                 ${describeRoles(details.roles, details.assignments)} (level ${details.level})`,
    `  email verified        ${when(details.user.emailVerifiedAt)}`,
    `  must change password  ${details.user.mustChangePassword ? 'yes' : 'no'}`,
    `  active sessions       ${summary.activeSessions}`,
    `  last sign-in          ${when(summary.lastLoginAt)}`,
    `  created               ${details.user.createdAt.toISOString()}`,
  ].join('\n');
});
