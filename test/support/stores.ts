import { describe } from 'vitest';
import type { AuthStore, PasswordHasher } from 'gatehouse';
import { MemoryAuthStore } from 'gatehouse/memory';
import { describeSql, SQL_KINDS } from './sql-servers.js';

/** A store to test against, and a second store object on the same data: what a second instance of the app holds. */
export interface SharedStores {
  readonly store: AuthStore;
  /** The memory store itself (one process), or another SQL store with its own pool on the same database. */
  readonly twin: AuthStore;
}

/**
 * Declares the same suite on every store: memory, PostgreSQL and MySQL/MariaDB (each SQL
 * suite in a database of its own, see {@link describeSql}). `fresh()` empties the store.
 */
export async function describeEveryStore(title: string, body: (fresh: () => Promise<SharedStores>) => void): Promise<void> {
  describe(`memory: ${title}`, () =>
    body(async () => {
      const store = new MemoryAuthStore();
      return { store, twin: store };
    }),
  );
  for (const kind of SQL_KINDS) {
    await describeSql(kind, `${kind}: ${title}`, (db) => {
      let twin: AuthStore | undefined;
      body(async () => {
        const store = await db.freshStore();
        twin ??= db.store();
        return { store, twin };
      });
    });
  }
}

/** Resolves once `condition()` holds, re-checking it each time {@link Progress.note} is called. */
export class Progress {
  #waiters: (() => void)[] = [];

  note(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  async until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

/**
 * A hasher that counts the passwords it verifies and, while closed, holds every verification
 * until it is opened: a crowd of sign-ins can be stopped at the hash to see how many got there.
 */
export class GatedHasher implements PasswordHasher {
  /** Verifications started while the gate was closed. */
  verified = 0;
  readonly progress = new Progress();
  #gate: Promise<void> | null = null;
  #open: () => void = () => undefined;

  constructor(private readonly inner: PasswordHasher) {}

  close(): void {
    this.verified = 0;
    this.#gate = new Promise<void>((resolve) => (this.#open = resolve));
  }

  open(): void {
    this.#gate = null;
    this.#open();
  }

  hash(password: string): Promise<string> {
    return this.inner.hash(password);
  }

  needsRehash(hash: string): boolean {
    return this.inner.needsRehash(hash);
  }

  async verify(hash: string, password: string): Promise<boolean> {
    const gate = this.#gate;
    if (gate !== null) {
      this.verified += 1;
      this.progress.note();
      await gate;
    }
    return this.inner.verify(hash, password);
  }
}
