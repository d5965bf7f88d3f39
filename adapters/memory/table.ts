import { frozenCopy } from './copy.js';

/** An undo step recorded by a write inside a transaction. */
export type UndoStep = () => void;

/** A unique-index violation, which the store turns into its contract's error. */
export class UniqueViolation extends Error {
  constructor(readonly index: string) {
    super(`unique index ${index} violated`);
  }
}

/**
 * The write counter the tables of one store share: every write and every undo takes the next
 * value, so a stamp taken later is always greater, whichever table it was taken in. A clock
 * made over another takes its stamps from that one and remembers the last it took, for a group
 * of tables.
 */
export class WriteClock {
  #last = 0;

  constructor(readonly parent?: WriteClock) {}

  /** The stamp last taken through this clock (0 before the first). */
  get last(): number {
    return this.#last;
  }

  /** The next stamp. */
  tick(): number {
    this.#last = this.parent === undefined ? this.#last + 1 : this.parent.tick();
    return this.#last;
  }
}

/**
 * A table of records keyed by a primary key, with unique secondary indexes and non-unique
 * group indexes (rows by user, by role), so lookups on hot paths do not scan the table.
 * Every write pushes its inverse onto `journal` when one is given, so a transaction can be
 * undone. A row is kept as a frozen copy of what was written ({@link Table.seal}: its `Date`s
 * immutable, its JSON frozen), so nothing can change a kept row: a read may hand one out as it
 * is where the caller only looks, and copies it (`copy()`) where the caller may change it.
 * Every write replaces a row by a new object, so a row handed out stays what it was; and
 * {@link Table.lastWrite} (or, for a table made with `rowStamps`, {@link Table.stampOf} a row)
 * tells whether anything changed since.
 */
export class Table<T extends object> {
  readonly #rows = new Map<string, T>();
  readonly #indexes = new Map<string, Map<string, string>>();
  readonly #groups = new Map<string, Map<string, Set<string>>>();
  /** The stamp of each row's last write, for a table made with `rowStamps`. */
  readonly #stamps: Map<string, number> | null;
  #lastWrite = 0;

  constructor(
    readonly name: string,
    readonly primaryKey: (row: T) => string,
    readonly unique: Readonly<Record<string, (row: T) => string>> = {},
    readonly grouped: Readonly<Record<string, (row: T) => string | null>> = {},
    readonly clock: WriteClock = new WriteClock(),
    rowStamps = false,
    /** How a row is kept: a frozen copy (see `frozenCopy()`), in one shape per table when the table says how. */
    readonly seal: (row: T) => T = frozenCopy,
  ) {
    this.#stamps = rowStamps ? new Map() : null;
    for (const index of Object.keys(unique)) this.#indexes.set(index, new Map());
    for (const group of Object.keys(grouped)) this.#groups.set(group, new Map());
  }

  /** The rows whose group index `group` has value `value`, in insertion order. */
  where(group: string, value: string): T[] {
    const keys = this.#groups.get(group)?.get(value);
    if (keys === undefined) return [];
    const rows: T[] = [];
    for (const key of keys) rows.push(this.#rows.get(key)!);
    return rows;
  }

  /** The stamp of the table's last write or undo: an equal stamp means equal contents. */
  get lastWrite(): number {
    return this.#lastWrite;
  }

  /**
   * The stamp of the last write or undo of the row with this key (0 for a row never written
   * since the table was made). Only a table made with `rowStamps` keeps them.
   */
  stampOf(key: string): number {
    if (this.#stamps === null) throw new TypeError(`table ${this.name} keeps no row stamps`);
    return this.#stamps.get(key) ?? 0;
  }

  get(key: string): T | undefined {
    return this.#rows.get(key);
  }

  /** The row whose unique index `index` has value `value`. */
  find(index: string, value: string): T | undefined {
    const key = this.#indexes.get(index)?.get(value);
    return key === undefined ? undefined : this.#rows.get(key);
  }

  values(): IterableIterator<T> {
    return this.#rows.values();
  }

  /** Inserts a row; throws {@link UniqueViolation} when its key or a unique value is taken. */
  insert(given: T, journal: UndoStep[] | null): void {
    const row = this.seal(given);
    const key = this.primaryKey(row);
    if (this.#rows.has(key)) throw new UniqueViolation(`${this.name}.primary`);
    this.#checkUnique(row, key);
    this.#write(key, row, journal);
  }

  /** Replaces the row with the same primary key (or inserts it); throws on a unique conflict with another row. */
  put(given: T, journal: UndoStep[] | null): void {
    const row = this.seal(given);
    const key = this.primaryKey(row);
    this.#checkUnique(row, key);
    this.#write(key, row, journal);
  }

  delete(key: string, journal: UndoStep[] | null): boolean {
    const previous = this.#rows.get(key);
    if (previous === undefined) return false;
    this.#unindex(key, previous);
    this.#rows.delete(key);
    this.#stamp(key, false);
    journal?.push(() => {
      this.#rows.set(key, previous);
      this.#index(key, previous);
      this.#stamp(key, true);
    });
    return true;
  }

  #checkUnique(row: T, key: string): void {
    for (const [index, read] of Object.entries(this.unique)) {
      const holder = this.#indexes.get(index)!.get(read(row));
      if (holder !== undefined && holder !== key) throw new UniqueViolation(`${this.name}.${index}`);
    }
  }

  #write(key: string, row: T, journal: UndoStep[] | null): void {
    const previous = this.#rows.get(key);
    if (previous !== undefined) this.#unindex(key, previous);
    this.#rows.set(key, row);
    this.#index(key, row);
    this.#stamp(key, true);
    journal?.push(() => {
      this.#unindex(key, row);
      if (previous === undefined) {
        this.#rows.delete(key);
      } else {
        this.#rows.set(key, previous);
        this.#index(key, previous);
      }
      this.#stamp(key, previous !== undefined);
    });
  }

  /** Takes the next stamp for the table and, when it keeps them, for the row (dropped with the row). */
  #stamp(key: string, present: boolean): void {
    this.#lastWrite = this.clock.tick();
    if (this.#stamps === null) return;
    if (present) this.#stamps.set(key, this.#lastWrite);
    else this.#stamps.delete(key);
  }

  #index(key: string, row: T): void {
    for (const [index, read] of Object.entries(this.unique)) this.#indexes.get(index)!.set(read(row), key);
    for (const [group, read] of Object.entries(this.grouped)) {
      const value = read(row);
      if (value === null) continue;
      const map = this.#groups.get(group)!;
      let keys = map.get(value);
      if (keys === undefined) map.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  #unindex(key: string, row: T): void {
    for (const [index, read] of Object.entries(this.unique)) {
      const map = this.#indexes.get(index)!;
      if (map.get(read(row)) === key) map.delete(read(row));
    }
    for (const [group, read] of Object.entries(this.grouped)) {
      const value = read(row);
      if (value === null) continue;
      const map = this.#groups.get(group)!;
      const keys = map.get(value);
      keys?.delete(key);
      if (keys?.size === 0) map.delete(value);
    }
  }
}
