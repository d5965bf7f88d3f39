import {
  AuthError,
  type Activity,
  type ActivityQuery,
  type AuthStore,
  type KeyPurpose,
  type LoginAttempt,
  type LoginFailureFilter,
  type OneTimeKey,
  type Page,
  type ExpiredRows,
  type DeletedRows,
  type PageStart,
  matchesSearch,
  searchTermsOf,
  searchWordsOf,
  type PasswordHistoryEntry,
  type Permission,
  type RateLimitDecision,
  type RateLimitHit,
  type RateLimitStore,
  type Role,
  type RoleGrant,
  type SessionBundle,
  type SessionRecord,
  type SignInFinish,
  type SignInStart,
  type SignInState,
  type SignInStore,
  type TwoFactorRecord,
  type UserIdentifier,
  type UserPatch,
  type UserQuery,
  type UserRecord,
  type UserRole,
  MemoryRateLimitStore,
} from 'gatehouse';
import { copy } from './copy.js';
import { ActivePermissions, grantOf, sealRole, sealSession, sealUser, sealUserRole, sessionBundleOf, sortGrants } from './session-bundle.js';
import { Table, UniqueViolation, WriteClock, type Slot, type UndoStep } from './table.js';

/** A device a user signed in from. */
interface KnownDevice {
  readonly userId: string;
  readonly deviceHash: string;
  readonly createdAt: Date;
}

interface RolePermission {
  readonly roleCode: string;
  readonly permissionCode: string;
}

