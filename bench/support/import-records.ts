/**
 * Import records shaped like seed 004's users, shared by the import bench and the import
 * statement-count test so that both measure the same work.
 */
import { randomUUID } from 'node:crypto';
import type { ImportRecord } from 'gatehouse';

/** One real bcrypt shape (the import checks the form, never the password): hashing thousands would measure bcrypt. */
export const LEGACY_HASH = '$2y$10$abcdefghijklmnopqrstuuJ0qtpo7bR4vY0FzV1o6zA9WgA0xwE7W';
/** The roles the records are given, two each. */
export const IMPORT_ROLES = ['customer', 'seller', 'moderator'] as const;

const day = (n: number): Date => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000);

/** How {@link importRecords} varies its records. */
export interface ImportRecordsOptions {
  /** The first user's number. */
  readonly from: number;
  readonly count: number;
  /** Put into each email and document number, to keep several sets apart in one database. @default '' */
  readonly scope?: string;
  /** Appended to each name and activity key: the same users, changed. @default '' */
  readonly tag?: string;
  /** Give each record a gatehouse id of its own (as `uuid_usuario` does) instead of letting the import make one. @default false */
  readonly withIds?: boolean;
  /** Make each user's third activity name another user (by `legacyId`) as its actor. @default false */
  readonly withActors?: boolean;
}

/** `count` users, each with two identifiers, two roles, two password-history entries and three activities. */
export function importRecords(options: ImportRecordsOptions): ImportRecord[] {
  const { from, count, scope = '', tag = '', withIds = false, withActors = false } = options;
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      source: `usuarios.id ${i}`,
      id: withIds ? randomUUID() : null,
      email: `user${scope}${i}@example.com`,
      legacyEmail: null,
      name: `User ${i}${tag}`,
      password: { hash: LEGACY_HASH, scheme: 'bcrypt' },
      identifiers: { legacyId: String(i), documentNumber: `CC-${scope}${i}` },
      status: 'active',
      statusReason: null,
      statusUntil: null,
      emailVerifiedAt: day(1),
      createdAt: day(0),
      lastLoginAt: day(30),
      locale: 'es',
      attributes: { city: 'Bogotá' },
      roles: [
        { code: IMPORT_ROLES[i % 3]!, assignedAt: day(0), expiresAt: null },
        { code: IMPORT_ROLES[(i + 1) % 3]!, assignedAt: day(2), expiresAt: day(400) },
      ],
      passwordHistory: [
        { hash: LEGACY_HASH, scheme: 'bcrypt', changedAt: day(0), reason: 'registered', forced: false },
        { hash: LEGACY_HASH, scheme: 'bcrypt', changedAt: day(10), reason: 'changed', forced: false },
      ],
      twoFactor: null,
      activities: [0, 1, 2].map((n) => ({
        sourceKey: `historial_acceso.id ${i * 3 + n}${tag}`,
        action: n === 1 ? 'login.failed' : 'login.succeeded',
        at: day(20 + n),
        details: 'Signed in.',
        ip: '203.0.113.10',
        userAgent: 'Mozilla/5.0',
        actor: withActors && n === 2 ? { identifier: 'legacyId', value: String(i + 100_000) } : null,
        metadata: {},
      })),
    };
  });
}

/** The roles of {@link IMPORT_ROLES}, for `auth.roles.seed()` before an import. */
export const IMPORT_ROLE_SEED = {
  roles: IMPORT_ROLES.map((code, i) => ({ code, name: code, description: '', level: 10 * (i + 1), permissions: [] })),
  permissions: [],
};
