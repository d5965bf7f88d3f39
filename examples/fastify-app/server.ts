/**
 * Starts the Fastify example, with the same settings as the Express one: `DATABASE_URL`,
 * `PORT`, `ADMIN_EMAIL`, `ADMIN_PASSWORD`, `REQUIRE_APPROVAL=true`, `SHUTDOWN_TIMEOUT` (ms), `TOTP_ENCRYPTION_KEY`,
 * `COOKIE_SECRET`, and `SMTP_URL` with
 * `MAIL_FROM` (required with `NODE_ENV=production`, which serves no development outbox).
 */
import { announce, cannotStart, configFromEnv, createRuntime } from '../shared/setup.js';
import { shutDownGracefully, shutdownDeadline } from '../shared/shutdown.js';
import { createFastifyApp } from './app.js';

const runtime = await createRuntime(configFromEnv()).catch(cannotStart);
const app = await createFastifyApp(runtime);
await app.listen({ port: runtime.config.port, host: '127.0.0.1' });
announce(runtime, 'Fastify');
shutDownGracefully({
  server: app.server,
  // Fastify answers requests arriving while it closes with 503 and `Connection: close`, and
  // closes idle connections (its forceCloseConnections: 'idle', the default).
  stopServer: () => app.close(),
  closeApp: () => runtime.close(),
  deadline: shutdownDeadline(),
});
