/** What `AuthStore.deleteExpired()` deletes: rows older than each cut-off, at most `limit` of each kind. */
export interface ExpiredRows {
  /** Login attempts made before this instant; `null`: keep them. */
  readonly loginAttemptsBefore: Date | null;
  /** Sessions that expired, or were revoked, before this instant; `null`: keep them. */
  readonly sessionsBefore: Date | null;
  /** One-time keys that expired, or were used, before this instant; `null`: keep them. */
  readonly oneTimeKeysBefore: Date | null;
  /** Activities written before this instant; `null`: keep them. */
  readonly activitiesBefore: Date | null;
  /** At most this many rows of each kind per call: a batch short enough not to hold locks for long. */
  readonly limit: number;
}

/** How many rows of each kind `AuthStore.deleteExpired()` deleted. */
export interface DeletedRows {
  /** Login attempts deleted. */
  readonly loginAttempts: number;
  /** Sessions deleted. */
  readonly sessions: number;
  /** One-time keys deleted. */
  readonly oneTimeKeys: number;
  /** Activities deleted. */
  readonly activities: number;
}
