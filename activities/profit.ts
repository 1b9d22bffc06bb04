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
import { notFound, toDate, writeAudit } from './audit';
import { sqlOf } from './infra/db';
import type { Order, OrderProfit, Prisma, Shipment } from '../generated/prisma/client';

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
  return sqlOf(deps.prisma).transaction(async (tx) => {
    const [order] = await tx.query<Order>(`SELECT * FROM orders WHERE id = $1`, [a.orderId]);
    if (!order) throw notFound(`order ${a.orderId} not found`);
    // One after the other: a transaction is one connection.
    const lines = await tx.query<{ quantity: number; standardCost: Prisma.Decimal }>(
      `SELECT l.quantity, p.standard_cost FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $1`,
      [order.id],
    );
    const shipments = await tx.query<Shipment>(`SELECT * FROM shipments WHERE order_id = $1`, [order.id]);
    const priors = await tx.query<OrderProfit>(`SELECT * FROM order_profits WHERE order_id = $1`, [order.id]);
    const revenue = fmt(order.subtotal.toFixed(2));
    const costOfGoods = fmt(
      lines
        .filter((l) => l.quantity > 0)
        .reduce((sum, l) => sum.plus(round(money(l.standardCost.toFixed(2)).times(l.quantity))), money(0)),
    );
    const s = shipments[0];
    const shippingCost = s && s.status !== 'cancelled' ? fmt(s.cost.toFixed(2)) : '0.00';
    const { profit, margin } = orderProfit({ revenue, costOfGoods, shippingCost });
    const result: ComputedProfit = { revenue, costOfGoods, shippingCost, profit, margin: margin ?? '0.0000' };

    const prior = priors[0];
    await tx.execute(
      `INSERT INTO order_profits (order_id, currency, revenue, cost_of_goods, shipping_cost, profit, margin, closed_at)
       VALUES ($1, $2, $3::numeric, $4::numeric, $5::numeric, $6::numeric, $7::numeric, $8::timestamp(3))
       ON CONFLICT (order_id) DO UPDATE SET currency = EXCLUDED.currency, revenue = EXCLUDED.revenue, cost_of_goods = EXCLUDED.cost_of_goods,
         shipping_cost = EXCLUDED.shipping_cost, profit = EXCLUDED.profit, margin = EXCLUDED.margin, closed_at = EXCLUDED.closed_at`,
      [order.id, order.currency, revenue, costOfGoods, shippingCost, profit, result.margin, closedAt.toISOString()],
    );
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
  });
}
