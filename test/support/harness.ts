import { createAuth, type AuthOptions, type ClientInfo, type User } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { ManualClock, TestPasswordHasher } from 'gatehouse/testing';

export const PASSWORD = 'correct horse battery staple';

/**
 * A cheap hasher so that tests run fast: a PasswordHasher of its own (argon2id at 1 MiB), as
 * `Argon2PasswordHasher` refuses settings below OWASP's floor; the default hasher has its own tests.
 */
export const fastHasher = (): TestPasswordHasher => new TestPasswordHasher();

export type Harness = ReturnType<typeof harness>;

/** A gatehouse on the memory store with an outbox, a manual clock and a fast hasher. */
export function harness(overrides: Partial<AuthOptions> = {}, store: MemoryAuthStore = new MemoryAuthStore()) {
  const mailer = new MemoryMailer();
  const clock = new ManualClock();
  const hasher = fastHasher();
  const auth = createAuth({ store, mailer, clock, hasher, ...overrides });
  return { auth, store, mailer, clock, hasher };
}

/**
 * A harness whose store has no session revisions, as a store of one's own without
 * `findSessionRevision()`: every validation reads the session in full, the other path of the
 * session cache (the memory store has revisions, as the SQL stores do).
 */
export function fullReadHarness(overrides: Partial<AuthOptions> = {}) {
  const store = new MemoryAuthStore();
  Object.defineProperty(store, 'findSessionRevision', { value: undefined });
  return harness(overrides, store);
}

let counter = 0;
export const uniqueEmail = (prefix = 'user'): string => `${prefix}${(counter += 1)}@example.com`;

/** Registers and activates a user. */
export async function activeUser(h: Harness, fields: { email?: string; password?: string; name?: string } = {}): Promise<User> {
  const email = fields.email ?? uniqueEmail();
  const { user } = await h.auth.accounts.register({ email, password: fields.password ?? PASSWORD, name: fields.name ?? 'Test User' });
  const key = h.mailer.last({ to: email, kind: 'activation' })?.key;
  if (key === undefined) throw new Error('no activation mail');
  await h.auth.accounts.activate({ key });
  return user;
}

/** Signs in and validates, resolving the token and the request context. */
export async function signIn(h: Harness, email: string, password = PASSWORD, client?: ClientInfo) {
  const login = await h.auth.sessions.login({ email, password }, client);
  const context = await h.auth.sessions.validate(login.token, client);
  if (context === null) throw new Error('fresh session did not validate');
  return { ...login, context };
}

/** Counts of every kind of row, to prove that a refused call stored nothing. */
export async function rowCounts(h: Harness) {
  const users = await h.store.listUsers({ offset: 0, limit: 1000, now: h.clock.now() });
  const activities = await h.store.listActivities({ offset: 0, limit: 1000 });
  let sessions = 0;
  let history = 0;
  for (const user of users.items) {
    sessions += (await h.store.listUserSessions(user.id, new Date(0))).length;
    history += (await h.store.listPasswordHistory(user.id, 1000)).length;
  }
  return { users: users.total, activities: activities.total, sessions, history, mails: h.mailer.outbox.length };
}
