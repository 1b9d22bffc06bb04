/**
 * An order with what the checks and the risk assessment read of it, loaded
 * with plain SQL (infra/sql.ts) in the shape Prisma's `include` would give:
 * salesPrechecks, financeCheck (twice) and assessRisks run for every order,
 * and Prisma's nested includes were the costliest reads of the pipeline.
 */
import type { Carrier, Customer, Order, OrderLine, Product, ProductionOrder, Reservation, Shipment } from '../generated/prisma/client';
import type { Sql } from './infra/sql';
import { notFound } from './audit';

export type OrderWithLines = Order & { customer: Customer; lines: (OrderLine & { product: Product })[] };

export type OrderGraph = Order & {
  customer: Customer;
  lines: (OrderLine & { product: Product; reservation: Reservation | null })[];
  productionOrders: ProductionOrder[];
  shipment: (Shipment & { carrier: Carrier }) | null;
};

/** The order, its customer and its lines (by line number) with their products; NotFound when there is no such order. */
export async function loadOrderWithLines(sql: Sql, orderId: string): Promise<OrderWithLines> {
  const [order] = await sql.query<Order>(`SELECT * FROM orders WHERE id = $1`, [orderId]);
  if (!order) throw notFound(`order ${orderId} not found`);
  const [customers, lines] = await Promise.all([
    sql.query<Customer>(`SELECT * FROM customers WHERE id = $1`, [order.customerId]),
    sql.query<OrderLine>(`SELECT * FROM order_lines WHERE order_id = $1 ORDER BY line_no`, [orderId]),
  ]);
  const products = await sql.query<Product>(`SELECT * FROM products WHERE id = ANY($1::text[])`, [[...new Set(lines.map((l) => l.productId))]]);
  const product = new Map(products.map((p) => [p.id, p]));
  return { ...order, customer: customers[0], lines: lines.map((l) => ({ ...l, product: product.get(l.productId)! })) };
}

/** As loadOrderWithLines, plus each line's reservation, the production orders and the shipment with its carrier. */
export async function loadOrderGraph(sql: Sql, orderId: string): Promise<OrderGraph> {
  const base = await loadOrderWithLines(sql, orderId);
  const [reservations, productionOrders, shipments] = await Promise.all([
    sql.query<Reservation>(`SELECT * FROM reservations WHERE order_id = $1`, [orderId]),
    sql.query<ProductionOrder>(`SELECT * FROM production_orders WHERE order_id = $1`, [orderId]),
    sql.query<Shipment>(`SELECT * FROM shipments WHERE order_id = $1`, [orderId]),
  ]);
  const s = shipments[0];
  const [carrier] = s ? await sql.query<Carrier>(`SELECT * FROM carriers WHERE id = $1`, [s.carrierId]) : [];
  const byLine = new Map(reservations.map((r) => [r.orderLineId, r]));
  return {
    ...base,
    lines: base.lines.map((l) => ({ ...l, reservation: byLine.get(l.id) ?? null })),
    productionOrders,
    shipment: s ? { ...s, carrier } : null,
  };
}
