import type * as JoseModule from 'jose';

/** The jose module. */
export type Jose = typeof JoseModule;

let loading: Promise<Jose> | undefined;

/**
 * jose, loaded when access tokens are first made (`createAccessTokens()`,
 * `generateAccessTokenKey()`), never when an entry is imported: jose ships ES modules only,
 * and an application that never uses access tokens must load under CommonJS tooling that
 * cannot require one (Jest's module system ignores Node's require(esm)).
 * @throws {Error} — jose cannot be loaded, with the fix in the message.
 */
export function loadJose(): Promise<Jose> {
  loading ??= import('jose').catch((error: unknown) => {
    loading = undefined;
    throw new Error(
      'gatehouse: JWT access tokens need jose, which ships ES modules only, and it could not be loaded. ' +
        'Under CommonJS use Node >= 20.19 (require of ES modules); under Jest, run with ES module support ' +
        '(NODE_OPTIONS=--experimental-vm-modules) or on Node >= 24.9, or leave access tokens off in those tests.',
      { cause: error },
    );
  });
  return loading;
}
