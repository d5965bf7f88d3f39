import { isAuthError, type AuthErrorCode, type FieldIssue } from '../errors.js';

/** The JSON body of every error response: `{ error: { code, message, issues? } }`. */
export interface ErrorBody {
  /** The error. */
  readonly error: {
    /** An {@link AuthErrorCode}, or `BAD_REQUEST` / `INTERNAL_ERROR` for failures that are not gatehouse's. */
    readonly code: AuthErrorCode | 'BAD_REQUEST' | 'INTERNAL_ERROR';
    /** A message for people, in the request's language when translated. */
    readonly message: string;
    /** Field problems, for `VALIDATION_FAILED`, `WEAK_PASSWORD` and `PASSWORD_REUSED`. */
    readonly issues?: readonly FieldIssue[];
    /** For `TWO_FACTOR_REQUIRED`: the challenge to send back with the code. */
    readonly challenge?: string;
  };
}

/** An error as an HTTP response: status, headers to set, and the JSON body. */
export interface ErrorResponse {
  /** The HTTP status: the code's, or the framework's 4xx, or 500. */
  readonly status: number;
  /** For example `Retry-After` on 429. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body. */
  readonly body: ErrorBody;
}

/** How {@link toErrorResponse} words its messages. */
export interface ErrorResponseOptions {
  /** The language of the request, e.g. from `Accept-Language`. */
  locale?: string | undefined;
  /**
   * Translates the default message of a code; `undefined` keeps the error's own message.
   * @default none — messages stay as the errors carry them (English)
   */
  translate?: ((code: AuthErrorCode, locale: string | undefined) => string | undefined) | undefined;
  /**
   * Words the message of each field issue; `undefined` keeps the issue's own message. The
   * issue's `code` and `path` never change.
   * @default none — issues stay as the errors carry them
   */
  translateIssue?: ((issue: FieldIssue, locale: string | undefined) => string | undefined) | undefined;
}

/** Retry-After when a rate-limit error does not say how long: one minute. */
const DEFAULT_RETRY_AFTER = 60;

const CLIENT_ERROR_CODES: Readonly<Record<number, AuthErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  429: 'RATE_LIMITED',
};

const MESSAGES = {
  unreadable: 'The request could not be read.',
  badRequest: 'The request cannot be processed.',
  internal: 'Something went wrong; try again later.',
} as const;

/**
 * Turns anything thrown while handling a request into a safe HTTP response.
 *
 * - An `AuthError` keeps its code, suggested status and message (or the translation of its
 *   code), plus `issues` or the two-factor `challenge`; `RATE_LIMITED` gets `Retry-After`.
 * - A framework's client error (a body that is not JSON, too large, of the wrong type) keeps
 *   its 4xx status with a generic message: `VALIDATION_FAILED` for 400, `BAD_REQUEST` otherwise.
 * - Anything else is a 500 `INTERNAL_ERROR` with a generic message.
 *
 * No stack trace, cause or driver message ever reaches the body.
 *
 * @example
 * ```ts
 * const { status, headers, body } = toErrorResponse(error, { locale: 'es' });
 * ```
 */
export function toErrorResponse(error: unknown, options: ErrorResponseOptions = {}): ErrorResponse {
  if (isAuthError(error)) {
    const message = options.translate?.(error.code, options.locale) ?? error.message;
    const body: ErrorBody = {
      error: {
        code: error.code,
        message,
        ...(error.issues === undefined ? {} : { issues: translatedIssues(error.issues, options) }),
        ...(error.challenge === undefined ? {} : { challenge: error.challenge }),
      },
    };
    const headers: Record<string, string> = {};
    if (error.code === 'RATE_LIMITED') headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfter ?? DEFAULT_RETRY_AFTER)));
    return { status: error.status, headers, body };
  }
  const status = clientErrorStatus(error);
  if (status === null) return { status: 500, headers: {}, body: { error: { code: 'INTERNAL_ERROR', message: MESSAGES.internal } } };
  const code = CLIENT_ERROR_CODES[status];
  if (code === undefined) return { status, headers: {}, body: { error: { code: 'BAD_REQUEST', message: MESSAGES.badRequest } } };
  const message = options.translate?.(code, options.locale) ?? (status === 400 ? MESSAGES.unreadable : MESSAGES.badRequest);
  return { status, headers: code === 'RATE_LIMITED' ? { 'Retry-After': String(DEFAULT_RETRY_AFTER) } : {}, body: { error: { code, message } } };
}

function translatedIssues(issues: readonly FieldIssue[], options: ErrorResponseOptions): readonly FieldIssue[] {
  const translate = options.translateIssue;
  if (translate === undefined) return issues;
  return issues.map((issue) => ({ path: issue.path, code: issue.code, message: translate(issue, options.locale) ?? issue.message }));
}

/**
 * The 4xx status a framework put on an error it raised about the request (body-parser and
 * http-errors use `status`/`statusCode`, Fastify `statusCode`), or `null` for anything else.
 */
function clientErrorStatus(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const value = typeof statusCode === 'number' ? statusCode : status;
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value < 500 ? value : null;
}
