/**
 * docs/http-api.md lists every route gatehouse's HTTP layer serves and every route the
 * example apps add: each `### METHOD /path` heading of its "Auth routes" section is a route
 * of `HttpAuth.routes()` (with access tokens on), each of "Administration routes" a route of
 * the example apps' `apiRoutes()`, and no route is left out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAuth } from 'gatehouse';
import { HttpAuth } from 'gatehouse/http';
import { createAccessTokens, generateAccessTokenKey } from 'gatehouse/jwt';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import { TestPasswordHasher } from 'gatehouse/testing';
import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../../examples/shared/routes.js';
import { configFromEnv, createRuntime } from '../../examples/shared/setup.js';
import { ROOT } from './code-blocks.js';

/** The `METHOD /path` headings of one `## ` section of docs/http-api.md. */
function documentedRoutes(section: string): string[] {
  const text = readFileSync(join(ROOT, 'docs/http-api.md'), 'utf8');
  const start = text.indexOf(`\n## ${section}\n`);
  expect(start, `docs/http-api.md has a "## ${section}" section`).toBeGreaterThan(-1);
  const end = text.indexOf('\n## ', start + 1);
  const body = text.slice(start, end === -1 ? undefined : end);
  return [...body.matchAll(/^### (GET|POST|PUT|PATCH|DELETE) (\S+)$/gm)].map(([, method, path]) => `${method} ${path}`);
}

describe('docs/http-api.md', () => {
  it('documents every route of HttpAuth.routes(), and no other, in "Auth routes"', async () => {
    const auth = createAuth({ store: new MemoryAuthStore(), mailer: new MemoryMailer(), hasher: new TestPasswordHasher() });
    const accessTokens = await createAccessTokens({ keys: [await generateAccessTokenKey()] });
    const served = new HttpAuth(auth, { accessTokens }).routes().map((route) => `${route.method} ${route.path}`);
    expect(documentedRoutes('Auth routes').sort()).toEqual([...served].sort());
  });

  it('documents every route of the example apps\' apiRoutes(), and no other, in "Administration routes"', async () => {
    const config = configFromEnv({ NODE_ENV: 'development', ADMIN_EMAIL: 'admin@shop.example', ADMIN_PASSWORD: 'Admin-Password-2026' });
    const runtime = await createRuntime(config, { hasher: new TestPasswordHasher() });
    try {
      const served = apiRoutes(runtime).map((route) => `${route.method} ${route.path}`);
      expect(documentedRoutes('Administration routes').sort()).toEqual([...served].sort());
    } finally {
      await runtime.close();
    }
  });
});
