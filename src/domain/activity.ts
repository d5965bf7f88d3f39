import type { JsonObject } from './user.js';

/** An entry of the append-only activity log. */
export interface Activity {
  /** UUID. */
  readonly id: string;
  /** The user the entry is about, when known. */
  readonly subjectId: string | null;
  /** The user who acted; `null` for the user themselves when anonymous, or the application. */
  readonly actorId: string | null;
  /** A dotted action name, e.g. `login.failed` or `user.blocked`. */
  readonly action: string;
  /** A short human-readable sentence. */
  readonly details: string;
  /** The client address of the call, when known. */
  readonly ip: string | null;
  /** The client's `User-Agent`, when known. */
  readonly userAgent: string | null;
  /** Structured data: before/after, reason, attempted email, failure reason. */
  readonly metadata: JsonObject;
  /** When it happened. */
  readonly createdAt: Date;
}

/** A past password hash of a user. */
export interface PasswordHistoryEntry {
  /** UUID. */
  readonly id: string;
  /** The user whose password it was. */
  readonly userId: string;
  /** The hash of that password (never the password). */
  readonly passwordHash: string;
  /** When the password was set. */
  readonly changedAt: Date;
  /** Why it changed: `registered`, `changed`, `reset`, `admin`. */
  readonly reason: string;
  /** Whether an administrator forced the change. */
  readonly forced: boolean;
}

/** One login attempt, the ledger behind lockouts. */
export interface LoginAttempt {
  /** UUID. */
  readonly id: string;
  /** The email as submitted (lower-cased), whether or not an account has it. */
  readonly email: string;
  /** The account tried, when the email has one. */
  readonly userId: string | null;
  /** The client address key (an IPv6 client grouped by /64), or `null` when unknown. */
  readonly ip: string | null;
  /** Whether the attempt succeeded (counted as a failure until its password matched). */
  readonly success: boolean;
  /** When it was made. */
  readonly createdAt: Date;
}

/** One page of results. */
export interface Page<T> {
  /** The items of the page asked for. */
  readonly items: T[];
  /**
   * How many items match, over every page — exactly when {@link totalExact} is `true` or
   * absent; otherwise a lower bound: more than `total` match.
   */
  readonly total: number;
  /**
   * `false` when counting stopped at a limit (the query's `countLimit`) and more items match
   * than {@link total} says; `true` or absent when `total` is exact.
   */
  readonly totalExact?: boolean;
}

/**
 * One page of a list an administrator reads (`users.list`, `audit.query`): the items, a
 * total that is exact only when counting it is cheap, and a cursor to the next page.
 */
export interface ListPage<T> extends Page<T> {
  /**
   * How many items match, counted up to a limit — 1,000, or 100 for a `users.list()` whose
   * filters combine (two or more of `status`, `role` and the words of `q`): when more match,
   * `total` is the limit and {@link totalExact} is `false` — show it as "more than 1,000" (or
   * "more than 100") — so that a page of a table of millions never counts millions of rows.
   */
  readonly total: number;
  /** Whether {@link total} is the exact count; `false`: more than `total` match. */
  readonly totalExact: boolean;
  /**
   * An opaque cursor to the page after this one (pass it back as `cursor`), or `null` when
   * this page is the last. Paging by cursor costs the same at any depth, where a deep `page`
   * number makes the database skip every row before it.
   */
  readonly nextCursor: string | null;
}

/** Where a page read by cursor starts: after the item with this `createdAt` and `id`, newest first. */
export interface PageStart {
  /** The `createdAt` of the last item of the previous page. */
  readonly createdAt: Date;
  /** Its id. */
  readonly id: string;
}
