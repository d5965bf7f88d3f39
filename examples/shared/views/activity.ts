/**
 * The activity log as people read it: who did what to whom, when (in the reader's time
 * zone), what changed (before → after), and from which browser and system.
 */
import type { Activity, JsonValue } from 'gatehouse';
import { describeUserAgent, type Formats } from '../format.js';
import { html, type Html } from '../html.js';
import { catalog, isLocale, type Catalog } from '../i18n/index.js';

/** The status reason gatehouse gives a soft-deleted account. */
export const DELETED = 'deleted';

/** The names of the users an activity page mentions, by id. */
export type People = ReadonlyMap<string, { readonly name: string; readonly email: string }>;

/** The ids of the actors and subjects of these entries, to look their names up. */
export function peopleIn(entries: readonly Activity[]): string[] {
  return [...new Set(entries.flatMap((entry) => [entry.actorId, entry.subjectId]).filter((id): id is string => id !== null))];
}

/** The readable label of an action, or the action itself when the catalog has none. */
export function actionLabel(t: Catalog, action: string): string {
  return t.activity.labels[action] ?? action;
}

export function activityTable(t: Catalog, fmt: Formats, entries: readonly Activity[], people: People, options: { subject: boolean }): Html {
  if (entries.length === 0) return html`<p>${t.activity.empty}</p>`;
  const person = (id: string | null, entry: Activity): Html => {
    if (id === null) return html`${entry.action.startsWith('access.') || entry.action.startsWith('login.') ? t.activity.anonymous : t.activity.system}`;
    const known = people.get(id);
    if (known === undefined) return html`${t.activity.removedUser}`;
    return html`<a href="/admin/users/${id}">${known.name}</a>`;
  };
  const rows = entries.map((entry) => {
    const actor = person(entry.actorId, entry);
    const subject = entry.subjectId === null ? html`${t.common.none}` : entry.subjectId === entry.actorId ? html`${t.activity.self}` : person(entry.subjectId, entry);
    const device = describeUserAgent(entry.userAgent, t.activity.browserOn);
    return html`<tr>
<td data-label="${t.activity.when}">${fmt.time(entry.createdAt)}</td>
<td data-label="${t.activity.who}">${actor}</td>
${options.subject ? html`<td data-label="${t.activity.about}">${subject}</td>` : ''}
<td data-label="${t.activity.what}"><span class="action" title="${entry.action}">${actionLabel(t, entry.action)}</span></td>
<td data-label="${t.activity.changes}">${details(t, fmt, entry)}</td>
<td data-label="${t.activity.from}">${device ?? ''}${device && entry.ip ? html`<br>` : ''}<small>${entry.ip ?? ''}</small></td>
</tr>`;
  });
  return html`<table class="stack activity"><thead><tr><th>${t.activity.when}</th><th>${t.activity.who}</th>${options.subject ? html`<th>${t.activity.about}</th>` : ''}<th>${t.activity.what}</th><th>${t.activity.changes}</th><th>${t.activity.from}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** What an entry's metadata says: the fields that changed, the reason, the email tried, the sessions ended. */
function details(t: Catalog, fmt: Formats, entry: Activity): Html {
  const { metadata } = entry;
  const lines: Html[] = [];
  const before = asObject(metadata['before']);
  const after = asObject(metadata['after']);
  if (before !== undefined || after !== undefined) {
    for (const [key, label, was, is] of changedFields(t, before ?? {}, after ?? {})) {
      lines.push(html`<li><span class="field-name">${label}</span>: <del>${valueText(t, fmt, key, was)}</del> → <ins>${valueText(t, fmt, key, is)}</ins></li>`);
    }
  }
  // A status change shows its reason among the changes already; a failed sign-in's reason is a code, not words.
  const reason = metadata['reason'];
  const shown = after !== undefined && 'statusReason' in after;
  if (typeof reason === 'string' && reason !== '' && !shown && !entry.action.startsWith('login.') && !entry.action.startsWith('password.confirm')) lines.push(html`<li>${t.activity.reasonIs(reason)}</li>`);
  const email = metadata['email'];
  if (typeof email === 'string' && entry.action.endsWith('.failed')) lines.push(html`<li>${t.activity.attemptedEmail(email)}</li>`);
  const ended = metadata['sessionsRevoked'] ?? metadata['count'];
  if (typeof ended === 'number' && ended > 0) lines.push(html`<li>${t.activity.sessionsEnded(ended)}</li>`);
  return lines.length === 0 ? html`` : html`<ul class="changes">${lines}</ul>`;
}

type Change = [key: string, label: string, before: JsonValue | undefined, after: JsonValue | undefined];

/** The changed fields as [key, label, before, after], the shop's own fields (`attributes`) flattened. */
function changedFields(t: Catalog, before: Record<string, JsonValue>, after: Record<string, JsonValue>): Change[] {
  const rows: Change[] = [];
  const labels = t.fields as Record<string, unknown>;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = asObject(before[key]);
    const is = asObject(after[key]);
    if (key === 'attributes' && (was !== undefined || is !== undefined)) {
      rows.push(...changedFields(t, was ?? {}, is ?? {}));
      continue;
    }
    if (JSON.stringify(before[key] ?? null) === JSON.stringify(after[key] ?? null)) continue;
    const label = labels[key];
    rows.push([key, typeof label === 'string' ? label : key, before[key], after[key]]);
  }
  return rows;
}

/** A value of the field `key` as text: a status, a date, roles by name. */
function valueText(t: Catalog, fmt: Formats, key: string, value: JsonValue | undefined): string {
  if (value === undefined || value === null || value === '') return t.common.none;
  if (typeof value === 'boolean') return value ? t.common.yes : t.common.no;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    if (key === 'status' && value in t.status) return t.status[value as keyof Catalog['status']];
    if (key === 'roles') return t.roleNames[value] ?? value;
    if (key === 'statusReason' && value === DELETED) return t.admin.deletedReason;
    if (key === 'locale') return isLocale(value) ? catalog(value).languageName : value;
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) && !Number.isNaN(Date.parse(value))) return fmt.text(new Date(value));
    return value;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return t.common.none;
    return value
      .map((item) => {
        const role = asObject(item);
        if (role !== undefined && typeof role['code'] === 'string') {
          const name = t.roleNames[role['code']] ?? role['code'];
          return typeof role['expiresAt'] === 'string' ? `${name} (${t.admin.assignedUntil(fmt.text(new Date(role['expiresAt'])))})` : name;
        }
        return valueText(t, fmt, key, item);
      })
      .join(', ');
  }
  return JSON.stringify(value);
}

function asObject(value: JsonValue | undefined): Record<string, JsonValue> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}
