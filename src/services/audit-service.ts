import { z } from 'zod';
import type { Activity, Page } from '../domain/activity.js';
import { parseInput, idSchema, pagingShape } from '../validation/schemas.js';
import type { AccessService } from './access-service.js';
import { actorIdOf, requireActor, type Actor } from './context.js';
import { clientOf } from './guards.js';
import type { Kernel } from './kernel.js';

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
  ...pagingShape,
});
const purgeSchema = z.object({ olderThan: z.number().int().min(86_400, { error: 'Keep at least one day of activity.' }) });

/** The activity log: queries for administrators and a retention call for maintenance jobs. */
export class AuditService {
  constructor(
    private readonly kernel: Kernel,
    private readonly access: AccessService,
  ) {}

  /**
   * A page of activity entries matching every filter, newest first, with the total.
   * @throws {AuthError} FORBIDDEN — without `audit:view`.
   * @throws {AuthError} VALIDATION_FAILED
   */
  async query(actor: Actor | null, query: AuditQuery = {}): Promise<Page<Activity>> {
    this.access.assert(actor, 'audit:view');
    const { page, pageSize, ...filters } = parseInput(querySchema, query);
    return this.kernel.store.listActivities({ ...filters, offset: (page - 1) * pageSize, limit: pageSize });
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
    const now = this.kernel.now().getTime();
    return this.kernel.transact(clientOf(who), async (uow) => {
      const deleted = await uow.tx.deleteActivitiesBefore(new Date(now - olderThan * 1000));
      await uow.tx.deleteLoginAttemptsBefore(new Date(now - this.kernel.options.lockout.window * 1000));
      await uow.log({ action: 'audit.purged', subjectId: null, actorId: actorIdOf(who), details: `Purged ${deleted} activity entries.`, metadata: { olderThan, deleted } });
      return deleted;
    });
  }
}
