/**
 * The administration (seeds 003 and 004): the dashboard, the list of users with filters, the
 * create and edit forms, and a user's page with the summary, roles and permissions, the
 * actions and the recent activity. A button is shown only where the guard rails allow it:
 * never on one's own account, nor on a user at or above one's level.
 */
import type { Activity, ActiveRole, Role, User, UserDetails, UserStatus, UserSummary } from 'gatehouse';
import { USER_STATUSES } from 'gatehouse';
import type { Formats } from '../format.js';
import { html, type Html } from '../html.js';
import { LOCALES, catalog, isLocale, type Catalog } from '../i18n/index.js';
import type { OrderTotals } from '../orders.js';
import { DELETED, activityTable, type People } from './activity.js';
import { checkbox, facts, field, formError, postButton, select, type FormState, type Viewer } from './layout.js';
import { stringAttribute } from './profile.js';

/** A role's name in the page's language. */
export function roleName(t: Catalog, role: { code: string; name: string }): string {
  return t.roleNames[role.code] ?? role.name;
}

/** What the viewer may do to a user: `self` for their own account, `actable` below their level. */
export interface Standing {
  readonly self: boolean;
  readonly actable: boolean;
}

export interface DashboardView {
  readonly counts: Readonly<Record<UserStatus, number>>;
  readonly total: number;
  readonly pending: readonly { readonly user: User; readonly standing: Standing }[];
  readonly pendingTotal: number;
  readonly inactive: readonly User[];
  /** How many active users were looked through, when not all of them. */
  readonly inactiveScanned: number | undefined;
}

export function dashboardBody(t: Catalog, fmt: Formats, viewer: Viewer, view: DashboardView): Html {
  const cards = USER_STATUSES.map(
    (status) => html`<li class="stat"><a href="/admin/users?status=${status}"><span class="figure">${view.counts[status]}</span> <span class="label">${t.status[status]}</span></a></li>`,
  );
  const pending = view.pending.map(
    ({ user, standing }) => html`<tr><td data-label="${t.admin.user}"><a href="/admin/users/${user.id}">${user.name}</a><br><small>${user.email}</small></td>
<td data-label="${t.admin.created}">${fmt.time(user.createdAt)}</td>
<td>${standing.actable && !standing.self && viewer.can('users:edit') ? postButton(`/admin/users/${user.id}/approve`, t.admin.approve, { hidden: { back: '/admin' } }) : ''}</td></tr>`,
  );
  const inactive = view.inactive.map(
    (user) => html`<tr><td data-label="${t.admin.user}"><a href="/admin/users/${user.id}">${user.name}</a><br><small>${user.email}</small></td>
<td data-label="${t.admin.lastSignIn}">${fmt.time(user.lastLoginAt, t.common.never)}</td><td data-label="${t.admin.created}">${fmt.time(user.createdAt)}</td></tr>`,
  );
  return html`<section><h2>${t.admin.byStatus}</h2>
<ul class="stats"><li class="stat"><a href="/admin/users"><span class="figure">${view.total}</span> <span class="label">${t.admin.total}</span></a></li>${cards}</ul></section>
<section><h2>${t.admin.pending} (${view.pendingTotal})</h2>
${view.pending.length === 0 ? html`<p>${t.admin.noPending}</p>` : html`<table class="stack"><thead><tr><th>${t.admin.user}</th><th>${t.admin.created}</th><th></th></tr></thead><tbody>${pending}</tbody></table>`}
${view.pendingTotal > view.pending.length ? html`<p><a href="/admin/users?status=pending">${t.common.count(view.pendingTotal)}</a></p>` : ''}</section>
<section><h2>${t.admin.inactive} (${view.inactive.length})</h2>
${view.inactiveScanned !== undefined ? html`<p class="hint">${t.admin.inactiveCapped(view.inactiveScanned)}</p>` : ''}
${view.inactive.length === 0 ? html`<p>${t.admin.noInactive}</p>` : html`<table class="stack"><thead><tr><th>${t.admin.user}</th><th>${t.admin.lastSignIn}</th><th>${t.admin.created}</th></tr></thead><tbody>${inactive}</tbody></table>`}
</section>`;
}

/** The filters of the users list. */
export interface UsersQuery {
  readonly q?: string | undefined;
  readonly status?: UserStatus | undefined;
  readonly role?: string | undefined;
  readonly page: number;
  readonly pageSize: number;
}

export interface UserRow {
  readonly user: User;
  readonly principal: ActiveRole | undefined;
  readonly standing: Standing;
}

export interface UsersView {
  readonly rows: readonly UserRow[];
  readonly total: number;
  readonly query: UsersQuery;
  readonly roles: readonly Role[];
}

