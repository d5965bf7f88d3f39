import { randomBytes, randomUUID } from 'node:crypto';
import { createAuth, isValidEmail, type Auth, type JsonObject, type Mailer, type UserRecord } from 'gatehouse';
import type { SqlAuthStore } from '../sql/sql-auth-store.js';
import { CommandFailure, UsageError, type CliIo } from './command.js';
import { describeError } from './describe-error.js';

/**
 * The CLI's mailer refuses every message. The CLI has none of the application's mail
 * settings, and none of its commands needs a mail (`create-admin` marks the address verified;
 * the `users` commands send nothing): a mail it were asked for fails where it shows — a
 * warning on stderr and `mail.failed` in the activity log — instead of vanishing into a
 * memory outbox while the operator believes the user was told.
 */
const refusingMailer: Mailer = {
  send: (message) => Promise.reject(new Error(`the gatehouse command line sends no mail (a ${message.kind} mail was not sent)`)),
};

/**
 * Runs `use` with gatehouse on the store, acting as `auth.system`, then closes it (and the
 * store). Gatehouse's defaults apply: the application's own options (registration fields,
 * password policy, hasher settings) are not known here.
 */
export async function withAuth<T>(store: SqlAuthStore, io: CliIo, use: (auth: Auth) => Promise<T>): Promise<T> {
  const auth = createAuth({
    store,
    mailer: refusingMailer,
    // Two-factor switched on only so that `users reset-two-factor` may delete a user's second
    // factor, which needs no key: the CLI never enrols nor decrypts one, so a key of its own
    // does, and the application's key never has to leave it.
    twoFactor: { encryptionKey: randomBytes(32) },
    onError: (error, { operation }) => io.err(`gatehouse: warning: ${operation}: ${describeError(error)}`),
  });
  try {
    return await use(auth);
  } finally {
    await auth.close();
  }
}

/** The account with this email. @throws {UsageError} not an email address. @throws {CommandFailure} no such account. */
export async function userByEmail(store: SqlAuthStore, email: string): Promise<UserRecord> {
  if (!isValidEmail(email)) throw new UsageError(`not an email address: ${JSON.stringify(email)}`);
  const user = await store.findUserByEmail(email.toLowerCase());
  if (user === null) throw new CommandFailure(`no account has the email ${email.toLowerCase()}`);
  return user;
}

/**
 * Writes to the activity log an action of the CLI that no service call logs itself (a
 * migration, a cleanup), with the system as actor (`actorId: null`) and the CLI as user agent.
 */
export async function recordSystemActivity(store: SqlAuthStore, action: string, details: string, metadata: JsonObject): Promise<void> {
  await store.appendActivity({ id: randomUUID(), subjectId: null, actorId: null, action, details, ip: null, userAgent: 'gatehouse-cli', metadata, createdAt: new Date() });
}
