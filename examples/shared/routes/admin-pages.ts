/**
 * The administration (seed 003's `UsuariosController`, seed 004's views and procedures):
 * dashboard, list, create, edit, a user's page and its actions, the activity log. Every
 * action posts and redirects back, keeping the list's filters and page.
 */
import { USER_STATUSES, isAuthError, type Activity, type AuthContext, type Role, type User, type UserDetails, type UserStatus } from 'gatehouse';
import type { AppRequest } from '../routes.js';
import { staff, text, type PageKit, type PageRoute, type Ui } from '../page-kit.js';
import { html, type Html } from '../html.js';
import { isLocale } from '../i18n/index.js';
import { activityTable, peopleIn, type People } from '../views/activity.js';
import { dashboardBody, editUserBody, newUserBody, userBody, usersBody, type Standing, type UsersQuery } from '../views/admin.js';

/** Checkbox values: one is a string, several an array. */
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : []);
const DAY = 86_400_000;
/** How many active users the dashboard looks through for the inactive ones (newest first). */
const INACTIVE_SCAN = 1000;
const ACTIVITY_PAGE = 25;

export function adminPages(kit: PageKit): PageRoute[] {
  const { auth, runtime } = kit;

  /** Where the viewer stands with a user: their own account, or one below their level. */
  const standingOf = (session: AuthContext, details: UserDetails): Standing => ({ self: details.user.id === session.user.id, actable: details.level < session.level });

  /** The roles the viewer may give: below their own level. */
  const grantableRoles = async (session: AuthContext): Promise<Role[]> =>
    (await auth.roles.listRoles(session).catch(() => [] as Role[])).filter((role) => role.active && role.level < session.level).sort((a, b) => a.level - b.level);

  /** The roles and end dates of a roles form, as gatehouse takes them; an end date that is not one is a field error. */
  const assignments = (ui: Ui, body: Readonly<Record<string, unknown>>): { roles: { code: string; expiresAt: Date | null }[]; values: Record<string, string>; error?: string } => {
    const codes = list(body['roles']);
    const values: Record<string, string> = { roles: codes.join(',') };
    const roles: { code: string; expiresAt: Date | null }[] = [];
    let error: string | undefined;
    for (const code of codes) {
      const typed = text(body[`until-${code}`]);
      values[`until-${code}`] = typed;
      const expiresAt = ui.fmt.fromLocalInput(typed);
      if (expiresAt === undefined) error = ui.t.issue('The end date must be in the future.') ?? 'The end date must be in the future.';
      roles.push({ code, expiresAt: expiresAt ?? null });
    }
    for (const [name, value] of Object.entries(body)) if (name.startsWith('until-') && !(name in values)) values[name] = text(value);
    return error === undefined ? { roles, values } : { roles, values, error };
  };

  /** Names of the users an activity page mentions; a deleted one is left out. */
  const peopleOf = async (session: AuthContext, entries: readonly Activity[]): Promise<People> => {
    const found = await Promise.all(peopleIn(entries).map((id) => auth.users.get(session, id).then((details) => details.user, () => null)));
    return new Map(found.filter((user): user is User => user !== null).map((user) => [user.id, { name: user.name, email: user.email }]));
  };

  /** Where an action goes back to: the page it was posted from (the list with its filters), else the user's page. */
  const backTo = (ui: Ui, req: AppRequest): string => {
    const back = ui.next(req.body['back'], '');
    return back.startsWith('/admin') ? back : `/admin/users/${req.params['id']}`;
  };

  /** An action on one user, from their page or the list: done, then back with `notice`, or back with the refusal. */
  const action = (path: string, permission: string, run: (session: AuthContext, id: string, req: AppRequest) => Promise<unknown>, notice: (ui: Ui, result: unknown) => string): PageRoute =>
    kit.route('POST', `/admin/users/:id/${path}`, staff(permission), async (req, ui, session) => {
      const back = backTo(ui, req);
      try {
        const result = await run(session, req.params['id']!, req);
        return ui.redirect(back, { notice: notice(ui, result) });
      } catch (error) {
        return ui.refused(back, error);
      }
    });

  /** A block or a suspension, with a reason and an end date in the viewer's time zone. */
  const restrict = (path: 'block' | 'suspend'): PageRoute =>
    kit.route('POST', `/admin/users/:id/${path}`, staff('users:block'), async (req, ui, session) => {
      const id = req.params['id']!;
      const values = { reason: text(req.body['reason']), until: text(req.body['until']) };
      const until = ui.fmt.fromLocalInput(values.until);
      const to = `/admin/users/${id}`;
      if (until === undefined) return ui.redirect(to, { form: { id: 'block', values, errors: { until: ui.t.issue('The end date must be in the future.') ?? '' } } });
      try {
        await auth.users[path](session, id, { reason: values.reason, until });
      } catch (error) {
        return ui.failed(to, 'block', values, error);
      }
      return ui.redirect(to, { notice: path === 'block' ? ui.t.admin.blocked : ui.t.admin.suspended });
    });

  const usersQuery = (req: AppRequest): UsersQuery => {
    const status = req.query['status'];
    const page = Number(req.query['page'] ?? 1);
    const pageSize = Number(req.query['pageSize'] ?? 20);
    return {
      q: text(req.query['q']).trim().slice(0, 100) || undefined,
      status: (USER_STATUSES as readonly string[]).includes(status ?? '') ? (status as UserStatus) : undefined,
      role: /^[a-z][a-z0-9_-]{0,49}$/.test(req.query['role'] ?? '') ? req.query['role'] : undefined,
      page: Number.isInteger(page) && page >= 1 ? page : 1,
      pageSize: Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= 100 ? pageSize : 20,
    };
  };

  return [
    kit.route('GET', '/admin', staff('users:view'), async (_req, ui, session) => {
      const [all, ...byStatus] = await Promise.all([auth.users.list(session, { pageSize: 1 }), ...USER_STATUSES.map((status) => auth.users.list(session, { status, pageSize: 1 }))]);
      const counts = Object.fromEntries(USER_STATUSES.map((status, index) => [status, byStatus[index]!.total])) as Record<UserStatus, number>;
      const pending = await auth.users.list(session, { status: 'pending', pageSize: 10 });
      const pendingRows = await Promise.all(pending.items.map(async (user) => ({ user, standing: standingOf(session, await auth.users.get(session, user.id)) })));
      // seed 004's v_usuarios_activos: active users without a sign-in (or, never signed in, created) for 30 days.
      const cutoff = Date.now() - 30 * DAY;
      const inactive: User[] = [];
      let scanned = 0;
      for (let page = 1; scanned < INACTIVE_SCAN; page += 1) {
        const batch = await auth.users.list(session, { status: 'active', page, pageSize: 100 });
        scanned += batch.items.length;
        inactive.push(...batch.items.filter((user) => (user.lastLoginAt ?? user.createdAt).getTime() < cutoff));
        if (scanned >= batch.total || batch.items.length === 0) break;
      }
      const view = { counts, total: all!.total, pending: pendingRows, pendingTotal: pending.total, inactive: inactive.slice(0, 50), inactiveScanned: scanned < counts.active ? scanned : undefined };
      return ui.page(ui.t.admin.dashboard, dashboardBody(ui.t, ui.fmt, ui.viewer!, view), { section: 'admin' });
    }),

    kit.route('GET', '/admin/users', staff('users:view'), async (req, ui, session) => {
      const query = usersQuery(req);
      const [found, roles] = await Promise.all([auth.users.list(session, query), auth.roles.listRoles(session).catch(() => [] as Role[])]);
      // The level of each user decides which buttons the guard rails would let through.
      const rows = await Promise.all(
        found.items.map(async (user) => {
          const details = await auth.users.get(session, user.id);
          return { user, principal: details.roles[0], standing: standingOf(session, details) };
        }),
      );
      return ui.page(ui.t.admin.users, usersBody(ui.t, ui.fmt, ui.viewer!, { rows, total: found.total, query, roles }), { section: 'admin' });
    }),

    kit.route('GET', '/admin/users/new', staff('users:create'), async (_req, ui, session) =>
      ui.page(ui.t.admin.newUser, newUserBody(ui.t, ui.fmt, await grantableRoles(session), ui.form('new-user'), ui.locale), { section: 'admin' }),
    ),
    kit.route('POST', '/admin/users', staff('users:create'), async (req, ui, session) => {
      const fields = { name: text(req.body['name']), email: text(req.body['email']), nationalId: text(req.body['nationalId']), phone: text(req.body['phone']), locale: text(req.body['locale']) };
      const flags = { mustChangePassword: text(req.body['mustChangePassword']) === 'true', emailVerified: text(req.body['emailVerified']) === 'true' };
      const chosen = assignments(ui, req.body);
      const values = { ...fields, ...chosen.values, mustChangePassword: String(flags.mustChangePassword), emailVerified: String(flags.emailVerified) };
      if (chosen.error !== undefined) return ui.redirect('/admin/users/new', { form: { id: 'new-user', values, errors: { roles: chosen.error } } });
      try {
        const created = await auth.users.create(session, {
          name: fields.name,
          email: fields.email,
          password: text(req.body['password']),
          nationalId: fields.nationalId.trim() === '' ? undefined : fields.nationalId,
          phone: fields.phone,
          locale: isLocale(fields.locale) ? fields.locale : ui.locale,
          roles: chosen.roles,
          ...flags,
        });
        return ui.redirect(`/admin/users/${created.user.id}`, { notice: ui.t.admin.createdNotice });
      } catch (error) {
        return ui.failed('/admin/users/new', 'new-user', values, error, isAuthError(error, 'EMAIL_TAKEN') ? { _: 'email' } : {});
      }
    }),

    kit.route('GET', '/admin/users/:id', staff('users:view'), async (req, ui, session) => {
      const id = req.params['id']!;
      let details: UserDetails;
      try {
        details = await auth.users.get(session, id);
      } catch (error) {
        if (isAuthError(error, 'NOT_FOUND') || isAuthError(error, 'VALIDATION_FAILED')) return kit.errorPage({ headers: req.raw.headers, auth: session, path: req.path }, 404);
        throw error;
      }
      const [summary, grantable, activity] = await Promise.all([
        auth.users.summary(session, id),
        grantableRoles(session),
        auth.access.can(session, 'audit:view') ? auth.audit.query(session, { subjectId: id, pageSize: 10 }).then((page) => page.items) : Promise.resolve(undefined),
      ]);
      const view = {
        details,
        summary,
        orders: runtime.orders.totalsOf(id),
        standing: standingOf(session, details),
        grantable,
        activity,
        people: await peopleOf(session, activity ?? []),
        twoFactor: auth.twoFactor.available,
        rolesForm: ui.form('roles'),
        blockForm: ui.form('block'),
      };
      return ui.page(details.user.name, userBody(ui.t, ui.fmt, ui.viewer!, view), { section: 'admin' });
    }),

    kit.route('GET', '/admin/users/:id/edit', staff('users:edit'), async (req, ui, session) => {
      const details = await auth.users.get(session, req.params['id']!).catch(() => null);
      if (details === null) return kit.errorPage({ headers: req.raw.headers, auth: session, path: req.path }, 404);
      const standing = standingOf(session, details);
      if (!standing.self && !standing.actable) return ui.redirect(`/admin/users/${details.user.id}`, { error: ui.t.errors.forbidden });
      return ui.page(ui.t.admin.editTitle(details.user.name), editUserBody(ui.t, details.user, standing.self, ui.form('edit')), { section: 'admin' });
    }),
    kit.route('POST', '/admin/users/:id/edit', staff('users:edit'), async (req, ui, session) => {
      const id = req.params['id']!;
      const self = id === session.user.id;
      const values = { name: text(req.body['name']), email: text(req.body['email']), nationalId: text(req.body['nationalId']), phone: text(req.body['phone']), locale: text(req.body['locale']) };
      const password = text(req.body['password']);
      try {
        await auth.users.edit(session, id, {
          name: values.name,
          // One's own email and password are not edited here (gatehouse would refuse): the profile asks for the current password.
          ...(self ? {} : { email: values.email }),
          ...(self || password === '' ? {} : { password }),
          ...(values.nationalId.trim() === '' ? {} : { nationalId: values.nationalId }),
          phone: values.phone,
          ...(isLocale(values.locale) ? { locale: values.locale } : {}),
        });
      } catch (error) {
        return ui.failed(`/admin/users/${id}/edit`, 'edit', values, error, isAuthError(error, 'EMAIL_TAKEN') ? { _: 'email' } : {});
      }
      return ui.redirect(`/admin/users/${id}`, { notice: ui.t.admin.savedNotice });
    }),

    action('approve', 'users:edit', (session, id) => auth.users.approve(session, id), (ui) => ui.t.admin.approved),
    action('toggle', 'users:edit', (session, id) => auth.users.toggle(session, id), (ui, user) => ui.t.admin.toggled(ui.t.status[(user as User).status])),
    action('unblock', 'users:block', (session, id) => auth.users.unblock(session, id), (ui) => ui.t.admin.unblocked),
    action('force-password-change', 'users:edit', (session, id) => auth.users.forcePasswordChange(session, id), (ui) => ui.t.admin.forced),
    action('sign-out', 'users:block', (session, id) => auth.users.revokeSessions(session, id), (ui, count) => ui.t.admin.signedOut(count as number)),
    action('two-factor/reset', 'users:edit', (session, id) => auth.twoFactor.reset(session, id), (ui) => ui.t.admin.twoFactorReset),
    action('delete', 'users:delete', (session, id) => auth.users.delete(session, id), (ui) => ui.t.admin.deleted),
    restrict('block'),
    restrict('suspend'),
    kit.route('POST', '/admin/users/:id/roles', staff('roles:assign'), async (req, ui, session) => {
      const id = req.params['id']!;
      const chosen = assignments(ui, req.body);
      const to = `/admin/users/${id}`;
      if (chosen.error !== undefined) return ui.redirect(to, { form: { id: 'roles', values: chosen.values, errors: { roles: chosen.error } } });
      try {
        await auth.users.setRoles(session, id, chosen.roles);
      } catch (error) {
        return ui.failed(to, 'roles', chosen.values, error);
      }
      return ui.redirect(to, { notice: ui.t.admin.rolesSaved });
    }),

    kit.route('GET', '/admin/activity', staff('audit:view'), async (req, ui, session) => {
      const kind = text(req.query['kind']);
      const action = kind in ui.t.activity.kinds && kind !== '' ? kind : undefined;
      const subjectId = /^[0-9a-f-]{36}$/i.test(req.query['user'] ?? '') ? req.query['user'] : undefined;
      const page = Math.max(1, Number.parseInt(req.query['page'] ?? '1', 10) || 1);
      const found = await auth.audit.query(session, { action, subjectId, page, pageSize: ACTIVITY_PAGE });
      const people = await peopleOf(session, found.items);
      const subject = subjectId === undefined ? undefined : people.get(subjectId);
      return ui.page(subject === undefined ? ui.t.activity.title : ui.t.activity.forUser(subject.name), activityPage(ui, found.items, found.total, people, { kind: action ?? '', user: subjectId, page }), { section: 'admin' });
    }),
  ];
}