/** The list URL of a query: filters kept, `page` replaced. */
export function usersUrl(query: UsersQuery, page = query.page): string {
  const params = new URLSearchParams();
  if (query.q) params.set('q', query.q);
  if (query.status) params.set('status', query.status);
  if (query.role) params.set('role', query.role);
  if (page > 1) params.set('page', String(page));
  if (query.pageSize !== 20) params.set('pageSize', String(query.pageSize));
  const text = params.toString();
  return `/admin/users${text === '' ? '' : `?${text}`}`;
}

export function usersBody(t: Catalog, fmt: Formats, viewer: Viewer, view: UsersView): Html {
  const { query } = view;
  const back = usersUrl(query);
  const filters = { values: { q: query.q ?? '', status: query.status ?? '', role: query.role ?? '' }, errors: {} };
  const pages = Math.max(1, Math.ceil(view.total / query.pageSize));
  const rows = view.rows.map(({ user, principal, standing }) => {
    const may = standing.actable && !standing.self;
    const actions = [
      may && viewer.can('users:edit') && user.status === 'pending' ? postButton(`/admin/users/${user.id}/approve`, t.admin.approve, { hidden: { back } }) : '',
      may && viewer.can('users:edit') && (user.status === 'active' || user.status === 'inactive')
        ? postButton(`/admin/users/${user.id}/toggle`, user.status === 'active' ? t.admin.deactivate : t.admin.activateUser, { hidden: { back } })
        : '',
      may && viewer.can('users:block') && (user.status === 'blocked' || user.status === 'suspended') ? postButton(`/admin/users/${user.id}/unblock`, t.admin.unblock, { hidden: { back } }) : '',
      viewer.can('users:edit') && (may || standing.self) ? html`<a class="button" href="/admin/users/${user.id}/edit">${t.admin.edit}</a>` : '',
    ];
    return html`<tr>
<td data-label="${t.admin.user}"><a href="/admin/users/${user.id}">${user.name}</a>${standing.self ? html` <small>(${t.admin.you})</small>` : ''}<br><small class="email">${user.email}</small></td>
<td data-label="${t.fields.status}">${statusText(t, fmt, user)}</td>
<td data-label="${t.admin.principalRole}">${principal === undefined ? t.common.none : roleName(t, principal)}</td>
<td data-label="${t.admin.lastSignIn}">${fmt.time(user.lastLoginAt, t.common.never)}</td>
<td class="row-actions">${actions}</td>
</tr>`;
  });
  return html`<form method="get" action="/admin/users" class="filters" role="search">
${field(t, filters, 'q', t.admin.search, { type: 'search' })}
${select(filters, 'status', t.fields.status, [['', t.common.any], ...USER_STATUSES.map((status) => [status, t.status[status]] as const)], query.status)}
${select(filters, 'role', t.admin.role, [['', t.common.any], ...view.roles.map((role) => [role.code, roleName(t, role)] as const)], query.role)}
<div class="filter-buttons"><button type="submit">${t.common.filter}</button> <a href="/admin/users">${t.common.clear}</a></div>
</form>
${viewer.can('users:create') ? html`<p><a class="button primary" href="/admin/users/new">${t.admin.newUser}</a></p>` : ''}
<p>${t.common.count(view.total)} · ${t.common.pageOf(query.page, pages)}</p>
${
  view.rows.length === 0
    ? html`<p>${t.admin.noUsers}</p>`
    : html`<table class="stack users"><thead><tr><th>${t.admin.user}</th><th>${t.fields.status}</th><th>${t.admin.principalRole}</th><th>${t.admin.lastSignIn}</th><th>${t.common.actions}</th></tr></thead><tbody>${rows}</tbody></table>`
}
<nav class="pager" aria-label="${t.common.pageOf(query.page, pages)}">${query.page > 1 ? html`<a href="${usersUrl(query, query.page - 1)}" rel="prev">${t.common.previous}</a>` : ''} ${query.page < pages ? html`<a href="${usersUrl(query, query.page + 1)}" rel="next">${t.common.next}</a>` : ''}</nav>`;
}

/** A status with its reason and end, e.g. "Blocked · Chargebacks · until 1 Dec 2026". */
function statusText(t: Catalog, fmt: Formats, user: User): Html {
  return html`<span class="status status-${user.status}">${t.status[user.status]}</span>${user.statusReason ? html`<br><small>${user.statusReason === DELETED ? t.admin.deletedReason : user.statusReason}</small>` : ''}${user.statusUntil ? html`<br><small>${t.admin.assignedUntil(fmt.text(user.statusUntil))}</small>` : ''}`;
}

