/**
 * Order intake (SPEC 3.1): check the references, number the order, store it
 * and start its workflow, exactly once per idempotency key.
 *
 * - The body is hashed (sha256 of its canonical JSON). A repeated key with
 *   the same body returns the stored order (a replay); with another body it
 *   is refused (409 on Idempotency-Key).
 * - Numbering, the order, its lines and the audit entry are one transaction,
 *   serialised per key by an advisory lock, so two concurrent submissions of
 *   one key make one order.
 * - The workflow is started after the commit (activities/order-workflow.ts),
 *   and again on every replay of a still-open order: an existing workflow
 *   that is this order's is used, one of another order is refused (409 and an
 *   alert for admin, never adopted). No order is lost and none is started
 *   twice (the workflow id is the order number).
 * - Temporal unreachable: the order stays saved and the answer is 503 within
 *   about two seconds (activities/infra/temporal.ts); the reconciler in the
 *   worker starts its workflow when Temporal is back (worker/reconciler.ts),
 *   and a repeat of the request returns the same order.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../activities/infra/config';
import type { PrismaClient } from '../../activities/infra/db';
import { TX, writeAudit } from '../../activities/audit';
import { addDuration } from '../../workflows/domain/duration';
import { orderTotals } from '../../workflows/domain/money';
import { formatOrderNo } from '../../workflows/domain/order-number';
import { TERMINAL_STAGES, orderWorkflowId, type Stage } from '../../workflows/order/contract';
import {
  WorkflowOwnerConflict,
  loadOrderForStart,
  raiseWorkflowAlert,
  startOrderWorkflow,
  type StoredOrder,
} from '../../activities/order-workflow';
import { orderDateProblem } from '../../workflows/domain/order-dates';
import { hasRate } from '../../workflows/domain/credit';
import { HttpError, badRequest, conflict } from '../errors';
import { todayIso } from '../schemas';

export const DEFAULT_CURRENCY = 'CNY';
export const INITIAL_STAGE: Stage = 'sales_review';

export interface IntakeLine {
  productId?: string;
  sku?: string;
  specification?: string;
  quantity: number;
  unitPrice: string;
  taxRate: string;
}

export interface IntakeInput {
  customerId: string;
  channel: string;
  contact: { name: string; phone?: string; email?: string };
  orderDate?: string;
  requestedDeliveryDate: string;
  deliveryAddress: { recipient: string; phone: string; region: string; city: string; line1: string; postcode?: string };
  paymentTerms: string;
  currency?: string;
  special?: boolean;
  notes?: string;
  lines: IntakeLine[];
}

export interface IntakeDeps {
  prisma: PrismaClient;
  temporal: Client;
  config: Config;
  log: FastifyBaseLogger;
}

export interface IntakeResult {
  /** true when the key was seen before with the same body. */
  replay: boolean;
  order: { orderNo: string; stage: string; orderId: string; totalAmount: string; currency: string };
}

/** JSON with object keys sorted at every level, so equal bodies hash equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The body as it means: defaults applied where they do not depend on the day. */
export function requestHash(body: IntakeInput): string {
  const normalized = { ...body, currency: body.currency ?? DEFAULT_CURRENCY };
  return createHash('sha256').update(canonicalJson(normalized)).digest('hex');
}

const dateOf = (isoDate: string) => new Date(`${isoDate}T00:00:00.000Z`);

/** Checks that need no database: dates (the policy's windows) and the product reference of each line. */
function checkShape(body: IntakeInput, now: Date, config: Config): { orderDate: string } {
  const today = todayIso(now);
  const orderDate = body.orderDate ?? today;
  const problem = orderDateProblem({ orderDate, requestedDeliveryDate: body.requestedDeliveryDate }, today, config.policy);
  if (problem) throw badRequest(problem.message, problem.field);
  // Credit exposure converts every order into the customer's credit currency: no rate, no order.
  const currency = body.currency ?? DEFAULT_CURRENCY;
  if (!hasRate(config.policy.exchangeRates, currency)) {
    const known = Object.keys(config.policy.exchangeRates).join(', ');
    throw badRequest(`currency ${currency} has no exchange rate in the policy (${known})`, 'currency');
  }
  body.lines.forEach((l, i) => {
    if (!l.productId && !l.sku) throw badRequest(`lines[${i}].productId or lines[${i}].sku is required`, `lines[${i}].productId`);
  });
  return { orderDate };
}

