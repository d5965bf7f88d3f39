/** An undo step recorded by a write inside a transaction. */
export type UndoStep = () => void;

/** A unique-index violation, which the store turns into its contract's error. */
export class UniqueViolation extends Error {
  constructor(readonly index: string) {
    super(`unique index ${index} violated`);
  }
}

/**
 * A table of records keyed by a primary key, with unique secondary indexes. Every write
 * pushes its inverse onto `journal` when one is given, so a transaction can be undone.
 * Rows are stored as given: callers copy before inserting and before handing rows out.
 */
export class Table<T extends object> {
  readonly #rows = new Map<string, T>();
  readonly #indexes = new Map<string, Map<string, string>>();

  constructor(
    readonly name: string,
    readonly primaryKey: (row: T) => string,
    readonly unique: Readonly<Record<string, (row: T) => string>> = {},
  ) {
    for (const index of Object.keys(unique)) this.#indexes.set(index, new Map());
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
  insert(row: T, journal: UndoStep[] | null): void {
    const key = this.primaryKey(row);
    if (this.#rows.has(key)) throw new UniqueViolation(`${this.name}.primary`);
    this.#checkUnique(row, key);
    this.#write(key, row, journal);
  }

  /** Replaces the row with the same primary key (or inserts it); throws on a unique conflict with another row. */
  put(row: T, journal: UndoStep[] | null): void {
    const key = this.primaryKey(row);
    this.#checkUnique(row, key);
    this.#write(key, row, journal);
  }

  delete(key: string, journal: UndoStep[] | null): boolean {
    const previous = this.#rows.get(key);
    if (previous === undefined) return false;
    this.#unindex(key, previous);
    this.#rows.delete(key);
    journal?.push(() => {
      this.#rows.set(key, previous);
      this.#index(key, previous);
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
    journal?.push(() => {
      this.#unindex(key, row);
      if (previous === undefined) {
        this.#rows.delete(key);
      } else {
        this.#rows.set(key, previous);
        this.#index(key, previous);
      }
    });
  }

  #index(key: string, row: T): void {
    for (const [index, read] of Object.entries(this.unique)) this.#indexes.get(index)!.set(read(row), key);
  }

  #unindex(key: string, row: T): void {
    for (const [index, read] of Object.entries(this.unique)) {
      const map = this.#indexes.get(index)!;
      if (map.get(read(row)) === key) map.delete(read(row));
    }
  }
}
