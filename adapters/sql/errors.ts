import { AuthError, isAuthError } from 'gatehouse';

/** An `AuthError` passes unchanged; anything else (a driver error) becomes `STORAGE_FAILED` with it as `cause`. */
export function toStorageError(error: unknown): AuthError {
  if (isAuthError(error)) return error;
  return new AuthError('STORAGE_FAILED', { cause: error });
}