/** The roles a viewer may give, each with a checkbox and an end date. */
function rolesFieldset(t: Catalog, fmt: Formats, roles: readonly Role[], held: ReadonlyMap<string, Date | null>, form: FormState): Html {
  const chosen = form.values['roles'] === undefined ? undefined : new Set(form.values['roles'].split(','));
  const rows = roles.map((role) => {
    const checked = chosen === undefined ? held.has(role.code) : chosen.has(role.code);
    const until = form.values[`until-${role.code}`] ?? fmt.toLocalInput(held.get(role.code));
    return html`<div class="role-row">${checkbox('roles', roleName(t, role), checked, role.code)}
<label class="until"><span>${t.common.until}</span> <input type="datetime-local" name="until-${role.code}" value="${until}" aria-label="${t.common.until}: ${roleName(t, role)}"></label></div>`;
  });
  return html`<fieldset><legend>${t.fields.roles}</legend><p class="hint">${t.admin.rolesHint} ${t.common.untilHint}</p>${rows}${form.errors['roles'] ? html`<span class="error">${form.errors['roles']}</span>` : ''}</fieldset>`;
}

function localeOptions(): [string, string][] {
  return LOCALES.map((locale) => [locale, catalog(locale).languageName]);
}

export function newUserBody(t: Catalog, fmt: Formats, roles: readonly Role[], form: FormState, defaultLocale: string): Html {
  return html`${formError(form)}<form method="post" action="/admin/users" class="card">
${field(t, form, 'name', t.fields.name, { required: true })}
${field(t, form, 'email', t.fields.email, { type: 'email', required: true })}
${field(t, form, 'password', t.fields.password, { type: 'password', autocomplete: 'new-password', required: true, hint: t.register.passwordHint })}
${field(t, form, 'nationalId', t.fields.nationalId, { optional: true, hint: t.fields.nationalIdHint })}
${field(t, form, 'phone', t.fields.phone, { type: 'tel', optional: true, hint: t.fields.phoneHint })}
${select(form, 'locale', t.fields.locale, localeOptions(), defaultLocale)}
${rolesFieldset(t, fmt, roles, new Map([['customer', null]]), form)}
${checkbox('mustChangePassword', t.admin.mustChangeNew, form.values['mustChangePassword'] === undefined ? true : form.values['mustChangePassword'] === 'true')}
${checkbox('emailVerified', t.admin.emailVerified, form.values['emailVerified'] === 'true')}
<button type="submit" class="primary">${t.admin.create}</button></form>`;
}

export function editUserBody(t: Catalog, user: User, self: boolean, form: FormState): Html {
  return html`${formError(form)}<form method="post" action="/admin/users/${user.id}/edit" class="card">
${field(t, form, 'name', t.fields.name, { required: true, value: user.name })}
${self ? html`<p class="hint">${t.admin.ownCredentials}</p>` : html`${field(t, form, 'email', t.fields.email, { type: 'email', required: true, value: user.email })}
${field(t, form, 'password', t.fields.newPassword, { type: 'password', autocomplete: 'new-password', optional: true, hint: t.admin.passwordKeep })}`}
${field(t, form, 'nationalId', t.fields.nationalId, { optional: true, hint: t.fields.nationalIdHint, value: stringAttribute(user, 'nationalId') ?? '' })}
${field(t, form, 'phone', t.fields.phone, { type: 'tel', optional: true, hint: t.fields.phoneHint, value: stringAttribute(user, 'phone') ?? '' })}
${select(form, 'locale', t.fields.locale, localeOptions(), user.locale ?? 'en')}
<button type="submit" class="primary">${t.common.save}</button> <a href="/admin/users/${user.id}">${t.admin.summary}</a></form>`;
}

export interface UserPageView {
  readonly details: UserDetails;
  readonly summary: UserSummary;
  readonly orders: OrderTotals;
  readonly standing: Standing;
  /** The roles the viewer may give. */
  readonly grantable: readonly Role[];
  readonly activity: readonly Activity[] | undefined;
  readonly people: People;
  readonly twoFactor: boolean;
  readonly rolesForm: FormState;
  readonly blockForm: FormState;
}

