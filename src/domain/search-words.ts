/**
 * The words a user is found by in `users.list({ q })`, and the terms a search looks for.
 *
 * A search is a word-prefix search, the same on every store: each term of the query must
 * begin a word of the user's name or email (`gom` finds "Ana Gómez", `shop.example` finds
 * every address at shop.example), compared without case or accents. A query holding `@` is
 * matched as the beginning of the whole address. The SQL stores keep these words in an
 * indexed table (`user_search_words`), so that a search reads an index instead of every user.
 */

/** Longest word kept: longer ones are cut, and a term is cut the same way. */
export const SEARCH_WORD_MAX = 64;
/** Most words kept per user (the whole address is always among them). */
export const SEARCH_WORDS_PER_USER = 32;
/** Most terms a query looks for; further ones are ignored. */
export const SEARCH_TERMS_MAX = 8;

/** Lower-cased, accents dropped, split on anything but letters and digits. */
function tokens(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '')
    .map((word) => word.slice(0, SEARCH_WORD_MAX));
}

/**
 * The search words of a user: the words of the name and of the email, and the whole
 * lower-cased email (so that an address, or its beginning, finds its user), without repeats.
 */
export function searchWordsOf(user: { readonly name: string; readonly email: string }): string[] {
  const email = user.email.toLowerCase();
  const words = new Set([email, ...tokens(user.name), ...tokens(email)]);
  return [...words].slice(0, SEARCH_WORDS_PER_USER);
}

/** What a search looks for ({@link searchTermsOf}). */
export type SearchTerms =
  | {
      /** A `q` holding `@`: the beginning of the whole address. */
      readonly kind: 'email';
      /** The lower-cased text the address must begin with. */
      readonly prefix: string;
    }
  | {
      /** Words: each must begin some word of the name or email. */
      readonly kind: 'words';
      /** The normalised words (none: the search matches nobody). */
      readonly terms: readonly string[];
    };

/**
 * What a search for `q` looks for: one whole-address prefix when `q` holds `@`, otherwise
 * the words of `q` (each a prefix of some word of a matching user). An empty list (a `q`
 * of punctuation only) matches nobody.
 */
export function searchTermsOf(q: string): SearchTerms {
  const text = q.trim().toLowerCase();
  if (text.includes('@')) return { kind: 'email', prefix: text };
  const terms = [...new Set(tokens(text))];
  // A term that begins another is implied by it: `an ana` looks for `ana` alone.
  const kept = terms.filter((term) => !terms.some((other) => other !== term && other.startsWith(term)));
  return { kind: 'words', terms: kept.slice(0, SEARCH_TERMS_MAX) };
}

/** Whether a user with these search words matches a search (the memory store's test; the SQL stores ask their index). */
export function matchesSearch(words: readonly string[], search: SearchTerms): boolean {
  if (search.kind === 'email') return words.some((word) => word.includes('@') && word.startsWith(search.prefix));
  return search.terms.length > 0 && search.terms.every((term) => words.some((word) => word.startsWith(term)));
}
