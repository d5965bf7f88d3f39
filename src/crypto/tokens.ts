import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import type { Clock, RandomSource } from '../ports/clock.js';

/** Bytes of randomness in every session token and one-time key: 256 bits. */
export const TOKEN_BYTES = 32;

/** The shape of a token or key: 32 bytes in base64url without padding. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The length of every token and key ({@link TOKEN_PATTERN}). */
export const TOKEN_LENGTH = 43;

/** A fresh 256-bit token, base64url. */
export function generateToken(random: RandomSource): string {
  const bytes = random.bytes(TOKEN_BYTES);
  if (bytes.length !== TOKEN_BYTES) throw new TypeError(`random.bytes(${TOKEN_BYTES}) returned ${bytes.length} bytes`);
  return Buffer.from(bytes).toString('base64url');
}

/** Hex SHA-256 of a token: what the store keeps instead of the token. */
export function hashToken(token: string): string {
  return oneShotHash === undefined ? createHash('sha256').update(token, 'utf8').digest('hex') : oneShotHash('sha256', token, 'hex');
}

// crypto.hash() (Node ≥ 20.12) skips the Hash object: a few times faster on the session-validation path.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/**
 * Compares two strings in constant time for equal lengths: `===` leaks the length of the
 * common prefix. Every character is compared, without an early exit, and nothing is
 * allocated (this runs on every request); the lengths themselves are not secret.
 */
export function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * Makes UUIDs version 7: a millisecond timestamp, a 12-bit sequence, then random bits. Ids
 * sort by creation time, and ids made in the same millisecond by one generator sort in the
 * order they were made (RFC 9562, method 1), so index inserts stay local and entries
 * written in one instant keep their order.
 */
export function uuidv7Generator(clock: Clock, random: RandomSource): () => string {
  let lastMs = -1;
  let sequence = 0;
  // Random bytes for 128 ids at a time: one call to the random source per id costs more than the rest of the id (an import makes several per user).
  let pool = Buffer.alloc(0);
  let used = 0;
  return () => {
    let ms = clock.now().getTime();
    if (ms <= lastMs) {
      ms = lastMs;
      sequence += 1;
      if (sequence > 0xfff) {
        ms += 1; // the sequence overflowed: borrow the next millisecond
        sequence = 0;
      }
    } else {
      sequence = 0;
    }
    lastMs = ms;
    if (used + 16 > pool.length) {
      pool = Buffer.from(random.bytes(16 * 128));
      used = 0;
    }
    const bytes = Buffer.from(pool.subarray(used, (used += 16)));
    bytes.writeUIntBE(ms, 0, 6);
    bytes[6] = 0x70 | (sequence >> 8);
    bytes[7] = sequence & 0xff;
    bytes[8] = 0x80 | (bytes[8]! & 0x3f);
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}
