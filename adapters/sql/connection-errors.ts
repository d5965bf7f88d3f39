/** What the store needs of a driver's connection to hear its errors: an event emitter, typed structurally. */
export interface ErrorEmitter {
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

const ignore = (): void => undefined;

/** Connections given the listener, each once whatever the number of times the store checks it out. */
const listening = new WeakSet<object>();

/**
 * Gives a connection the store holds an 'error' listener. Both drivers report a connection the
 * server ends (a restart, `pg_terminate_backend`, `KILL`, a proxy) as an 'error' event on it,
 * and their pools listen only while the connection is idle in the pool (pg-pool), or only once
 * (mysql2): an event heard by no one ends the process. The statement in flight gets the error
 * as its own rejection, and the connection is discarded on release: the listener has nothing
 * left to do.
 */
export function listenForErrors(connection: object & ErrorEmitter): void {
  if (listening.has(connection) || typeof connection.on !== 'function') return;
  connection.on('error', ignore);
  listening.add(connection);
}
