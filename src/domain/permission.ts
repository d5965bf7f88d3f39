/**
 * Permission codes are `module:action`, `module:action:own`, `module:*` or `*`:
 * lower-case letters, digits, `_` and `-`.
 */
export const PERMISSION_CODE = /^(?:\*|[a-z][a-z0-9_-]*:(?:\*|[a-z][a-z0-9_-]*(?::own)?))$/;

/** The rule for role codes: a lower-case letter, then lower-case letters, digits, `_` and `-`, at most 50. */
export const ROLE_CODE = /^[a-z][a-z0-9_-]{0,49}$/;

/** What a resource must say about itself for an `:own` permission to apply. */
export interface OwnedResource {
  /** The id of the user who owns the resource. */
  readonly ownerId: string | null | undefined;
}

const NONE = 0;
const OWN = 1;
const ALL = 2;
type Reach = typeof NONE | typeof OWN | typeof ALL;

/** How many distinct codes a {@link PermissionSet} remembers the answer for. */
const MEMO_LIMIT = 256;

/**
 * The effective permissions of one user, compiled for fast checks: each distinct code
 * asked about is resolved once against the grants (wildcards, `:own`) and memoised.
 */
export class PermissionSet {
  readonly #all: boolean;
  readonly #codes: ReadonlySet<string>;
  readonly #memo = new Map<string, Reach>();

  constructor(
    codes: Iterable<string>,
    readonly userId: string,
  ) {
    this.#codes = new Set(codes);
    this.#all = this.#codes.has('*');
  }

  /** The granted codes, as stored (wildcards unexpanded). */
  get codes(): ReadonlySet<string> {
    return this.#codes;
  }

  /**
   * Whether the user may do `code`. For `module:action`, a grant of the code itself,
   * `module:*` or `*` allows everything; a grant of `module:action:own` allows it only on
   * a `resource` the user owns. Asking for `module:action:own` without a resource asks
   * whether the user may act on their own resources at all.
   */
  has(code: string, resource?: OwnedResource): boolean {
    let reach = this.#memo.get(code);
    if (reach === undefined) {
      reach = this.#resolve(code);
      // A set lives as long as a cached session: remember the codes an application asks about, not any string.
      if (this.#memo.size < MEMO_LIMIT) this.#memo.set(code, reach);
    }
    if (reach === ALL) return true;
    if (reach === NONE) return false;
    return resource === undefined ? code.endsWith(':own') : resource.ownerId === this.userId;
  }

  #resolve(code: string): Reach {
    if (!PERMISSION_CODE.test(code) || code.includes('*')) return NONE;
    const base = code.endsWith(':own') ? code.slice(0, -4) : code;
    const module = base.slice(0, base.indexOf(':'));
    if (this.#all || this.#codes.has(base) || this.#codes.has(`${module}:*`)) return ALL;
    return this.#codes.has(`${base}:own`) ? OWN : NONE;
  }
}

/**
 * Whether the holder of `set` holds everything a grant of `code` gives: `*` only by `*`,
 * `module:*` by `*` or `module:*`, any other code as {@link PermissionSet.has} answers it
 * (an `:own` code is held by its own grant or a wider one).
 */
export function holdsGrant(set: PermissionSet, code: string): boolean {
  if (code === '*') return set.codes.has('*');
  if (code.endsWith(':*')) return set.codes.has('*') || set.codes.has(code);
  return set.has(code);
}

/** Splits a permission code into its module and action (`orders:view:own` → `orders`, `view:own`). */
export function splitPermissionCode(code: string): { module: string; action: string } {
  const colon = code.indexOf(':');
  return colon === -1 ? { module: '*', action: '*' } : { module: code.slice(0, colon), action: code.slice(colon + 1) };
}
