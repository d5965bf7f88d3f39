import { describe, expect, it } from 'vitest';
import { type MailMessage, type Mailer } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { harness, PASSWORD, uniqueEmail } from '../support/harness.js';

/** A mailer that, once told to hold, delivers only when the test lets it, and records what happens to it. */
class HeldMailer implements Mailer {
  readonly events: string[] = [];
  readonly outbox = new MemoryMailer();
  #held: Promise<void> | null = null;
  #release: () => void = () => undefined;

  hold(): void {
    this.#held = new Promise<void>((resolve) => (this.#release = resolve));
  }

  release(): void {
    this.#release();
  }

  async send(message: MailMessage): Promise<void> {
    this.events.push(`sending ${message.kind}`);
    if (this.#held !== null) await this.#held;
    await this.outbox.send(message);
    this.events.push(`sent ${message.kind}`);
  }

  close(): void {
    this.events.push('mailer closed');
  }
}

/** A memory store that records when it is closed. */
class ClosableStore extends MemoryAuthStore {
  closed = 0;
  failClose = false;

  async close(): Promise<void> {
    this.closed += 1;
    if (this.failClose) throw new Error('the pool would not end');
  }
}

const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  // Every turn a settled promise needs to be seen.
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('auth.close()', () => {
  it('waits for a mail being sent in the background, then closes the mailer and the store, in that order', async () => {
    const mailer = new HeldMailer();
    const store = new ClosableStore();
    const h = harness({ store, mailer });
    const email = uniqueEmail();
    await h.auth.accounts.register({ email, password: PASSWORD, name: 'Ana' });
    mailer.hold();
    await h.auth.passwords.requestReset({ email }); // answers at once; the mail goes in the background
    for (let turn = 0; turn < 1000 && mailer.events.at(-1) !== 'sending password-reset'; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(mailer.events.at(-1)).toBe('sending password-reset');

    const closing = h.auth.close();
    expect(await settled(closing)).toBe(false);
    expect(store.closed).toBe(0);
    mailer.release();
    await closing;
    expect(mailer.events).toEqual(['sending activation', 'sent activation', 'sending password-reset', 'sent password-reset', 'mailer closed']);
    expect(mailer.outbox.last({ to: email, kind: 'password-reset' })).toBeDefined();
    expect(store.closed).toBe(1);
  });

  it('returns the same promise when called again, and closes each port once', async () => {
    const store = new ClosableStore();
    const mailer = new HeldMailer();
    const h = harness({ store, mailer });
    const first = h.auth.close();
    expect(h.auth.close()).toBe(first);
    await first;
    await h.auth.close();
    expect(store.closed).toBe(1);
    expect(mailer.events).toEqual(['mailer closed']);
  });

  it('rejects with the store’s failure, after asking the mailer to close too', async () => {
    const store = new ClosableStore();
    store.failClose = true;
    const mailer = new HeldMailer();
    const h = harness({ store, mailer });
    await expect(h.auth.close()).rejects.toThrow('the pool would not end');
    expect(mailer.events).toEqual(['mailer closed']);
  });

  it('works with ports that hold nothing to close (the memory store and mailer)', async () => {
    const h = harness();
    await h.auth.passwords.requestReset({ email: uniqueEmail() });
    await expect(h.auth.close()).resolves.toBeUndefined();
  });
});
