import { ecommercePreset, type AuthContext, type AuthOptions, type User } from 'gatehouse';
import { harness, PASSWORD, signIn, uniqueEmail, type Harness } from './harness.js';

/** A harness seeded with the e-commerce preset, whose new users get the customer role. */
export async function shop(overrides: Partial<AuthOptions> = {}): Promise<Harness> {
  const h = harness({ ...overrides, registration: { defaultRole: 'customer', ...overrides.registration } });
  await h.auth.roles.seed(h.auth.system, ecommercePreset);
  return h;
}

/** Creates a verified user with these roles (as the system) and signs them in. */
export async function member(h: Harness, roles: string[], name = 'Member'): Promise<{ user: User; context: AuthContext; token: string }> {
  const email = uniqueEmail(roles[0] ?? 'nobody');
  const { user } = await h.auth.users.create(h.auth.system, {
    email,
    name,
    password: PASSWORD,
    roles: roles.map((code) => ({ code })),
    emailVerified: true,
    mustChangePassword: false,
  });
  const { context, token } = await signIn(h, email);
  return { user, context, token };
}

/** Validates a token again, as the next request would. */
export async function nextRequest(h: Harness, token: string): Promise<AuthContext | null> {
  return h.auth.sessions.validate(token);
}
