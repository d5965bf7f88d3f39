import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type { z } from 'zod';
import { AuthError, type FieldIssue } from '../errors.js';
import { newPasswordSchema } from './schemas.js';

/** Who the password is for, so it cannot simply repeat their own details. */
export interface PasswordOwner {
  readonly email: string;
  readonly name?: string | null | undefined;
}

/** What a {@link PasswordCheck} is told besides the password. */
export interface PasswordCheckContext {
  /** The email of the account the password is for. */
  readonly email: string;
  /** The name of the account, when it has one. */
  readonly name: string | null;
  /** Aborted when gatehouse stops waiting (after {@link PASSWORD_CHECK_TIMEOUT} ms): pass it to `fetch`. */
  readonly signal: AbortSignal;
}

/**
 * An application's own check of a new password, run after gatehouse's (length, strength,
 * blocklist): resolves `false` to refuse it (`WEAK_PASSWORD`, issue code `breached_password`),
 * `true` to accept it. Typically a breached-password service, e.g. {@link pwnedPasswordsCheck}.
 */
export type PasswordCheck = (password: string, context: PasswordCheckContext) => boolean | Promise<boolean>;

/** Milliseconds gatehouse waits for a {@link PasswordCheck} before going on without its answer. */
export const PASSWORD_CHECK_TIMEOUT = 5000;

/**
 * The least zxcvbn score a new password needs: 3 means about 10^8 guesses or more, "safely
 * unguessable" for an online attacker and a fair protection against an offline one on argon2id.
 */
const MIN_SCORE = 3;
/** zxcvbn's work grows with length: it judges the first characters, enough to tell a pattern. */
const ESTIMATED_LENGTH = 100;

/** The settings of a {@link PasswordPolicy}. */
export interface PasswordPolicyOptions {
  readonly minLength: number;
  readonly maxLength: number;
  /** Extra words to refuse, as passwords and inside them. */
  readonly blocklist: readonly string[];
  /** The application's name: a password built on it is guessable. */
  readonly appName: string;
  readonly check?: PasswordCheck | undefined;
  /** Receives a failure of `check` (which is then ignored: see {@link PasswordPolicy.assertAcceptable}). */
  readonly report: (error: unknown, operation: string) => void;
}

/**
 * The password policy: length bounds (checked as input validation), then strength, estimated
 * by zxcvbn-ts against its list of the most common passwords (about 50,000) with repetition,
 * sequences, keyboard patterns, dates and the owner's own details (email, its local part,
 * name, the application's name) and the application's blocklist, then the application's
 * asynchronous check. The estimator and its dictionaries are loaded on first use, so an app
 * that never sets a password does not pay for them at start.
 */
export class PasswordPolicy {
  readonly #options: PasswordPolicyOptions;
  readonly #blocked: ReadonlySet<string>;
  #estimator: Promise<ZxcvbnFactory> | undefined;
  /** The schema of a new password's length, for input schemas. */
  readonly schema: z.ZodString;

  constructor(options: PasswordPolicyOptions) {
    this.#options = options;
    this.#blocked = new Set(options.blocklist.map(fold));
    this.schema = newPasswordSchema(options.minLength, options.maxLength);
  }

  /**
   * Refuses a guessable new password (its length was checked by {@link schema}): one of the
   * blocklist, the owner's email or name, or one the estimator scores below 3; then asks the
   * application's `check`. A `check` that throws or takes longer than 5 s is reported to
   * `onError` and ignored — it fails open: the password already passed the strength estimate,
   * and an outage of a third-party service must not stop every registration, reset and change.
   * @throws {AuthError} WEAK_PASSWORD — with an issue on `field`.
   */
  async assertAcceptable(password: string, owner: PasswordOwner, field: string): Promise<void> {
    const folded = fold(password);
    const inputs = ownerWords(owner, this.#options.appName);
    if (this.#blocked.has(folded) || inputs.includes(folded)) throw weak(field, 'common_password');
    const estimator = await (this.#estimator ??= loadEstimator(this.#blocked));
    const result = estimator.check(withoutMarks(password).slice(0, ESTIMATED_LENGTH), inputs);
    if (result.score < MIN_SCORE) throw weak(field, 'common_password');
    if (this.#options.check !== undefined && !(await this.#askCheck(password, owner))) throw weak(field, 'breached_password');
  }

  /** The application's verdict; `true` (accept) when the check failed or timed out, which is reported. */
  async #askCheck(password: string, owner: PasswordOwner): Promise<boolean> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`passwords.check did not answer within ${PASSWORD_CHECK_TIMEOUT} ms`));
      }, PASSWORD_CHECK_TIMEOUT);
    });
    try {
      const context = { email: owner.email, name: owner.name ?? null, signal: controller.signal };
      const verdict = await Promise.race([Promise.resolve(this.#options.check!(password, context)), timeout]);
      if (typeof verdict !== 'boolean') throw new TypeError(`passwords.check must resolve a boolean, not ${typeof verdict}`);
      return verdict;
    } catch (error) {
      this.#options.report(error, 'password check');
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}

const MESSAGES = {
  common_password: 'This password is too common or too easy to guess.',
  breached_password: 'This password is known from a data breach; choose another one.',
} as const;

function weak(field: string, code: keyof typeof MESSAGES): AuthError {
  const issue: FieldIssue = { path: [field], code, message: MESSAGES[code] };
  return new AuthError('WEAK_PASSWORD', { issues: [issue] });
}

/**
 * The words of the owner and the app a password must not be built on: whole, run together
 * (`maria.fernanda` → `mariafernanda`), and in parts of 3 letters or more.
 */
function ownerWords(owner: PasswordOwner, appName: string): string[] {
  const local = owner.email.split('@')[0] ?? '';
  const sources = [local, owner.name ?? '', appName];
  const whole = [owner.email, ...sources].map(fold);
  const joined = sources.map((text) => fold(text).replace(/[^\p{L}\p{N}]+/gu, ''));
  const parts = sources.flatMap((text) => text.split(/[\s._+\-@]+/)).map(fold);
  return [...new Set([...whole, ...joined, ...parts])].filter((word) => word.length >= 3);
}

function fold(value: string): string {
  return withoutMarks(value).toLowerCase().replace(/\s+/g, '');
}

/** `contraseña` → `contrasena`: the lists hold words without accents, and attackers try both. */
function withoutMarks(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '');
}

/** Loads zxcvbn-ts and its common dictionaries (passwords, diceware words, keyboard layouts): once per policy, on first use. */
async function loadEstimator(blocklist: ReadonlySet<string>): Promise<ZxcvbnFactory> {
  const [{ ZxcvbnFactory }, common] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]);
  return new ZxcvbnFactory({
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...(blocklist.size > 0 ? { 'app-blocklist': [...blocklist] } : {}) },
    maxLength: ESTIMATED_LENGTH,
  });
}
