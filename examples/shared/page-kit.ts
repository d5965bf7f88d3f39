/**
 * What every HTML page shares: who is looking and in which language and time zone, the
 * flash carried across a redirect, who may open the page, and the answers a page gives
 * (a page, a redirect, an error page). Every form posts, then redirects (Post/Redirect/Get):
 * its outcome, or its errors and values, travel in a sealed cookie to the page it lands on,
 * so a refresh repeats nothing.
 */
import { parse } from 'cookie';
import { authErrorMessage, isAuthError, type Auth, type AuthContext, type AuthError } from 'gatehouse';
import { safeRedirect, type HttpAuth, type RequestAuth, type RequestHeaders } from 'gatehouse/http';
import type { PageCookies } from './cookies.js';
import { DEFAULT_TIME_ZONE, Formats, isTimeZone } from './format.js';
import { html, type Html } from './html.js';
import { catalog, pageLocale, type Catalog, type Locale } from './i18n/index.js';
import type { AppRequest } from './routes.js';
import type { ExampleRuntime } from './setup.js';
import { EMPTY_FORM, layout, type FormState, type Viewer } from './views/layout.js';
import { messageBody } from './views/account.js';

/** An HTML answer: a page, a redirect (303), or a file of the page assets; with cookies to set. */
export interface PageReply {
  readonly status: number;
  readonly html?: string;
  readonly redirect?: string;
  readonly cookies?: readonly string[];
  readonly asset?: { readonly type: string; readonly body: string };
}

/** An HTML route. */
export interface PageRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  handle(req: AppRequest): Promise<PageReply>;
}

/** What a page shows once, after the redirect that followed a form. */
export interface Flash {
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
  /** A form that failed: which one, what was typed (never a password), and the errors by field. */
  readonly form?: { readonly id: string; readonly values: Readonly<Record<string, string>>; readonly errors: Readonly<Record<string, string>> } | undefined;
  /** Fresh recovery codes, shown once. */
  readonly codes?: readonly string[] | undefined;
}

/** Who may open a page; `C` is what the handler is given as the signed-in session. */
export interface Access<C> {
  readonly kind: 'open' | 'guest' | 'member' | 'staff';
  readonly permission?: string;
  /** Open to a user who must change their password (the password page, signing out, the language). */
  readonly duringPasswordChange?: boolean;
  /** Phantom: the type of the session the handler receives. */
  readonly session?: C;
}

/** Anyone. */
export const open: Access<AuthContext | null> = { kind: 'open' };
/** Anyone, also a user who must change their password. */
export const always: Access<AuthContext | null> = { kind: 'open', duringPasswordChange: true };
/** Visitors not signed in; a signed-in one goes on to `next` or the profile. */
export const guest: Access<null> = { kind: 'guest' };
/** Signed-in users. */
export const member: Access<AuthContext> = { kind: 'member' };
/** Signed-in users who hold `permission`; others get a 403 page, logged as a refusal. */
export const staff = (permission: string): Access<AuthContext> => ({ kind: 'staff', permission });
/** Signed-in users, also one who must change their password. */
export const memberChangingPassword: Access<AuthContext> = { kind: 'member', duringPasswordChange: true };

/** A form field's text: what the browser sent, or `''` for anything else (a missing or repeated field). */
export const text = (value: unknown): string => (typeof value === 'string' ? value : '');

const FLASH = 'shop_flash';
const LANGUAGE = 'shop_lang';
/** Set by the page script from the browser's own zone. */
const TIME_ZONE = 'shop_tz';
const FLASH_LIFETIME = 120;

/** One request's view of the pages: language, time zone, viewer, flash, and the answers it can give. */
export class Ui {
  readonly t: Catalog;
  readonly fmt: Formats;
  /** What the previous request's redirect carried here, if anything. */
  readonly #flash: Flash | undefined;

  constructor(
    readonly kit: PageKit,
    readonly req: AppRequest,
    readonly locale: Locale,
    readonly viewer: Viewer | null,
    readonly session: AuthContext | null,
    timeZone: string,
    flash: Flash | undefined,
  ) {
    this.t = catalog(locale);
    this.fmt = new Formats(this.t.intl, timeZone, this.t.common.money);
    this.#flash = flash;
  }

