/**
 * Cancellation's compensation (SPEC "Changes and cancellation": "everything
 * already done is undone in reverse order"). The workflow calls them in the
 * order voidInvoice, cancelShipment, cancelProductionOrders,
 * releaseReservations. Each is a no-op when there is nothing to undo, so a
 * retry (or a call for an order that never got that far) returns at once;
 * each undo is one transaction with one audit row.
 */
import type { ActivityDeps } from './index';
import { money } from '../workflows/domain/money';
import { TX, notFound, wrongStage, writeAudit, type Db } from './audit';
import { settleReservations } from './inventory';
import { syncRefunds } from './refunds';

async function lockOrder(tx: Db, orderId: string): Promise<string> {
  const rows = await tx.$queryRaw<{ order_no: string }[]>`SELECT order_no FROM orders WHERE id = ${orderId} FOR UPDATE`;
  if (rows.length === 0) throw notFound(`order ${orderId} not found`);
  return rows[0].order_no;
}

/** Reservations still held go back to stock: status released, inventory.reserved -= quantity. */
export async function releaseReservations(deps: ActivityDeps, a: { orderId: string; actor: string }): Promise<{ released: number }> {
  return deps.prisma.$transaction(async (tx) => {
    const orderNo = await lockOrder(tx, a.orderId);
    const open = await settleReservations(tx, a.orderId, 'released');
    if (open.length === 0) return { released: 0 };
    const released = open.reduce((s, r) => s + r.quantity, 0);
    await writeAudit(tx, {
      key: `reservations-release:${a.orderId}`,
      actor: a.actor,
      action: 'stock.release',
      entity: 'order',
      entityId: a.orderId,
      orderNo,
      before: { reservations: open.map((r) => ({ lineId: r.orderLineId, productId: r.productId, quantity: r.quantity, status: r.status })) },
      after: { status: 'released', quantity: released },
    });
    return { released };
  }, TX);
}

/**
 * Production orders not yet completed are cancelled. Completed ones stay:
 * their goods went into stock reserved for the line, and releaseReservations
 * frees them.
 */
export async function cancelProductionOrders(deps: ActivityDeps, a: { orderId: string; actor: string }): Promise<{ cancelled: number }> {
  return deps.prisma.$transaction(async (tx) => {
    const orderNo = await lockOrder(tx, a.orderId);
    const open = await tx.productionOrder.findMany({
      where: { orderId: a.orderId, status: { in: ['planned', 'in_progress', 'rework'] } },
      orderBy: { productionNo: 'asc' },
    });
    if (open.length === 0) return { cancelled: 0 };
    await tx.productionOrder.updateMany({ where: { id: { in: open.map((p) => p.id) } }, data: { status: 'cancelled' } });
    await writeAudit(tx, {
      key: `production-cancel:${a.orderId}:${open.map((p) => p.id).join(',')}`,
      actor: a.actor,
      action: 'production.cancel',
      entity: 'order',
      entityId: a.orderId,
      orderNo,
      before: { productionOrders: open.map((p) => ({ productionNo: p.productionNo, status: p.status, quantity: p.quantity, percent: p.percent })) },
      after: { status: 'cancelled' },
    });
    return { cancelled: open.length };
  }, TX);
}

/** The carrier booking is cancelled with the carrier, then on the shipment row; refused once dispatched. */
export async function cancelShipment(deps: ActivityDeps, a: { orderId: string; actor: string }): Promise<{ cancelled: boolean }> {
  const { prisma } = deps;
  const order = await prisma.order.findUnique({ where: { id: a.orderId }, select: { orderNo: true, shipment: true } });
  if (!order) throw notFound(`order ${a.orderId} not found`);
  const s = order.shipment;
  if (!s || s.status === 'cancelled') return { cancelled: false };
  if (s.status !== 'booked') throw wrongStage(`shipment of order ${order.orderNo} is ${s.status}: it can no longer be cancelled`);
  // The adapter is told first (cancelling twice is harmless); a failure here is retried.
  await deps.carriers.cancel(s.trackingNo);
  return prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM shipments WHERE id = ${s.id} FOR UPDATE`;
    const current = await tx.shipment.findUniqueOrThrow({ where: { id: s.id } });
    if (current.status === 'cancelled') return { cancelled: false };
    if (current.status !== 'booked' || current.trackingNo !== s.trackingNo)
      throw wrongStage(`shipment of order ${order.orderNo} changed while it was being cancelled (${current.status})`);
    await tx.shipment.update({ where: { id: s.id }, data: { status: 'cancelled' } });
    await writeAudit(tx, {
      key: `shipment-cancel:${a.orderId}:${s.trackingNo}`,
      actor: a.actor,
      action: 'shipment.cancel',
      entity: 'shipment',
      entityId: s.id,
      orderNo: order.orderNo,
      before: { status: 'booked', trackingNo: s.trackingNo },
      after: { status: 'cancelled' },
    });
    return { cancelled: true };
  }, TX);
}

/**
 * The invoice is voided. An unpaid one simply goes; a (part-)paid one is
 * voided too and what was paid is due back to the customer: a `refunds` row
 * (activities/refunds.ts) that finance settles. No invoice: nothing to do.
 */
export async function voidInvoice(deps: ActivityDeps, a: { orderId: string; actor: string }): Promise<{ voided: boolean; refundDue: string }> {
  return deps.prisma.$transaction(async (tx) => {
    const orderNo = await lockOrder(tx, a.orderId);
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM invoices WHERE order_id = ${a.orderId} FOR UPDATE`;
    if (rows.length === 0) return { voided: false, refundDue: '0.00' };
    const inv = await tx.invoice.findUniqueOrThrow({ where: { id: rows[0].id } });
    const cause = { key: `void:${inv.id}`, reason: `order ${orderNo} cancelled after payment`, actor: a.actor };
    // A retry after the void committed finds the refund booked and books nothing more.
    if (inv.status === 'void') return { voided: true, refundDue: await syncRefunds(tx, inv.id, cause) };
    await tx.invoice.update({ where: { id: inv.id }, data: { status: 'void' } });
    const refundDue = await syncRefunds(tx, inv.id, cause);
    await writeAudit(tx, {
      key: `invoice-void:${inv.id}`,
      actor: a.actor,
      action: 'invoice.void',
      entity: 'invoice',
      entityId: inv.id,
      orderNo,
      before: { status: inv.status, amount: inv.amount.toFixed(2), paid: inv.paid.toFixed(2) },
      after: { status: 'void', refundDue, ...(money(refundDue).gt(0) ? { note: `paid ${refundDue} ${inv.currency} is due back to the customer` } : {}) },
    });
    return { voided: true, refundDue };
  }, TX);
}
