/**
 * Corrections and change requests (SPEC "Changes and cancellation").
 *
 * Filing a change is exactly once per Idempotency-Key: the change id is
 * derived from the order number and the key (`chg_` + 24 hex of
 * sha256(orderNo:key)), and the workflow's `fileChange` update makes its
 * activity create the change_requests row with that id; the API never
 * writes the row itself. A repeated key finds the row: the same body is a
 * replay (200 with the change's current state), another body is 409 on
 * Idempotency-Key. Two concurrent requests with one key both reach the
 * workflow; its validator refuses the second (already filed / one change at
 * a time), which the API answers as the replay it is.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Config } from '../../activities/infra/config';
import type { PrismaClient } from '../../activities/infra/db';
import { DEPARTMENTS, fileChange, getState, type ChangeResult, type Department, type OrderChanges } from '../../workflows/order/contract';
import { badRequest, conflict, notFound } from '../errors';
import { httpErrorFromTemporal } from '../temporal-errors';
import { todayIso } from '../schemas';
import { orderDateProblem } from '../../workflows/domain/order-dates';
import { refuseClosed, sendUpdate } from './commands';
import { canonicalJson } from './intake';
import { orderRef } from './orders';

const LIVE_QUERY_TIMEOUT_MS = 5_000;

export const changeIdFor = (orderNo: string, idempotencyKey: string): string =>
  `chg_${createHash('sha256').update(`${orderNo}:${idempotencyKey}`).digest('hex').slice(0, 24)}`;

/**
 * Checks a change can get without the order: it changes something, a new
 * delivery date is within the policy's window (order-dates.ts), payment terms are the policy's. The
 * workflow and its activity check the rest (products, the customer's terms).
 */
export function checkChanges(config: Config, changes: OrderChanges, now = new Date()): OrderChanges {
  const given = Object.entries(changes).filter(([, v]) => v !== undefined);
  if (given.length === 0)
    throw badRequest('changes must change something: lines, requestedDeliveryDate, deliveryAddress, paymentTerms or contact', 'changes');
  // The order date is in the past already, so the windows from today are the whole check.
  const problem = orderDateProblem({ requestedDeliveryDate: changes.requestedDeliveryDate }, todayIso(now), config.policy);
  if (problem) throw badRequest(`changes.${problem.message}`, `changes.${problem.field}`);
  if (changes.paymentTerms !== undefined && !Object.prototype.hasOwnProperty.call(config.policy.paymentTerms, changes.paymentTerms)) {
    const known = Object.keys(config.policy.paymentTerms).join(', ');
    throw badRequest(`changes.paymentTerms ${changes.paymentTerms} is not a known payment term (${known})`, 'changes.paymentTerms');
  }
  const seen = new Set<string>();
  changes.lines?.forEach((l, i) => {
    if (seen.has(l.productId)) throw badRequest(`changes.lines[${i}].productId: product ${l.productId} appears twice`, `changes.lines[${i}].productId`);
    seen.add(l.productId);
  });
  return changes;
}

export interface FileChangeInput {
  changes: OrderChanges;
  reason: string;
  wrongData?: boolean;
}

export interface FileChangeOutcome {
  replay: boolean;
  result: ChangeResult;
}

/** What identifies a filing's body: equal bodies compare equal whatever their key order. */
const bodyFingerprint = (b: { changes: unknown; reason: string; wrongData: boolean }) =>
  canonicalJson({ changes: b.changes, reason: b.reason, wrongData: b.wrongData });

type Deps = { prisma: PrismaClient; temporal: Client; config: Config };

/** Departments that have not decided yet: from the workflow's live state, else from the row's reviews. */
async function pendingOf(
  deps: Deps,
  workflowId: string,
  row: { id: string; status: string; reviews: unknown },
): Promise<Department[]> {
  try {
    const state = await deps.temporal.connection.withDeadline(Date.now() + LIVE_QUERY_TIMEOUT_MS, () =>
      deps.temporal.workflow.getHandle(workflowId).query(getState),
    );
    const change = state.changes.find((c) => c.changeId === row.id);
    if (change) return (Object.keys(change.reviewers) as Department[]).filter((d) => !change.reviewers[d]?.decision);
  } catch {
    // The workflow cannot answer: fall back to what the row says.
  }
  if (row.status !== 'under_review') return [];
  const reviews = (row.reviews ?? {}) as Record<string, { decision?: unknown } | null>;
  return DEPARTMENTS.filter((d) => d in reviews && !reviews[d]?.decision);
}