  /** The path and query of this request. */
  get here(): string {
    const query = new URLSearchParams(Object.entries(this.req.query).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
    return `${this.req.path}${query === '' ? '' : `?${query}`}`;
  }

  /** Fresh recovery codes the flash carries, if any. */
  get codes(): readonly string[] | undefined {
    return this.#flash?.codes;
  }

  /** The values and errors the flash carries back for the form `id`. */
  form(id: string, values: Readonly<Record<string, string>> = {}): FormState {
    const carried = this.#flash?.form;
    return carried?.id === id ? { values: { ...values, ...carried.values }, errors: carried.errors } : { ...EMPTY_FORM, values };
  }

  /** A page in the layout, with the flash's notice; the flash is spent. */
  page(title: string, body: Html, options: { status?: number; section?: 'admin'; notice?: string } = {}): PageReply {
    const frame = {
      t: this.t,
      viewer: this.viewer,
      here: this.here,
      notice: options.notice ?? this.#flash?.notice,
      error: this.#flash?.error,
      timeZone: this.fmt.timeZone,
      outbox: this.kit.runtime.outbox !== undefined,
    };
    return { status: options.status ?? 200, html: layout(frame, title, body, options), cookies: this.#flash === undefined ? [] : [this.kit.cookies.clear(FLASH)] };
  }

  /** A page with one message and links. */
  message(title: string, message: string, status = 200, links: Html = html``): PageReply {
    return this.page(title, messageBody(message, links, status >= 400), { status });
  }

  /** A 303 to `to`, carrying `flash` to the page there. */
  redirect(to: string, flash?: Flash, cookies: readonly string[] = []): PageReply {
    const carried = flash === undefined ? (this.#flash === undefined ? [] : [this.kit.cookies.clear(FLASH)]) : [this.kit.cookies.seal(FLASH, boundFlash(flash), FLASH_LIFETIME)];
    return { status: 303, redirect: to, cookies: [...carried, ...cookies] };
  }

  /**
   * A 303 back to the form `id` at `to` with the values typed (passwords are never carried)
   * and the error's messages next to their fields. `fields` renames error fields to the
   * form's own names. Errors that are not the user's (5xx) are thrown, for the error page.
   */
  failed(to: string, id: string, values: Readonly<Record<string, string>>, error: unknown, fields: Readonly<Record<string, string>> = {}): PageReply {
    const errors: Record<string, string> = {};
    for (const [field, message] of Object.entries(this.errorsOf(error))) errors[fields[field] ?? field] ??= message;
    return this.redirect(to, { form: { id, values, errors } });
  }

  /**
   * As {@link failed}, after a command that asked for the password: a wrong one is one
   * message, next to `field`, and not a second one for the form as a whole.
   */
  passwordFailed(to: string, id: string, values: Readonly<Record<string, string>>, error: unknown, field: string, fields: Readonly<Record<string, string>> = {}): PageReply {
    if (isAuthError(error, 'INVALID_CREDENTIALS')) return this.redirect(to, { form: { id, values, errors: { [field]: this.t.errors.wrongPassword } } });
    return this.failed(to, id, values, error, fields);
  }

  /** A 303 to `to` with the error's message as the page's alert. */
  refused(to: string, error: unknown): PageReply {
    return this.redirect(to, { error: Object.values(this.errorsOf(error)).join(' ') });
  }

  /**
   * An `AuthError`'s messages by field (`_` for the form as a whole), in the page's language.
   * A `FORBIDDEN` goes to the activity log as a refusal, as the JSON API's error handler does.
   * @throws what is not an `AuthError` of the user's making (a 5xx), for the error page.
   */
  errorsOf(error: unknown): Record<string, string> {
    if (!isAuthError(error) || error.status >= 500) throw error;
    if (error.code === 'FORBIDDEN' && this.session !== null) {
      this.kit.auth.audit.recordRefusal(this.session, { kind: 'forbidden', route: this.req.route }, this.req.client);
    }
    const errors: Record<string, string> = {};
    for (const issue of error.issues ?? []) {
      const field = String(issue.path[0] ?? '_');
      errors[field] ??= this.t.issue(issue.message) ?? issue.message;
    }
    if (Object.keys(errors).length === 0) errors['_'] = this.messageOf(error);
    return errors;
  }

  /** An error's own message: gatehouse's English one, or the Spanish one of its code. */
  messageOf(error: AuthError): string {
    return this.locale === 'en' ? error.message : authErrorMessage(error.code, this.locale);
  }

  /** A target to come back to from `next`: a path of this site only. */
  next(value: unknown, fallback: string): string {
    return safeRedirect(value, { fallback });
  }
}

/** Keeps a flash within what one cookie holds: typed values are dropped first, then truncated. */
function boundFlash(flash: Flash): Flash {
  const size = (value: Flash): number => JSON.stringify(value).length;
  if (size(flash) <= 2600) return flash;
  const withoutValues: Flash = flash.form === undefined ? flash : { ...flash, form: { ...flash.form, values: {} } };
  if (size(withoutValues) <= 2600) return withoutValues;
  const cut = (text: string | undefined): string | undefined => text?.slice(0, 300);
  const errors = Object.fromEntries(Object.entries(withoutValues.form?.errors ?? {}).map(([field, message]) => [field, message.slice(0, 200)]));
  return { notice: cut(flash.notice), error: cut(flash.error), form: withoutValues.form && { ...withoutValues.form, errors }, codes: flash.codes };
}

/** The pages' shared machinery, built once per app. */
export class PageKit {
  readonly auth: Auth;

  constructor(
    readonly runtime: ExampleRuntime,
    readonly http: HttpAuth,
    readonly cookies: PageCookies,
  ) {
    this.auth = runtime.auth;
  }

  /** A route whose handler runs only for those `access` lets in, with the request's {@link Ui}. */
  route<C>(method: 'GET' | 'POST', path: string, access: Access<C>, handle: (req: AppRequest, ui: Ui, session: C) => Promise<PageReply>): PageRoute {
    return {
      method,
      path,
      handle: async (req) => {
        const session = req.auth?.kind === 'session' ? req.auth : null;
        const ui = this.ui(req, session);
        if (session !== null && session.user.mustChangePassword && access.duringPasswordChange !== true) {
          return ui.redirect('/profile/password');
        }
        if (access.kind === 'guest' && session !== null) return ui.redirect(ui.next(req.query['next'], '/profile'));
        if ((access.kind === 'member' || access.kind === 'staff') && session === null) {
          return ui.redirect(method === 'GET' ? `/login?next=${encodeURIComponent(ui.here)}` : '/login');
        }
        if (access.kind === 'staff' && !this.auth.access.can(session, access.permission!)) {
          this.auth.audit.recordRefusal(session, { kind: 'forbidden', permission: access.permission, route: req.route }, req.client);
          return ui.message(ui.t.errors.forbiddenTitle, ui.t.errors.forbidden, 403, homeLink(ui.t));
        }
        return handle(req, ui, session as C);
      },
    };
  }

  /** The {@link Ui} of a request. */
  ui(req: AppRequest, session: AuthContext | null): Ui {
    const header = cookieHeader(req.raw.headers);
    const locale = pageLocale({ chosen: this.cookies.read(header, LANGUAGE), user: session?.user.locale, acceptLanguage: first(req.raw.headers['accept-language']) });
    const zone = header === undefined || header.length > 8192 ? undefined : parse(header)[TIME_ZONE];
    const viewer = session === null ? null : viewerOf(this.auth, session);
    return new Ui(this, req, locale, viewer, session, isTimeZone(zone) ? zone : DEFAULT_TIME_ZONE, this.cookies.open<Flash>(header, FLASH));
  }

  /** What a sealed cookie of the request holds (see {@link PageCookies.open}). */
  opened<T>(req: AppRequest, base: string): T | undefined {
    return this.cookies.open<T>(cookieHeader(req.raw.headers), base);
  }

  /** `Set-Cookie` that remembers the language chosen with the switch, for a year. */
  rememberLanguage(locale: Locale): string {
    return this.cookies.write(LANGUAGE, locale, 365 * 86400);
  }

  /**
   * The error page of a request no route answered (404), or that failed (its status: 400,
   * 403, 413, 500, 503…), in the visitor's language.
   */
  errorPage(request: { readonly headers: RequestHeaders; readonly auth?: RequestAuth | null | undefined; readonly path: string }, status: number): PageReply {
    const session = request.auth?.kind === 'session' ? request.auth : null;
    const req: AppRequest = { auth: session, params: {}, query: {}, body: {}, client: {}, route: '', path: request.path, raw: { method: 'GET', headers: request.headers } };
    const ui = this.ui(req, session);
    const { errors: e } = ui.t;
    const [title, text] = status === 404 ? [e.notFoundTitle, e.notFound] : status === 403 ? [e.forbiddenTitle, e.crossSite] : status < 500 ? [e.badRequestTitle, e.badRequest] : [e.serverTitle, e.server];
    return ui.message(title, text, status, homeLink(ui.t));
  }
}

function homeLink(t: Catalog): Html {
  return html`<p><a href="/">${t.errors.home}</a></p>`;
}

function viewerOf(auth: Auth, session: AuthContext): Viewer {
  return {
    id: session.user.id,
    name: session.user.name,
    email: session.user.email,
    level: session.level,
    mustChangePassword: session.user.mustChangePassword,
    can: (permission) => auth.access.can(session, permission),
  };
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

function cookieHeader(headers: RequestHeaders): string | undefined {
  return first(headers['cookie']);
}
