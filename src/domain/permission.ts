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
/** How far a set of granted codes reaches for one code asked about: not at all, on one's own resources, on all. */
export type Reach = typeof NONE | typeof OWN | typeof ALL;

/** How many distinct codes a {@link CompiledPermissions} remembers the answer for. */
const MEMO_LIMIT = 256;

/**
 * Granted permission codes compiled for fast checks, for any number of users who hold the
 * same codes: each distinct code asked about is resolved once against them (wildcards,
 * `:own`) and memoised. Whose resources `:own` covers is the {@link PermissionSet}'s part.
 */
export class CompiledPermissions {
  readonly #all: boolean;
  readonly #codes: ReadonlySet<string>;
  readonly #memo = new Map<string, Reach>();

  constructor(codes: Iterable<string>) {
    this.#codes = new Set(codes);
    this.#all = this.#codes.has('*');
  }

  /** The granted codes, as stored (wildcards unexpanded). */
  get codes(): ReadonlySet<string> {
    return this.#codes;
  }

  /** How far the granted codes reach for `code` (see {@link PermissionSet.has}). */
  reach(code: string): Reach {
    let reach = this.#memo.get(code);
    if (reach === undefined) {
      reach = this.#resolve(code);
      // A compiled set lives as long as the sessions holding it: remember the codes an application asks about, not any string.
      if (this.#memo.size < MEMO_LIMIT) this.#memo.set(code, reach);
    }
    return reach;
  }

  #resolve(code: string): Reach {
    if (!PERMISSION_CODE.test(code) || code.includes('*')) return NONE;
    const base = code.endsWith(':own') ? code.slice(0, -4) : code;
    const module = base.slice(0, base.indexOf(':'));
    if (this.#all || this.#codes.has(base) || this.#codes.has(`${module}:*`)) return ALL;
    return this.#codes.has(`${base}:own`) ? OWN : NONE;
  }
}

/** The effective permissions of one user: their granted codes, compiled (and perhaps shared with other users), and whose resources are their own. */
export class PermissionSet {
  readonly #compiled: CompiledPermissions;

  /** @param codes The granted codes, or the same already compiled (shared by every user who holds them). */
  constructor(
    codes: Iterable<string> | CompiledPermissions,
    readonly userId: string,
  ) {
    this.#compiled = codes instanceof CompiledPermissions ? codes : new CompiledPermissions(codes);
  }

  /** The granted codes, as stored (wildcards unexpanded). */
  get codes(): ReadonlySet<string> {
    return this.#compiled.codes;
  }

  /**
   * Whether the user may do `code`. For `module:action`, a grant of the code itself,
   * `module:*` or `*` allows everything; a grant of `module:action:own` allows it only on
   * a `resource` the user owns. Asking for `module:action:own` without a resource asks
   * whether the user may act on their own resources at all.
   */
  has(code: string, resource?: OwnedResource): boolean {
    const reach = this.#compiled.reach(code);
    if (reach === ALL) return true;
    if (reach === NONE) return false;
    return resource === undefined ? code.endsWith(':own') : resource.ownerId === this.userId;
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
