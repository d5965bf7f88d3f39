import { headerValue, type RequestHeaders } from './request-headers.js';

/**
 * The language the client prefers most, from `Accept-Language` (`es-VE,es;q=0.9,en;q=0.5`
 * gives `es-VE`), or `undefined`. Malformed entries are skipped.
 */
export function preferredLocale(headers: RequestHeaders): string | undefined {
  const header = headerValue(headers, 'accept-language');
  if (header === undefined || header.length > 512) return undefined;
  let best: { tag: string; q: number } | undefined;
  for (const part of header.split(',')) {
    const [rawTag = '', ...params] = part.trim().split(';');
    const tag = rawTag.trim();
    if (!/^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/.test(tag)) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0) continue;
    if (best === undefined || q > best.q) best = { tag, q };
  }
  return best?.tag;
}
