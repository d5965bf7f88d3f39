/**
 * Starts the Fastify example, with the same settings as the Express one: `DATABASE_URL`,
 * `PORT`, `ADMIN_EMAIL`, `ADMIN_PASSWORD`, `REQUIRE_APPROVAL=true`, and `SMTP_URL` with
 * `MAIL_FROM` (required with `NODE_ENV=production`, which serves no development outbox).
 */
import { announce, cannotStart, configFromEnv, createRuntime } from '../shared/setup.js';
import { createFastifyApp } from './app.js';

const runtime = await createRuntime(configFromEnv()).catch(cannotStart);
const app = await createFastifyApp(runtime);
await app.listen({ port: runtime.config.port, host: '127.0.0.1' });
announce(runtime, 'Fastify');
const stop = (): void => {
  void app.close().then(() => runtime.close());
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
