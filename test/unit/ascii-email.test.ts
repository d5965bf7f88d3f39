import * as url from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { seededRandom } from '../support/seeded-random.js';

// The ICU calls of the full path, watched: a plain ASCII address must not reach them.
vi.mock('node:url', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:url')>();
  return { ...actual, domainToASCII: vi.fn(actual.domainToASCII), domainToUnicode: vi.fn(actual.domainToUnicode) };
});

const { normalizeEmail } = await import('../../src/validation/email.js');

/** `normalizeEmail` with the ASCII fast path switched off: the full path alone, the reference. */
async function fullPath(): Promise<(input: string) => string | null> {
  vi.resetModules();
  vi.doMock('../../src/validation/ascii-email.js', async (importOriginal) => ({
    ...(await importOriginal<typeof import('../../src/validation/ascii-email.js')>()),
    asciiLocalPart: () => undefined,
    asciiDomain: () => undefined,
  }));
  const module = await import('../../src/validation/email.js');
  vi.doUnmock('../../src/validation/ascii-email.js');
  return module.normalizeEmail;
}

/** Pieces the edges of the checks are made of: case, digits, hex and punycode prefixes, hyphens, dots, other ASCII. */
const LOCAL_PIECES = ['a', 'Z', 'x', '0', '9', '.', '..', '-', '_', '+', "'", '"', ' ', '(', 'é', 'ı', 'abcdefghij'];
const DOMAIN_PIECES = ['a', 'B', 'x', 'n', 'xn--', 'XN--', 'xn--pealara-5za', 'xn--e1afmkfd', '0', '9', '0x', '0X', 'f', '.', '-', '--', '_', 'ñ', 'com', 'Example', 'org', '123', 'abcdefghijklmnopqrstuvwxyzabcdefghij'];

function address(next: () => number): string {
  const pick = (pieces: readonly string[], count: number): string => Array.from({ length: count }, () => pieces[Math.floor(next() * pieces.length)]!).join('');
  const local = next() < 0.05 ? 'a'.repeat(60 + Math.floor(next() * 10)) : pick(LOCAL_PIECES, 1 + Math.floor(next() * 4));
  const labels = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(DOMAIN_PIECES, 1 + Math.floor(next() * 3)));
  const domain = next() < 0.05 ? `${'a'.repeat(60 + Math.floor(next() * 8))}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60 + Math.floor(next() * 8))}.com` : labels.join('.');
  return `${local}@${domain}`;
}

afterEach(() => {
  vi.mocked(url.domainToASCII).mockClear();
  vi.mocked(url.domainToUnicode).mockClear();
});

describe('normalizeEmail(): the ASCII fast path', () => {
  it('answers a plain ASCII address without the ICU calls of the full path', () => {
    expect(normalizeEmail('Some.One+tag@Mail.Example.COM')).toBe('some.one+tag@mail.example.com');
    expect(normalizeEmail('a@example.0x1f')).toBeNull();
    expect(url.domainToASCII).not.toHaveBeenCalled();
    expect(url.domainToUnicode).not.toHaveBeenCalled();
    // Punycode and other scripts still go the full way.
    expect(normalizeEmail('diego@xn--pealara-5za.com.co')).toBe('diego@xn--pealara-5za.com.co');
    expect(normalizeEmail('diego@peñalara.com.co')).toBe('diego@xn--pealara-5za.com.co');
    expect(url.domainToASCII).toHaveBeenCalledTimes(2);
  });

  it('answers every address as the full path does', async () => {
    const reference = await fullPath();
    const next = seededRandom(21);
    const fixed = [
      'a@b.c', 'A@B.C', 'a@1.2.3.4', 'a@example.123', 'a@example.0x', 'a@example.0X1F', 'a@example.0x1g', 'a@example.08', 'a@0x7f.1', 'a@example.09a',
      'a@-example.com', 'a@example-.com', 'a@ex--ample.com', 'a@xn--.com', 'a@xn--a.com', 'a@XN--PEALARA-5ZA.com', 'a@example.com.', 'a@.example.com',
      'a@localhost', '.a@example.com', 'a.@example.com', 'a..b@example.com', `${'a'.repeat(64)}@example.com`, `${'a'.repeat(65)}@example.com`,
      `a@${'b'.repeat(63)}.com`, `a@${'b'.repeat(64)}.com`, `a@${Array.from({ length: 4 }, () => 'c'.repeat(63)).join('.')}.com`, 'a_b@exa_mple.com',
      "o'hara@example.com", 'a@@example.com', '@example.com', 'a@',
    ];
    const addresses = [...fixed, ...Array.from({ length: 20_000 }, () => address(next))];
    let plain = 0;
    for (const input of addresses) {
      expect(normalizeEmail(input), input).toBe(reference(input));
      if (/^[\x21-\x7e]*$/.test(input) && normalizeEmail(input) !== null) plain += 1;
    }
    // The generated addresses reach both answers of the fast path, not only the full one.
    expect(plain).toBeGreaterThan(500);
  });
});
