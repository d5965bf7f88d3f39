/**
 * The example apps' server-rendered pages: plain HTML forms that work without JavaScript,
 * errors shown next to their field. Both apps render these same functions.
 */
import type { Activity, ActiveRole, FieldIssue, Page, Role, SessionListItem, User, UserStatus } from 'gatehouse';

/** Field values to put back in a form and the errors to show next to them. */
export interface FormState {
  readonly values?: Readonly<Record<string, string>>;
  /** Errors by field name; `_` for the form as a whole. */
  readonly errors?: Readonly<Record<string, string>>;
}

/** Who is looking at a page, for the navigation bar. */
export interface Viewer {
  readonly name: string;
  readonly admin: boolean;
}

const STATUSES: readonly UserStatus[] = ['pending', 'active', 'inactive', 'blocked', 'suspended'];

/** Escapes text for HTML content and attribute values. */
export function escape(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Turns `AuthError` issues into one message per field (the first wins). */
export function errorsByField(issues: readonly FieldIssue[] | undefined, fallback: string): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues ?? []) {
    const field = String(issue.path[0] ?? '_');
    errors[field] ??= issue.message;
  }
  if (Object.keys(errors).length === 0) errors['_'] = fallback;
  return errors;
}

function layout(title: string, viewer: Viewer | null, body: string, notice?: string): string {
  const nav = viewer
    ? `<a href="/profile">${escape(viewer.name)}</a>${viewer.admin ? ' · <a href="/admin/users">Users</a>' : ''} ·
       <form method="post" action="/logout" class="inline"><button>Sign out</button></form>`
    : '<a href="/login">Sign in</a> · <a href="/register">Register</a>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · Gatehouse Shop</title>
<style>
 body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
 header{display:flex;justify-content:space-between;border-bottom:1px solid #ddd;margin-bottom:1rem;padding-bottom:.5rem}
 label{display:block;margin:.6rem 0 .2rem}input,select{padding:.35rem;min-width:16rem}
 .error{color:#b00020;font-size:.9rem;display:block}.notice{background:#eef6ee;padding:.6rem;border-radius:4px}
 .alert{background:#fdecec;padding:.6rem;border-radius:4px}table{border-collapse:collapse;width:100%}
 td,th{border-bottom:1px solid #eee;padding:.35rem;text-align:left;vertical-align:top}.inline{display:inline}
 button{padding:.35rem .8rem;margin:.2rem 0}
</style></head>
<body><header><strong><a href="/">Gatehouse Shop</a></strong><nav>${nav}</nav></header>
<main><h1>${escape(title)}</h1>${notice ? `<p class="notice" role="status">${escape(notice)}</p>` : ''}${body}</main></body></html>`;
}

function field(name: string, label: string, form: FormState, type = 'text', extra = ''): string {
  const error = form.errors?.[name];
  const value = type === 'password' ? '' : (form.values?.[name] ?? '');
  return `<label for="${name}">${escape(label)}</label>
<input id="${name}" name="${name}" type="${type}" value="${escape(value)}" ${extra}${error ? ` aria-invalid="true" aria-describedby="${name}-error"` : ''}>
${error ? `<span class="error" id="${name}-error">${escape(error)}</span>` : ''}`;
}

function formError(form: FormState): string {
  const error = form.errors?.['_'];
  return error ? `<p class="alert" role="alert">${escape(error)}</p>` : '';
}

export function homePage(viewer: Viewer | null): string {
  return layout(
    'Welcome',
    viewer,
    `<p>An example shop on <a href="https://www.npmjs.com/package/gatehouse">gatehouse</a>: accounts, sessions and roles.</p>
     <p>${viewer ? '<a href="/profile">Your profile</a>' : '<a href="/login">Sign in</a> or <a href="/register">create an account</a>.'}</p>`,
  );
}

export function loginPage(form: FormState, next: string): string {
  return layout(
    'Sign in',
    null,
    `${formError(form)}<form method="post" action="/login">
<input type="hidden" name="next" value="${escape(next)}">
${field('email', 'Email', form, 'email', 'autocomplete="username" required')}
${field('password', 'Password', form, 'password', 'autocomplete="current-password" required')}
<label><input type="checkbox" name="rememberMe" value="true" style="min-width:0"${form.values?.['rememberMe'] ? ' checked' : ''}> Remember me</label>
<button type="submit">Sign in</button></form>
<p><a href="/forgot-password">Forgot your password?</a> · <a href="/register">Create an account</a></p>`,
  );
}

export function twoFactorPage(form: FormState, challenge: string, next: string): string {
  return layout(
    'Two-step verification',
    null,
    `${formError(form)}<form method="post" action="/login/two-factor">
<input type="hidden" name="challenge" value="${escape(challenge)}"><input type="hidden" name="next" value="${escape(next)}">
${field('code', 'Code from your authenticator app (or a recovery code)', form, 'text', 'autocomplete="one-time-code" required')}
<button type="submit">Verify</button></form>`,
  );
}

export function registerPage(form: FormState): string {
  return layout(
    'Create an account',
    null,
    `${formError(form)}<form method="post" action="/register">
${field('name', 'Name', form, 'text', 'autocomplete="name" required')}
${field('email', 'Email', form, 'email', 'autocomplete="email" required')}
${field('password', 'Password (at least 8 characters)', form, 'password', 'autocomplete="new-password" required')}
${field('nationalId', 'National ID (e.g. V-12345678)', form)}
${field('phone', 'Phone (e.g. +58 412 1234567)', form, 'tel')}
<button type="submit">Register</button></form>`,
  );
}

export function messagePage(title: string, message: string, viewer: Viewer | null = null, links = ''): string {
  return layout(title, viewer, `<p class="notice" role="status">${escape(message)}</p>${links}`);
}

export function activatePage(key: string, form: FormState): string {
  // A GET never activates: mail scanners open links. The button posts the key.
  return layout(
    'Activate your account',
    null,
    `${formError(form)}<form method="post" action="/activate"><input type="hidden" name="key" value="${escape(key)}">
<button type="submit">Activate my account</button></form>`,
  );
}

export function forgotPasswordPage(form: FormState): string {
  return layout(
    'Forgot your password?',
    null,
    `${formError(form)}<form method="post" action="/forgot-password">
${field('email', 'Email', form, 'email', 'autocomplete="email" required')}
<button type="submit">Send me a link</button></form>`,
  );
}

export function resetPasswordPage(key: string, form: FormState): string {
  return layout(
    'Choose a new password',
    null,
    `${formError(form)}<form method="post" action="/reset-password"><input type="hidden" name="key" value="${escape(key)}">
${field('password', 'New password', form, 'password', 'autocomplete="new-password" required')}
<button type="submit">Save the new password</button></form>`,
  );
}

export interface ProfileView {
  readonly user: User;
  readonly roles: readonly ActiveRole[];
  readonly sessions: readonly SessionListItem[];
  readonly twoFactorEnabled: boolean;
  readonly notice?: string | undefined;
  readonly profileForm?: FormState;
  readonly passwordForm?: FormState;
}

export function profilePage(viewer: Viewer, view: ProfileView): string {
  const { user } = view;
  const profileForm = view.profileForm ?? { values: { name: user.name, phone: String(user.attributes['phone'] ?? '') } };
  const passwordForm = view.passwordForm ?? {};
  const sessions = view.sessions
    .map(
      (s) => `<tr><td>${escape(s.userAgent ?? 'unknown device')}</td><td>${escape(s.ip ?? '')}</td><td>${escape(s.lastActiveAt.toISOString())}</td>
<td>${s.current ? '<strong>this session</strong>' : `<form method="post" action="/profile/sessions/${escape(s.id)}/revoke" class="inline"><button>Sign out</button></form>`}</td></tr>`,
    )
    .join('');
  return layout(
    'Your profile',
    viewer,
    `<p>${escape(user.email)} · roles: ${escape(view.roles.map((role) => role.name).join(', ') || 'none')}</p>
<h2>Details</h2>${formError(profileForm)}<form method="post" action="/profile">
${field('name', 'Name', profileForm, 'text', 'required')}
${field('phone', 'Phone', profileForm, 'tel')}
<button type="submit">Save</button></form>
<h2>Password</h2>${formError(passwordForm)}<form method="post" action="/profile/password">
${field('currentPassword', 'Current password', passwordForm, 'password', 'autocomplete="current-password" required')}
${field('newPassword', 'New password', passwordForm, 'password', 'autocomplete="new-password" required')}
<button type="submit">Change password</button></form>
<h2>Two-step verification</h2><p>${view.twoFactorEnabled ? 'On.' : 'Off.'} <a href="/profile/two-factor">Manage</a></p>
<h2>Your sessions</h2><table><thead><tr><th>Device</th><th>IP</th><th>Last active</th><th></th></tr></thead><tbody>${sessions}</tbody></table>`,
    view.notice,
  );
}

export interface UsersView {
  readonly page: Page<User>;
  readonly query: { status?: string | undefined; role?: string | undefined; q?: string | undefined; page: number; pageSize: number };
  readonly roles: readonly Role[];
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

export function usersPage(viewer: Viewer, view: UsersView): string {
  const { query } = view;
  const option = (value: string, label: string, selected: string | undefined): string =>
    `<option value="${escape(value)}"${value === (selected ?? '') ? ' selected' : ''}>${escape(label)}</option>`;
  const rows = view.page.items
    .map((user) => {
      const actions = [
        user.status === 'pending' ? post(`/admin/users/${user.id}/approve`, 'Approve') : '',
        user.status === 'active' || user.status === 'inactive' ? post(`/admin/users/${user.id}/toggle`, user.status === 'active' ? 'Deactivate' : 'Activate') : '',
        user.status === 'blocked' || user.status === 'suspended'
          ? post(`/admin/users/${user.id}/unblock`, 'Unblock')
          : `<form method="post" action="/admin/users/${escape(user.id)}/block" class="inline">
<input name="reason" placeholder="Reason" aria-label="Reason to block ${escape(user.email)}" required style="min-width:8rem"><button>Block</button></form>`,
      ].join(' ');
      return `<tr><td><a href="/admin/users/${escape(user.id)}">${escape(user.name)}</a><br><small>${escape(user.email)}</small></td>
<td>${escape(user.status)}${user.statusReason ? `<br><small>${escape(user.statusReason)}</small>` : ''}</td><td>${actions}</td></tr>`;
    })
    .join('');
  const pages = Math.max(1, Math.ceil(view.page.total / query.pageSize));
  const link = (page: number): string => {
    const params = new URLSearchParams({ ...definedParams(query), page: String(page), pageSize: String(query.pageSize) });
    return `/admin/users?${params.toString()}`;
  };
  return layout(
    'Users',
    viewer,
    `${view.error ? `<p class="alert" role="alert">${escape(view.error)}</p>` : ''}
<form method="get" action="/admin/users"><label for="q">Search</label><input id="q" name="q" value="${escape(query.q ?? '')}">
<label for="status">Status</label><select id="status" name="status">${option('', 'any', query.status)}${STATUSES.map((s) => option(s, s, query.status)).join('')}</select>
<label for="role">Role</label><select id="role" name="role">${option('', 'any', query.role)}${view.roles.map((r) => option(r.code, r.name, query.role)).join('')}</select>
<button type="submit">Filter</button></form>
<p>${view.page.total} user(s) · page ${query.page} of ${pages}
${query.page > 1 ? `<a href="${escape(link(query.page - 1))}">previous</a>` : ''} ${query.page < pages ? `<a href="${escape(link(query.page + 1))}">next</a>` : ''}</p>
<table><thead><tr><th>User</th><th>Status</th><th>Actions</th></tr></thead><tbody>${rows}</tbody></table>`,
    view.notice,
  );
}

export interface UserView {
  readonly user: User;
  readonly roles: readonly ActiveRole[];
  readonly allRoles: readonly Role[];
  readonly activity: Page<Activity>;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

export function userPage(viewer: Viewer, view: UserView): string {
  const held = new Set(view.roles.map((role) => role.code));
  const checkboxes = view.allRoles
    .map(
      (role) =>
        `<label><input type="checkbox" name="roles" value="${escape(role.code)}" style="min-width:0"${held.has(role.code) ? ' checked' : ''}> ${escape(role.name)} (${role.level})</label>`,
    )
    .join('');
  const activity = view.activity.items
    .map((a) => `<tr><td>${escape(a.createdAt.toISOString())}</td><td>${escape(a.action)}</td><td>${escape(a.details)}</td><td>${escape(a.ip ?? '')}</td></tr>`)
    .join('');
  return layout(
    view.user.name,
    viewer,
    `${view.error ? `<p class="alert" role="alert">${escape(view.error)}</p>` : ''}
<p>${escape(view.user.email)} · ${escape(view.user.status)}${view.user.statusReason ? ` (${escape(view.user.statusReason)})` : ''}</p>
<h2>Roles</h2><form method="post" action="/admin/users/${escape(view.user.id)}/roles">${checkboxes}<button type="submit">Save roles</button></form>
<h2>Activity</h2><table><thead><tr><th>When</th><th>Action</th><th>Details</th><th>IP</th></tr></thead><tbody>${activity}</tbody></table>`,
    view.notice,
  );
}

export interface TwoFactorView {
  readonly enabled: boolean;
  /** During enrolment: the secret as text, its otpauth URI and a QR code image (data URL). */
  readonly enrolment?: { readonly secret: string; readonly uri: string; readonly qr: string } | undefined;
  /** Shown once, right after enabling or regenerating. */
  readonly recoveryCodes?: readonly string[] | undefined;
  readonly form?: FormState;
  readonly notice?: string | undefined;
}

export function twoFactorSettingsPage(viewer: Viewer, view: TwoFactorView): string {
  const form = view.form ?? {};
  let body: string;
  if (view.recoveryCodes) {
    body = `<p>Keep these recovery codes somewhere safe. Each works once; they are not shown again.</p>
<ul id="recovery-codes">${view.recoveryCodes.map((code) => `<li><code>${escape(code)}</code></li>`).join('')}</ul><p><a href="/profile">Back to the profile</a></p>`;
  } else if (view.enrolment) {
    body = `<p>Scan this code with your authenticator app, or type the secret.</p>
<img src="${escape(view.enrolment.qr)}" alt="QR code for your authenticator app" width="200" height="200">
<p>Secret: <code id="totp-secret">${escape(view.enrolment.secret)}</code></p>
${formError(form)}<form method="post" action="/profile/two-factor/confirm">${field('code', 'First code from the app', form, 'text', 'autocomplete="one-time-code" required')}
<button type="submit">Turn on</button></form>`;
  } else if (view.enabled) {
    body = `${formError(form)}<form method="post" action="/profile/two-factor/disable">${field('password', 'Password', form, 'password', 'required')}
<button type="submit">Turn off two-step verification</button></form>`;
  } else {
    body = `${formError(form)}<form method="post" action="/profile/two-factor/enrol">${field('password', 'Password', form, 'password', 'required')}
<button type="submit">Set up two-step verification</button></form>`;
  }
  return layout('Two-step verification', viewer, body, view.notice);
}

export function outboxPage(mails: readonly { to: string; subject: string; link?: string | undefined }[]): string {
  const rows = mails
    .map((m) => `<tr><td>${escape(m.to)}</td><td>${escape(m.subject)}</td><td>${m.link ? `<a href="${escape(m.link)}">open link</a>` : ''}</td></tr>`)
    .reverse()
    .join('');
  return layout('Development outbox', null, `<table><thead><tr><th>To</th><th>Subject</th><th></th></tr></thead><tbody>${rows}</tbody></table>`);
}

function post(action: string, label: string): string {
  return `<form method="post" action="${escape(action)}" class="inline"><button>${escape(label)}</button></form>`;
}

function definedParams(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) if (typeof value === 'string' && value !== '' && key !== 'page' && key !== 'pageSize') out[key] = value;
  return out;
}
