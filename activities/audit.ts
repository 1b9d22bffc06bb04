/**
 * Shared plumbing of the activities: the append-only audit trail, the
 * non-retryable failures, and the transaction settings.
 *
 * The audit table refuses UPDATE and DELETE (a trigger), so an entry is only
 * ever inserted, with ON CONFLICT DO NOTHING on its idempotency key: a
 * retried activity adds nothing.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../workflows/order/contract';
import { Prisma } from '../generated/prisma/client';

/** A Prisma client or the client of an interactive transaction. */
export type Db = Prisma.TransactionClient;

export interface AuditInput {
  key: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  orderNo?: string | null;
  before?: unknown;
  after?: unknown;
}

const json = (v: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull =>
  v === undefined || v === null ? Prisma.DbNull : (JSON.parse(JSON.stringify(v)) as Prisma.InputJsonValue);

/** Appends one audit entry; a second call with the same key adds nothing. */
export async function writeAudit(db: Db, a: AuditInput): Promise<void> {
  await db.auditEntry.createMany({
    data: [
      {
        key: a.key,
        actor: a.actor,
        action: a.action,
        entity: a.entity,
        entityId: a.entityId,
        orderNo: a.orderNo ?? null,
        before: json(a.before),
        after: json(a.after),
      },
    ],
    skipDuplicates: true,
  });
}

/** Interactive transactions: room for lock waits under contention. */
export const TX = { maxWait: 10_000, timeout: 30_000 } as const;

/** Failures a retry cannot fix. */
export const badInput = (message: string, field?: string) =>
  ApplicationFailure.nonRetryable(message, FAILURE.badInput, ...(field ? [{ field }] : []));
export const notFound = (message: string) => ApplicationFailure.nonRetryable(message, FAILURE.notFound);
export const wrongStage = (message: string) => ApplicationFailure.nonRetryable(message, FAILURE.wrongStage);

/** Dates travel as ISO strings; a bad one is bad input, not a retry. */
export function toDate(iso: string, field: string): Date {
  const d = new Date(iso);
  if (typeof iso !== 'string' || Number.isNaN(d.getTime())) throw badInput(`${field}: "${String(iso)}" is not an ISO date/time`, field);
  return d;
}
