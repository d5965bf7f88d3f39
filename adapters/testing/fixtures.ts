import { randomUUID } from 'node:crypto';
import type { Activity, LoginAttempt, OneTimeKey, Permission, Role, SessionRecord, UserRecord } from 'gatehouse';

/** A fixed instant the fixtures count from (millisecond precision, as every store keeps). */
export const T0 = new Date('2030-01-01T00:00:00.000Z');

/** `T0` plus a number of seconds. */
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

let serial = 0;
const next = (): number => (serial += 1);

/** A 64-character hex string standing for a SHA-256 hash. */
export const hex64 = (): string => (randomUUID() + randomUUID()).replace(/-/g, '');

export function user(overrides: Partial<UserRecord> = {}): UserRecord {
  const n = next();
  return {
    id: randomUUID(),
    email: `user${n}-${randomUUID().slice(0, 8)}@example.com`,
    name: `User ${n}`,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g',
    status: 'active',
    statusReason: null,
    statusUntil: null,
    emailVerifiedAt: null,
    mustChangePassword: false,
    locale: null,
    attributes: {},
    lastLoginAt: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function role(overrides: Partial<Role> = {}): Role {
  const n = next();
  return { code: `role${n}`, name: `Role ${n}`, description: '', level: 10, active: true, createdAt: T0, updatedAt: T0, ...overrides };
}

export function permission(code: string, overrides: Partial<Permission> = {}): Permission {
  const [module = '*', ...rest] = code.split(':');
  return { code, name: code, module, action: rest.join(':') || '*', active: true, createdAt: T0, ...overrides };
}

export function session(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    userId,
    tokenHash: hex64(),
    ip: '203.0.113.7',
    userAgent: 'conformance',
    rememberMe: false,
    createdAt: T0,
    lastActiveAt: T0,
    expiresAt: at(1800),
    revokedAt: null,
    ...overrides,
  };
}

export function key(userId: string, overrides: Partial<OneTimeKey> = {}): OneTimeKey {
  return {
    id: randomUUID(),
    userId,
    purpose: 'password-reset',
    keyHash: hex64(),
    sentTo: 'someone@example.com',
    createdAt: T0,
    expiresAt: at(1800),
    usedAt: null,
    usedIp: null,
    voidedAt: null,
    ...overrides,
  };
}

export function attempt(overrides: Partial<LoginAttempt> = {}): LoginAttempt {
  return { id: randomUUID(), email: 'someone@example.com', userId: null, ip: '203.0.113.7', success: false, createdAt: T0, ...overrides };
}

export function activity(overrides: Partial<Activity> = {}): Activity {
  return {
    id: randomUUID(),
    subjectId: null,
    actorId: null,
    action: 'test.action',
    details: 'A test entry.',
    ip: null,
    userAgent: null,
    metadata: {},
    createdAt: T0,
    ...overrides,
  };
}
