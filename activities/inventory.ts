/**
 * Stock reservations (SPEC 3.6: "what is in stock is reserved (atomically,
 * never over-reserved, idempotent per order line)").
 *
 * Invariant: for every product, inventory.reserved = the sum of its
 * reservations still 'reserved', and 0 <= reserved <= on_hand.
 *
 * - Reserving runs in one transaction per order: the order row is locked
 *   first (two attempts of one order queue up, the second finds the first's
 *   reservations), then the inventory rows of its products in product id
 *   order (concurrent orders for the same products queue up, never
 *   deadlock), and each line takes min(quantity, on_hand - reserved).
 * - A line gets its reservation row even when nothing was available
 *   (quantity 0), so a retry returns the same answer.
 */
import type { ActivityDeps } from './index';
import { Prisma } from '../generated/prisma/client';
import { TX, notFound, writeAudit, type Db } from './audit';

export interface ReservedLine {
  lineId: string;
  sku: string;
  quantity: number;
  reserved: number;
  shortfall: number;
}

interface StockRow {
  product_id: string;
  on_hand: number;
  reserved: number;
}

/** Locks the inventory rows of these products (sorted, so lock order is global). */
export async function lockInventory(tx: Db, productIds: string[]): Promise<Map<string, StockRow>> {
  const ids = [...new Set(productIds)].sort();
  if (ids.length === 0) return new Map();
  const rows = await tx.$queryRaw<StockRow[]>`
    SELECT product_id, on_hand, reserved FROM inventory
    WHERE product_id IN (${Prisma.join(ids)})
    ORDER BY product_id
    FOR UPDATE`;
  return new Map(rows.map((r) => [r.product_id, { ...r, on_hand: Number(r.on_hand), reserved: Number(r.reserved) }]));
}

export async function reserveStock(deps: ActivityDeps, a: { orderId: string }): Promise<{ lines: ReservedLine[] }> {
  return deps.prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ order_no: string }[]>`SELECT order_no FROM orders WHERE id = ${a.orderId} FOR UPDATE`;
    if (locked.length === 0) throw notFound(`order ${a.orderId} not found`);
    const lines = await tx.orderLine.findMany({
      where: { orderId: a.orderId },
      include: { product: { select: { sku: true } }, reservation: true },
      orderBy: { lineNo: 'asc' },
    });
    const todo = lines.filter((l) => !l.reservation);
    const stock = await lockInventory(
      tx,
      todo.map((l) => l.productId),
    );

    const result: ReservedLine[] = [];
    const created: ReservedLine[] = [];
    for (const l of lines) {
      let reserved: number;
      if (l.reservation) {
        reserved = l.reservation.quantity;
      } else {
        const s = stock.get(l.productId);
        const available = s ? Math.max(0, s.on_hand - s.reserved) : 0;
        reserved = Math.min(l.quantity, available);
        if (reserved > 0 && s) {
          // Guarded again in SQL: the row is locked, so this always matches.
          const n = await tx.$executeRaw`
            UPDATE inventory SET reserved = reserved + ${reserved}, updated_at = now()
            WHERE product_id = ${l.productId} AND on_hand - reserved >= ${reserved}`;
          if (n !== 1) throw new Error(`inventory of ${l.productId} changed under a lock`);
          s.reserved += reserved;
        }
        await tx.reservation.create({
          data: { orderId: a.orderId, orderLineId: l.id, productId: l.productId, quantity: reserved, status: 'reserved' },
        });
      }
      const line = { lineId: l.id, sku: l.product.sku, quantity: l.quantity, reserved, shortfall: l.quantity - reserved };
      result.push(line);
      if (!l.reservation) created.push(line);
    }

    if (created.length)
      await writeAudit(tx, {
        key: `reserve:${a.orderId}`,
        actor: 'system',
        action: 'stock.reserve',
        entity: 'order',
        entityId: a.orderId,
        orderNo: locked[0].order_no,
        after: { lines: created },
      });
    return { lines: result };
  }, TX);
}

/**
 * Dispatch consumes the order's reservations: on_hand -= q, reserved -= q,
 * reservation status 'consumed'. Call inside the dispatch transaction; only
 * reservations still 'reserved' are touched, so it runs once.
 */
export async function consumeReservations(
  tx: Db,
  orderId: string,
): Promise<{ lineId: string; productId: string; quantity: number }[]> {
  const open = await tx.reservation.findMany({ where: { orderId, status: 'reserved' }, orderBy: { orderLineId: 'asc' } });
  await lockInventory(
    tx,
    open.filter((r) => r.quantity > 0).map((r) => r.productId),
  );
  for (const r of open) {
    if (r.quantity > 0) {
      const n = await tx.$executeRaw`
        UPDATE inventory SET on_hand = on_hand - ${r.quantity}, reserved = reserved - ${r.quantity}, updated_at = now()
        WHERE product_id = ${r.productId} AND reserved >= ${r.quantity} AND on_hand >= ${r.quantity}`;
      if (n !== 1) throw new Error(`inventory of ${r.productId} does not hold the reservation of line ${r.orderLineId}`);
    }
    await tx.reservation.update({ where: { id: r.id }, data: { status: 'consumed' } });
  }
  return open.map((r) => ({ lineId: r.orderLineId, productId: r.productId, quantity: r.quantity }));
}

/**
 * Finished production goes into stock already reserved for its order line:
 * on_hand += q and reserved += q (the inventory row is created for a
 * make-to-order product), and the line's reservation grows by q.
 */
export async function addProducedStock(
  tx: Db,
  p: { orderId: string; orderLineId: string; productId: string; quantity: number },
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO inventory (product_id, on_hand, reserved, updated_at)
    VALUES (${p.productId}, ${p.quantity}, ${p.quantity}, now())
    ON CONFLICT (product_id) DO UPDATE
      SET on_hand = inventory.on_hand + EXCLUDED.on_hand,
          reserved = inventory.reserved + EXCLUDED.reserved,
          updated_at = now()`;
  await tx.reservation.upsert({
    where: { orderLineId: p.orderLineId },
    create: { orderId: p.orderId, orderLineId: p.orderLineId, productId: p.productId, quantity: p.quantity, status: 'reserved' },
    update: { quantity: { increment: p.quantity } },
  });
}
