/**
 * Starts the Express example: `npm run example` (in-memory), or with `DATABASE_URL`,
 * `PORT`, `ADMIN_EMAIL`, `ADMIN_PASSWORD`, `REQUIRE_APPROVAL=true`.
 */
import { configFromEnv, createRuntime, announce } from '../shared/setup.js';
import { createExpressApp } from './app.js';

const runtime = await createRuntime(configFromEnv());
const server = createExpressApp(runtime).listen(runtime.config.port, '127.0.0.1', () => announce(runtime, 'Express'));
const stop = (): void => {
  server.close(() => void runtime.close());
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
