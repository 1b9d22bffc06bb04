/**
 * Shared plumbing of the activities: the append-only audit trail, the
 * non-retryable failures, and the transaction settings.
 *
 * The audit table refuses UPDATE and DELETE (a trigger), so an entry is only
 * ever inserted, with ON CONFLICT DO NOTHING on its idempotency key: a
 * retried activity adds nothing. The API writes its entries here too.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE } from '../workflows/order/contract';
import type { Prisma } from '../generated/prisma/client';
import { asSql, jsonParam, type Sql } from './infra/sql';

/** A Prisma client or the client of an interactive transaction. */
export type Db = Prisma.TransactionClient;

export interface AuditInput {
  /** Idempotency key (e.g. a workflow transition); none for entries that have no natural one. */
  key?: string | null;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  orderNo?: string | null;
  /** The caller's address, for entries the API writes. */
  ip?: string | null;
  before?: unknown;
  after?: unknown;
}

const INSERT_AUDIT = `
  INSERT INTO audit_trail (key, actor, action, entity, entity_id, order_no, ip, before, after)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)
  ON CONFLICT (key) DO NOTHING`;

/**
 * Appends one audit entry; a second call with the same key adds nothing.
 * Plain SQL (infra/sql.ts) because every state change writes one; inside a
 * Prisma transaction it runs on that transaction.
 */
export async function writeAudit(db: Db | Sql, a: AuditInput): Promise<void> {
  await asSql(db).execute(INSERT_AUDIT, [
    a.key ?? null,
    a.actor,
    a.action,
    a.entity,
    a.entityId,
    a.orderNo ?? null,
    a.ip ?? null,
    jsonParam(a.before),
    jsonParam(a.after),
  ]);
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
