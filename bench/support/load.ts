/**
 * A keep-alive HTTP/1.1 load generator light enough that the server under test, not the
 * generator, is what saturates. `node:http`'s client costs about as much per request as a
 * small Fastify route, so with both on one machine it was the generator that set the pace,
 * and a guard's cost disappeared into the generator's idle time. This one writes a request
 * prepared once and reads each response only as far as its status code and length.
 */
import { connect, type Socket } from 'node:net';

/** What {@link load} measures. */
export interface LoadResult {
  /** Responses per second. */
  readonly rps: number;
  /** Responses received. */
  readonly responses: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;

/**
 * Keeps `connections` requests in flight against `127.0.0.1:port` for `seconds` and counts
 * the responses. Every response must be a 200 with a `Content-Length`.
 * @throws {Error} — on another status, a chunked response, or a connection error.
 */
export async function load(port: number, path: string, headers: Record<string, string>, options: { seconds: number; connections: number }): Promise<LoadResult> {
  const head = Object.entries({ host: `127.0.0.1:${port}`, ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\n${head}\r\n`);
  let responses = 0;
  let started = 0;
  let deadline = 0;
  const sockets: Socket[] = [];

  const run = (socket: Socket): Promise<void> =>
    new Promise((resolve, reject) => {
      let pending: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          const end = pending.indexOf(HEADER_END);
          if (end === -1) return;
          const text = pending.toString('latin1', 0, end);
          const status = text.slice(9, 12);
          const length = CONTENT_LENGTH.exec(text)?.[1];
          if (status !== '200' || length === undefined) {
            reject(new Error(`${path}: ${text.split('\r\n')[0]}${length === undefined ? ' without Content-Length' : ''}`));
            socket.destroy();
            return;
          }
          const total = end + HEADER_END.length + Number(length);
          if (pending.length < total) return;
          pending = pending.subarray(total);
          responses += 1;
          if (performance.now() < deadline) socket.write(request);
          else {
            socket.end();
            resolve();
            return;
          }
        }
      });
      socket.once('error', reject);
      socket.write(request);
    });

  await Promise.all(
    Array.from({ length: options.connections }, () =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve());
        socket.setNoDelay(true);
        socket.once('error', reject);
        sockets.push(socket);
      }),
    ),
  );
  try {
    started = performance.now();
    deadline = started + options.seconds * 1000;
    await Promise.all(sockets.map(run));
    return { rps: responses / ((performance.now() - started) / 1000), responses };
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}
