/**
 * The frame of every page (header with the navigation and the language switch, the flash
 * message, the footer) and the form pieces the pages share.
 */
import type { Catalog } from '../i18n/index.js';
import { LOCALES, catalog } from '../i18n/index.js';
import { html, raw, type Html, type HtmlValue } from '../html.js';

/** Who is looking at a page. */
export interface Viewer {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  /** The level of their principal role. */
  readonly level: number;
  readonly mustChangePassword: boolean;
  can(permission: string): boolean;
}

/** What the frame of a page needs to know. */
export interface Frame {
  readonly t: Catalog;
  readonly viewer: Viewer | null;
  /** The path and query of the page, for the language switch to come back to. */
  readonly here: string;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
  /** The time zone times are shown in. */
  readonly timeZone: string;
  /** Link the development outbox in the footer. */
  readonly outbox: boolean;
}

/** Field values to put back in a form and the errors to show next to them (`_` for the form as a whole). */
export interface FormState {
  readonly values: Readonly<Record<string, string>>;
  readonly errors: Readonly<Record<string, string>>;
}

export const EMPTY_FORM: FormState = { values: {}, errors: {} };

/** A whole page. `section: 'admin'` adds the administration's own navigation. */
export function layout(frame: Frame, title: string, body: Html, options: { section?: 'admin' } = {}): string {
  const { t, viewer } = frame;
  const signedIn = viewer !== null && !viewer.mustChangePassword;
  const links: [string, string][] = [['/shop', t.nav.shop]];
  if (signedIn) {
    links.push(['/profile', t.nav.profile]);
    if (viewer.can('users:view')) links.push(['/admin', t.nav.admin]);
  } else if (viewer === null) {
    links.push(['/login', t.nav.signIn], ['/register', t.nav.register]);
  }
  const current = frame.here.split('?')[0]!;
  const nav = links.map(([href, label]) => html`<li><a href="${href}"${current === href || current.startsWith(`${href}/`) ? raw(' aria-current="page"') : ''}>${label}</a></li>`);
  const account =
    viewer === null
      ? ''
      : html`<form method="post" action="/logout" class="signout"><span class="who">${viewer.name}</span> <button class="link">${t.nav.signOut}</button></form>`;
  const languages = LOCALES.map((locale) => {
    const words = catalog(locale);
    const chosen = words.lang === t.lang;
    return html`<button name="lang" value="${locale}" lang="${locale}" class="link"${chosen ? raw(' aria-pressed="true"') : raw(' aria-pressed="false"')}>${words.languageName}</button>`;
  });
  const adminNav = options.section === 'admin' && viewer !== null ? adminLinks(t, viewer, current) : '';
  return html`<!doctype html>
<html lang="${t.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${t.site.name}</title>
<link rel="stylesheet" href="/assets/shop.css">
<script src="/assets/shop.js" defer></script>
</head>
<body>
<a class="skip" href="#main">${t.site.skip}</a>
<header class="site">
<div class="bar">
<a class="brand" href="/">${t.site.name}</a>
<nav aria-label="${t.nav.menu}"><ul>${nav}</ul></nav>
${account}
<form method="post" action="/language" class="languages" aria-label="${t.site.language}"><input type="hidden" name="next" value="${frame.here}">${languages}</form>
</div>
</header>
<main id="main">
${adminNav}
<h1>${title}</h1>
${frame.notice ? html`<p class="notice" role="status">${frame.notice}</p>` : ''}
${frame.error ? html`<p class="alert" role="alert">${frame.error}</p>` : ''}
${body}
</main>
<footer class="site"><p>${t.site.footer} ${t.site.timesIn(frame.timeZone)}${frame.outbox ? html` · <a href="/dev/outbox">${t.site.outbox}</a>` : ''}</p></footer>
</body>
</html>`.text;
}

