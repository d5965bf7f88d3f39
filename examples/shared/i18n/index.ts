import Negotiator from 'negotiator';
import { en, type Catalog } from './en.js';
import { es } from './es.js';

export type { Catalog } from './en.js';

/** The languages of the pages; the first is the default. */
export const LOCALES = ['en', 'es'] as const;
export type Locale = (typeof LOCALES)[number];

const CATALOGS: Readonly<Record<Locale, Catalog>> = { en, es };

/** The words of a language. */
export function catalog(locale: Locale): Catalog {
  return CATALOGS[locale];
}

/** Whether a value names one of the pages' languages. */
export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/**
 * The pages' language for a visitor: the one chosen with the switch (a cookie), else the
 * signed-in user's own, else the best match of `Accept-Language` by its q-values
 * (`es-VE,es;q=0.9,en;q=0.5` gives `es`; `fr,en;q=0.1,es;q=0.8` gives `es`), else English.
 */
export function pageLocale(options: { chosen?: string | undefined; user?: string | null | undefined; acceptLanguage?: string | undefined }): Locale {
  if (isLocale(options.chosen)) return options.chosen;
  const own = options.user?.split('-')[0];
  if (isLocale(own)) return own;
  const header = options.acceptLanguage;
  if (header === undefined || header.length > 512) return LOCALES[0];
  const best = new Negotiator({ headers: { 'accept-language': header } }).language([...LOCALES]);
  return isLocale(best) ? best : LOCALES[0];
}
