import { z } from 'zod';
import type { Activity, ListPage } from '../domain/activity.js';
import { COUNT_LIMIT, cursorSchema, toListPage } from './list-paging.js';
import { normalizeClient, rateLimitKey, type ClientInfo } from '../domain/client.js';
import { parseInput, idSchema, pagingShape } from '../validation/schemas.js';
import type { AccessService } from './access-service.js';
import { actorIdOf, requireActor, type AccessSubject, type Actor } from '../domain/principal.js';
import { clientOf } from './guards.js';
import { RefusalThrottle } from './refusal-throttle.js';
import type { AuthStore } from '../ports/auth-store.js';
import type { ResolvedOptions } from '../options.js';
import type { Stamps } from './stamps.js';
import type { UnitsOfWork } from './unit-of-work.js';
import type { BackgroundWork } from './background.js';

/** Filters and paging of {@link AuditService.query}; `page` is 1-based. */
export interface AuditQuery {
  /** Entries about this user. */
  subjectId?: string | undefined;
  /** Entries of this actor. */
  actorId?: string | undefined;
  /** An exact action (`user.blocked`) or a prefix ending in `.` (`login.`). */
  action?: string | undefined;
  /** From this instant, inclusive. */
  from?: Date | string | undefined;
  /** Up to this instant, exclusive. */
  to?: Date | string | undefined;
  /** The `nextCursor` of the previous page: the page after it (`page` is then ignored). */
  cursor?: string | undefined;
  /** @default 1 */
  page?: number | string | undefined;
  /** @default 20 */
  pageSize?: number | string | undefined;
}

const querySchema = z.object({
  subjectId: idSchema.optional(),
  actorId: idSchema.optional(),
  action: z
    .string()
    .regex(/^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*\.?$/, { error: 'Use a dotted action such as user.blocked, or a prefix such as login.' })
    .max(100)
    .optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  cursor: cursorSchema('audit').optional(),
  ...pagingShape,
});
const purgeSchema = z.object({ olderThan: z.number().int().min(86_400, { error: 'Keep at least one day of activity.' }) });

/** What a request was refused, for {@link AuditService.recordRefusal}. */
export interface Refusal {
  /**
   * `forbidden`: an authorisation refusal (403 `FORBIDDEN`: a permission or role the actor
   * lacks); `cross-origin`: a state-changing request from another origin or site.
   */
  readonly kind: 'forbidden' | 'cross-origin';
  /** The permission the actor lacked, e.g. `users:edit`. */
  readonly permission?: string | undefined;
  /** The role the actor lacked, e.g. `admin`. */
  readonly role?: string | undefined;
  /** The request refused, e.g. `POST /api/users/:id/block` (a route pattern rather than a path keeps the entries few). */
  readonly route?: string | undefined;
  /** For `cross-origin`: the request's `Origin` header. */
  readonly origin?: string | undefined;
  /** For `cross-origin`: the request's `Sec-Fetch-Site` header. */
  readonly site?: string | undefined;
}

// What a request sent is logged as printable ASCII, at most 200 characters: a log entry never refuses, and never carries control characters.
const logged = z.string().transform((text) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)).optional();
const refusalSchema = z.object({
  kind: z.enum(['forbidden', 'cross-origin']),
  permission: logged,
  role: logged,
  route: logged,
  origin: logged,
  site: logged,
});


/** What the audit service works with. */
export interface AuditServiceDeps {
  readonly store: AuthStore;
  readonly options: Pick<ResolvedOptions, 'lockout'>;
  readonly stamps: Stamps;
  readonly units: Pick<UnitsOfWork, 'transact'>;
  readonly work: Pick<BackgroundWork, 'background'>;
}
/** The activity log: queries for administrators and a retention call for maintenance jobs. */
export class AuditService {
  readonly #throttle: RefusalThrottle;

  constructor(
    private readonly deps: AuditServiceDeps,
    private readonly access: AccessService,
  ) {
    this.#throttle = new RefusalThrottle(() => deps.stamps.now().getTime());
  }

