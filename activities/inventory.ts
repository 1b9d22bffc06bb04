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
import { notFound, writeAudit, type Db } from './audit';
import { sqlOf } from './infra/db';
import { asSql, type Sql } from './infra/sql';

export interface ReservedLine {
  lineId: string;
  sku: string;
  quantity: number;
  reserved: number;
  shortfall: number;
}

interface StockRow {
  productId: string;
  onHand: number;
  reserved: number;
}

/** Locks the inventory rows of these products (sorted, so lock order is global). */
export async function lockInventory(db: Db | Sql, productIds: string[]): Promise<Map<string, StockRow>> {
  const ids = [...new Set(productIds)].sort();
  if (ids.length === 0) return new Map();
  const rows = await asSql(db).query<StockRow>(
    `SELECT product_id, on_hand, reserved FROM inventory WHERE product_id = ANY($1::text[]) ORDER BY product_id FOR UPDATE`,
    [ids],
  );
  return new Map(rows.map((r) => [r.productId, r]));
}

export async function reserveStock(deps: ActivityDeps, a: { orderId: string }): Promise<{ lines: ReservedLine[] }> {
  return sqlOf(deps.prisma).transaction(async (tx) => {
    const [locked] = await tx.query<{ orderNo: string }>(`SELECT order_no FROM orders WHERE id = $1 FOR UPDATE`, [a.orderId]);
    if (!locked) throw notFound(`order ${a.orderId} not found`);
    const lines = await tx.query<{ id: string; productId: string; quantity: number; sku: string; reservedQty: number | null }>(
      `SELECT l.id, l.product_id, l.quantity, p.sku, r.quantity AS reserved_qty
         FROM order_lines l JOIN products p ON p.id = l.product_id LEFT JOIN reservations r ON r.order_line_id = l.id
        WHERE l.order_id = $1 ORDER BY l.line_no`,
      [a.orderId],
    );
    const todo = lines.filter((l) => l.reservedQty === null);
    const stock = await lockInventory(
      tx,
      todo.map((l) => l.productId),
    );

    const result: ReservedLine[] = [];
    const created: ReservedLine[] = [];
    for (const l of lines) {
      let reserved: number;
      if (l.reservedQty !== null) {
        reserved = l.reservedQty;
      } else {
        const s = stock.get(l.productId);
        const available = s ? Math.max(0, s.onHand - s.reserved) : 0;
        reserved = Math.min(l.quantity, available);
        if (reserved > 0 && s) {
          // Guarded again in SQL: the row is locked, so this always matches.
          const n = await tx.execute(
            `UPDATE inventory SET reserved = reserved + $2, updated_at = now() WHERE product_id = $1 AND on_hand - reserved >= $2`,
            [l.productId, reserved],
          );
          if (n !== 1) throw new Error(`inventory of ${l.productId} changed under a lock`);
          s.reserved += reserved;
        }
        await tx.execute(
          `INSERT INTO reservations (id, order_id, order_line_id, product_id, quantity, status, updated_at)
           VALUES (gen_random_uuid()::text, $1, $2, $3, $4, 'reserved', now())`,
          [a.orderId, l.id, l.productId, reserved],
        );
      }
      const line = { lineId: l.id, sku: l.sku, quantity: l.quantity, reserved, shortfall: l.quantity - reserved };
      result.push(line);
      if (l.reservedQty === null) created.push(line);
    }

    if (created.length)
      await writeAudit(tx, {
        key: `reserve:${a.orderId}`,
        actor: 'system',
        action: 'stock.reserve',
        entity: 'order',
        entityId: a.orderId,
        orderNo: locked.orderNo,
        after: { lines: created },
      });
    return { lines: result };
  });
}

export interface HeldReservation {
  id: string;
  orderLineId: string;
  productId: string;
  quantity: number;
  status: string;
}

/** What leaves inventory with each outcome: goods shipped leave the shelf too; released ones stay on it. */
const SETTLE_INVENTORY: Record<'consumed' | 'released', string> = {
  consumed: `UPDATE inventory SET on_hand = on_hand - $2, reserved = reserved - $2, updated_at = now()
              WHERE product_id = $1 AND reserved >= $2 AND on_hand >= $2`,
  released: `UPDATE inventory SET reserved = reserved - $2, updated_at = now()
              WHERE product_id = $1 AND reserved >= $2`,
};

/**
 * The order's reservations still held come to an end: dispatch consumes them
 * (on_hand -= q, reserved -= q), cancellation releases them (reserved -= q),
 * and each gets that status. Only reservations still 'reserved' are touched,
 * so it runs once. Call inside the dispatch's or the cancellation's
 * transaction; returns the reservations it settled, as they were.
 */
export async function settleReservations(db: Db | Sql, orderId: string, outcome: 'consumed' | 'released'): Promise<HeldReservation[]> {
  const tx = asSql(db);
  const open = await tx.query<HeldReservation>(
    `SELECT id, order_line_id, product_id, quantity, status FROM reservations WHERE order_id = $1 AND status = 'reserved' ORDER BY order_line_id`,
    [orderId],
  );
  await lockInventory(
    tx,
    open.filter((r) => r.quantity > 0).map((r) => r.productId),
  );
  for (const r of open) {
    if (r.quantity > 0) {
      const n = await tx.execute(SETTLE_INVENTORY[outcome], [r.productId, r.quantity]);
      if (n !== 1) throw new Error(`inventory of ${r.productId} does not hold the reservation of line ${r.orderLineId}`);
    }
    await tx.execute(`UPDATE reservations SET status = $2, updated_at = now() WHERE id = $1`, [r.id, outcome]);
  }
  return open;
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
