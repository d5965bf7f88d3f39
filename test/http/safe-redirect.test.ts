import { describe, expect, it } from 'vitest';
import { normalizeOrigins, safeRedirect } from 'gatehouse/http';

const allowedOrigins = normalizeOrigins(['https://shop.example'], 'test');
const FALLBACK = '/fallback';
const judge = (target: unknown): string => safeRedirect(target, { allowedOrigins, fallback: FALLBACK });

/**
 * Targets that must never come out as anything but the fallback: each would send a browser
 * to another site (directly, once normalised, or once a browser or server reads a backslash
 * or an encoded slash as a slash), run script, or smuggle a header.
 */
const HOSTILE: readonly unknown[] = [
  // dot segments that normalise to a protocol-relative URL (the findings of issue 15)
  '/.//evil.example',
  '/..//evil.example',
  '/x/..//evil.example',
  '/%2e//evil.example',
  '/%2E//evil.example',
  '/%2e%2e//evil.example',
  '/.%2e//evil.example',
  '/x/.%2E//evil.example',
  '/./..//evil.example',
  '/a/b/../../..//evil.example',
  '/;/..//evil.example',
  '/././//evil.example',
  // protocol-relative and their backslash forms
  '//evil.example',
  '///evil.example',
  '////evil.example/path',
  '/\\evil.example',
  '\\\\evil.example',
  '/\\/evil.example',
  '/./\\evil.example',
  '/x?y=\\',
  // encoded slashes and backslashes in the path
  '/%2fevil.example',
  '/%2F%2Fevil.example',
  '/%5cevil.example',
  '/%5C%5Cevil.example',
  '/x/%2f/evil.example',
  // control characters: browsers drop tabs and newlines, so `/\t/x` is `//x`
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '/\u0000/evil.example',
  '/\u007f/evil.example',
  '/ok\u001b',
  '\t//evil.example',
  ' //evil.example',
  // other origins, schemes and credentials
  'https://evil.example',
  'http://evil.example/',
  'HTTPS://EVIL.EXAMPLE',
  'https:evil.example',
  'http:/evil.example',
  'https://shop.example.evil.example/',
  'https://shop.example@evil.example/',
  'https://user:pw@shop.example/',
  'https://shop.example:8443/',
  'http://shop.example/',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  // not a path at all
  'relative/path',
  '?next=//evil.example',
  '',
  `/${'a'.repeat(3000)}`,
  42,
  null,
  undefined,
  ['/a'],
  { toString: () => '/a' },
];

/** Targets that must survive, as the browser would read them. */
const LEGITIMATE: readonly [string, string][] = [
  ['/', '/'],
  ['/orders?page=2#top', '/orders?page=2#top'],
  ['/a/b?c=d#e', '/a/b?c=d#e'],
  ['/x/./y', '/x/y'],
  ['/x/../y', '/y'],
  ['/../../etc/passwd', '/etc/passwd'],
  ['/search?q=a%2Fb', '/search?q=a%2Fb'],
  ['/caf%C3%A9', '/caf%C3%A9'],
  ['/@user', '/@user'],
  ['https://shop.example/account?tab=2', 'https://shop.example/account?tab=2'],
  ['https://SHOP.example', 'https://shop.example/'],
];

describe('safeRedirect()', () => {
  it.each(HOSTILE.map((target) => [(JSON.stringify(target) ?? String(target)).slice(0, 60), target]))('falls back for %s', (_label, target) => {
    expect(judge(target)).toBe(FALLBACK);
  });

  it.each(LEGITIMATE)('keeps %s as %s', (target, expected) => {
    expect(judge(target)).toBe(expected);
  });

  it('answers only values that a browser reads as the same path again (what is returned is judged)', () => {
    for (const [target] of LEGITIMATE) {
      const result = judge(target);
      if (!result.startsWith('/')) continue;
      expect(result.startsWith('//') || result.startsWith('/\\')).toBe(false);
      expect(new URL(result, 'https://app.example').origin).toBe('https://app.example');
      expect(judge(result)).toBe(result);
    }
  });

  it('uses / as the default fallback, and refuses hostile targets with it too', () => {
    expect(safeRedirect('/.//evil.example')).toBe('/');
    expect(safeRedirect('/%2e//evil.example')).toBe('/');
  });
});
