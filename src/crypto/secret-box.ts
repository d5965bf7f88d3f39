import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * Authenticated encryption of small secrets at rest (TOTP secrets) with AES-256-GCM and a
 * key the application supplies: a database dump alone does not give away second factors.
 * Older keys can still decrypt, so the key can be rotated.
 */
export class SecretBox {
  readonly #key: Buffer;
  readonly #previous: readonly Buffer[];

  /** @throws {TypeError} — when a key is not 32 bytes (64 hex characters or 43–44 base64 characters). */
  constructor(key: string | Uint8Array, previousKeys: readonly (string | Uint8Array)[] = []) {
    this.#key = toKey(key);
    this.#previous = previousKeys.map(toKey);
  }

  /** Encrypts, with a fresh 96-bit nonce: `v1.<nonce>.<ciphertext>.<tag>`, base64url parts. */
  seal(plaintext: string): string {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, nonce, body, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** Decrypts with the current key, then the previous ones; `null` when none opens it or it was tampered with. */
  open(sealed: string): string | null {
    const [version, nonce, body, tag] = sealed.split('.');
    if (version !== VERSION || nonce === undefined || body === undefined || tag === undefined) return null;
    for (const key of [this.#key, ...this.#previous]) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // wrong key or tampered: try the next key
      }
    }
    return null;
  }
}

function toKey(key: string | Uint8Array): Buffer {
  const bytes = typeof key !== 'string' ? Buffer.from(key) : /^[0-9a-f]{64}$/i.test(key) ? Buffer.from(key, 'hex') : Buffer.from(key, 'base64');
  if (bytes.length !== 32) throw new TypeError('twoFactor.encryptionKey must be 32 bytes: 64 hex characters or base64 of 32 bytes');
  return bytes;
}
