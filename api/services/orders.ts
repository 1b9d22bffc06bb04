/**
 * Reading orders (SPEC 5: lists and reports read the database; the live
 * state of one order is read from its workflow).
 *
 * The list pages by keyset on (createdAt desc, id desc) with an opaque
 * cursor, so pages stay stable while new orders arrive and never scan from
 * the start.
 */
import type { Client } from '@temporalio/client';
import { sqlOf, type PrismaClient } from '../../activities/infra/db';
import { getState, type OrderState } from '../../workflows/order/contract';
import { badRequest, notFound } from '../errors';
import { complaintView } from './customer';
import { riskView } from './risks';
import { refundView } from './refunds';
import { outstanding } from '../../workflows/domain/billing';

type Dec = { toFixed(dp: number): string };
const amount = (d: Dec) => d.toFixed(2);
const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const dateOnly = (d: Date) => d.toISOString().slice(0, 10);
export const secondsSince = (d: Date, now = new Date()) => Math.max(0, Math.floor((now.getTime() - d.getTime()) / 1000));

// ---------------------------------------------------------------------------
// List
// ---------------------------------------------------------------------------

export interface ListQuery {
  stage?: string;
  customerId?: string;
  riskLevel?: string;
  limit?: number;
  cursor?: string;
}

interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Cursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
      const createdAt = new Date(v[0]);
      if (!Number.isNaN(createdAt.getTime())) return { createdAt, id: v[1] };
    }
  } catch {
    // fall through
  }
  throw badRequest('cursor is not a cursor returned by this API', 'cursor');
}

/**
 * The list's one statement (plain SQL, activities/infra/sql.ts: the list is
 * the API's busiest read). Each filter has an index on (filter, created_at
 * desc, id desc), so a page is one index range scan; the redundant
 * `created_at <= cursor` lets PostgreSQL start that scan at the cursor
 * instead of reading and discarding every row before it (bench/README.md).
 * Exported so the bench explains exactly this SQL.
 */
export function listOrdersSql(q: ListQuery, scope: { ownerId?: string } = {}): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const where: string[] = [];
  const param = (v: unknown) => `$${params.push(v)}`;
  if (scope.ownerId) where.push(`c.owner_id = ${param(scope.ownerId)}`);
  if (q.stage) where.push(`o.stage = ${param(q.stage)}`);
  if (q.customerId) where.push(`o.customer_id = ${param(q.customerId)}`);
  if (q.riskLevel) where.push(`o.risk_level = ${param(q.riskLevel)}`);
  if (q.cursor) {
    const after = decodeCursor(q.cursor);
    const at = param(after.createdAt.toISOString());
    where.push(`o.created_at <= ${at}::timestamp(3)`, `(o.created_at < ${at}::timestamp(3) OR (o.created_at = ${at}::timestamp(3) AND o.id < ${param(after.id)}))`);
  }
  const text = `SELECT o.id, o.order_no, o.customer_id, c.name AS customer_name, o.stage, o.stage_entered_at, o.stage_deadline, o.escalation,
       o.total_amount, o.currency, o.risk_level, o.on_hold, o.created_at
  FROM orders o JOIN customers c ON c.id = o.customer_id
 ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
 ORDER BY o.created_at DESC, o.id DESC
 LIMIT ${param((q.limit ?? 50) + 1)}`;
  return { text, params };
}

interface ListRow {
  id: string;
  orderNo: string;
  customerId: string;
  customerName: string;
  stage: string;
  stageEnteredAt: Date;
  stageDeadline: Date | null;
  escalation: string;
  totalAmount: Dec;
  currency: string;
  riskLevel: string;
  onHold: boolean;
  createdAt: Date;
}

