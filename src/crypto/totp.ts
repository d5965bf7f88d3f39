import { createHmac } from 'node:crypto';
import { safeEqual } from './tokens.js';

/** Seconds in one TOTP time step (RFC 6238's default, what authenticator apps use). */
export const TOTP_PERIOD = 30;
/** Digits in a code. */
export const TOTP_DIGITS = 6;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, the form `otpauth://` URIs and authenticator apps take. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes base32 (case-insensitive, spaces and padding ignored); `null` when malformed. */
export function base32Decode(text: string): Uint8Array | null {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of clean) {
    const value = BASE32.indexOf(char);
    if (value === -1) return null;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

/**
 * An HOTP code (RFC 4226): HMAC over the 8-byte big-endian counter, dynamic truncation,
 * the last `digits` decimal digits, zero-padded.
 */
export function hotp(key: Uint8Array, counter: number, options: { digits?: number; algorithm?: 'sha1' | 'sha256' | 'sha512' } = {}): string {
  const digits = options.digits ?? TOTP_DIGITS;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(options.algorithm ?? 'sha1', key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The TOTP time step of an instant (RFC 6238: floor(unix seconds / period)). */
export function totpStep(at: Date, period = TOTP_PERIOD): number {
  return Math.floor(at.getTime() / 1000 / period);
}

/**
 * The time step whose code matches `code`, looking `drift` steps either side of `at`, or
 * `null`. Every candidate is compared in constant time, so timing does not tell which one
 * matched or how close a guess came.
 */
export function matchTotp(key: Uint8Array, code: string, at: Date, drift = 1): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const now = totpStep(at);
  let matched: number | null = null;
  for (let step = now - drift; step <= now + drift; step += 1) {
    if (safeEqual(hotp(key, step), code) && matched === null) matched = step;
  }
  return matched;
}

/** The `otpauth://totp/…` URI that authenticator apps read from a QR code. */
export function totpUri(options: { secret: string; issuer: string; account: string }): string {
  const label = `${encodeURIComponent(options.issuer)}:${encodeURIComponent(options.account)}`;
  const query = new URLSearchParams({
    secret: options.secret,
    issuer: options.issuer,
    algorithm: 'SHA1',
    digits: String(TOTP_DIGITS),
    period: String(TOTP_PERIOD),
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}
