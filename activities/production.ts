/**
 * Production orders for the shortfall (SPEC 3.6): scheduled against the
 * product's lead time and daily capacity (domain planProduction), progress
 * reports, and completion with a quality result. One production order per
 * order line; numbers are derived from the order number and line, so a
 * retried schedule lands on the same rows.
 */
import type { ActivityDeps } from './index';
import { planProduction } from '../workflows/domain/production';
import { TX, badInput, notFound, toDate, wrongStage, writeAudit, type Db } from './audit';
import { addProducedStock } from './inventory';

export interface ScheduledProduction {
  productionOrderId: string;
  productionNo: string;
  lineId: string;
  quantity: number;
  plannedFinish: string;
}

/** PO-2026-000123-01 for line 1 of SO-2026-000123. */
export function productionNoFor(orderNo: string, lineNo: number): string {
  return `PO-${orderNo.replace(/^SO-/, '')}-${String(lineNo).padStart(2, '0')}`;
}

export async function scheduleProduction(
  deps: ActivityDeps,
  a: { orderId: string; lines: { lineId: string; quantity: number }[]; startAt: string },
): Promise<ScheduledProduction[]> {
  toDate(a.startAt, 'startAt');
  for (const l of a.lines)
    if (!Number.isInteger(l.quantity) || l.quantity <= 0)
      throw badInput(`lines: quantity of line ${l.lineId} must be a positive whole number`, 'lines');

  return deps.prisma.$transaction(async (tx) => {
    const order = await tx.order.findUnique({
      where: { id: a.orderId },
      include: { lines: { include: { product: true, production: true } } },
    });
    if (!order) throw notFound(`order ${a.orderId} not found`);
    const out: ScheduledProduction[] = [];
    for (const req of a.lines) {
      const line = order.lines.find((l) => l.id === req.lineId);
      if (!line) throw notFound(`line ${req.lineId} is not a line of order ${order.orderNo}`);
      let po = line.production;
      if (!po) {
        const plan = planProduction({
          quantity: req.quantity,
          leadTimeDays: line.product.leadTimeDays,
          dailyCapacity: line.product.dailyCapacity,
          startAt: a.startAt,
        });
        const productionNo = productionNoFor(order.orderNo, line.lineNo);
        await tx.productionOrder.createMany({
          data: [
            {
              productionNo,
              orderId: order.id,
              orderLineId: line.id,
              productId: line.productId,
              quantity: req.quantity,
              plannedStart: new Date(plan.plannedStart),
              plannedFinish: new Date(plan.plannedFinish),
              status: 'planned',
            },
          ],
          skipDuplicates: true,
        });
        po = await tx.productionOrder.findUniqueOrThrow({ where: { orderLineId: line.id } });
        await writeAudit(tx, {
          key: `production:${line.id}`,
          actor: 'system',
          action: 'production.schedule',
          entity: 'production_order',
          entityId: po.id,
          orderNo: order.orderNo,
          after: {
            productionNo: po.productionNo,
            lineNo: line.lineNo,
            quantity: po.quantity,
            plannedStart: po.plannedStart.toISOString(),
            plannedFinish: po.plannedFinish.toISOString(),
          },
        });
      }
      out.push({
        productionOrderId: po.id,
        productionNo: po.productionNo,
        lineId: line.id,
        quantity: po.quantity,
        plannedFinish: po.plannedFinish.toISOString(),
      });
    }
    return out;
  }, TX);
}

