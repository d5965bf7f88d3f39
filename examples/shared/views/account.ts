/**
 * The pages of an account's own way in: sign in (and its second step), register, activate,
 * forgot and reset the password, confirm a new email address; and the development outbox.
 */
import type { Catalog } from '../i18n/index.js';
import { html, raw, type Html } from '../html.js';
import { checkbox, field, formError, type FormState } from './layout.js';

/** A page's one message (an error's, when `error`) and its links. */
export function messageBody(message: string, links: Html, error: boolean): Html {
  return error ? html`<p class="alert" role="alert">${message}</p>${links}` : html`<p class="notice" role="status">${message}</p>${links}`;
}

export function loginBody(t: Catalog, form: FormState, next: string): Html {
  return html`${formError(form)}<form method="post" action="/login" class="card narrow">
<input type="hidden" name="next" value="${next}">
${field(t, form, 'email', t.fields.email, { type: 'email', autocomplete: 'username', required: true })}
${field(t, form, 'password', t.fields.password, { type: 'password', autocomplete: 'current-password', required: true })}
${checkbox('rememberMe', t.login.rememberMe, form.values['rememberMe'] === 'true')}
<button type="submit" class="primary">${t.login.submit}</button>
<p><a href="/forgot-password">${t.login.forgot}</a></p>
<p>${t.login.noAccount} <a href="/register">${t.login.register}</a></p>
</form>`;
}

export function twoFactorSignInBody(t: Catalog, form: FormState): Html {
  return html`<p>${t.twoFactorSignIn.intro}</p>${formError(form)}<form method="post" action="/login/two-factor" class="card narrow">
${field(t, form, 'code', t.twoFactorSignIn.code, { autocomplete: 'one-time-code', required: true, extra: raw(' inputmode="text" autocapitalize="characters" spellcheck="false"') })}
<button type="submit" class="primary">${t.twoFactorSignIn.submit}</button>
</form>
<form method="post" action="/login/two-factor/cancel" class="inline"><button class="link">${t.twoFactorSignIn.cancel}</button></form>`;
}

export function registerBody(t: Catalog, form: FormState): Html {
  return html`${formError(form)}<form method="post" action="/register" class="card narrow" data-check-email>
${field(t, form, 'name', t.fields.name, { autocomplete: 'name', required: true })}
${field(t, form, 'email', t.fields.email, { type: 'email', autocomplete: 'email', required: true, extra: html` data-taken="${t.register.emailTaken}" data-free="${t.register.emailFree}"` })}
<p class="hint" id="email-availability" role="status" aria-live="polite"></p>
${field(t, form, 'password', t.fields.password, { type: 'password', autocomplete: 'new-password', required: true, hint: t.register.passwordHint })}
${field(t, form, 'nationalId', t.fields.nationalId, { optional: true, hint: t.fields.nationalIdHint, extra: raw(' autocapitalize="characters"') })}
${field(t, form, 'phone', t.fields.phone, { type: 'tel', optional: true, autocomplete: 'tel', hint: t.fields.phoneHint })}
<button type="submit" class="primary">${t.register.submit}</button>
<p>${t.register.haveAccount} <a href="/login">${t.nav.signIn}</a></p>
</form>`;
}

/** A page whose link carries a key: a GET never uses it (mail scanners open links); the button posts it. */
export function keyButtonBody(intro: string, action: string, key: string, label: string, form: FormState): Html {
  return html`<p>${intro}</p>${formError(form)}<form method="post" action="${action}" class="card narrow"><input type="hidden" name="key" value="${key}">
<button type="submit" class="primary">${label}</button></form>`;
}

export function resendActivationBody(t: Catalog, form: FormState): Html {
  return html`<section><h2>${t.activate.resendTitle}</h2>
<form method="post" action="/activate/resend" class="card narrow">
${field(t, form, 'email', t.fields.email, { type: 'email', autocomplete: 'email', required: true })}
<button type="submit">${t.activate.resend}</button></form></section>`;
}

export function forgotBody(t: Catalog, form: FormState): Html {
  return html`<p>${t.forgot.intro}</p>${formError(form)}<form method="post" action="/forgot-password" class="card narrow">
${field(t, form, 'email', t.fields.email, { type: 'email', autocomplete: 'email', required: true })}
<button type="submit" class="primary">${t.forgot.submit}</button></form>`;
}

export function resetBody(t: Catalog, key: string, form: FormState): Html {
  return html`${formError(form)}<form method="post" action="/reset-password" class="card narrow"><input type="hidden" name="key" value="${key}">
${field(t, form, 'password', t.fields.newPassword, { type: 'password', autocomplete: 'new-password', required: true, hint: t.register.passwordHint })}
<button type="submit" class="primary">${t.reset.submit}</button></form>`;
}

export function outboxBody(t: Catalog, mails: readonly { to: string; subject: string; link?: string | undefined }[]): Html {
  if (mails.length === 0) return html`<p>${t.outbox.intro}</p><p>${t.outbox.empty}</p>`;
  const rows = [...mails].reverse().map(
    (mail) =>
      html`<tr><td data-label="${t.outbox.to}">${mail.to}</td><td data-label="${t.outbox.subject}">${mail.subject}</td><td>${mail.link ? html`<a href="${mail.link}">${t.outbox.open}</a>` : ''}</td></tr>`,
  );
  return html`<p>${t.outbox.intro}</p><table class="stack"><thead><tr><th>${t.outbox.to}</th><th>${t.outbox.subject}</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
}
