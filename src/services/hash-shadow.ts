import { generateToken, hashToken } from '../crypto/tokens.js';
import type { Stamps } from './stamps.js';

/*
 * Work done in the password hash's shadow. While argon2id runs (~9 ms on libuv's thread pool),
 * the event loop of a sign-in at concurrency 1 has nothing to do; what a successful sign-in
 * needs that depends neither on the hash's answer nor on the user — the session's token, the
 * token's SHA-256, the ids of the session and of its `login.succeeded` entry — is made then,
 * instead of after the hash, where it lengthened every sign-in (docs/performance.md, issue 21,
 * branch signin-c1). It is made for every verified attempt, a wrong password and an unknown
 * email alike, so that it tells nothing about the account; a refused one drops it.
 */

/** What a session started after the hash takes from before it. */
export interface SessionSeed {
  /** The session token, given to the client only if the sign-in succeeds. */
  readonly token: string;
  /** Its SHA-256, what the store keeps. */
  readonly tokenHash: string;
  /** The session's id. */
  readonly sessionId: string;
  /** The id of the `login.succeeded` entry. */
  readonly activityId: string;
}

/** A fresh {@link SessionSeed}. */
export function sessionSeed(stamps: Stamps): SessionSeed {
  const token = generateToken(stamps.random);
  return { token, tokenHash: hashToken(token), sessionId: stamps.newId(), activityId: stamps.newId() };
}

/**
 * Starts `verify` (the hasher's work begins at the call), runs `meanwhile` while it runs, and
 * resolves both. A `meanwhile` that throws leaves the verify's answer unheard, not unhandled.
 */
export async function whileVerifying<T>(verify: () => Promise<boolean>, meanwhile: () => T): Promise<{ matched: boolean; made: T }> {
  const verifying = verify();
  let made: T;
  try {
    made = meanwhile();
  } catch (error) {
    verifying.catch(() => undefined);
    throw error;
  }
  return { matched: await verifying, made };
}