function adminLinks(t: Catalog, viewer: Viewer, current: string): Html {
  const links: [string, string, boolean][] = [
    ['/admin', t.nav.dashboard, viewer.can('users:view')],
    ['/admin/users', t.nav.users, viewer.can('users:view')],
    ['/admin/users/new', t.nav.newUser, viewer.can('users:create')],
    ['/admin/activity', t.nav.activity, viewer.can('audit:view')],
  ];
  const items = links
    .filter(([, , shown]) => shown)
    .map(([href, label]) => html`<li><a href="${href}"${current === href ? raw(' aria-current="page"') : ''}>${label}</a></li>`);
  return html`<nav class="sub" aria-label="${t.nav.admin}"><ul>${items}</ul></nav>`;
}

/** Options of one form field. */
export interface FieldOptions {
  readonly type?: 'text' | 'email' | 'password' | 'tel' | 'datetime-local' | 'number' | 'search';
  readonly hint?: string | undefined;
  readonly autocomplete?: string;
  readonly required?: boolean;
  /** Shown as "(optional)" after the label. */
  readonly optional?: boolean;
  /** The value when the form state has none. */
  readonly value?: string | undefined;
  readonly extra?: Html;
}

/** A labelled input with its hint and its error, tied together for screen readers. */
export function field(t: Catalog, form: FormState, name: string, label: string, options: FieldOptions = {}): Html {
  const type = options.type ?? 'text';
  const error = form.errors[name];
  const value = type === 'password' ? '' : (form.values[name] ?? options.value ?? '');
  const described = [options.hint ? `${name}-hint` : '', error ? `${name}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field${error ? ' invalid' : ''}">
<label for="${name}">${label}${options.optional ? html` <span class="optional">(${t.common.optional})</span>` : ''}</label>
${options.hint ? html`<small class="hint" id="${name}-hint">${options.hint}</small>` : ''}
<input id="${name}" name="${name}" type="${type}" value="${value}"${options.autocomplete ? html` autocomplete="${options.autocomplete}"` : ''}${options.required ? raw(' required') : ''}${error ? raw(' aria-invalid="true"') : ''}${described ? html` aria-describedby="${described}"` : ''}${options.extra ?? ''}>
${error ? html`<span class="error" id="${name}-error">${error}</span>` : ''}
</div>`;
}

/** A checkbox with its label. */
export function checkbox(name: string, label: string, checked: boolean, value = 'true', extra: HtmlValue = ''): Html {
  return html`<label class="check"><input type="checkbox" name="${name}" value="${value}"${checked ? raw(' checked') : ''}${extra}> ${label}</label>`;
}

/** The error of the form as a whole, if any. */
export function formError(form: FormState): Html {
  const error = form.errors['_'];
  return error ? html`<p class="alert" role="alert">${error}</p>` : html``;
}

/** A form of one button that posts to `action` (with hidden fields). */
export function postButton(action: string, label: string, options: { hidden?: Readonly<Record<string, string>>; className?: string } = {}): Html {
  const hidden = Object.entries(options.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return html`<form method="post" action="${action}" class="inline">${hidden}<button class="${options.className ?? ''}">${label}</button></form>`;
}

/** A definition list of label and value pairs. */
export function facts(rows: readonly (readonly [string, HtmlValue])[]): Html {
  return html`<dl class="facts">${rows.map(([label, value]) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`)}</dl>`;
}

/** A labelled `<select>` of `[value, label]` options. */
export function select(form: FormState, name: string, label: string, options: readonly (readonly [string, string])[], selected: string | undefined): Html {
  const chosen = form.values[name] ?? selected ?? '';
  const error = form.errors[name];
  return html`<div class="field${error ? ' invalid' : ''}"><label for="${name}">${label}</label>
<select id="${name}" name="${name}"${error ? html` aria-invalid="true" aria-describedby="${name}-error"` : ''}>${options.map(([value, text]) => html`<option value="${value}"${value === chosen ? raw(' selected') : ''}>${text}</option>`)}</select>
${error ? html`<span class="error" id="${name}-error">${error}</span>` : ''}</div>`;
}
