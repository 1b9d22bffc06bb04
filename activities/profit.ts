/**
 * Cost and profit of a closed order (SPEC 3.9, 7 "order profit margin"):
 * revenue = the order's subtotal (net of tax), cost of goods = shipped
 * quantity x the product's standard cost, shipping cost = the shipment's
 * cost; profit and margin by the domain rule (kpi.ts orderProfit). One
 * order_profits row per order, so a retry writes the same row.
 */
import type { ActivityDeps } from './index';
import { fmt, money, round } from '../workflows/domain/money';
import { orderProfit } from '../workflows/domain/kpi';
import { TX, notFound, toDate, writeAudit } from './audit';

export interface ComputedProfit {
  revenue: string;
  costOfGoods: string;
  shippingCost: string;
  profit: string;
  /** Fraction, 4 dp; "0.0000" when there is no revenue. */
  margin: string;
}

export async function computeProfit(deps: ActivityDeps, a: { orderId: string; closedAt: string }): Promise<ComputedProfit> {
  const closedAt = toDate(a.closedAt, 'closedAt');
  return deps.prisma.$transaction(async (tx) => {
    const order = await tx.order.findUnique({
      where: { id: a.orderId },
      include: { lines: { include: { product: { select: { standardCost: true } } } }, shipment: true },
    });
    if (!order) throw notFound(`order ${a.orderId} not found`);
    const revenue = fmt(order.subtotal.toFixed(2));
    const costOfGoods = fmt(
      order.lines
        .filter((l) => l.quantity > 0)
        .reduce((sum, l) => sum.plus(round(money(l.product.standardCost.toFixed(2)).times(l.quantity))), money(0)),
    );
    const s = order.shipment;
    const shippingCost = s && s.status !== 'cancelled' ? fmt(s.cost.toFixed(2)) : '0.00';
    const { profit, margin } = orderProfit({ revenue, costOfGoods, shippingCost });
    const result: ComputedProfit = { revenue, costOfGoods, shippingCost, profit, margin: margin ?? '0.0000' };

    const prior = await tx.orderProfit.findUnique({ where: { orderId: order.id } });
    const data = { currency: order.currency, revenue, costOfGoods, shippingCost, profit, margin: result.margin, closedAt };
    await tx.orderProfit.upsert({ where: { orderId: order.id }, create: { orderId: order.id, ...data }, update: data });
    const same =
      prior &&
      prior.revenue.toFixed(2) === revenue &&
      prior.costOfGoods.toFixed(2) === costOfGoods &&
      prior.shippingCost.toFixed(2) === shippingCost &&
      prior.closedAt.getTime() === closedAt.getTime();
    if (!same)
      await writeAudit(tx, {
        key: `profit:${order.id}:${closedAt.toISOString()}`,
        actor: 'system',
        action: 'order.profit',
        entity: 'order',
        entityId: order.id,
        orderNo: order.orderNo,
        before: prior
          ? { revenue: prior.revenue.toFixed(2), costOfGoods: prior.costOfGoods.toFixed(2), shippingCost: prior.shippingCost.toFixed(2), profit: prior.profit.toFixed(2) }
          : null,
        after: { ...result, currency: order.currency, closedAt: a.closedAt },
      });
    return result;
  }, TX);
}