/** The activity page's filters, table and pager. */
function activityPage(ui: Ui, entries: readonly Activity[], total: number, people: People, query: { kind: string; user: string | undefined; page: number }): Html {
  const { t } = ui;
  const pages = Math.max(1, Math.ceil(total / ACTIVITY_PAGE));
  const link = (page: number): string => {
    const params = new URLSearchParams();
    if (query.kind) params.set('kind', query.kind);
    if (query.user) params.set('user', query.user);
    if (page > 1) params.set('page', String(page));
    const search = params.toString();
    return `/admin/activity${search === '' ? '' : `?${search}`}`;
  };
  const options = Object.entries(t.activity.kinds).map(([value, label]) => html`<option value="${value}"${value === query.kind ? html` selected` : ''}>${label}</option>`);
  return html`<form method="get" action="/admin/activity" class="filters">${query.user ? html`<input type="hidden" name="user" value="${query.user}">` : ''}
<div class="field"><label for="kind">${t.activity.kind}</label><select id="kind" name="kind">${options}</select></div>
<div class="filter-buttons"><button type="submit">${t.common.filter}</button> <a href="/admin/activity">${t.common.clear}</a></div></form>
<p>${t.common.pageOf(query.page, pages)}</p>
${activityTable(t, ui.fmt, entries, people, { subject: query.user === undefined })}
<nav class="pager" aria-label="${t.common.pageOf(query.page, pages)}">${query.page > 1 ? html`<a href="${link(query.page - 1)}" rel="prev">${t.common.previous}</a>` : ''} ${query.page < pages ? html`<a href="${link(query.page + 1)}" rel="next">${t.common.next}</a>` : ''}</nav>`;
}