interface ResolvedLine extends IntakeLine {
  productId: string;
  sku: string;
}

/** Customer, products (existing and active) and payment terms; 400 naming the field otherwise. */
async function checkReferences(prisma: PrismaClient, config: Config, body: IntakeInput): Promise<ResolvedLine[]> {
  const customer = await prisma.customer.findUnique({ where: { id: body.customerId }, select: { id: true } });
  if (!customer) throw badRequest(`customer ${body.customerId} does not exist`, 'customerId');

  const ids = [...new Set(body.lines.flatMap((l) => (l.productId ? [l.productId] : [])))];
  const skus = [...new Set(body.lines.flatMap((l) => (l.sku ? [l.sku] : [])))];
  const products = await prisma.product.findMany({
    where: { OR: [{ id: { in: ids } }, { sku: { in: skus } }] },
    select: { id: true, sku: true, active: true },
  });
  const byId = new Map(products.map((p) => [p.id, p]));
  const bySku = new Map(products.map((p) => [p.sku, p]));

  const lines = body.lines.map((l, i): ResolvedLine => {
    const field = l.productId ? `lines[${i}].productId` : `lines[${i}].sku`;
    const product = l.productId ? byId.get(l.productId) : bySku.get(l.sku!);
    if (!product) throw badRequest(`${field}: product ${l.productId ?? l.sku} does not exist`, field);
    if (l.productId && l.sku && product.sku !== l.sku)
      throw badRequest(`lines[${i}].sku: ${l.sku} is not the SKU of product ${l.productId}`, `lines[${i}].sku`);
    if (!product.active) throw badRequest(`${field}: product ${product.sku} is not active`, field);
    return { ...l, productId: product.id, sku: product.sku };
  });

  if (!Object.prototype.hasOwnProperty.call(config.policy.paymentTerms, body.paymentTerms)) {
    const known = Object.keys(config.policy.paymentTerms).join(', ');
    throw badRequest(`paymentTerms ${body.paymentTerms} is not a known payment term (${known})`, 'paymentTerms');
  }
  return lines;
}

async function startWorkflow(deps: IntakeDeps, order: StoredOrder): Promise<void> {
  try {
    await startOrderWorkflow({ prisma: deps.prisma, client: deps.temporal, taskQueue: deps.config.temporalTaskQueue, policy: deps.config.policy }, order);
  } catch (err) {
    if (err instanceof WorkflowOwnerConflict) {
      deps.log.error({ err, orderNo: order.orderNo }, 'order saved but its workflow id belongs to another order');
      await raiseWorkflowAlert(deps.prisma, { orderId: order.id, orderNo: order.orderNo, kind: 'workflow_conflict', message: err.message });
      throw conflict(
        `Order ${order.orderNo} is saved but cannot be started: ${err.message}. ` +
          'An administrator has been alerted; repeating the request will not help until they resolve it.',
      );
    }
    deps.log.error({ err, orderNo: order.orderNo }, 'order saved but its workflow could not be started');
    throw new HttpError(
      503,
      `Order ${order.orderNo} is saved but the workflow service is unavailable; its workflow will be started automatically ` +
        'when the service is back. Repeating the request with the same Idempotency-Key returns this order.',
      undefined,
      { 'retry-after': '5' },
    );
  }
}

function summary(order: StoredOrder): IntakeResult['order'] {
  return {
    orderNo: order.orderNo,
    stage: order.stage,
    orderId: order.id,
    totalAmount: order.totalAmount.toFixed(2),
    currency: order.currency,
  };
}

