import { describe, expect, it } from 'vitest';
import { negotiateLocale } from 'gatehouse/http';

const OURS = ['en', 'es'];

describe('negotiateLocale()', () => {
  it('picks the highest q-value among the available locales: fr,es;q=0.9 gives es', () => {
    expect(negotiateLocale('fr,es;q=0.9', OURS)).toBe('es');
    expect(negotiateLocale('fr, en;q=0.1, es;q=0.8', OURS)).toBe('es');
    expect(negotiateLocale('en;q=0.5, es;q=0.9', OURS)).toBe('es');
    expect(negotiateLocale('es;q=0.5, en', OURS)).toBe('en');
  });

  it('breaks q ties by the order written', () => {
    expect(negotiateLocale('es, en', OURS)).toBe('es');
    expect(negotiateLocale('en;q=0.7, es;q=0.7', OURS)).toBe('en');
  });

  it('matches a region to its language and a language to its regions, ignoring case, answering as spelled in the list', () => {
    expect(negotiateLocale('es-VE,es;q=0.9,en;q=0.5', OURS)).toBe('es');
    expect(negotiateLocale('ES-ve', OURS)).toBe('es');
    expect(negotiateLocale('es', ['en', 'es-VE'])).toBe('es-VE');
    expect(negotiateLocale('es-VE, es-ES;q=0.9', ['es-ES', 'es-VE'])).toBe('es-VE');
    expect(negotiateLocale('zh-Hant-TW', ['en', 'zh-Hant'])).toBe('zh-Hant');
  });

  it('a wildcard stands for the first available locale not excluded', () => {
    expect(negotiateLocale('*', OURS)).toBe('en');
    expect(negotiateLocale('fr, *;q=0.5', ['es', 'en'])).toBe('es');
    expect(negotiateLocale('*, en;q=0', OURS)).toBe('es');
  });

  it('q=0 excludes a language and its regions; *;q=0 excludes everything not named', () => {
    expect(negotiateLocale('es;q=0, *', ['es-VE', 'en'])).toBe('en');
    expect(negotiateLocale('es;q=0', OURS)).toBeUndefined();
    expect(negotiateLocale('fr, *;q=0', OURS)).toBeUndefined();
    expect(negotiateLocale('es;q=0.3, *;q=0', OURS)).toBe('es');
  });

  it('skips malformed entries and entries with a malformed q, keeping the rest', () => {
    expect(negotiateLocale('<script>, es', OURS)).toBe('es');
    expect(negotiateLocale('en;q=2, es;q=0.2', OURS)).toBe('es');
    expect(negotiateLocale('en;q=abc, es;q=0.1', OURS)).toBe('es');
    expect(negotiateLocale('en;q=0.1234, es;q=0.123', OURS)).toBe('es');
    expect(negotiateLocale('en;q=-1', OURS)).toBeUndefined();
    expect(negotiateLocale(';;,,, ;q=1', OURS)).toBeUndefined();
    expect(negotiateLocale('toolonglanguage, es', OURS)).toBe('es');
    expect(negotiateLocale(' es ; q = 0.5 ', OURS)).toBe('es');
  });

  it('answers undefined for no header, no match, an empty list or an oversized header', () => {
    expect(negotiateLocale(undefined, OURS)).toBeUndefined();
    expect(negotiateLocale('', OURS)).toBeUndefined();
    expect(negotiateLocale('de, fr;q=0.5', OURS)).toBeUndefined();
    expect(negotiateLocale('es', [])).toBeUndefined();
    expect(negotiateLocale(`${'x-'.repeat(600)}es`, OURS)).toBeUndefined();
  });

  it('works over the application’s own list of locales', () => {
    const shop = ['es', 'en', 'pt-BR'];
    expect(negotiateLocale('pt', shop)).toBe('pt-BR');
    expect(negotiateLocale('pt-PT, en;q=0.8', shop)).toBe('en');
    expect(negotiateLocale('*', shop)).toBe('es');
  });
});