  /**
   * Writes a refused request to the activity log: `access.denied` for an authorisation
   * refusal, `access.cross_origin_refused` for a cross-origin one, with the actor (as subject
   * and actor, when known), the client's address and user agent, and what was refused. The
   * framework helpers call it for every 403 they answer; call it where your own code refuses.
   *
   * Never floods the log: at most one entry per actor (a user, or an address when
   * anonymous), refusal (permission, role or route) and minute, and ten per actor a minute,
   * counted in this process. The entry is written in the background — the refusal need not
   * wait — and a failed write goes to `onError`; `auth.drain()` waits for it.
   *
   * @param who - who was refused: a session, an access-token principal, or `null` when unknown.
   * @param client - the request's client; by default the one of `who`.
   * @returns whether an entry is written (`false` when the throttle dropped it).
   * @throws {AuthError} VALIDATION_FAILED — a malformed refusal.
   * @example
   * ```ts
   * if (!auth.access.can(ctx, 'reports:view')) {
   *   auth.audit.recordRefusal(ctx, { kind: 'forbidden', permission: 'reports:view', route: 'GET /reports' });
   *   return res.status(403).render('forbidden');
   * }
   * ```
   */
  recordRefusal(who: AccessSubject | null, refusal: Refusal, client?: ClientInfo): boolean {
    const { kind, ...what } = parseInput(refusalSchema, refusal);
    const person = who === null || who.kind === 'system' ? null : who;
    const from = normalizeClient(client ?? person?.client);
    const userId = person?.user.id ?? null;
    if (!this.#throttle.admit(userId ?? `ip ${rateLimitKey(from.ip) ?? '?'}`, `${kind} ${what.permission ?? what.role ?? what.route ?? ''}`)) return false;
    const route = what.route ?? 'a request';
    const details =
      kind === 'cross-origin'
        ? `Refused a cross-origin request (${route}) from ${what.origin ?? `a ${what.site ?? 'foreign'} page`}.`
        : `Refused ${route}: ${what.permission !== undefined ? `no permission ${what.permission}` : what.role !== undefined ? `no role ${what.role}` : 'not allowed'}.`;
    const metadata = Object.fromEntries(Object.entries(what).filter(([, value]) => value !== undefined)) as Record<string, string>;
    const action = kind === 'cross-origin' ? 'access.cross_origin_refused' : 'access.denied';
    this.deps.work.background('refusal log', () => this.deps.units.transact(from, (uow) => uow.log({ action, subjectId: userId, actorId: userId, details, metadata })));
    return true;
  }

  /**
   * A page of activity entries matching every filter, newest first. The total is exact up to
   * 1,000 matches; past that it is 1,000 with `totalExact: false` ("more than 1,000"). Page on
   * with `nextCursor` (the same cost at any depth) or with `page` numbers.
   * @throws {AuthError} FORBIDDEN — without `audit:view`.
   * @throws {AuthError} VALIDATION_FAILED — a malformed filter, or a `cursor` this log did not hand out.
   */
  async query(actor: Actor | null, query: AuditQuery = {}): Promise<ListPage<Activity>> {
    this.access.assert(actor, 'audit:view');
    const { page, pageSize, cursor, ...filters } = parseInput(querySchema, query);
    const offset = cursor === undefined ? (page - 1) * pageSize : 0;
    const result = await this.deps.store.listActivities({ ...filters, offset, limit: pageSize, after: cursor, countLimit: COUNT_LIMIT });
    return toListPage('audit', result, (activity) => activity, { offset, limit: pageSize, byCursor: cursor !== undefined });
  }

  /**
   * Deletes activity entries older than `olderThan` seconds (at least a day), and login
   * attempts past the lockout window; the purge itself is logged. Resolves how many
   * activity entries went.
   * @throws {AuthError} FORBIDDEN — without `config:edit` (the system actor may).
   */
  async purge(actor: Actor | null, options: { olderThan: number }): Promise<number> {
    this.access.assert(actor, 'config:edit');
    const who = requireActor(actor);
    const { olderThan } = parseInput(purgeSchema, options);
    const now = this.deps.stamps.now().getTime();
    return this.deps.units.transact(clientOf(who), async (uow) => {
      const deleted = await uow.tx.deleteActivitiesBefore(new Date(now - olderThan * 1000));
      await uow.tx.deleteLoginAttemptsBefore(new Date(now - this.deps.options.lockout.window * 1000));
      await uow.log({ action: 'audit.purged', subjectId: null, actorId: actorIdOf(who), details: `Purged ${deleted} activity entries.`, metadata: { olderThan, deleted } });
      return deleted;
    });
  }
}
