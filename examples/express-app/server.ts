/**
 * Starts the Express example: `npm run example` (in-memory), or with `DATABASE_URL`,
 * `PORT`, `ADMIN_EMAIL`, `ADMIN_PASSWORD`, `REQUIRE_APPROVAL=true`, and `SMTP_URL` with
 * `MAIL_FROM` (required with `NODE_ENV=production`, which serves no development outbox).
 */
import { announce, cannotStart, configFromEnv, createRuntime } from '../shared/setup.js';
import { createExpressApp } from './app.js';

const runtime = await createRuntime(configFromEnv()).catch(cannotStart);
const server = createExpressApp(runtime).listen(runtime.config.port, '127.0.0.1', () => announce(runtime, 'Express'));
const stop = (): void => {
  server.close(() => void runtime.close());
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