/** `ownerId`: only orders of customers this (sales) user owns. */
export async function listOrders(prisma: PrismaClient, q: ListQuery, now = new Date(), scope: { ownerId?: string } = {}) {
  const limit = q.limit ?? 50;
  const { text, params } = listOrdersSql(q, scope);
  const rows = await sqlOf(prisma).query<ListRow>(text, params);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((o) => ({
      orderNo: o.orderNo,
      customerId: o.customerId,
      customerName: o.customerName,
      stage: o.stage,
      stageEnteredAt: iso(o.stageEnteredAt),
      timeInStageSeconds: secondsSince(o.stageEnteredAt, now),
      stageDeadline: isoOrNull(o.stageDeadline),
      escalation: o.escalation,
      totalAmount: amount(o.totalAmount),
      currency: o.currency,
      riskLevel: o.riskLevel,
      onHold: o.onHold,
      createdAt: iso(o.createdAt),
    })),
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

// ---------------------------------------------------------------------------
// One order
// ---------------------------------------------------------------------------

/** The order behind a command: 404 when unknown. */
export async function orderRef(prisma: PrismaClient, orderNo: string) {
  const [order] = await sqlOf(prisma).query<{ id: string; orderNo: string; workflowId: string; stage: string }>(
    `SELECT id, order_no, workflow_id, stage FROM orders WHERE order_no = $1`,
    [orderNo],
  );
  if (!order) throw notFound(`order ${orderNo} not found`);
  return order;
}

const LIVE_QUERY_TIMEOUT_MS = 5_000;

/** The workflow's live state, or null and a reason a person can read. */
export async function liveState(
  temporal: Client,
  workflowId: string,
): Promise<{ live: OrderState | null; liveError?: string }> {
  try {
    const live = await temporal.connection.withDeadline(Date.now() + LIVE_QUERY_TIMEOUT_MS, () =>
      temporal.workflow.getHandle(workflowId).query(getState),
    );
    return { live };
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { code?: unknown } } | undefined;
    const reason =
      e?.name === 'WorkflowNotFoundError'
        ? 'the order has no workflow'
        : e?.cause?.code === 4 || /deadline|timeout/i.test(String(e?.message))
          ? 'the workflow did not answer in time (is a worker running?)'
          : e?.name === 'QueryNotRegisteredError'
            ? 'the workflow does not answer this query'
            : 'the workflow could not be queried';
    return { live: null, liveError: reason };
  }
}

