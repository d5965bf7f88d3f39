import { headerValue, type RequestHeaders } from './request-headers.js';

/** The languages gatehouse words its error and field messages in; the first is the default. */
export const MESSAGE_LOCALES: readonly string[] = Object.freeze(['en', 'es']);

/** Longer headers are ignored whole: no browser sends one, and parsing must stay cheap. */
const MAX_HEADER_LENGTH = 1024;
const RANGE = /^(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$/;
/** RFC 9110 §12.4.2: `0` to `1` with at most three decimals. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** One language range of an `Accept-Language` header with its weight, in lower case. */
interface WeightedRange {
  /** As written. */
  readonly tag: string;
  /** In lower case. */
  readonly range: string;
  readonly q: number;
}

/** The well-formed ranges of a header in the order written; malformed entries (and those with a malformed `q`) are skipped. */
function parseRanges(header: string): WeightedRange[] {
  const ranges: WeightedRange[] = [];
  for (const part of header.split(',')) {
    const [rawRange = '', ...params] = part.split(';').map((piece) => piece.trim());
    if (rawRange === '' || !RANGE.test(rawRange)) continue;
    let q = 1;
    let malformed = false;
    for (const param of params) {
      const [name = '', value = ''] = param.split('=').map((piece) => piece.trim());
      if (name.toLowerCase() !== 'q') continue;
      if (!QVALUE.test(value)) malformed = true;
      else q = Number(value);
    }
    if (!malformed) ranges.push({ tag: rawRange, range: rawRange.toLowerCase(), q });
  }
  return ranges;
}

/** RFC 4647 basic filtering: `es` matches `es` and `es-VE`; `*` matches everything. */
const matches = (range: string, tag: string): boolean => range === '*' || tag === range || tag.startsWith(`${range}-`);

/**
 * The best of the `available` locales for an `Accept-Language` header, by its q-values, or
 * `undefined` when none is acceptable (the caller then uses its default).
 *
 * - Ranges are tried from the highest `q` down (ties in the order written): `fr,es;q=0.9`
 *   with `['en', 'es']` gives `es`.
 * - A range matches an available locale exactly, then one of its sub-tags (`es` matches
 *   `es-VE`), then by dropping its own sub-tags (`es-VE` matches `es`); matching ignores case,
 *   the answer is spelled as in `available`.
 * - `*` stands for any available locale not excluded: the first of `available`.
 * - `q=0` excludes: `es;q=0` rules out `es` and `es-VE`; `*;q=0` everything not named.
 * - Malformed entries, and entries with a malformed `q`, are skipped; a header longer than
 *   1024 characters is ignored.
 *
 * @example
 * ```ts
 * negotiateLocale('fr,es;q=0.9,en;q=0.5', ['en', 'es']); // 'es'
 * negotiateLocale('es-VE', ['en', 'es']);                // 'es'
 * negotiateLocale('*, en;q=0', ['en', 'es']);            // 'es'
 * negotiateLocale('de', ['en', 'es']);                   // undefined
 * ```
 */
export function negotiateLocale(header: string | undefined, available: readonly string[]): string | undefined {
  if (header === undefined || header.length > MAX_HEADER_LENGTH || available.length === 0) return undefined;
  const ranges = parseRanges(header);
  const excluded = ranges.filter((entry) => entry.q === 0 && entry.range !== '*').map((entry) => entry.range);
  const named = ranges.filter((entry) => entry.range !== '*').map((entry) => entry.range);
  const starExcluded = ranges.some((entry) => entry.range === '*' && entry.q === 0);
  const candidates = available
    .map((locale) => ({ locale, tag: locale.toLowerCase() }))
    .filter(({ tag }) => !excluded.some((range) => matches(range, tag)) && (!starExcluded || named.some((range) => matches(range, tag) || tag === range.split('-')[0])));
  const accepted = ranges.filter((entry) => entry.q > 0).sort((a, b) => b.q - a.q);
  for (const { range } of accepted) {
    if (range === '*') return candidates[0]?.locale;
    const exact = candidates.find(({ tag }) => tag === range) ?? candidates.find(({ tag }) => matches(range, tag));
    if (exact !== undefined) return exact.locale;
    // RFC 4647 lookup: `es-VE-x` → `es-VE` → `es`.
    const subtags = range.split('-');
    for (let length = subtags.length - 1; length > 0; length -= 1) {
      const prefix = subtags.slice(0, length).join('-');
      const found = candidates.find(({ tag }) => tag === prefix);
      if (found !== undefined) return found.locale;
    }
  }
  return undefined;
}

/**
 * The language the client prefers most, from `Accept-Language` (`es-VE,es;q=0.9,en;q=0.5`
 * gives `es-VE`), or `undefined`, whatever the languages at hand; malformed entries are
 * skipped. To choose among the languages you have, use {@link negotiateLocale}.
 */
export function preferredLocale(headers: RequestHeaders): string | undefined {
  const header = headerValue(headers, 'accept-language');
  if (header === undefined || header.length > MAX_HEADER_LENGTH) return undefined;
  let best: WeightedRange | undefined;
  for (const entry of parseRanges(header)) {
    if (entry.range !== '*' && entry.q > 0 && (best === undefined || entry.q > best.q)) best = entry;
  }
  return best?.tag;
}