async function replay(deps: IntakeDeps, existing: StoredOrder, hash: string): Promise<IntakeResult> {
  if (existing.requestHash !== hash)
    throw conflict('This Idempotency-Key was already used for a different order body', 'Idempotency-Key');
  if (!TERMINAL_STAGES.includes(existing.stage as Stage)) await startWorkflow(deps, existing);
  return { replay: true, order: summary(existing) };
}

export async function intakeOrder(
  deps: IntakeDeps,
  a: { body: IntakeInput; idempotencyKey: string; actor: string; ip?: string; now?: Date },
): Promise<IntakeResult> {
  const { prisma, config } = deps;
  const now = a.now ?? new Date();
  const hash = requestHash(a.body);

  // Fast path for a replay: answer before checking references that may have changed since.
  const seen = await loadOrderForStart(prisma, { idempotencyKey: a.idempotencyKey });
  if (seen) return replay(deps, seen, hash);

  const { orderDate } = checkShape(a.body, now, config);
  const lines = await checkReferences(prisma, config, a.body);
  const totals = orderTotals(lines);
  const currency = a.body.currency ?? DEFAULT_CURRENCY;
  const stageDeadline = new Date(addDuration(now.toISOString(), config.policy.stages[INITIAL_STAGE as 'sales_review'].limit));

  const created = await prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`intake:${a.idempotencyKey}`}))`;
      const existing = await tx.order.findUnique({ where: { idempotencyKey: a.idempotencyKey }, select: { id: true } });
      if (existing) return { existingId: existing.id };

      const year = now.getUTCFullYear();
      const [{ last }] = await tx.$queryRaw<{ last: number }[]>`
        INSERT INTO order_number_counters (year, last) VALUES (${year}, 1)
        ON CONFLICT (year) DO UPDATE SET last = order_number_counters.last + 1
        RETURNING last`;
      const orderNo = formatOrderNo(year, Number(last));

      const order = await tx.order.create({
        data: {
          orderNo,
          idempotencyKey: a.idempotencyKey,
          requestHash: hash,
          customerId: a.body.customerId,
          channel: a.body.channel,
          contactName: a.body.contact.name,
          contactPhone: a.body.contact.phone ?? null,
          contactEmail: a.body.contact.email ?? null,
          orderDate: dateOf(orderDate),
          requestedDeliveryDate: dateOf(a.body.requestedDeliveryDate),
          deliveryAddress: { ...a.body.deliveryAddress },
          paymentTerms: a.body.paymentTerms,
          currency,
          subtotal: totals.subtotal,
          taxAmount: totals.tax,
          totalAmount: totals.total,
          special: a.body.special ?? false,
          notes: a.body.notes ?? null,
          stage: INITIAL_STAGE,
          stageEnteredAt: now,
          stageDeadline,
          escalation: 'none',
          riskLevel: 'low',
          enteredBy: a.actor,
          workflowId: orderWorkflowId(orderNo),
          createdAt: now,
          lines: {
            create: lines.map((l, i) => ({
              lineNo: i + 1,
              productId: l.productId,
              specification: l.specification ?? null,
              quantity: l.quantity,
              unitPrice: l.unitPrice,
              taxRate: l.taxRate,
            })),
          },
        },
        select: { id: true },
      });

      await writeAudit(tx, {
        key: `intake:${a.idempotencyKey}`,
        actor: a.actor,
        action: 'order.create',
        entity: 'order',
        entityId: order.id,
        orderNo,
        ip: a.ip ?? null,
        after: {
          orderNo,
          customerId: a.body.customerId,
          channel: a.body.channel,
          currency,
          subtotal: totals.subtotal,
          tax: totals.tax,
          total: totals.total,
          lines: lines.map((l, i) => ({ lineNo: i + 1, sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice, taxRate: l.taxRate })),
        },
      });
      return { createdId: order.id };
    },
    TX,
  );

  if ('existingId' in created) {
    // A concurrent submission of the same key won the race.
    const existing = await loadOrderForStart(prisma, { id: created.existingId! });
    return replay(deps, existing!, hash);
  }
  const order = (await loadOrderForStart(prisma, { id: created.createdId }))!;
  await startWorkflow(deps, order);
  return { replay: false, order: summary(order) };
}
