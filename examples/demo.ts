/**
 * A tour of gatehouse in plain code, on the in-memory store: register, activate with the
 * mailed key, sign in, authorise a request, change the password, read the activity log.
 * Run it with `npm run example`.
 */
import { createAuth, isAuthError } from 'gatehouse';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';

const mailer = new MemoryMailer();
const auth = createAuth({ store: new MemoryAuthStore(), mailer, appName: 'Demo Shop' });
const client = { ip: '203.0.113.10', userAgent: 'demo-script' };

const { user } = await auth.accounts.register({ email: 'Ana@Example.com', password: 'correct horse battery staple', name: 'Ana Gómez' }, client);
console.log(`registered ${user.email} (${user.status}, email verified: ${user.emailVerifiedAt !== null})`);

const activation = mailer.last({ kind: 'activation' })!;
console.log(`mail to ${activation.to}: "${activation.subject}" → ${activation.link}`);
await auth.accounts.activate({ key: activation.key! }, client);

const wrong = await auth.sessions.login({ email: 'ana@example.com', password: 'not my password' }, client).catch((e: unknown) => e);
console.log(`wrong password → ${isAuthError(wrong) ? wrong.code : String(wrong)}`);

const { token, session } = await auth.sessions.login({ email: 'ana@example.com', password: 'correct horse battery staple' }, client);
console.log(`signed in: session ${session.id} until ${session.expiresAt.toISOString()}`);

const context = await auth.sessions.validate(token, client);
console.log(`request by ${context?.user.name}, roles: [${context?.roles.map((r) => r.code).join(', ')}]`);

await auth.passwords.change(context, { currentPassword: 'correct horse battery staple', newPassword: 'a longer and newer passphrase' });
console.log(`password changed; notice mailed: "${mailer.last()?.subject}"`);

await auth.passwords.requestReset({ email: 'nobody@example.com' }, client); // answers like any other email
await auth.drain();

console.log('done: see README.md for the HTTP example apps and the database stores');
