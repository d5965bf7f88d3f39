import type { ErrorReporter } from '../options.js';

/** Reports a failure nobody awaits: `onError` when configured, else the console. */
export type ErrorReport = (error: unknown, operation: string) => void;

/** Makes the reporter of `onError`: a throwing reporter falls back to the console rather than hiding the failure. */
export function errorReporter(onError: ErrorReporter | undefined): ErrorReport {
  return (error, operation) => {
    if (onError !== undefined) {
      try {
        onError(error, { operation });
        return;
      } catch {
        // a failing reporter must not hide the original error: fall through to the console
      }
    }
    console.error(`[gatehouse] ${operation} failed:`, error);
  };
}

/** Work the caller does not wait for, tracked so that `auth.drain()` and `auth.close()` can. */
export class BackgroundWork {
  readonly #pending = new Set<Promise<void>>();

  constructor(readonly report: ErrorReport) {}

  /**
   * Starts work the caller does not wait for — so that a response takes the same time
   * whether or not the work happens (an unknown email does nothing). Failures are reported.
   */
  background(operation: string, task: () => Promise<void>): void {
    const running: Promise<void> = task()
      .catch((error: unknown) => this.report(error, operation))
      .finally(() => this.#pending.delete(running));
    this.#pending.add(running);
  }

  /** Resolves once every background task started so far has finished. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
