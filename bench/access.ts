/**
 * The cost of one permission check for a user holding two roles of the e-commerce preset,
 * next to a plain `Set.has` over the same effective codes (the floor) and CASL with a
 * cached ability (a peer), all measured in this run.
 */
import { createMongoAbility, type MongoAbility } from '@casl/ability';
import { measure, do_not_optimize } from 'mitata';
import { createAuth, ecommercePreset } from 'gatehouse';
import { TestPasswordHasher } from 'gatehouse/testing';
import { MemoryAuthStore, MemoryMailer } from 'gatehouse/memory';
import type { Benchmark } from './run.js';

/** Asked in turn: hits through exact grants and misses, as a guarded app asks them. */
const CODES = ['products:edit', 'orders:view', 'users:delete', 'reports:view', 'products:view', 'config:edit', 'orders:edit', 'audit:view'] as const;

export const run: Benchmark = async (emit) => {
  const store = new MemoryAuthStore();
  const auth = createAuth({ store, mailer: new MemoryMailer(), hasher: new TestPasswordHasher() });
  await auth.roles.seed(auth.system, ecommercePreset);
  const password = 'correct horse battery staple';
  await auth.users.create(auth.system, {
    email: 'bench@example.com',
    name: 'Bench',
    password,
    roles: [{ code: 'seller' }, { code: 'customer' }],
    emailVerified: true,
    mustChangePassword: false,
  });
  const { token } = await auth.sessions.login({ email: 'bench@example.com', password });
  const ctx = await auth.sessions.validate(token);
  if (ctx === null) throw new Error('session did not validate');

  const set = new Set(ctx.permissions);
  const ability: MongoAbility = createMongoAbility(
    ctx.permissions.map((code) => {
      const [subject, action] = code.split(':') as [string, string];
      return { action, subject };
    }),
  );
  // Same answers from all three, or the comparison means nothing.
  for (const code of CODES) {
    const [subject, action] = code.split(':') as [string, string];
    const answers = [auth.access.can(ctx, code), set.has(code), ability.can(action, subject)];
    if (new Set(answers).size !== 1) throw new Error(`disagreement on ${code}: ${answers.join(', ')}`);
  }
  const split = CODES.map((code) => code.split(':') as [string, string]);

  const perCheck = async (fn: () => void): Promise<number> => (await measure(fn, { min_cpu_time: 500e6 })).avg / CODES.length;
  const baseline = await perCheck(() => {
    for (const code of CODES) do_not_optimize(set.has(code));
  });
  const gatehouse = await perCheck(() => {
    for (const code of CODES) do_not_optimize(auth.access.can(ctx, code));
  });
  const casl = await perCheck(() => {
    for (const [subject, action] of split) do_not_optimize(ability.can(action, subject));
  });
  emit({ name: 'access.check.set_has_baseline', value: baseline, unit: 'ns/check' });
  emit({ name: 'access.check.gatehouse', value: gatehouse, unit: 'ns/check' });
  emit({ name: 'access.check.casl', value: casl, unit: 'ns/check' });
  emit({ name: 'access.check.gatehouse_vs_set_has', value: gatehouse / baseline, unit: 'x (target ≤ 2)' });
  emit({ name: 'access.check.gatehouse_vs_casl', value: gatehouse / casl, unit: 'x (target < 1)' });
};
