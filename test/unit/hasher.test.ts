import { describe, expect, it } from 'vitest';
import bcrypt from 'bcryptjs';
import { hash as argon2Hash } from '@node-rs/argon2';
import { Argon2PasswordHasher } from 'gatehouse';

describe('Argon2PasswordHasher', () => {
  const hasher = new Argon2PasswordHasher();

  it("hashes with argon2id at OWASP's parameters by default (m=19456 KiB, t=2, p=1), salting every hash", async () => {
    const a = await hasher.hash('correct horse battery staple');
    const b = await hasher.hash('correct horse battery staple');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await hasher.verify(a, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(a, 'correct horse battery stapl')).toBe(false);
    expect(hasher.needsRehash(a)).toBe(false);
  });

  it('verifies legacy bcrypt hashes ($2a$, $2b$ and PHP $2y$) and asks for them to be rehashed', async () => {
    const legacy = await bcrypt.hash('clave-vieja', 4);
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const stored = prefix + legacy.slice(4);
      expect(await hasher.verify(stored, 'clave-vieja'), prefix).toBe(true);
      expect(await hasher.verify(stored, 'clave-nueva'), prefix).toBe(false);
      expect(hasher.needsRehash(stored), prefix).toBe(true);
    }
  });

  it("verifies the hash PHP's own password_hash() documentation prints for 'rasmuslerdorf'", async () => {
    const fromPhpDocs = '$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a';
    expect(await hasher.verify(fromPhpDocs, 'rasmuslerdorf')).toBe(true);
    expect(await hasher.verify(fromPhpDocs, 'rasmuslerdorF')).toBe(false);
  });

  it('answers false, never throws, for malformed or unknown hashes', async () => {
    for (const stored of ['', 'plain-text-password', '$argon2id$broken', '$2y$10$short', '$1$md5crypt$xyz', 'x'.repeat(10_000)]) {
      expect(await hasher.verify(stored, 'plain-text-password'), stored.slice(0, 20)).toBe(false);
    }
  });

  it('asks to rehash argon2 hashes made with other parameters or variants', async () => {
    const weaker = await argon2Hash('x', { memoryCost: 4096, timeCost: 1, algorithm: 2 });
    expect(await hasher.verify(weaker, 'x')).toBe(true);
    expect(hasher.needsRehash(weaker)).toBe(true);
    const stronger = new Argon2PasswordHasher({ memoryCost: 19456 * 2, timeCost: 3 });
    expect(stronger.needsRehash(await stronger.hash('x'))).toBe(false);
    expect(hasher.needsRehash(weaker.replace('$argon2id$', '$argon2i$'))).toBe(true);
  });

  it('verifies the same password typed with composed or decomposed accents', async () => {
    const composed = 'contraseña segura'; // ñ as one code point
    const decomposed = 'contrasen\u0303a segura'; // n + combining tilde
    expect(composed).not.toBe(decomposed);
    expect(await hasher.verify(await hasher.hash(composed), decomposed)).toBe(true);
  });

  it('refuses nonsensical parameters at construction', () => {
    expect(() => new Argon2PasswordHasher({ memoryCost: 0 })).toThrow(TypeError);
    expect(() => new Argon2PasswordHasher({ timeCost: 1.5 })).toThrow(TypeError);
  });

  it('refuses parameters below OWASP\'s floor (m=19456 KiB, t=2), naming the parameter', () => {
    expect(() => new Argon2PasswordHasher({ memoryCost: 19455 })).toThrow(/memoryCost/);
    expect(() => new Argon2PasswordHasher({ memoryCost: 1024, timeCost: 1 })).toThrow(/memoryCost/);
    expect(() => new Argon2PasswordHasher({ timeCost: 1 })).toThrow(/timeCost/);
    expect(() => new Argon2PasswordHasher({ memoryCost: 19456, timeCost: 2 })).not.toThrow();
  });
});
