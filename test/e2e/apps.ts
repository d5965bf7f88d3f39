import type { AddressInfo } from 'node:net';
import type { AuthOptions } from 'gatehouse';
import { createExpressApp } from '../../examples/express-app/app.js';
import { createFastifyApp } from '../../examples/fastify-app/app.js';
import { configFromEnv, createRuntime, type ExampleRuntime } from '../../examples/shared/setup.js';
import { fastHasher } from '../support/harness.js';

export const ADMIN = { email: 'admin@shop.example', password: 'Admin-Password-2026' };

/** A running example app on a loopback port. */
export interface RunningApp {
  readonly url: string;
  readonly runtime: ExampleRuntime;
  stop(): Promise<void>;
}

export type AppKind = 'express' | 'fastify';
export const APP_KINDS: readonly AppKind[] = ['express', 'fastify'];

/**
 * Starts an example app as its server script would, on a free port, with a fast hasher; in
 * development unless `env` says otherwise; `overrides` go to gatehouse (a clock, say).
 */
export async function startApp(kind: AppKind, env: Record<string, string> = {}, overrides: Partial<AuthOptions> = {}): Promise<RunningApp> {
  const port = await freePort();
  const config = configFromEnv({ NODE_ENV: 'development', ...env, PORT: String(port), BASE_URL: `http://127.0.0.1:${port}`, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
  const runtime = await createRuntime(config, { hasher: fastHasher(), ...overrides });
  const url = `http://127.0.0.1:${port}`;
  if (kind === 'express') {
    const server = createExpressApp(runtime).listen(port, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return { url, runtime, stop: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => runtime.close()) };
  }
  const app = await createFastifyApp(runtime);
  await app.listen({ port, host: '127.0.0.1' });
  return { url, runtime, stop: () => app.close().then(() => runtime.close()) };
}

/** A port no one listens on at the time of asking. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** An HTTP client with a cookie jar, speaking JSON, as a browser on the app's own origin would. */
export class Client {
  readonly #cookies = new Map<string, string>();
  bearer: string | undefined;

  constructor(readonly base: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(this.base + path, {
      method,
      redirect: 'manual',
      headers: {
        origin: this.base,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(cookie === '' ? {} : { cookie }),
        ...(this.bearer === undefined ? {} : { authorization: `Bearer ${this.bearer}` }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // an HTML page
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, undefined, headers);
  post = (path: string, body: unknown = {}, headers?: Record<string, string>) => this.request('POST', path, body, headers);
  patch = (path: string, body: unknown) => this.request('PATCH', path, body);
  put = (path: string, body: unknown) => this.request('PUT', path, body);
  delete = (path: string) => this.request('DELETE', path);

  hasSession(): boolean {
    return this.#cookies.has('gatehouse_session');
  }
}
