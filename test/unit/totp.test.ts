import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, matchTotp, totpStep, totpUri } from '../../src/crypto/totp.js';
import { SecretBox } from '../../src/crypto/secret-box.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('TOTP (RFC 6238) and HOTP (RFC 4226)', () => {
  it("matches RFC 4226 Appendix D's HOTP values for counters 0–9", () => {
    const key = ascii('12345678901234567890');
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expect(expected.map((_, counter) => hotp(key, counter))).toEqual(expected);
  });

  it("matches RFC 6238 Appendix B's SHA-1, SHA-256 and SHA-512 test vectors (8 digits)", () => {
    const keys = {
      sha1: ascii('12345678901234567890'),
      sha256: ascii('12345678901234567890123456789012'),
      sha512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
    } as const;
    const vectors: [number, string, string, string][] = [
      [59, '94287082', '46119246', '90693936'],
      [1111111109, '07081804', '68084774', '25091201'],
      [1111111111, '14050471', '67062674', '99943326'],
      [1234567890, '89005924', '91819424', '93441116'],
      [2000000000, '69279037', '90698825', '38618901'],
      [20000000000, '65353130', '77737706', '47863826'],
    ];
    for (const [seconds, sha1, sha256, sha512] of vectors) {
      const step = totpStep(new Date(seconds * 1000));
      expect(hotp(keys.sha1, step, { digits: 8 }), `sha1 @${seconds}`).toBe(sha1);
      expect(hotp(keys.sha256, step, { digits: 8, algorithm: 'sha256' }), `sha256 @${seconds}`).toBe(sha256);
      expect(hotp(keys.sha512, step, { digits: 8, algorithm: 'sha512' }), `sha512 @${seconds}`).toBe(sha512);
    }
  });

  it('accepts a code from one step either side and nothing further, telling which step matched', () => {
    const key = ascii('12345678901234567890');
    const at = new Date(1_700_000_000_000);
    const now = totpStep(at);
    expect(matchTotp(key, hotp(key, now), at)).toBe(now);
    expect(matchTotp(key, hotp(key, now - 1), at)).toBe(now - 1);
    expect(matchTotp(key, hotp(key, now + 1), at)).toBe(now + 1);
    expect(matchTotp(key, hotp(key, now - 2), at)).toBeNull();
    expect(matchTotp(key, hotp(key, now + 2), at)).toBeNull();
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456']) expect(matchTotp(key, bad, at), bad).toBeNull();
  });

  it('round-trips base32 and decodes the RFC 4648 test vectors', () => {
    expect(base32Encode(ascii('foobar'))).toBe('MZXW6YTBOI');
    expect(Buffer.from(base32Decode('MZXW6YTBOI======')!).toString()).toBe('foobar');
    expect(Buffer.from(base32Decode('mzxw 6ytb oi')!).toString()).toBe('foobar');
    expect(base32Decode('MZXW1')).toBeNull();
    const random = Uint8Array.from({ length: 20 }, (_, i) => (i * 37 + 11) & 0xff);
    expect(base32Decode(base32Encode(random))).toEqual(random);
  });

  it('builds the otpauth URI that authenticator apps read', () => {
    const uri = new URL(totpUri({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'Tienda Ejemplo', account: 'ana@example.com' }));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Tienda Ejemplo:ana@example.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ secret: 'JBSWY3DPEHPK3PXP', issuer: 'Tienda Ejemplo', algorithm: 'SHA1', digits: '6', period: '30' });
  });
});

describe('SecretBox', () => {
  const key = 'a'.repeat(64);

  it('seals with a fresh nonce each time and opens what it sealed', () => {
    const box = new SecretBox(key);
    const a = box.seal('JBSWY3DPEHPK3PXP');
    const b = box.seal('JBSWY3DPEHPK3PXP');
    expect(a).not.toBe(b);
    expect(a).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(a)).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses tampering and the wrong key, and still opens with a previous key after rotation', () => {
    const old = new SecretBox(key);
    const sealed = old.seal('secret');
    const parts = sealed.split('.');
    parts[2] = Buffer.from('tampered!').toString('base64url');
    expect(old.open(parts.join('.'))).toBeNull();
    expect(new SecretBox('b'.repeat(64)).open(sealed)).toBeNull();
    expect(new SecretBox('b'.repeat(64), [key]).open(sealed)).toBe('secret');
    expect(old.open('garbage')).toBeNull();
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => new SecretBox('short')).toThrow(TypeError);
    expect(() => new SecretBox(new Uint8Array(16))).toThrow(TypeError);
  });
});