export async function getOrder(
  deps: { prisma: PrismaClient; temporal: Client; temporalUiUrl: string; namespace: string },
  orderNo: string,
  now = new Date(),
) {
  const o = await deps.prisma.order.findUnique({
    where: { orderNo },
    include: {
      customer: { select: { id: true, code: true, name: true, language: true } },
      lines: { orderBy: { lineNo: 'asc' }, include: { product: { select: { sku: true, name: true } } } },
      transitions: { orderBy: { seq: 'asc' } },
      reviews: { orderBy: { decidedAt: 'asc' } },
      reservations: { orderBy: { createdAt: 'asc' } },
      productionOrders: { orderBy: { createdAt: 'asc' } },
      shipment: { include: { carrier: { select: { code: true, name: true } } } },
      invoice: { include: { payments: { orderBy: { paidAt: 'asc' } }, reminders: { orderBy: { sentAt: 'asc' } } } },
      alerts: { orderBy: { createdAt: 'asc' } },
      emails: { orderBy: { createdAt: 'asc' } },
      risks: { orderBy: [{ score: 'desc' }, { code: 'asc' }] },
      changeRequests: { orderBy: { createdAt: 'asc' } },
      holds: { orderBy: { heldAt: 'asc' } },
      feedback: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
      complaints: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
      refunds: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
    },
  });
  if (!o) throw notFound(`order ${orderNo} not found`);

  const lineNoById = new Map(o.lines.map((l) => [l.id, l.lineNo]));
  const address = (o.deliveryAddress ?? {}) as Record<string, string | undefined>;
  const { live, liveError } = await liveState(deps.temporal, o.workflowId);
  const inv = o.invoice;

  return {
    orderNo: o.orderNo,
    orderId: o.id,
    workflowId: o.workflowId,
    workflowUrl: `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/workflows/${encodeURIComponent(o.workflowId)}`,
    customer: o.customer,
    channel: o.channel,
    contact: { name: o.contactName, phone: o.contactPhone, email: o.contactEmail },
    orderDate: dateOnly(o.orderDate),
    requestedDeliveryDate: dateOnly(o.requestedDeliveryDate),
    deliveryAddress: {
      recipient: address.recipient ?? '',
      phone: address.phone ?? '',
      region: address.region ?? '',
      city: address.city ?? '',
      line1: address.line1 ?? '',
      ...(address.postcode ? { postcode: address.postcode } : {}),
    },
    paymentTerms: o.paymentTerms,
    currency: o.currency,
    subtotal: amount(o.subtotal),
    taxAmount: amount(o.taxAmount),
    totalAmount: amount(o.totalAmount),
    special: o.special,
    notes: o.notes,
    stage: o.stage,
    stageEnteredAt: iso(o.stageEnteredAt),
    timeInStageSeconds: secondsSince(o.stageEnteredAt, now),
    stageDeadline: isoOrNull(o.stageDeadline),
    escalation: o.escalation,
    riskLevel: o.riskLevel,
    onHold: o.onHold,
    outcome: o.outcome,
    enteredBy: o.enteredBy,
    createdAt: iso(o.createdAt),
    closedAt: isoOrNull(o.closedAt),
    lines: o.lines.map((l) => ({
      id: l.id,
      lineNo: l.lineNo,
      productId: l.productId,
      sku: l.product.sku,
      productName: l.product.name,
      specification: l.specification,
      quantity: l.quantity,
      unitPrice: amount(l.unitPrice),
      taxRate: l.taxRate.toFixed(4),
    })),
    transitions: o.transitions.map((t) => ({
      seq: t.seq,
      from: t.fromStage,
      to: t.toStage,
      reason: t.reason,
      actor: t.actor,
      at: iso(t.at),
    })),
    decisions: o.reviews.map((r) => ({
      stage: r.stage,
      department: r.department,
      decision: r.decision,
      comment: r.comment,
      actor: r.actor,
      at: iso(r.decidedAt),
    })),
    reservations: o.reservations.map((r) => ({
      id: r.id,
      lineNo: lineNoById.get(r.orderLineId) ?? null,
      productId: r.productId,
      quantity: r.quantity,
      status: r.status,
    })),
    productionOrders: o.productionOrders.map((p) => ({
      id: p.id,
      productionNo: p.productionNo,
      lineNo: lineNoById.get(p.orderLineId) ?? null,
      productId: p.productId,
      quantity: p.quantity,
      plannedStart: iso(p.plannedStart),
      plannedFinish: iso(p.plannedFinish),
      percent: p.percent,
      status: p.status,
      qcPassed: p.qcPassed,
      note: p.note,
      completedAt: isoOrNull(p.completedAt),
    })),
    shipment: o.shipment
      ? {
          id: o.shipment.id,
          carrierCode: o.shipment.carrier.code,
          carrierName: o.shipment.carrier.name,
          trackingNo: o.shipment.trackingNo,
          cost: amount(o.shipment.cost),
          weightKg: o.shipment.weightKg.toFixed(3),
          eta: iso(o.shipment.eta),
          status: o.shipment.status,
          bookedAt: iso(o.shipment.bookedAt),
          dispatchedAt: isoOrNull(o.shipment.dispatchedAt),
          deliveredAt: isoOrNull(o.shipment.deliveredAt),
        }
      : null,
    invoice: inv
      ? {
          id: inv.id,
          invoiceNo: inv.invoiceNo,
          amount: amount(inv.amount),
          paid: amount(inv.paid),
          outstanding: outstanding(inv.amount.toFixed(2), inv.paid.toFixed(2)),
          currency: inv.currency,
          issuedAt: iso(inv.issuedAt),
          dueDate: iso(inv.dueDate),
          status: inv.status,
          payments: inv.payments.map((p) => ({
            id: p.id,
            amount: amount(p.amount),
            reference: p.reference,
            paidAt: iso(p.paidAt),
            recordedBy: p.recordedBy,
          })),
          reminders: inv.reminders.map((r) => ({ level: r.level, sentAt: iso(r.sentAt) })),
        }
      : null,
    alerts: o.alerts.map((a) => ({ key: a.key, kind: a.kind, role: a.role, message: a.message, at: iso(a.createdAt) })),
    emails: o.emails.map((e) => ({
      subject: e.subject,
      template: e.template,
      status: e.status,
      to: e.toAddress,
      createdAt: iso(e.createdAt),
      sentAt: isoOrNull(e.sentAt),
    })),
    risks: o.risks.map(riskView),
    changes: o.changeRequests.map((c) => ({
      id: c.id,
      status: c.status,
      reason: c.reason,
      requestedBy: c.requestedBy,
      createdAt: iso(c.createdAt),
      decidedAt: isoOrNull(c.decidedAt),
      appliedAt: isoOrNull(c.appliedAt),
    })),
    holds: o.holds.map((h) => ({
      stage: h.stage,
      reason: h.reason,
      heldBy: h.heldBy,
      heldAt: iso(h.heldAt),
      releasedBy: h.releasedBy,
      releasedAt: isoOrNull(h.releasedAt),
    })),
    feedback: o.feedback.map((f) => ({
      id: f.id,
      rating: f.rating,
      comment: f.comment,
      createdBy: f.createdBy,
      createdAt: iso(f.createdAt),
    })),
    complaints: o.complaints.map((c) => complaintView(o.orderNo, c)),
    refunds: o.refunds.map(refundView),
    live,
    ...(liveError ? { liveError } : {}),
  };
}
