import type { JsonObject } from './user.js';

/** An entry of the append-only activity log. */
export interface Activity {
  readonly id: string;
  /** The user the entry is about, when known. */
  readonly subjectId: string | null;
  /** The user who acted; `null` for the user themselves when anonymous, or the application. */
  readonly actorId: string | null;
  /** A dotted action name, e.g. `login.failed` or `user.blocked`. */
  readonly action: string;
  /** A short human-readable sentence. */
  readonly details: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** Structured data: before/after, reason, attempted email, failure reason. */
  readonly metadata: JsonObject;
  readonly createdAt: Date;
}

/** A past password hash of a user. */
export interface PasswordHistoryEntry {
  readonly id: string;
  readonly userId: string;
  readonly passwordHash: string;
  readonly changedAt: Date;
  /** Why it changed: `registered`, `changed`, `reset`, `admin`. */
  readonly reason: string;
  /** Whether an administrator forced the change. */
  readonly forced: boolean;
}

/** One login attempt, the ledger behind lockouts. */
export interface LoginAttempt {
  readonly id: string;
  /** The email as submitted (lower-cased), whether or not an account has it. */
  readonly email: string;
  readonly userId: string | null;
  /** The client address key (an IPv6 client grouped by /64), or `null` when unknown. */
  readonly ip: string | null;
  readonly success: boolean;
  readonly createdAt: Date;
}

/** One page of results. */
export interface Page<T> {
  readonly items: T[];
  readonly total: number;
}