class MemoryState {
  /** The stamps of the tables a session bundle comes from, comparable across them (see {@link MemoryState.sessionRevision}). */
  readonly #bundleClock = new WriteClock();
  /** The stamps the tables a user's grants come from take, the last of which it remembers. */
  readonly #grantsClock = new WriteClock(this.#bundleClock);
  readonly users = new Table<UserRecord>('users', (u) => u.id, { email: (u) => u.email.toLowerCase() }, {}, this.#bundleClock, true, sealUser);
  readonly roles = new Table<Role>('roles', (r) => r.code, {}, {}, this.#grantsClock, false, sealRole);
  readonly permissions = new Table<Permission>('permissions', (p) => p.code, {}, {}, this.#grantsClock);
  readonly rolePermissions = new Table<RolePermission>('role_permissions', (rp) => `${rp.roleCode}\u0000${rp.permissionCode}`, {}, { role: (rp) => rp.roleCode }, this.#grantsClock);
  readonly userRoles = new Table<UserRole>('user_roles', (ur) => `${ur.userId}\u0000${ur.roleCode}`, {}, { user: (ur) => ur.userId }, this.#grantsClock, false, sealUserRole);
  readonly sessions = new Table<SessionRecord>('sessions', (s) => s.id, { token: (s) => s.tokenHash }, { user: (s) => s.userId }, this.#bundleClock, true, sealSession);
  readonly keys = new Table<OneTimeKey>('one_time_keys', (k) => k.id, { hash: (k) => k.keyHash }, { user: (k) => k.userId });
  readonly history = new Table<PasswordHistoryEntry>('password_history', (h) => h.id, {}, { user: (h) => h.userId });
  /** Grouped by email and by address of failures only, as the SQL stores' failures-only indexes: a sign-in counts failures, and an address's successes may be many. */
  readonly attempts = new Table<LoginAttempt>('login_attempts', (a) => a.id, {}, { failedEmail: (a) => (a.success ? null : a.email), failedIp: (a) => (a.success ? null : a.ip) });
  readonly activities = new Table<Activity>('activities', (a) => a.id, {}, { subject: (a) => a.subjectId });
  readonly twoFactor = new Table<TwoFactorRecord>('two_factor', (t) => t.userId);
  readonly identifiers = new Table<UserIdentifier>('user_identifiers', (i) => `${i.name}\u0000${i.value}`, {}, { user: (i) => i.userId });
  readonly devices = new Table<KnownDevice>('user_devices', (d) => `${d.userId}\u0000${d.deviceHash}`, {}, { user: (d) => d.userId });
  /** Rate-limit windows: not transactional, a hit counts whatever happens to a transaction. */
  readonly rateLimits = new MemoryRateLimitStore();
  /** Each role's active permission codes while the grant tables stand still. */
  readonly #activePermissions = new ActivePermissions((roleCode) => permissionsOf(this, roleCode, true));

  /** The active permission codes of a role, sorted, frozen (shared by every grant handed out until the grant tables change). */
  activePermissions(roleCode: string): readonly string[] {
    return this.#activePermissions.of(roleCode, this.#grantsClock.last);
  }
  /**
   * The revision of a session's bundle: the latest stamp of what it is built from — the
   * session's row, its user's row, and the tables grants come from (roles, permissions and
   * their links, any user's). Every write takes a stamp greater than any before, so a change
   * to any of them moves the revision to a value never seen; another session's sign-in,
   * renewal or revocation, or another user's change, leaves it alone.
   */
  sessionRevision(session: Slot<SessionRecord>, user: Slot<UserRecord> | undefined): number {
    return Math.max(session.stamp, user?.stamp ?? 0, this.#grantsClock.last);
  }
}

/** The session with this token hash, its user and grants, with its revision (see {@link MemoryState.sessionRevision}). */
function sessionBundle(s: MemoryState, _journal: UndoStep[] | null, tokenHash: string): SessionBundle | null {
  const session = s.sessions.findSlot('token', tokenHash);
  const user = session === undefined ? undefined : s.users.slot(session.row.userId);
  if (session === undefined || user === undefined) return null;
  return sessionBundleOf(session.row, user.row, grantsOf(s, user.row.id), s.sessionRevision(session, user));
}

/**
 * The revision of the session with this token hash, or `null`; see {@link sessionBundle}.
 * (Whether its user still exists needs no look: erasing a user deletes their sessions.)
 */
function sessionRevision(s: MemoryState, _journal: UndoStep[] | null, tokenHash: string): number | null {
  const session = s.sessions.findSlot('token', tokenHash);
  return session === undefined ? null : s.sessionRevision(session, s.users.slot(session.row.userId));
}

/** Serialises async critical sections, like a database holding a lock for a transaction. */
class Mutex {
  #tail: Promise<unknown> = Promise.resolve();
  #held = 0;

  run<T>(section: () => Promise<T> | T): Promise<T> {
    this.#held += 1;
    const result = this.#tail.then(section).finally(() => {
      this.#held -= 1;
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Whether a section holds the lock, or waits for it. */
  get held(): boolean {
    return this.#held > 0;
  }
}

/** Remembers a device; a known one stays as it is. */
function rememberDevice(s: MemoryState, journal: UndoStep[] | null, device: KnownDevice): void {
  if (s.devices.get(s.devices.primaryKey(device)) === undefined) s.devices.insert(copy(device), journal);
}

const byNewest = <T extends { readonly createdAt: Date; readonly id: string }>(a: T, b: T): number =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const byOldest = <T extends { readonly createdAt: Date; readonly id: string }>(a: T, b: T): number => byNewest(b, a);

/**
 * An {@link AuthStore} in memory, for tests, demos and single-process tools. It keeps the
 * same contract as the SQL stores: case-insensitive unique emails, transactions that undo
 * every write on error (serialised, so they never see each other's partial work), and
 * one-time keys consumed atomically. It also counts rate limits (a {@link RateLimitStore}),
 * shared by every gatehouse on the same object. Data lives as long as the object.
 *
 * @example
 * ```ts
 * import { createAuth } from 'gatehouse';
 * import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
 * const auth = createAuth({ store: new MemoryAuthStore(), mailer: new MemoryMailer() });
 * ```
 */
export class MemoryAuthStore implements SignInStore, RateLimitStore {
  readonly #state: MemoryState;
  readonly #mutex: Mutex;
  /** Set on the view a transaction hands to its callback. */
  readonly #journal: UndoStep[] | null;
  #closed = false;

  constructor();
  /** @internal */
  constructor(shared: { state: MemoryState; mutex: Mutex; journal: UndoStep[] });
  constructor(shared?: { state: MemoryState; mutex: Mutex; journal: UndoStep[] }) {
    this.#state = shared?.state ?? new MemoryState();
    this.#mutex = shared?.mutex ?? new Mutex();
    this.#journal = shared?.journal ?? null;
  }

  /**
   * Runs an operation: directly inside a transaction, otherwise under the lock — at once when
   * nothing holds it (a read or a single write cannot interleave with anything then). `arg`
   * is handed to the operation, so that a hot read needs no closure per call.
   */
  #run<T, A = undefined>(operation: (state: MemoryState, journal: UndoStep[] | null, arg: A) => T, arg?: A): Promise<T> {
    if (this.#journal !== null && this.#closed) return Promise.reject(new Error('MemoryAuthStore: this transaction has ended'));
    if (this.#journal === null && this.#mutex.held) return this.#mutex.run(() => operation(this.#state, null, arg as A));
    try {
      return Promise.resolve(operation(this.#state, this.#journal, arg as A));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async transaction<T>(fn: (tx: AuthStore) => Promise<T>): Promise<T> {
    if (this.#journal !== null) return fn(this);
    return this.#mutex.run(async () => {
      const journal: UndoStep[] = [];
      const tx = new MemoryAuthStore({ state: this.#state, mutex: this.#mutex, journal });
      try {
        return await fn(tx);
      } catch (error) {
        for (const undo of journal.reverse()) undo();
        throw error;
      } finally {
        tx.#closed = true;
      }
    });
  }

  // users

  insertUser(user: UserRecord): Promise<void> {
    return this.#run((s, j) => {
      try {
        s.users.insert(copy(user), j);
      } catch (error) {
        if (error instanceof UniqueViolation && error.index === 'users.email') throw new AuthError('EMAIL_TAKEN');
        throw error;
      }
    });
  }

  findUserById(id: string): Promise<UserRecord | null> {
    return this.#run((s) => optional(s.users.get(id)));
  }

  findUserByEmail(email: string): Promise<UserRecord | null> {
    return this.#run((s) => optional(s.users.find('email', email.toLowerCase())));
  }

  /** Transactions run one at a time, so a user read in one stays as read until it ends. */
  lockUser(id: string): Promise<UserRecord | null> {
    return this.findUserById(id);
  }

  updateUser(id: string, patch: UserPatch): Promise<UserRecord | null> {
    return this.#run((s, j) => {
      const current = s.users.get(id);
      if (current === undefined) return null;
      const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
      const next = copy({ ...current, ...defined, id: current.id, createdAt: current.createdAt });
      try {
        s.users.put(next, j);
      } catch (error) {
        if (error instanceof UniqueViolation && error.index === 'users.email') throw new AuthError('EMAIL_TAKEN');
        throw error;
      }
      return copy(next);
    });
  }

  listUsers(query: UserQuery): Promise<Page<UserRecord>> {
    if (query.text !== undefined && /[\u0000\p{Cs}]/u.test(query.text)) return Promise.resolve({ items: [], total: 0 });
    const order = query.order === 'oldest' ? byOldest : byNewest;
    return this.#run((s) => {
      const search = query.text === undefined ? null : searchTermsOf(query.text);
      const holders =
        query.roleCode === undefined
          ? null
          : new Set(
              [...s.userRoles.values()]
                .filter((ur) => ur.roleCode === query.roleCode && (ur.expiresAt === null || ur.expiresAt > query.now))
                .map((ur) => ur.userId),
            );
      const matches = [...s.users.values()]
        .filter((u) => query.status === undefined || u.status === query.status)
        .filter((u) => holders === null || holders.has(u.id))
        .filter((u) => search === null || matchesSearch(searchWordsOf(u), search))
        .sort(order);
      return pageOf(matches, query, order);
    });
  }

  deleteUser(id: string): Promise<boolean> {
    return this.#run((s, j) => {
      if (s.users.get(id) === undefined) return false;
      const own = <T extends object>(table: Table<T>, rows: Iterable<T>): void => {
        for (const row of [...rows]) table.delete(table.primaryKey(row), j);
      };
      own(s.userRoles, s.userRoles.where('user', id));
      own(s.sessions, s.sessions.where('user', id));
      own(s.keys, s.keys.where('user', id));
      own(s.history, s.history.where('user', id));
      own(s.identifiers, s.identifiers.where('user', id));
      own(s.attempts, [...s.attempts.values()].filter((a) => a.userId === id));
      s.twoFactor.delete(id, j);
      own(s.devices, s.devices.where('user', id));
      for (const activity of [...s.activities.values()]) {
        if (activity.subjectId === id || activity.actorId === id) {
          s.activities.put(
            { ...activity, subjectId: activity.subjectId === id ? null : activity.subjectId, actorId: activity.actorId === id ? null : activity.actorId },
            j,
          );
        }
      }
      for (const ur of [...s.userRoles.values()]) {
        if (ur.assignedBy === id) s.userRoles.put({ ...ur, assignedBy: null }, j);
      }
      return s.users.delete(id, j);
    });
  }

  // identifiers

  findUserByIdentifier(name: string, value: string): Promise<UserRecord | null> {
    return this.#run((s) => {
      const held = s.identifiers.get(`${name}\u0000${value}`);
      return held === undefined ? null : optional(s.users.get(held.userId));
    });
  }

  findUsersByIdentifiers(name: string, values: readonly string[]): Promise<UserIdentifier[]> {
    return this.#run((s) => [...new Set(values)].flatMap((value) => optionalList(s.identifiers.get(`${name}\u0000${value}`))));
  }

  listUserIdentifiers(userIds: readonly string[]): Promise<UserIdentifier[]> {
    return this.#run((s) =>
      [...new Set(userIds)]
        .sort(compare)
        .flatMap((userId) => s.identifiers.where('user', userId).sort((a, b) => compare(a.name, b.name)).map(copy)),
    );
  }

  setUserIdentifiers(userId: string, identifiers: Readonly<Record<string, string>>): Promise<void> {
    return this.#run((s, j) => {
      if (s.users.get(userId) === undefined) throw new AuthError('NOT_FOUND', { message: `No user ${userId}.` });
      for (const [name, value] of Object.entries(identifiers)) {
        const holder = s.identifiers.get(`${name}\u0000${value}`);
        if (holder !== undefined && holder.userId !== userId) throw new AuthError('IDENTIFIER_TAKEN');
      }
      // Checked above, so the writes below cannot fail half-way.
      for (const old of s.identifiers.where('user', userId)) {
        if (identifiers[old.name] !== old.value) s.identifiers.delete(s.identifiers.primaryKey(old), j);
      }
      for (const [name, value] of Object.entries(identifiers)) s.identifiers.put({ userId, name, value }, j);
    });
  }