async function lockProductionOrder(tx: Db, id: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM production_orders WHERE id = ${id} FOR UPDATE`;
  if (rows.length === 0) throw notFound(`production order ${id} not found`);
  return tx.productionOrder.findUniqueOrThrow({ where: { id }, include: { order: { select: { orderNo: true } } } });
}

/** Sets the reported percent; a planned order is then in progress. Ignored once completed. */
export async function reportProductionProgress(
  deps: ActivityDeps,
  a: { productionOrderId: string; percent: number; actor: string },
): Promise<void> {
  if (!Number.isInteger(a.percent) || a.percent < 0 || a.percent > 100)
    throw badInput('percent: must be a whole number from 0 to 100', 'percent');
  await deps.prisma.$transaction(async (tx) => {
    const po = await lockProductionOrder(tx, a.productionOrderId);
    if (po.status === 'cancelled') throw wrongStage(`production order ${po.productionNo} is cancelled`);
    if (po.status === 'completed') return;
    const status = po.status === 'planned' ? 'in_progress' : po.status;
    if (po.percent !== a.percent || po.status !== status)
      await tx.productionOrder.update({ where: { id: po.id }, data: { percent: a.percent, status } });
    await writeAudit(tx, {
      key: `production-progress:${po.id}:${a.percent}:${a.actor}`,
      actor: a.actor,
      action: 'production.progress',
      entity: 'production_order',
      entityId: po.id,
      orderNo: po.order.orderNo,
      before: { percent: po.percent, status: po.status },
      after: { percent: a.percent, status },
    });
  }, TX);
}

/**
 * QC passed: completed, and the quantity goes into stock reserved for the
 * order line, in one transaction; a second call finds it completed and does
 * nothing. QC failed: rework, re-planned from `at` (the same `at` gives the
 * same plan, so a retry changes nothing).
 */
export async function completeProduction(
  deps: ActivityDeps,
  a: { productionOrderId: string; qcPassed: boolean; note?: string; actor: string; at: string },
): Promise<{ status: 'completed' | 'rework'; plannedFinish: string }> {
  const at = toDate(a.at, 'at');
  return deps.prisma.$transaction(async (tx) => {
    const po = await lockProductionOrder(tx, a.productionOrderId);
    if (po.status === 'completed') return { status: 'completed' as const, plannedFinish: po.plannedFinish.toISOString() };
    if (po.status === 'cancelled') throw wrongStage(`production order ${po.productionNo} is cancelled`);
    const before = { status: po.status, percent: po.percent, plannedFinish: po.plannedFinish.toISOString() };

    if (a.qcPassed) {
      await tx.productionOrder.update({
        where: { id: po.id },
        data: { status: 'completed', qcPassed: true, percent: 100, note: a.note ?? po.note, completedAt: at },
      });
      await addProducedStock(tx, { orderId: po.orderId, orderLineId: po.orderLineId, productId: po.productId, quantity: po.quantity });
      await writeAudit(tx, {
        key: `production-complete:${po.id}`,
        actor: a.actor,
        action: 'production.complete',
        entity: 'production_order',
        entityId: po.id,
        orderNo: po.order.orderNo,
        before,
        after: { status: 'completed', qcPassed: true, note: a.note ?? null, completedAt: a.at, stockAdded: po.quantity },
      });
      return { status: 'completed' as const, plannedFinish: po.plannedFinish.toISOString() };
    }

    const product = await tx.product.findUniqueOrThrow({ where: { id: po.productId } });
    const plan = planProduction({
      quantity: po.quantity,
      leadTimeDays: product.leadTimeDays,
      dailyCapacity: product.dailyCapacity,
      startAt: at.toISOString(),
    });
    if (po.status === 'rework' && po.plannedStart.toISOString() === plan.plannedStart)
      return { status: 'rework' as const, plannedFinish: po.plannedFinish.toISOString() }; // a retry
    await tx.productionOrder.update({
      where: { id: po.id },
      data: {
        status: 'rework',
        qcPassed: false,
        percent: 0,
        note: a.note ?? po.note,
        plannedStart: new Date(plan.plannedStart),
        plannedFinish: new Date(plan.plannedFinish),
      },
    });
    await writeAudit(tx, {
      key: `production-rework:${po.id}:${at.toISOString()}`,
      actor: a.actor,
      action: 'production.rework',
      entity: 'production_order',
      entityId: po.id,
      orderNo: po.order.orderNo,
      before,
      after: { status: 'rework', qcPassed: false, note: a.note ?? null, plannedFinish: plan.plannedFinish },
    });
    return { status: 'rework' as const, plannedFinish: plan.plannedFinish };
  }, TX);
}
