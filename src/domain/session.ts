/** A signed-in session. The token itself is never stored, only its SHA-256 hash. */
export interface Session {
  /** UUID; safe to show and to use for revoking. */
  readonly id: string;
  /** The id of the user the session belongs to. */
  readonly userId: string;
  /** The client address at sign-in, or `null` when unknown. */
  readonly ip: string | null;
  /** The client's `User-Agent` at sign-in, or `null` when unknown. */
  readonly userAgent: string | null;
  /** Whether the user asked to be remembered: the session then lives `rememberMeLifetime` from sign-in. */
  readonly rememberMe: boolean;
  /** When the user signed in. */
  readonly createdAt: Date;
  /** Last time a request renewed the session (written at most once per renewal interval). */
  readonly lastActiveAt: Date;
  /** The current deadline: idle expiry, capped by the absolute lifetime. */
  readonly expiresAt: Date;
  /** When the session was ended (logout, revocation, a password change, a block), or `null` while it may be used. */
  readonly revokedAt: Date | null;
}

/** A session as the store holds it. */
export interface SessionRecord extends Session {
  /** Hex SHA-256 of the token. */
  readonly tokenHash: string;
}

/** A stored session without its token hash (and without any field a store added). */
export function toSession(record: SessionRecord): Session {
  return {
    id: record.id,
    userId: record.userId,
    ip: record.ip,
    userAgent: record.userAgent,
    rememberMe: record.rememberMe,
    createdAt: record.createdAt,
    lastActiveAt: record.lastActiveAt,
    expiresAt: record.expiresAt,
    revokedAt: record.revokedAt,
  };
}

/** Session lifetimes, in seconds. */
export interface SessionTimes {
  readonly idleTimeout: number;
  readonly absoluteLifetime: number;
  readonly rememberMeLifetime: number;
}

/**
 * The deadline of a session last active at `lastActiveAt`: idle expiry capped by the
 * absolute lifetime. A remember-me session lives its fixed lifetime from creation.
 */
export function sessionDeadline(
  session: Pick<Session, 'createdAt' | 'rememberMe'>,
  lastActiveAt: Date,
  times: SessionTimes,
): Date {
  return new Date(deadlineMs(session, lastActiveAt.getTime(), times));
}

/** {@link sessionDeadline} in epoch milliseconds. */
function deadlineMs(session: Pick<Session, 'createdAt' | 'rememberMe'>, lastActiveMs: number, times: SessionTimes): number {
  const created = session.createdAt.getTime();
  if (session.rememberMe) return created + times.rememberMeLifetime * 1000;
  return Math.min(lastActiveMs + times.idleTimeout * 1000, created + times.absoluteLifetime * 1000);
}

/** Whether a session is usable at `now`: not revoked and before its deadline under the current times. */
export function isSessionLive(session: Session, now: Date, times: SessionTimes): boolean {
  if (session.revokedAt !== null) return false;
  const deadline = Math.min(session.expiresAt.getTime(), deadlineMs(session, session.lastActiveAt.getTime(), times));
  return now.getTime() < deadline;
}
