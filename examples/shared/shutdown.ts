/**
 * A shutdown with a deadline, for both example apps: on SIGTERM or SIGINT, stop accepting
 * connections, let the requests in flight finish, close every keep-alive connection, close
 * gatehouse (`auth.close()`: background mails, the store's pool), and exit — all within
 * `SHUTDOWN_TIMEOUT` milliseconds.
 */
import type { Server, ServerResponse } from 'node:http';

/** What {@link shutDownGracefully} needs of an app. */
export interface ShutdownOptions {
  /** The app's HTTP server. */
  readonly server: Server;
  /** Stops accepting connections; resolves once every connection is closed (`server.close()`, Fastify's `app.close()`). */
  readonly stopServer: () => Promise<void>;
  /** Closes what the app opened (`auth.close()`). */
  readonly closeApp: () => Promise<void>;
  /** The whole shutdown's budget, in milliseconds; its last second (or half, when shorter) is for `closeApp`. */
  readonly deadline: number;
  readonly log?: (line: string) => void;
}

/**
 * Shuts the app down gracefully on SIGTERM or SIGINT. From the signal on, every response asks
 * its client to close the connection (`Connection: close`), so that keep-alive clients leave
 * as soon as their request is answered, and idle connections are closed at once; requests in
 * flight are answered. Whatever connection is still open when the requests' share of the
 * deadline runs out is closed, answered or not. Then `closeApp` runs, and the process exits
 * with 0, or 1 if a step failed or the deadline passed first.
 */
export function shutDownGracefully(options: ShutdownOptions): void {
  const { server, deadline } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const inFlight = new Set<ServerResponse>();
  let stopping = false;
  const closeAfter = (response: ServerResponse): void => {
    if (!response.headersSent) response.setHeader('connection', 'close');
  };
  // Registered before the app's own handler, so the header is set before the app answers.
  server.prependListener('request', (_request, response: ServerResponse) => {
    if (stopping) return closeAfter(response);
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });

  const shutDown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const appShare = Math.min(1_000, deadline / 2);
    log(`${signal}: shutting down within ${deadline} ms`);
    // Never past the deadline, whatever hangs.
    setTimeout(() => {
      log(`shutdown deadline of ${deadline} ms passed: exiting`);
      process.exit(1);
    }, deadline).unref();
    for (const response of inFlight) closeAfter(response);
    const cut = setTimeout(() => {
      log(`closing the connections still open after ${deadline - appShare} ms`);
      server.closeAllConnections();
    }, deadline - appShare);
    try {
      // Stops accepting, and closes the idle keep-alive connections at once (Node ≥ 19).
      await options.stopServer();
      clearTimeout(cut);
      await options.closeApp();
      log('stopped');
      process.exit(0);
    } catch (error) {
      console.error('shutdown failed:', error);
      process.exit(1);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, (name) => void shutDown(name));
}

/** `SHUTDOWN_TIMEOUT` in milliseconds, 10 s when unset. */
export function shutdownDeadline(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env['SHUTDOWN_TIMEOUT'] ?? 10_000);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`SHUTDOWN_TIMEOUT must be a positive number of milliseconds (got ${env['SHUTDOWN_TIMEOUT']})`);
  return value;
}
