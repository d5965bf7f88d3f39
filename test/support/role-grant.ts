import type { RoleGrant } from 'gatehouse';

/** A role grant of user `u1` as a store answers it, its role and assignment made at `at`. */
export function roleGrant(at: Date, roleCode: string, permissions: string[], fields: { name?: string; level?: number; active?: boolean; expiresAt?: Date | null } = {}): RoleGrant {
  const { name = roleCode, level = 10, active = true, expiresAt = null } = fields;
  return {
    userId: 'u1',
    roleCode,
    assignedAt: at,
    assignedBy: null,
    expiresAt,
    role: { code: roleCode, name, description: '', level, active, createdAt: at, updatedAt: at },
    permissions,
  };
}