  findUsersByIdOrEmail(keys: { readonly ids: readonly string[]; readonly emails: readonly string[] }): Promise<UserRecord[]> {
    return this.#run((s) => {
      const found = new Map<string, UserRecord>();
      for (const id of keys.ids) {
        const u = s.users.get(id);
        if (u !== undefined) found.set(u.id, u);
      }
      for (const email of keys.emails) {
        const u = s.users.find('email', email.toLowerCase());
        if (u !== undefined) found.set(u.id, u);
      }
      return [...found.values()].map(copy);
    });
  }

  // batch writes: every row is checked before the first is written, so a refusal stores nothing

  insertUsers(users: readonly UserRecord[]): Promise<void> {
    return this.#run((s, j) => {
      const emails = new Set<string>();
      const ids = new Set<string>();
      for (const u of users) {
        const email = u.email.toLowerCase();
        if (emails.has(email) || s.users.find('email', email) !== undefined) throw new AuthError('EMAIL_TAKEN');
        if (ids.has(u.id) || s.users.get(u.id) !== undefined) throw new Error(`MemoryAuthStore: user ${u.id} exists`);
        emails.add(email);
        ids.add(u.id);
      }
      for (const u of users) s.users.insert(copy(u), j);
    });
  }

  insertUserIdentifiers(identifiers: readonly UserIdentifier[]): Promise<void> {
    return this.#run((s, j) => {
      const pairs = new Set<string>();
      for (const i of identifiers) {
        const pair = `${i.name}\u0000${i.value}`;
        if (pairs.has(pair) || s.identifiers.get(pair) !== undefined) throw new AuthError('IDENTIFIER_TAKEN');
        if (s.users.get(i.userId) === undefined) throw new AuthError('NOT_FOUND', { message: `No user ${i.userId}.` });
        pairs.add(pair);
      }
      for (const i of identifiers) s.identifiers.insert(copy(i), j);
    });
  }

  insertUserRoles(assignments: readonly UserRole[]): Promise<void> {
    return this.#run((s, j) => {
      for (const a of assignments) {
        if (s.users.get(a.userId) === undefined || s.roles.get(a.roleCode) === undefined) throw new AuthError('NOT_FOUND', { message: 'No such user or role.' });
        if (s.userRoles.get(`${a.userId}\u0000${a.roleCode}`) !== undefined) throw new Error(`MemoryAuthStore: role ${a.roleCode} already assigned to ${a.userId}`);
      }
      for (const a of assignments) s.userRoles.insert(copy(a), j);
    });
  }

  insertPasswordHistory(entries: readonly PasswordHistoryEntry[]): Promise<void> {
    return this.#run((s, j) => {
      for (const entry of entries) s.history.insert(copy(entry), j);
    });
  }

  appendActivities(activities: readonly Activity[]): Promise<void> {
    return this.#run((s, j) => {
      for (const activity of activities) s.activities.insert(copy(activity), j);
    });
  }

  /** Transactions run one at a time, so users read in one stay as read until it ends. */
  lockUsers(ids: readonly string[]): Promise<UserRecord[]> {
    return this.#run((s) => [...new Set(ids)].flatMap((id) => optionalList(s.users.get(id))));
  }

  updateUsers(users: readonly UserRecord[]): Promise<void> {
    return this.#run((s, j) => {
      const emails = new Set<string>();
      for (const u of users) {
        const email = u.email.toLowerCase();
        const holder = s.users.find('email', email);
        if (emails.has(email) || (holder !== undefined && holder.id !== u.id)) throw new AuthError('EMAIL_TAKEN');
        emails.add(email);
      }
      for (const u of users) {
        const current = s.users.get(u.id);
        if (current !== undefined) s.users.put(copy({ ...u, createdAt: current.createdAt }), j);
      }
    });
  }

  replaceUserIdentifiers(userIds: readonly string[], identifiers: readonly UserIdentifier[]): Promise<void> {
    return this.#run((s, j) => {
      const replaced = new Set(userIds);
      const pairs = new Set<string>();
      for (const i of identifiers) {
        const pair = `${i.name}\u0000${i.value}`;
        const holder = s.identifiers.get(pair);
        if (pairs.has(pair) || (holder !== undefined && !replaced.has(holder.userId))) throw new AuthError('IDENTIFIER_TAKEN');
        if (s.users.get(i.userId) === undefined) throw new AuthError('NOT_FOUND', { message: `No user ${i.userId}.` });
        pairs.add(pair);
      }
      for (const userId of replaced) for (const old of s.identifiers.where('user', userId)) s.identifiers.delete(s.identifiers.primaryKey(old), j);
      for (const i of identifiers) s.identifiers.insert(copy(i), j);
    });
  }

  replaceUserRoles(userIds: readonly string[], assignments: readonly UserRole[]): Promise<void> {
    return this.#run((s, j) => {
      for (const a of assignments) {
        if (s.users.get(a.userId) === undefined || s.roles.get(a.roleCode) === undefined) throw new AuthError('NOT_FOUND', { message: 'No such user or role.' });
      }
      const held = new Map<string, UserRole>();
      for (const userId of new Set(userIds)) {
        for (const old of s.userRoles.where('user', userId)) {
          held.set(`${old.userId}\u0000${old.roleCode}`, old);
          s.userRoles.delete(`${old.userId}\u0000${old.roleCode}`, j);
        }
      }
      for (const a of assignments) s.userRoles.put(copy({ ...a, assignedAt: held.get(`${a.userId}\u0000${a.roleCode}`)?.assignedAt ?? a.assignedAt }), j);
    });
  }

  listPasswordHistoryOf(userIds: readonly string[]): Promise<PasswordHistoryEntry[]> {
    return this.#run((s) =>
      [...new Set(userIds)].flatMap((userId) =>
        s.history
          .where('user', userId)
          .sort((a, b) => b.changedAt.getTime() - a.changedAt.getTime() || compare(b.id, a.id))
          .map(copy),
      ),
    );
  }

  listActivitiesOf(subjectIds: readonly string[]): Promise<Activity[]> {
    return this.#run((s) => [...new Set(subjectIds)].flatMap((id) => s.activities.where('subject', id)).sort(byNewest).map(copy));
  }

  // roles and permissions

  upsertRole(role: Role): Promise<void> {
    return this.#run((s, j) => s.roles.put(copy(role), j));
  }

  findRole(code: string): Promise<Role | null> {
    return this.#run((s) => optional(s.roles.get(code)));
  }

  listRoles(): Promise<Role[]> {
    return this.#run((s) => [...s.roles.values()].sort((a, b) => b.level - a.level || compare(a.code, b.code)).map(copy));
  }

  upsertPermission(permission: Permission): Promise<void> {
    return this.#run((s, j) => s.permissions.put(copy(permission), j));
  }

  listPermissions(): Promise<Permission[]> {
    return this.#run((s) => [...s.permissions.values()].sort((a, b) => compare(a.code, b.code)).map(copy));
  }

  grantPermission(roleCode: string, permissionCode: string): Promise<void> {
    return this.#run((s, j) => {
      if (s.roles.get(roleCode) === undefined) throw new AuthError('NOT_FOUND', { message: `No role ${roleCode}.` });
      if (s.permissions.get(permissionCode) === undefined) throw new AuthError('NOT_FOUND', { message: `No permission ${permissionCode}.` });
      s.rolePermissions.put({ roleCode, permissionCode }, j);
    });
  }

  revokePermission(roleCode: string, permissionCode: string): Promise<boolean> {
    return this.#run((s, j) => s.rolePermissions.delete(`${roleCode}\u0000${permissionCode}`, j));
  }

  listRolePermissions(roleCode: string): Promise<string[]> {
    return this.#run((s) => permissionsOf(s, roleCode, false));
  }

  assignRole(assignment: UserRole): Promise<void> {
    return this.#run((s, j) => {
      if (s.users.get(assignment.userId) === undefined) throw new AuthError('NOT_FOUND', { message: 'No such user.' });
      if (s.roles.get(assignment.roleCode) === undefined) throw new AuthError('NOT_FOUND', { message: `No role ${assignment.roleCode}.` });
      const existing = s.userRoles.get(`${assignment.userId}\u0000${assignment.roleCode}`);
      s.userRoles.put(copy({ ...assignment, assignedAt: existing?.assignedAt ?? assignment.assignedAt }), j);
    });
  }

  removeRole(userId: string, roleCode: string): Promise<boolean> {
    return this.#run((s, j) => s.userRoles.delete(`${userId}\u0000${roleCode}`, j));
  }

  /** Copies (the session bundle's grants are the store's frozen rows), but for the shared frozen array of each role's codes. */
  listUserGrants(userId: string): Promise<RoleGrant[]> {
    return this.#run((s) => grantsOf(s, userId).map((grant) => ({ ...copy(grant), permissions: grant.permissions })));
  }

  // sessions

  insertSession(session: SessionRecord): Promise<void> {
    return this.#run((s, j) => s.sessions.insert(copy(session), j));
  }

  findSessionByTokenHash(tokenHash: string): Promise<SessionBundle | null> {
    return this.#run(sessionBundle, tokenHash);
  }

  /**
   * The session's revision is the latest write stamp of its own row, its user's row and the
   * tables grants come from: a write to any of them (an undo counts too) moves it to a value
   * never seen before, while writes to other sessions and other users leave it alone.
   */
  findSessionRevision(tokenHash: string): Promise<number | null> {
    return this.#run(sessionRevision, tokenHash);
  }

  findSessionById(id: string): Promise<SessionRecord | null> {
    return this.#run((s) => optional(s.sessions.get(id)));
  }

  listUserSessions(userId: string, now: Date): Promise<SessionRecord[]> {
    return this.#run((s) =>
      s.sessions
        .where('user', userId)
        .filter((x) => x.revokedAt === null && x.expiresAt > now)
        .sort((a, b) => b.lastActiveAt.getTime() - a.lastActiveAt.getTime() || byNewest(a, b))
        .map(copy),
    );
  }

  touchSession(id: string, times: { lastActiveAt: Date; expiresAt: Date }): Promise<void> {
    return this.#run((s, j) => {
      const current = s.sessions.get(id);
      if (current !== undefined) s.sessions.put({ ...current, lastActiveAt: new Date(times.lastActiveAt), expiresAt: new Date(times.expiresAt) }, j);
    });
  }

  revokeSession(id: string, at: Date): Promise<boolean> {
    return this.#run((s, j) => {
      const current = s.sessions.get(id);
      if (current === undefined || current.revokedAt !== null) return false;
      s.sessions.put({ ...current, revokedAt: new Date(at) }, j);
      return true;
    });
  }

  revokeUserSessions(userId: string, options: { at: Date; exceptId?: string | undefined }): Promise<number> {
    return this.#run((s, j) => {
      let count = 0;
      for (const session of s.sessions.where('user', userId)) {
        if (session.revokedAt === null && session.id !== options.exceptId) {
          s.sessions.put({ ...session, revokedAt: new Date(options.at) }, j);
          count += 1;
        }
      }
      return count;
    });
  }

  deleteSessionsBefore(before: Date): Promise<number> {
    return this.#run((s, j) => {
      const ended = [...s.sessions.values()].filter((x) => x.expiresAt <= before || (x.revokedAt !== null && x.revokedAt <= before));
      for (const session of ended) s.sessions.delete(session.id, j);
      return ended.length;
    });
  }

  // one-time keys

  insertOneTimeKey(key: OneTimeKey): Promise<void> {
    return this.#run((s, j) => s.keys.insert(copy(key), j));
  }

  findOneTimeKey(keyHash: string): Promise<OneTimeKey | null> {
    return this.#run((s) => optional(s.keys.find('hash', keyHash)));
  }

  consumeOneTimeKey(keyHash: string, options: { purpose: KeyPurpose; at: Date; ip: string | null }): Promise<OneTimeKey | null> {
    return this.#run((s, j) => {
      const key = s.keys.find('hash', keyHash);
      if (key === undefined || key.purpose !== options.purpose || key.usedAt !== null || key.voidedAt !== null || key.expiresAt <= options.at) return null;
      const used = { ...key, usedAt: new Date(options.at), usedIp: options.ip };
      s.keys.put(used, j);
      return copy(used);
    });
  }

  voidOneTimeKeys(userId: string, purpose: KeyPurpose, at: Date): Promise<number> {
    return this.#run((s, j) => {
      let count = 0;
      for (const key of s.keys.where('user', userId)) {
        if (key.purpose === purpose && key.usedAt === null && key.voidedAt === null) {
          s.keys.put({ ...key, voidedAt: new Date(at) }, j);
          count += 1;
        }
      }
      return count;
    });
  }

  // password history

  appendPasswordHistory(entry: PasswordHistoryEntry): Promise<void> {
    return this.#run((s, j) => s.history.insert(copy(entry), j));
  }

  listPasswordHistory(userId: string, limit: number): Promise<PasswordHistoryEntry[]> {
    return this.#run((s) =>
      s.history
        .where('user', userId)
        .sort((a, b) => b.changedAt.getTime() - a.changedAt.getTime() || compare(b.id, a.id))
        .slice(0, limit)
        .map(copy),
    );
  }

  // login attempts

  insertLoginAttempt(attempt: LoginAttempt): Promise<void> {
    return this.#run((s, j) => s.attempts.insert(copy(attempt), j));
  }

  markLoginAttemptSucceeded(id: string): Promise<void> {
    return this.#run((s, j) => {
      const found = s.attempts.get(id);
      if (found !== undefined) s.attempts.put({ ...found, success: true }, j);
    });
  }

  listLoginFailures(filter: LoginFailureFilter, options: { since: Date; limit: number }): Promise<Date[]> {
    return this.#run((s) =>
      ('email' in filter ? s.attempts.where('failedEmail', filter.email) : s.attempts.where('failedIp', filter.ip))
        .filter((a) => !a.success && a.createdAt >= options.since)
        .map((a) => a.createdAt.getTime())
        .sort((a, b) => b - a)
        .slice(0, options.limit)
        .map((time) => new Date(time)),
    );
  }

  deleteLoginAttemptsBefore(before: Date): Promise<number> {
    return this.#run((s, j) => {
      const old = [...s.attempts.values()].filter((a) => a.createdAt < before);
      for (const attempt of old) s.attempts.delete(attempt.id, j);
      return old.length;
    });
  }

  // sign-in in two steps

  startSignIn(start: SignInStart): Promise<SignInState> {
    return this.#run((s, j) => {
      const { attempt, windowStart } = start;
      const user = s.users.find('email', attempt.email.toLowerCase());
      s.attempts.insert({ ...copy(attempt), userId: user?.id ?? null, success: false }, j);
      // The `limit + 1`-th newest failure since `since`, or null: what the SQL stores read with `offset limit`.
      const lockedBy = (attempts: LoginAttempt[], since: Date, limit: number): Date | null => {
        const times = attempts.filter((a) => !a.success && a.createdAt >= since).map((a) => a.createdAt.getTime());
        return times.length > limit ? new Date(times.sort((a, b) => b - a)[limit]!) : null;
      };
      const lastLogin = user?.lastLoginAt ?? null;
      const accountSince = lastLogin !== null && lastLogin > windowStart ? lastLogin : windowStart;
      const devices = user === undefined ? [] : s.devices.where('user', user.id);
      return {
        user: optional(user),
        accountLockedBy: lockedBy(s.attempts.where('failedEmail', attempt.email), accountSince, start.maxFailures),
        ipLockedBy: attempt.ip === null ? null : lockedBy(s.attempts.where('failedIp', attempt.ip), windowStart, start.maxFailuresPerIp),
        twoFactorEnabled: user !== undefined && s.twoFactor.get(user.id)?.enabledAt != null,
        deviceKnown: devices.some((d) => d.deviceHash === start.deviceHash),
        anyDeviceKnown: devices.length > 0,
      };
    });
  }

  finishSignIn(finish: SignInFinish): Promise<UserRecord | null> {
    return this.#run((s, j) => {
      const { user: read, at } = finish;
      const current = s.users.get(read.id);
      const same = (a: Date | null, b: Date | null): boolean => (a === null ? b === null : b !== null && a.getTime() === b.getTime());
      const unchanged =
        current !== undefined &&
        current.passwordHash === read.passwordHash &&
        current.status === read.status &&
        same(current.statusUntil, read.statusUntil) &&
        (current.emailVerifiedAt === null) === (read.emailVerifiedAt === null);
      if (!unchanged) return null;
      // Atomic on its own: undone as a whole when a write fails (a duplicate token hash).
      const journal: UndoStep[] = j ?? [];
      try {
        const next = copy({ ...current, lastLoginAt: at, updatedAt: at });
        s.users.put(next, journal);
        s.sessions.insert(copy(finish.session), journal);
        const attempt = s.attempts.get(finish.attemptId);
        if (attempt !== undefined) s.attempts.put({ ...attempt, success: true }, journal);
        s.activities.insert(copy(finish.activity), journal);
        if (finish.deviceHash !== null) rememberDevice(s, journal, { userId: read.id, deviceHash: finish.deviceHash, createdAt: at });
        return copy(next);
      } catch (error) {
        if (j === null) for (const undo of journal.reverse()) undo();
        throw error;
      }
    });
  }

  rememberDevice(userId: string, deviceHash: string, at: Date): Promise<void> {
    return this.#run((s, j) => {
      if (s.users.get(userId) === undefined) throw new Error(`MemoryAuthStore: no user ${userId} to remember a device of`);
      rememberDevice(s, j, { userId, deviceHash, createdAt: at });
    });
  }

  // rate limits

  hitRateLimit(key: string, hit: RateLimitHit): Promise<RateLimitDecision> {
    return this.#state.rateLimits.hitRateLimit(key, hit);
  }

  deleteRateLimitsBefore(before: Date): Promise<number> {
    return this.#state.rateLimits.deleteRateLimitsBefore(before);
  }

  // activity

  appendActivity(activity: Activity): Promise<void> {
    return this.#run((s, j) => s.activities.insert(copy(activity), j));
  }

  listActivities(query: ActivityQuery): Promise<Page<Activity>> {
    return this.#run((s) => {
      const action = query.action;
      const matches = (query.subjectId === undefined ? [...s.activities.values()] : s.activities.where('subject', query.subjectId))
        .filter((a) => query.actorId === undefined || a.actorId === query.actorId)
        .filter((a) => action === undefined || (action.endsWith('.') ? a.action.startsWith(action) : a.action === action))
        .filter((a) => query.from === undefined || a.createdAt >= query.from)
        .filter((a) => query.to === undefined || a.createdAt < query.to)
        .sort(byNewest);
      return pageOf(matches, query);
    });
  }

  deleteExpired(rows: ExpiredRows): Promise<DeletedRows> {
    return this.#run((s, j) => {
      const drop = <T extends object>(table: Table<T>, expired: (row: T) => boolean): number => {
        let deleted = 0;
        for (const row of [...table.values()]) {
          if (deleted >= rows.limit) break;
          if (expired(row)) table.delete(table.primaryKey(row), j), (deleted += 1);
        }
        return deleted;
      };
      const before = (at: Date | null, cutoff: Date | null): boolean => at !== null && cutoff !== null && at < cutoff;
      const { loginAttemptsBefore, sessionsBefore, oneTimeKeysBefore, activitiesBefore } = rows;
      return {
        loginAttempts: drop(s.attempts, (a) => before(a.createdAt, loginAttemptsBefore)),
        sessions: drop(s.sessions, (x) => before(x.expiresAt, sessionsBefore)) + drop(s.sessions, (x) => before(x.revokedAt, sessionsBefore)),
        oneTimeKeys: drop(s.keys, (k) => before(k.expiresAt, oneTimeKeysBefore)) + drop(s.keys, (k) => before(k.usedAt, oneTimeKeysBefore)),
        activities: drop(s.activities, (a) => before(a.createdAt, activitiesBefore)),
      };
    });
  }

  deleteActivitiesBefore(before: Date): Promise<number> {
    return this.#run((s, j) => {
      const old = [...s.activities.values()].filter((a) => a.createdAt < before);
      for (const activity of old) s.activities.delete(activity.id, j);
      return old.length;
    });
  }

  findTwoFactor(userId: string): Promise<TwoFactorRecord | null> {
    return this.#run((s) => {
      const found = s.twoFactor.get(userId);
      return found === undefined ? null : copy(found);
    });
  }

  upsertTwoFactor(record: TwoFactorRecord): Promise<void> {
    return this.#run((s, j) => {
      if (s.users.get(record.userId) === undefined) throw new AuthError('NOT_FOUND', { message: `No user ${record.userId}.` });
      s.twoFactor.put(copy(record), j);
    });
  }

  deleteTwoFactor(userId: string): Promise<boolean> {
    return this.#run((s, j) => s.twoFactor.delete(userId, j));
  }

  advanceTwoFactorStep(userId: string, step: number): Promise<boolean> {
    return this.#run((s, j) => {
      const found = s.twoFactor.get(userId);
      if (found === undefined || found.lastStep >= step) return false;
      s.twoFactor.put({ ...found, lastStep: step }, j);
      return true;
    });
  }
}

