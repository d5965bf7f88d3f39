import { PERMISSION_CODE, ROLE_CODE } from 'gatehouse';
import type { LegacyMapping } from './legacy-mapping.js';

// The core's rules for permission and role codes, which translated codes must pass.
export { PERMISSION_CODE, ROLE_CODE };

/**
 * Translates a legacy permission code `MODULO_ACCION` into gatehouse's `module:action`: a
 * code the mapping names is taken as it says; otherwise the module is the legacy `modulo`
 * column when the code starts with it (or the code up to its first `_`), the action the
 * rest; an action ending in an "own" word (`_PROPIOS`) gets `:own`, one ending in an "all"
 * word (`_TODOS`) loses it; module and action words are translated where the mapping knows
 * them and lower-cased otherwise. The result may still break {@link PERMISSION_CODE}: the
 * caller checks.
 *
 * @example
 * translatePermissionCode('PEDIDOS_VER_PROPIOS', 'pedidos', rules); // 'orders:view:own'
 */
export function translatePermissionCode(code: string, module: string | null, rules: LegacyMapping['permissions']): string {
  const named = rules.codes[code];
  if (named !== undefined) return named;
  const lower = code.toLowerCase();
  const prefix = module === null ? null : `${module.toLowerCase()}_`;
  const split = prefix !== null && lower.startsWith(prefix) ? prefix.length - 1 : lower.indexOf('_');
  if (split <= 0) return lower;
  const moduleWord = lower.slice(0, split);
  const words = lower.slice(split + 1).split('_');
  const last = words.at(-1) ?? '';
  const own = words.length > 1 && rules.ownSuffixes.includes(last);
  if (own || (words.length > 1 && rules.allSuffixes.includes(last))) words.pop();
  const actionWord = words.join('_');
  return `${rules.modules[moduleWord] ?? moduleWord}:${rules.actions[actionWord] ?? actionWord}${own ? ':own' : ''}`;
}

/** A legacy role code in gatehouse's terms: as the mapping renames it, else lower-cased. */
export function translateRoleCode(code: string, renames: LegacyMapping['roles']): string {
  return renames[code] ?? code.toLowerCase();
}
