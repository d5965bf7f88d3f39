import { z } from 'zod';
import type { ListPage, Page, PageStart } from '../domain/activity.js';
import { searchTermsOf } from '../domain/search-words.js';

/**
 * How far `users.list()` and `audit.query()` count: past it, `total` says "more than this
 * many" (`totalExact: false`) instead of counting millions of rows for every page.
 */
export const COUNT_LIMIT = 1000;

/**
 * How far `users.list()` counts when filters combine: two or more of a `status`, a `role` and
 * the words of `q` (an address is one). Such a count reads one filter's index and checks
 * every other filter for each row it reads (an index probe per filter), so finding 1,001
 * matches cost thousands of probes — ~30–40 ms at a million users, and already 16–18 ms at
 * ten thousand (issue 21). Past it `total` is 100 with `totalExact: false`, "more than 100".
 */
export const COMBINED_COUNT_LIMIT = 100;

/** How many filters of `users.list()` a query combines: its status, its role, and each word of its search (an address is one). */
export function userFilterCount(query: { readonly status?: string | undefined; readonly role?: string | undefined; readonly q?: string | undefined }): number {
  const search = query.q === undefined || query.q === '' ? null : searchTermsOf(query.q);
  const words = search === null ? 0 : search.kind === 'email' ? 1 : search.terms.length;
  return (query.status === undefined ? 0 : 1) + (query.role === undefined ? 0 : 1) + words;
}

/** The `countLimit` of a `users.list()` query: {@link COUNT_LIMIT}, or {@link COMBINED_COUNT_LIMIT} when filters combine. */
export const userCountLimit = (query: Parameters<typeof userFilterCount>[0]): number => (userFilterCount(query) > 1 ? COMBINED_COUNT_LIMIT : COUNT_LIMIT);

/** Which list a cursor belongs to (users newest first, users oldest first, the log): a cursor of one list is refused by the others. */
export type CursorKind = 'users' | 'users-oldest' | 'audit';

const VERSION = 1;
// Instants every store keeps (MySQL's DATETIME spans the years 1000 to 9999); ids are the store's own (UUIDs for gatehouse's rows), at most 64 characters.
const EARLIEST = Date.UTC(1000, 0, 1);
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const cursorBody = z.tuple([z.literal(VERSION), z.enum(['users', 'users-oldest', 'audit']), z.number().int().min(EARLIEST).max(LATEST), z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/)]);

/** The opaque cursor of a position in a list: base64url of a small JSON array (version, list, instant, id). */
export function encodeCursor(kind: CursorKind, start: PageStart): string {
  return Buffer.from(JSON.stringify([VERSION, kind, start.createdAt.getTime(), start.id])).toString('base64url');
}

/** Reads a cursor back; `null` for anything this list did not hand out (malformed, tampered, of the other list). */
export function decodeCursor(kind: CursorKind, cursor: string): PageStart | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return null;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = cursorBody.safeParse(body);
  if (!parsed.success || parsed.data[1] !== kind) return null;
  return { createdAt: new Date(parsed.data[2]), id: parsed.data[3] };
}

/** The text of a `cursor` field, before it is read back ({@link readCursor}). */
export const cursorText = z.string().max(200);

/** Reads back the `cursor` field's text, or adds an issue at `path` when this list did not hand it out. */
export function readCursor(kind: CursorKind, text: string, ctx: z.RefinementCtx, path: PropertyKey[] = []): PageStart {
  const start = decodeCursor(kind, text);
  if (start === null) {
    ctx.addIssue({ code: 'custom', path, message: 'Not a cursor of this list: pass back a nextCursor unchanged.' });
    return z.NEVER;
  }
  return start;
}

/** The `cursor` field of a list query: a cursor this list handed out, read back into where the page starts. */
export function cursorSchema(kind: CursorKind) {
  return cursorText.transform((text, ctx) => readCursor(kind, text, ctx));
}

/**
 * A store's page as a list page: the total flagged exact or not, and the cursor after its
 * last item when a next page may exist.
 */
export function toListPage<T, R extends { readonly createdAt: Date; readonly id: string }>(
  kind: CursorKind,
  page: Page<R>,
  map: (row: R) => T,
  position: { readonly offset: number; readonly limit: number; readonly byCursor: boolean },
): ListPage<T> {
  const totalExact = page.totalExact !== false;
  const last = page.items.at(-1);
  // With an exact total and page numbers, the last page is known; by cursor, a full page may have a next one.
  const more = last !== undefined && page.items.length === position.limit && (!totalExact || position.byCursor || position.offset + page.items.length < page.total);
  return {
    items: page.items.map(map),
    total: page.total,
    totalExact,
    nextCursor: more ? encodeCursor(kind, { createdAt: last.createdAt, id: last.id }) : null,
  };
}
