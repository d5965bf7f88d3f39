/**
 * The signed-in user the HTTP benches guard routes against: an active account holding one
 * role (`analyst`) with three permissions, `reports:view` among them, on the memory store.
 */
import { createAuth, type Auth } from 'gatehouse';
import { TestPasswordHasher } from 'gatehouse/testing';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';

/** An auth on a fresh memory store, with the bench user signed in once. */
export interface BenchUser {
  readonly auth: Auth;
  readonly store: MemoryAuthStore;
  /** The session token of the bench user's session (the cookie's value). */
  readonly token: string;
}

/** Creates the memory store and the auth, seeds the role and the user, and signs in. */
export async function benchUser(): Promise<BenchUser> {
  const store = new MemoryAuthStore();
  const mailer = new MemoryMailer();
  const auth = createAuth({ store, mailer, hasher: new TestPasswordHasher() });
  const password = 'correct horse battery staple';
  const now = new Date();
  await store.upsertRole({ code: 'analyst', name: 'Analyst', description: '', level: 20, active: true, createdAt: now, updatedAt: now });
  for (const code of ['reports:view', 'orders:view', 'products:view']) {
    const [module = '', action = ''] = code.split(':');
    await store.upsertPermission({ code, name: code, module, action, active: true, createdAt: now });
    await store.grantPermission('analyst', code);
  }
  const { user } = await auth.accounts.register({ email: 'bench@example.com', password, name: 'Bench' });
  await auth.accounts.activate({ key: mailer.last({ kind: 'activation' })!.key! });
  await store.assignRole({ userId: user.id, roleCode: 'analyst', assignedAt: now, assignedBy: null, expiresAt: null });
  const { token } = await auth.sessions.login({ email: 'bench@example.com', password });
  return { auth, store, token };
}