async function replayOf(
  deps: Deps,
  order: { orderNo: string; workflowId: string },
  row: { id: string; status: string; reviews: unknown; changes: unknown; reason: string; wrongData: boolean },
  body: { changes: OrderChanges; reason: string; wrongData: boolean },
): Promise<FileChangeOutcome> {
  if (bodyFingerprint(row) !== bodyFingerprint(body))
    throw conflict('This Idempotency-Key was already used for a different change request', 'Idempotency-Key');
  const pending = await pendingOf(deps, order.workflowId, row);
  return {
    replay: true,
    result: { orderNo: order.orderNo, changeId: row.id, status: row.status as ChangeResult['status'], pending },
  };
}

export async function fileOrderChange(
  deps: Deps,
  a: { orderNo: string; idempotencyKey: string; body: FileChangeInput; actor: string },
): Promise<FileChangeOutcome> {
  const order = await orderRef(deps.prisma, a.orderNo);
  const changeId = changeIdFor(order.orderNo, a.idempotencyKey);
  const reason = a.body.reason.trim();
  if (!reason) throw badRequest('reason must not be blank', 'reason');
  const body = { changes: a.body.changes, reason, wrongData: a.body.wrongData ?? false };

  const findRow = () => deps.prisma.changeRequest.findUnique({ where: { id: changeId } });
  const seen = await findRow();
  if (seen) return replayOf(deps, order, seen, body);

  checkChanges(deps.config, body.changes);
  refuseClosed(order);
  try {
    const result = await sendUpdate(deps.temporal, order.workflowId, fileChange, [{ changeId, ...body, actor: a.actor }]);
    return { replay: false, result };
  } catch (err) {
    // A concurrent request with the same key may have filed it first: then this one is its replay.
    if (httpErrorFromTemporal(err)?.statusCode === 409) {
      const filed = await findRow();
      if (filed) return replayOf(deps, order, filed, body);
    }
    throw err;
  }
}

/** A change's reviews: the row's record, completed by the review decisions stored for it. */
function reviewsOf(
  row: { id: string; reviews: unknown },
  decisions: { key: string; department: string | null; decision: string; comment: string | null; actor: string; decidedAt: Date }[],
) {
  const out: Record<string, Record<string, unknown>> = {};
  const stored = row.reviews && typeof row.reviews === 'object' && !Array.isArray(row.reviews) ? (row.reviews as Record<string, unknown>) : {};
  for (const [dept, v] of Object.entries(stored)) out[dept] = v && typeof v === 'object' ? { ...(v as Record<string, unknown>) } : {};
  const prefix = `change:${row.id}:`;
  for (const d of decisions) {
    if (!d.key.startsWith(prefix)) continue;
    const dept = d.department ?? d.key.slice(prefix.length);
    out[dept] = {
      ...out[dept],
      decision: d.decision,
      actor: d.actor,
      ...(d.comment ? { comment: d.comment } : {}),
      at: d.decidedAt.toISOString(),
    };
  }
  return out;
}

const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export async function listOrderChanges(prisma: PrismaClient, orderNo: string) {
  const order = await prisma.order.findUnique({
    where: { orderNo },
    select: {
      id: true,
      orderNo: true,
      changeRequests: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
      reviews: { where: { key: { startsWith: 'change:' } }, orderBy: { decidedAt: 'asc' } },
    },
  });
  if (!order) throw notFound(`order ${orderNo} not found`);
  return {
    orderNo: order.orderNo,
    items: order.changeRequests.map((c) => ({
      id: c.id,
      status: c.status,
      changes: (c.changes ?? {}) as Record<string, unknown>,
      reason: c.reason,
      wrongData: c.wrongData,
      requestedBy: c.requestedBy,
      reviews: reviewsOf(c, order.reviews),
      createdAt: c.createdAt.toISOString(),
      decidedAt: isoOrNull(c.decidedAt),
      appliedAt: isoOrNull(c.appliedAt),
    })),
  };
}
