/**
 * Starts the Express example: `npm run example` (in-memory), or with `DATABASE_URL`,
 * `PORT`, `ADMIN_EMAIL`, `ADMIN_PASSWORD`, `REQUIRE_APPROVAL=true`, `SHUTDOWN_TIMEOUT` (ms), `TOTP_ENCRYPTION_KEY`,
 * `COOKIE_SECRET`, and `SMTP_URL` with
 * `MAIL_FROM` (required with `NODE_ENV=production`, which serves no development outbox).
 */
import { announce, cannotStart, configFromEnv, createRuntime } from '../shared/setup.js';
import { shutDownGracefully, shutdownDeadline } from '../shared/shutdown.js';
import { createExpressApp } from './app.js';

const runtime = await createRuntime(configFromEnv()).catch(cannotStart);
const server = createExpressApp(runtime).listen(runtime.config.port, '127.0.0.1', () => announce(runtime, 'Express'));
shutDownGracefully({
  server,
  stopServer: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  closeApp: () => runtime.close(),
  deadline: shutdownDeadline(),
});
