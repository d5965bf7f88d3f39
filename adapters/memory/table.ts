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
 * A row as a table holds it, with the stamp of its last write (see {@link Table.stampOf}): one
 * object per write, which every index of the table points at, so a lookup by any index finds the
 * row and its stamp at once. A session's first validation reads rows no request touched before,
 * in a store of tens of thousands of them, and each map lookup it saves is one that misses the
 * processor's caches.
 */
export interface Slot<T> {
  /** The row, frozen (see {@link Table.seal}). */
  readonly row: T;
  /** The stamp of the write that put {@link row} there. */
  readonly stamp: number;
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
  readonly #rows = new Map<string, Slot<T>>();
  readonly #indexes = new Map<string, Map<string, Slot<T>>>();
  readonly #groups = new Map<string, Map<string, Set<Slot<T>>>>();
  /** Whether {@link Table.stampOf} answers (a table made with `rowStamps`). */
  readonly #rowStamps: boolean;
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
    this.#rowStamps = rowStamps;
    for (const index of Object.keys(unique)) this.#indexes.set(index, new Map());
    for (const group of Object.keys(grouped)) this.#groups.set(group, new Map());
  }

  /** The rows whose group index `group` has value `value`, in insertion order. */
  where(group: string, value: string): T[] {
    const slots = this.#groups.get(group)?.get(value);
    if (slots === undefined) return [];
    const rows: T[] = [];
    for (const slot of slots) rows.push(slot.row);
    return rows;
  }

  /** The stamp of the table's last write or undo: an equal stamp means equal contents. */
  get lastWrite(): number {
    return this.#lastWrite;
  }

  /**
   * The stamp of the last write or undo of the row with this key (0 for a row never written
   * since the table was made). Only a table made with `rowStamps` answers.
   */
  stampOf(key: string): number {
    if (!this.#rowStamps) throw new TypeError(`table ${this.name} keeps no row stamps`);
    return this.#rows.get(key)?.stamp ?? 0;
  }

  get(key: string): T | undefined {
    return this.#rows.get(key)?.row;
  }

  /** The row with this key and its stamp (see {@link Slot}). */
  slot(key: string): Slot<T> | undefined {
    return this.#rows.get(key);
  }

  /** The row whose unique index `index` has value `value`. */
  find(index: string, value: string): T | undefined {
    return this.#indexes.get(index)?.get(value)?.row;
  }

  /** The row whose unique index `index` has value `value`, and its stamp (see {@link Slot}). */
  findSlot(index: string, value: string): Slot<T> | undefined {
    return this.#indexes.get(index)?.get(value);
  }

  *values(): IterableIterator<T> {
    for (const slot of this.#rows.values()) yield slot.row;
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
    this.#unindex(previous);
    this.#rows.delete(key);
    this.#lastWrite = this.clock.tick();
    journal?.push(() => {
      this.#place(key, previous.row);
    });
    return true;
  }

  #checkUnique(row: T, key: string): void {
    for (const [index, read] of Object.entries(this.unique)) {
      const holder = this.#indexes.get(index)!.get(read(row));
      if (holder !== undefined && this.primaryKey(holder.row) !== key) throw new UniqueViolation(`${this.name}.${index}`);
    }
  }

  #write(key: string, row: T, journal: UndoStep[] | null): void {
    const previous = this.#rows.get(key);
    this.#place(key, row);
    journal?.push(() => {
      if (previous === undefined) {
        this.#unindex(this.#rows.get(key)!);
        this.#rows.delete(key);
        this.#lastWrite = this.clock.tick();
      } else {
        this.#place(key, previous.row);
      }
    });
  }

  /** Puts `row` under `key` with the next stamp, in place of the row there (if any), in every index. */
  #place(key: string, row: T): void {
    const previous = this.#rows.get(key);
    if (previous !== undefined) this.#unindex(previous);
    this.#lastWrite = this.clock.tick();
    const slot: Slot<T> = { row, stamp: this.#lastWrite };
    this.#rows.set(key, slot);
    this.#index(slot);
  }

  #index(slot: Slot<T>): void {
    const row = slot.row;
    for (const [index, read] of Object.entries(this.unique)) this.#indexes.get(index)!.set(read(row), slot);
    for (const [group, read] of Object.entries(this.grouped)) {
      const value = read(row);
      if (value === null) continue;
      const map = this.#groups.get(group)!;
      let slots = map.get(value);
      if (slots === undefined) map.set(value, (slots = new Set()));
      slots.add(slot);
    }
  }

  #unindex(slot: Slot<T>): void {
    const row = slot.row;
    for (const [index, read] of Object.entries(this.unique)) {
      const map = this.#indexes.get(index)!;
      if (map.get(read(row)) === slot) map.delete(read(row));
    }
    for (const [group, read] of Object.entries(this.grouped)) {
      const value = read(row);
      if (value === null) continue;
      const map = this.#groups.get(group)!;
      const slots = map.get(value);
      slots?.delete(slot);
      if (slots?.size === 0) map.delete(value);
    }
  }
}