export function userBody(t: Catalog, fmt: Formats, viewer: Viewer, view: UserPageView): Html {
  const { details, summary, standing } = view;
  const { user } = details;
  const may = standing.actable && !standing.self;
  const now = Date.now();
  const assignments = details.assignments.map((assignment) => {
    const role = details.roles.find((live) => live.code === assignment.roleCode);
    const expired = assignment.expiresAt !== null && assignment.expiresAt.getTime() <= now;
    const name = roleName(t, role ?? { code: assignment.roleCode, name: assignment.roleCode });
    return html`<li>${name}${assignment.expiresAt ? html` <small>(${t.admin.assignedUntil(fmt.text(assignment.expiresAt))})</small>` : ''}${expired ? html` <span class="badge">${t.admin.expired}</span>` : ''}</li>`;
  });
  const held = new Map(details.assignments.map((assignment) => [assignment.roleCode, assignment.expiresAt]));
  const buttons: Html[] = [];
  if (may && viewer.can('users:edit')) {
    if (user.status === 'pending') buttons.push(postButton(`/admin/users/${user.id}/approve`, t.admin.approve, { className: 'primary' }));
    if (user.status === 'active' || user.status === 'inactive') buttons.push(postButton(`/admin/users/${user.id}/toggle`, user.status === 'active' ? t.admin.deactivate : t.admin.activateUser));
    if (!user.mustChangePassword) buttons.push(postButton(`/admin/users/${user.id}/force-password-change`, t.admin.forcePassword));
    if (view.twoFactor) buttons.push(postButton(`/admin/users/${user.id}/two-factor/reset`, t.admin.resetTwoFactor));
  }
  if (may && viewer.can('users:block')) {
    if (user.status === 'blocked' || user.status === 'suspended') buttons.push(postButton(`/admin/users/${user.id}/unblock`, t.admin.unblock, { className: 'primary' }));
    if (summary.activeSessions > 0) buttons.push(postButton(`/admin/users/${user.id}/sign-out`, t.admin.signOutEverywhere));
  }
  const deleted = user.status === 'inactive' && user.statusReason === DELETED;
  const blockForm =
    may && viewer.can('users:block')
      ? html`<form method="post" action="/admin/users/${user.id}/block" class="card narrow restrict">
<p class="hint">${t.admin.blockHint}</p>${formError(view.blockForm)}
${field(t, view.blockForm, 'reason', t.common.reason, { required: true })}
${field(t, view.blockForm, 'until', t.common.until, { type: 'datetime-local', optional: true, hint: t.common.untilHint })}
<button type="submit" class="danger">${t.admin.block}</button> <button type="submit" formaction="/admin/users/${user.id}/suspend">${t.admin.suspend}</button></form>`
      : '';
  const deleteForm =
    may && viewer.can('users:delete') && !deleted
      ? html`<form method="post" action="/admin/users/${user.id}/delete" class="inline"><p class="hint">${t.admin.deleteHint}</p><button class="danger">${t.admin.deleteUser}</button></form>`
      : '';
  const rolesForm =
    may && viewer.can('roles:assign')
      ? html`<form method="post" action="/admin/users/${user.id}/roles" class="card">${formError(view.rolesForm)}${rolesFieldset(t, fmt, view.grantable, held, view.rolesForm)}<button type="submit">${t.admin.saveRoles}</button></form>`
      : '';
  return html`<p>${user.email}${standing.self ? html` <small>(${t.admin.you})</small>` : ''} · ${statusText(t, fmt, user)}${
    viewer.can('users:edit') && (may || standing.self) ? html` · <a href="/admin/users/${user.id}/edit">${t.admin.edit}</a>` : ''
  }</p>
<section><h2>${t.admin.summary}</h2>
${facts([
  [t.fields.nationalId, stringAttribute(user, 'nationalId') ?? t.common.none],
  [t.fields.phone, stringAttribute(user, 'phone') ?? t.common.none],
  [t.admin.activeSessions, summary.activeSessions],
  [t.admin.lastSignIn, fmt.time(summary.lastLoginAt, t.common.never)],
  [t.admin.lastActivity, fmt.time(summary.lastActivityAt, t.common.never)],
  [t.admin.daysInactive, t.common.days(summary.daysInactive)],
  [t.admin.orders, view.orders.count],
  [t.admin.spent, fmt.money(view.orders.total)],
  [t.admin.created, fmt.time(user.createdAt)],
  [t.fields.emailVerifiedAt, fmt.time(user.emailVerifiedAt, t.common.no)],
  [t.fields.mustChangePassword, user.mustChangePassword ? t.common.yes : t.common.no],
  [t.fields.locale, isLocale(user.locale) ? catalog(user.locale).languageName : (user.locale ?? t.common.none)],
])}</section>
<section><h2>${t.admin.rolesAndPermissions}</h2>
<ul class="roles">${assignments.length === 0 ? html`<li>${t.common.none}</li>` : assignments}</ul>
<h3>${t.admin.permissions}</h3>
${details.permissions.length === 0 ? html`<p>${t.admin.noPermissions}</p>` : html`<ul class="permissions">${details.permissions.map((code) => html`<li><code>${code}</code></li>`)}</ul>`}
${rolesForm}</section>
${buttons.length > 0 || blockForm !== '' || deleteForm !== '' ? html`<section><h2>${t.admin.actionsTitle}</h2><div class="actions">${buttons}</div>${blockForm}${deleteForm}</section>` : ''}
${
  view.activity === undefined
    ? ''
    : html`<section><h2>${t.admin.recentActivity}</h2>${activityTable(t, fmt, view.activity, view.people, { subject: false })}
<p><a href="/admin/activity?user=${user.id}">${t.admin.allActivity}</a></p></section>`
}`;
}
