/**
 * Refunds (activities/refunds.ts books them): the list finance works from,
 * and settling one once the money has gone back (with the transfer's
 * reference). Settling is one transaction with its audit entry, under a row
 * lock: a refund is settled once, a second attempt answers 409.
 */
import type { PrismaClient } from '../../activities/infra/db';
import { TX, writeAudit } from '../../activities/audit';
import { badRequest, conflict, notFound } from '../errors';

type RefundRow = {
  id: string;
  orderId: string;
  invoiceId: string;
  customerId: string;
  amount: { toFixed(dp: number): string };
  currency: string;
  reason: string;
  status: string;
  createdBy: string;
  createdAt: Date;
  reference: string | null;
  settledBy: string | null;
  settledAt: Date | null;
};

/** A refund as the API shows it (also inside `GET /orders/:orderNo`). */
export const refundView = (r: RefundRow) => ({
  id: r.id,
  invoiceId: r.invoiceId,
  amount: r.amount.toFixed(2),
  currency: r.currency,
  reason: r.reason,
  status: r.status,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  reference: r.reference,
  settledBy: r.settledBy,
  settledAt: r.settledAt ? r.settledAt.toISOString() : null,
});

/** Refunds by status (default: due), oldest first, with their order numbers. */
export async function listRefunds(prisma: PrismaClient, q: { status?: string; limit?: number }) {
  const rows = await prisma.refund.findMany({
    where: { status: q.status ?? 'due' },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: q.limit ?? 100,
    include: { order: { select: { orderNo: true } } },
  });
  return { items: rows.map((r) => ({ orderNo: r.order.orderNo, ...refundView(r) })) };
}

export async function settleRefund(prisma: PrismaClient, a: { id: string; reference: string; actor: string; ip?: string }) {
  const reference = a.reference.trim();
  if (!reference) throw badRequest('reference must not be blank', 'reference');
  return prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM refunds WHERE id = ${a.id} FOR UPDATE`;
    if (locked.length === 0) throw notFound(`refund ${a.id} not found`);
    const r = await tx.refund.findUniqueOrThrow({ where: { id: a.id }, include: { order: { select: { orderNo: true } } } });
    if (r.status !== 'due') throw conflict(`refund ${r.id} is ${r.status}, not due`);
    const settled = await tx.refund.update({
      where: { id: r.id },
      data: { status: 'paid', reference, settledBy: a.actor, settledAt: new Date() },
    });
    await writeAudit(tx, {
      key: `refund-settle:${r.id}`,
      actor: a.actor,
      action: 'refund.settle',
      entity: 'refund',
      entityId: r.id,
      orderNo: r.order.orderNo,
      ip: a.ip ?? null,
      before: { status: r.status, amount: r.amount.toFixed(2), currency: r.currency },
      after: { status: 'paid', reference },
    });
    return { orderNo: r.order.orderNo, ...refundView(settled) };
  }, TX);
}
