/** A named set of permissions with a level; higher levels carry more power. */
export interface Role {
  /** Unique code, e.g. `admin`. */
  readonly code: string;
  /** A human-readable name, e.g. `Seller`. */
  readonly name: string;
  /** What holders of the role do. */
  readonly description: string;
  /** Higher is more powerful; the principal role of a user is the one with the highest level. */
  readonly level: number;
  /** An inactive role grants nothing. */
  readonly active: boolean;
  /** When the role was created. */
  readonly createdAt: Date;
  /** When the role last changed. */
  readonly updatedAt: Date;
}

/** A permission: `module:action` or `module:action:own`. */
export interface Permission {
  /** Unique code, e.g. `orders:view` or `orders:view:own`. */
  readonly code: string;
  /** A human-readable name, e.g. `View orders`. */
  readonly name: string;
  /** The part of the code before the first colon, e.g. `orders`. */
  readonly module: string;
  /** The part of the code after the module, e.g. `view` or `view:own`. */
  readonly action: string;
  /** An inactive permission grants nothing. */
  readonly active: boolean;
  /** When the permission was created. */
  readonly createdAt: Date;
}

/** The assignment of a role to a user. */
export interface UserRole {
  /** The user holding the role. */
  readonly userId: string;
  /** The role held. */
  readonly roleCode: string;
  /** When the role was given. */
  readonly assignedAt: Date;
  /** Who assigned it; `null` for the application itself. */
  readonly assignedBy: string | null;
  /** After this instant the assignment grants nothing; `null` for permanent. */
  readonly expiresAt: Date | null;
}

/** A user's role assignment as the store returns it: the role and its active permission codes. */
export interface RoleGrant extends UserRole {
  /** The role itself. */
  readonly role: Role;
  /** Codes of the role's permissions that are active. */
  readonly permissions: readonly string[];
}

/** A role a user holds right now. */
export interface ActiveRole {
  /** The role's code, e.g. `seller`. */
  readonly code: string;
  /** The role's human-readable name. */
  readonly name: string;
  /** The role's level: higher is more power. */
  readonly level: number;
  /** When this assignment ends, or `null` for never. */
  readonly expiresAt: Date | null;
}

/** Whether an assignment grants anything at `now`: the role is active and the assignment unexpired. */
export function isGrantLive(grant: RoleGrant, now: Date): boolean {
  return grant.role.active && (grant.expiresAt === null || grant.expiresAt > now);
}

/** The live roles of a user, highest level first. */
export function liveRoles(grants: readonly RoleGrant[], now: Date): ActiveRole[] {
  return grants
    .filter((grant) => isGrantLive(grant, now))
    .map((grant) => ({ code: grant.role.code, name: grant.role.name, level: grant.role.level, expiresAt: grant.expiresAt }))
    .sort((a, b) => b.level - a.level || a.code.localeCompare(b.code));
}

/** The effective permission codes of a user: the union over live roles. */
export function livePermissions(grants: readonly RoleGrant[], now: Date): string[] {
  const codes = new Set<string>();
  for (const grant of grants) {
    if (isGrantLive(grant, now)) for (const code of grant.permissions) codes.add(code);
  }
  return [...codes].sort();
}

/** The level of a user's principal role, or 0 without roles. */
export function principalLevel(roles: readonly ActiveRole[]): number {
  return roles.reduce((max, role) => Math.max(max, role.level), 0);
}
