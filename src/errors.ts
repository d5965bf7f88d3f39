/** What {@link AUTH_ERROR_CODES} says of one code. */
export interface AuthErrorCodeInfo {
  /** The suggested HTTP status, e.g. 401. */
  readonly status: number;
  /** The default message, in English. */
  readonly message: string;
}

const CODES = {
  VALIDATION_FAILED: { status: 400, message: 'The request contains invalid fields.' },
  WEAK_PASSWORD: { status: 422, message: 'The password does not meet the password policy.' },
  PASSWORD_REUSED: { status: 422, message: 'The password was used recently; choose another one.' },
  EMAIL_TAKEN: { status: 409, message: 'An account with this email already exists.' },
  IDENTIFIER_TAKEN: { status: 409, message: 'Another account already has this identifier.' },
  INVALID_CREDENTIALS: { status: 401, message: 'Invalid email or password.' },
  KEY_INVALID: { status: 400, message: 'The key is invalid or has already been used.' },
  KEY_EXPIRED: { status: 400, message: 'The key has expired; request a new one.' },
  ACCOUNT_PENDING: { status: 403, message: 'The account is waiting for approval.' },
  ACCOUNT_NOT_ACTIVATED: { status: 403, message: 'The account has not been activated yet.' },
  ACCOUNT_INACTIVE: { status: 403, message: 'The account is inactive.' },
  ACCOUNT_BLOCKED: { status: 403, message: 'The account is blocked.' },
  ACCOUNT_SUSPENDED: { status: 403, message: 'The account is suspended.' },
  PASSWORD_CHANGE_REQUIRED: { status: 403, message: 'The password must be changed before continuing.' },
  TWO_FACTOR_REQUIRED: { status: 401, message: 'Enter the code from your authenticator app to finish signing in.' },
  TWO_FACTOR_INVALID: { status: 401, message: 'The verification code is wrong or was already used.' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required.' },
  FORBIDDEN: { status: 403, message: 'You do not have permission to do this.' },
  SELF_PROTECTION: { status: 403, message: 'Administrators cannot do this to their own account.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state.' },
  RATE_LIMITED: { status: 429, message: 'Too many attempts; try again later.' },
  STORAGE_FAILED: { status: 503, message: 'The service is temporarily unavailable.' },
} as const satisfies Record<string, AuthErrorCodeInfo>;

/** A stable error code, one of the keys of {@link AUTH_ERROR_CODES}. */
export type AuthErrorCode = keyof typeof CODES;

/**
 * The table of every error code gatehouse can raise, with its suggested HTTP status
 * and default message. Codes are part of the public contract: renaming one is a
 * breaking change.
 */
export const AUTH_ERROR_CODES: { readonly [Code in AuthErrorCode]: AuthErrorCodeInfo } = CODES;

/** One problem with one input field, as reported in {@link AuthError.issues}. */
export interface FieldIssue {
  /** Where the problem is, e.g. `['email']` or `['attributes', 'phone']`. */
  readonly path: readonly (string | number)[];
  /** A machine-readable reason such as `invalid_format`, `too_small` or `common_password`. */
  readonly code: string;
  /** A human-readable explanation. */
  readonly message: string;
}

/** Extra data an {@link AuthError} may carry. */
export interface AuthErrorOptions {
  /** Overrides the default message of the code. */
  message?: string;
  /** Field problems, for `VALIDATION_FAILED` and `WEAK_PASSWORD`. */
  issues?: readonly FieldIssue[];
  /** Seconds until a new attempt can succeed, for `RATE_LIMITED`. */
  retryAfter?: number;
  /** For `TWO_FACTOR_REQUIRED`: the challenge to send back with the code. */
  challenge?: string;
  /** The underlying error, e.g. a database driver failure. */
  cause?: unknown;
}

/** What `JSON.stringify()` writes of an {@link AuthError}: never its cause or stack. */
export interface AuthErrorJson {
  /** The error's code. */
  code: AuthErrorCode;
  /** The error's message. */
  message: string;
  /** Field problems, when the error has them. */
  issues?: readonly FieldIssue[];
  /** The two-factor challenge, for `TWO_FACTOR_REQUIRED`. */
  challenge?: string;
}

const BRAND = Symbol.for('gatehouse.AuthError');

/**
 * The one error class of gatehouse for failed commands: a refused login, an expired
 * key, a forbidden action, invalid input. Test `code`, never `message`.
 *
 * @example
 * ```ts
 * try {
 *   await auth.sessions.login({ email, password });
 * } catch (error) {
 *   if (isAuthError(error) && error.code === 'RATE_LIMITED') retryLater(error.retryAfter);
 *   else throw error;
 * }
 * ```
 */
export class AuthError extends Error {
  /** The stable code. */
  readonly code: AuthErrorCode;
  /** The suggested HTTP status for this code. */
  readonly status: number;
  /** Field problems, when the input was at fault. */
  readonly issues: readonly FieldIssue[] | undefined;
  /** Seconds until a retry can succeed, for `RATE_LIMITED`. */
  readonly retryAfter: number | undefined;
  /**
   * For `TWO_FACTOR_REQUIRED`: the short-lived challenge that proves the password step
   * passed; the client sends it back with a code to `sessions.verifyTwoFactor()`.
   */
  readonly challenge: string | undefined;

  constructor(code: AuthErrorCode, options: AuthErrorOptions = {}) {
    const entry = AUTH_ERROR_CODES[code];
    super(options.message ?? entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AuthError';
    this.code = code;
    this.status = entry.status;
    this.issues = options.issues;
    this.retryAfter = options.retryAfter;
    this.challenge = options.challenge;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A plain object safe to send to a client: code, message, and issues or the challenge when present. */
  toJSON(): AuthErrorJson {
    return {
      code: this.code,
      message: this.message,
      ...(this.issues === undefined ? {} : { issues: this.issues }),
      ...(this.challenge === undefined ? {} : { challenge: this.challenge }),
    };
  }
}

/**
 * Whether a value is an {@link AuthError}, optionally with the given code. Works across
 * copies of the class (ESM and CJS entries of one install), where `instanceof` may not.
 */
export function isAuthError(value: unknown, code?: AuthErrorCode): value is AuthError {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (value as AuthError).code === code;
}
