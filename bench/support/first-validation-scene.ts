import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { MemoryAuthStore } from 'gatehouse/memory';

/**
 * The memory store as the first-validation figures use it (`bench/signin.ts` and, under
 * callgrind, `first-validation-target.ts`): two roles holding six permissions between them.
 * Answers a maker of `count` new users with both roles and one session each, never validated,
 * that resolves their tokens.
 */
export async function firstValidationScene(store: MemoryAuthStore, now: Date): Promise<(count: number) => Promise<string[]>> {
  for (const [code, level] of [['customer', 10], ['seller', 20]] as const) {
    await store.upsertRole({ code, name: code, description: '', level, active: true, createdAt: now, updatedAt: now });
  }
  for (const [i, code] of ['users:view', 'orders:view:own', 'orders:create', 'products:view', 'reports:view', 'profile:edit'].entries()) {
    const [module = '', ...action] = code.split(':');
    await store.upsertPermission({ code, name: code, module, action: action.join(':'), active: true, createdAt: now });
    await store.grantPermission(i % 2 === 0 ? 'customer' : 'seller', code);
  }
  let made = 0;
  return async (count) => {
    const tokens: string[] = [];
    for (let i = 0; i < count; i += 1, made += 1) {
      const userId = randomUUID();
      await store.insertUser({
        id: userId, email: `first${made}-${userId}@example.com`, name: `User ${made}`, passwordHash: null, status: 'active', statusReason: null, statusUntil: null,
        emailVerifiedAt: now, mustChangePassword: false, locale: null, attributes: { phone: '+58 412 1234567' }, lastLoginAt: null, createdAt: now, updatedAt: now,
      });
      for (const roleCode of ['customer', 'seller']) await store.assignRole({ userId, roleCode, assignedAt: now, assignedBy: null, expiresAt: null });
      const token = randomBytes(32).toString('base64url');
      await store.insertSession({
        id: randomUUID(), userId, tokenHash: createHash('sha256').update(token).digest('hex'), ip: null, userAgent: null, rememberMe: false, createdAt: now, lastActiveAt: now,
        expiresAt: new Date(now.getTime() + 3600_000), revokedAt: null,
      });
      tokens.push(token);
    }
    return tokens;
  };
}
