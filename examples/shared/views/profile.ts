/** A user's own pages: the profile with its figures and sessions, the password, the email address, two-step verification. */
import type { SessionListItem, User } from 'gatehouse';
import { describeUserAgent, type Formats } from '../format.js';
import { html, raw, type Html } from '../html.js';
import type { Catalog } from '../i18n/index.js';
import type { OrderTotals } from '../orders.js';
import { facts, field, formError, postButton, type FormState } from './layout.js';

export interface ProfileView {
  readonly user: User;
  readonly orders: OrderTotals;
  readonly sessions: readonly SessionListItem[];
  readonly twoFactorEnabled: boolean;
  readonly form: FormState;
}

export function profileBody(t: Catalog, fmt: Formats, view: ProfileView): Html {
  const { user, form } = view;
  const sessions = view.sessions.map(
    (session) => html`<tr>
<td data-label="${t.profile.device}">${describeUserAgent(session.userAgent, t.activity.browserOn) ?? t.common.unknown}</td>
<td data-label="${t.profile.ip}">${session.ip ?? t.common.unknown}</td>
<td data-label="${t.profile.lastActive}">${fmt.time(session.lastActiveAt)}</td>
<td>${session.current ? html`<strong>${t.profile.thisDevice}</strong>` : postButton(`/profile/sessions/${session.id}/revoke`, t.profile.signOutSession)}</td>
</tr>`,
  );
  return html`<section><h2>${t.profile.stats}</h2>
${facts([
  [t.profile.orders, view.orders.count],
  [t.profile.spent, fmt.money(view.orders.total)],
  [t.profile.lastSignIn, fmt.time(user.lastLoginAt, t.common.never)],
  [t.profile.activeSessions, view.sessions.length],
])}</section>
<section><h2>${t.profile.details}</h2>
${facts([
  [t.fields.email, html`${user.email} · <a href="/profile/email">${t.profile.changeEmail}</a>`],
  [t.fields.nationalId, stringAttribute(user, 'nationalId') ?? t.common.none],
])}
${formError(form)}<form method="post" action="/profile" class="card narrow">
${field(t, form, 'name', t.fields.name, { autocomplete: 'name', required: true, value: user.name })}
${field(t, form, 'phone', t.fields.phone, { type: 'tel', optional: true, autocomplete: 'tel', hint: `${t.fields.phoneHint} ${t.profile.phoneClear}`, value: stringAttribute(user, 'phone') ?? '' })}
<button type="submit" class="primary">${t.common.save}</button>
</form></section>
<section><h2>${t.profile.security}</h2>
<ul class="links">
<li><a href="/profile/password">${t.profile.changePassword}</a></li>
<li><a href="/profile/email">${t.profile.changeEmail}</a></li>
<li><a href="/profile/two-factor">${t.profile.twoFactor}</a>: ${view.twoFactorEnabled ? t.profile.twoFactorOn : t.profile.twoFactorOff}</li>
</ul></section>
<section><h2>${t.profile.sessions}</h2>
<table class="stack"><thead><tr><th>${t.profile.device}</th><th>${t.profile.ip}</th><th>${t.profile.lastActive}</th><th></th></tr></thead><tbody>${sessions}</tbody></table>
<p class="actions">${view.sessions.length > 1 ? postButton('/profile/sessions/revoke-others', t.profile.signOutOthers) : ''} ${postButton('/profile/sessions/revoke-all', t.profile.signOutAll, { className: 'danger' })}</p>
</section>`;
}

/** A text attribute of the shop's own fields, if the user has one. */
export function stringAttribute(user: User, name: string): string | undefined {
  const value = user.attributes[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function passwordBody(t: Catalog, form: FormState, forced: boolean): Html {
  return html`${forced ? html`<p class="notice" role="status">${t.profile.mustChange}</p>` : ''}${formError(form)}<form method="post" action="/profile/password" class="card narrow">
<input type="text" name="username" autocomplete="username" hidden>
${field(t, form, 'currentPassword', t.fields.currentPassword, { type: 'password', autocomplete: 'current-password', required: true })}
${field(t, form, 'newPassword', t.fields.newPassword, { type: 'password', autocomplete: 'new-password', required: true, hint: t.register.passwordHint })}
<button type="submit" class="primary">${t.password.submit}</button></form>`;
}

export function emailBody(t: Catalog, user: User, form: FormState): Html {
  return html`<p>${t.email.current(user.email)}</p><p>${t.email.intro}</p>${formError(form)}<form method="post" action="/profile/email" class="card narrow">
${field(t, form, 'newEmail', t.email.newEmail, { type: 'email', autocomplete: 'email', required: true })}
${field(t, form, 'currentPassword', t.fields.currentPassword, { type: 'password', autocomplete: 'current-password', required: true })}
<button type="submit" class="primary">${t.email.submit}</button></form>`;
}

export interface TwoFactorView {
  readonly enabled: boolean;
  /** During set-up: the secret as text and a QR code of its otpauth URI (a data URL). */
  readonly enrolment?: { readonly secret: string; readonly qr: string } | undefined;
  /** Fresh recovery codes, shown once. */
  readonly codes?: readonly string[] | undefined;
  readonly form: FormState;
}

export function twoFactorBody(t: Catalog, view: TwoFactorView): Html {
  const { form } = view;
  const password = field(t, form, 'password', t.fields.password, { type: 'password', autocomplete: 'current-password', required: true });
  const codes = view.codes
    ? html`<section class="card"><p>${t.twoFactor.recoveryIntro}</p><ul id="recovery-codes" class="codes">${view.codes.map((code) => html`<li><code>${code}</code></li>`)}</ul></section>`
    : '';
  if (view.enrolment) {
    return html`<p>${t.twoFactor.scan}</p>
<img src="${view.enrolment.qr}" alt="${t.twoFactor.qrAlt}" width="200" height="200" class="qr">
<p>${t.twoFactor.secret}: <code id="totp-secret">${view.enrolment.secret}</code></p>
${formError(form)}<form method="post" action="/profile/two-factor/confirm" class="card narrow">${field(t, form, 'code', t.twoFactor.firstCode, { autocomplete: 'one-time-code', required: true, extra: raw(' inputmode="numeric"') })}
<button type="submit" class="primary">${t.twoFactor.turnOn}</button></form>`;
  }
  if (view.enabled) {
    return html`<p>${t.twoFactor.on}</p>${codes}${formError(form)}
<form method="post" action="/profile/two-factor/recovery-codes" class="card narrow">${password}<button type="submit">${t.twoFactor.newCodes}</button>
<button type="submit" formaction="/profile/two-factor/disable" class="danger">${t.twoFactor.turnOff}</button></form>`;
  }
  return html`<p>${t.twoFactor.off}</p>${formError(form)}<form method="post" action="/profile/two-factor/enrol" class="card narrow">${password}
<button type="submit" class="primary">${t.twoFactor.setUp}</button></form>`;
}