/**
 * One page of rows already sorted newest first: those after `after` (keyset), then `offset`
 * and `limit`; the total counts every match, up to `countLimit` as the SQL stores do.
 */
function pageOf<T extends { readonly createdAt: Date; readonly id: string }>(
  matches: readonly T[],
  query: { readonly offset: number; readonly limit: number; readonly after?: PageStart | undefined; readonly countLimit?: number | undefined },
  order: (a: PageStart, b: PageStart) => number = byNewest,
): Page<T> {
  const after = query.after;
  const rest = after === undefined ? matches : matches.filter((row) => order(row, after) > 0);
  const items = rest.slice(query.offset, query.offset + query.limit).map(copy);
  const limit = query.countLimit;
  if (limit !== undefined && matches.length > limit) return { items, total: limit, totalExact: false };
  return limit === undefined ? { items, total: matches.length } : { items, total: matches.length, totalExact: true };
}

function optional<T extends object>(row: T | undefined): T | null {
  return row === undefined ? null : copy(row);
}

function optionalList<T extends object>(row: T | undefined): T[] {
  return row === undefined ? [] : [copy(row)];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function permissionsOf(s: MemoryState, roleCode: string, activeOnly: boolean): string[] {
  const codes: string[] = [];
  for (const rp of s.rolePermissions.where('role', roleCode)) {
    if (activeOnly && s.permissions.get(rp.permissionCode)?.active !== true) continue;
    codes.push(rp.permissionCode);
  }
  return codes.sort(compare);
}

/** A user's grants, highest level first (see `session-bundle.ts`). */
function grantsOf(s: MemoryState, userId: string): RoleGrant[] {
  const grants: RoleGrant[] = [];
  for (const ur of s.userRoles.where('user', userId)) {
    const role = s.roles.get(ur.roleCode);
    if (role !== undefined) grants.push(grantOf(ur, role, s.activePermissions(role.code)));
  }
  return sortGrants(grants);
}
