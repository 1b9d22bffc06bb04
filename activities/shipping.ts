/**
 * Shipping (SPEC 3.7): choose and book a carrier, confirm dispatch (which
 * consumes the order's reservations) and delivery. One shipment per order
 * (unique orderId): a retried booking returns the existing one, and the
 * carrier adapter is itself idempotent by key (the order id).
 */
import type { ActivityDeps } from './index';
import { addDays, chooseCarrier, type CarrierOption } from '../workflows/domain/carriers';
import { fixed, money } from '../workflows/domain/money';
import { badInput, notFound, toDate, wrongStage, writeAudit } from './audit';
import { sqlOf, type PrismaClient } from './infra/db';
import type { Sql } from './infra/sql';
import type { Carrier, CarrierRate, Shipment } from '../generated/prisma/client';
import { settleReservations } from './inventory';

export interface Booking {
  shipmentId: string;
  carrierCode: string;
  carrierName: string;
  trackingNo: string;
  eta: string;
  cost: string;
}

type ShipmentWithCarrier = {
  id: string;
  trackingNo: string;
  eta: Date;
  cost: { toFixed(dp: number): string };
  carrier: { code: string; name: string };
};

/** A shipment row as the booking the workflow gets back; shared by booking and rebooking. */
export const bookingView = (s: ShipmentWithCarrier): Booking => ({
  shipmentId: s.id,
  carrierCode: s.carrier.code,
  carrierName: s.carrier.name,
  trackingNo: s.trackingNo,
  eta: s.eta.toISOString(),
  cost: s.cost.toFixed(2),
});

/** Active carriers with their rate tables, as chooseCarrier takes them. */
export async function carrierOptions(prisma: PrismaClient) {
  const sql = sqlOf(prisma);
  const [rows, rates] = await Promise.all([
    sql.query<Carrier>(`SELECT * FROM carriers WHERE active ORDER BY code`),
    sql.query<CarrierRate>(`SELECT r.* FROM carrier_rates r JOIN carriers c ON c.id = r.carrier_id WHERE c.active`),
  ]);
  const carriers = rows.map((c) => ({ ...c, rates: rates.filter((r) => r.carrierId === c.id) }));
  const options: CarrierOption[] = carriers.map((c) => ({
    code: c.code,
    name: c.name,
    serviceAreas: c.serviceAreas,
    transitDays: c.transitDays,
    reliability: c.reliability.toFixed(3),
    rates: c.rates.map((r) => ({ region: r.region, baseFee: r.baseFee.toFixed(2), perKg: r.perKg.toFixed(4) })),
  }));
  return { carriers, options };
}

/** Delivery region and gross weight (3 dp) of an order. */
export function shipmentSpec(order: {
  deliveryAddress: unknown;
  lines: { quantity: number; product: { weightKg: { toString(): string } } }[];
}): { region: string; weightKg: string } {
  const region = String((order.deliveryAddress as { region?: unknown } | null)?.region ?? '').trim();
  const weight = order.lines.reduce((sum, l) => sum.plus(money(l.product.weightKg.toString()).times(l.quantity)), money(0));
  return { region, weightKg: fixed(weight, 3) };
}

/** The carrier for the order as it stands (region, weight, requested date), refused when none serves it; booking and rebooking choose alike. */
export async function chooseCarrierFor(
  prisma: PrismaClient,
  order: Parameters<typeof shipmentSpec>[0] & { requestedDeliveryDate: Date },
  shipDate: string,
) {
  const { region, weightKg } = shipmentSpec(order);
  const { carriers, options } = await carrierOptions(prisma);
  const choice = chooseCarrier(options, {
    region,
    weightKg,
    shipDate,
    requestedDeliveryDate: order.requestedDeliveryDate.toISOString().slice(0, 10),
  });
  if (!choice) throw badInput(`no active carrier serves region "${region}"`, 'deliveryAddress.region');
  const carrier = carriers.find((c) => c.code === choice.code)!;
  return { region, weightKg, choice, carrier };
}

const SHIPMENT_WITH_CARRIER = `
  SELECT s.*, json_build_object('code', c.code, 'name', c.name) AS carrier
    FROM shipments s JOIN carriers c ON c.id = s.carrier_id WHERE s.order_id = $1`;

export async function bookCarrier(deps: ActivityDeps, a: { orderId: string; shipDate: string }): Promise<Booking> {
  const { prisma } = deps;
  const sql = sqlOf(prisma);
  toDate(a.shipDate, 'shipDate');
  const [existing] = await sql.query<Shipment & { carrier: { code: string; name: string } }>(SHIPMENT_WITH_CARRIER, [a.orderId]);
  if (existing && existing.status !== 'cancelled') return bookingView(existing);

  const [order] = await sql.query<{ orderNo: string; deliveryAddress: unknown; requestedDeliveryDate: Date }>(
    `SELECT order_no, delivery_address, requested_delivery_date FROM orders WHERE id = $1`,
    [a.orderId],
  );
  if (!order) throw notFound(`order ${a.orderId} not found`);
  const lines = await sql.query<{ quantity: number; weightKg: string }>(
    `SELECT l.quantity, p.weight_kg::text AS weight_kg FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = $1`,
    [a.orderId],
  );
  const { region, weightKg, choice, carrier } = await chooseCarrierFor(
    prisma,
    { ...order, lines: lines.map((l) => ({ quantity: l.quantity, product: { weightKg: l.weightKg } })) },
    a.shipDate,
  );

  // A booking after a cancelled one is a new booking: a new key.
  const key = existing ? `${a.orderId}:${a.shipDate}` : a.orderId;
  const booked = await deps.carriers.book({
    key,
    carrierCode: choice.code,
    region,
    weightKg,
    shipDate: a.shipDate,
    transitDays: choice.transitDays,
  });

  return sql.transaction(async (tx) => {
    const values = [carrier.id, booked.trackingNo, choice.cost, weightKg, new Date(booked.eta).toISOString(), new Date().toISOString()];
    if (existing)
      await tx.execute(
        `UPDATE shipments SET carrier_id = $2, tracking_no = $3, cost = $4::numeric, weight_kg = $5::numeric, eta = $6::timestamp(3),
                status = 'booked', booked_at = $7::timestamp(3), dispatched_at = NULL, delivered_at = NULL
          WHERE id = $1 AND status = 'cancelled'`,
        [existing.id, ...values],
      );
    else
      await tx.execute(
        `INSERT INTO shipments (id, order_id, carrier_id, tracking_no, cost, weight_kg, eta, status, booked_at)
         VALUES (gen_random_uuid()::text, $1, $2, $3, $4::numeric, $5::numeric, $6::timestamp(3), 'booked', $7::timestamp(3))
         ON CONFLICT DO NOTHING`,
        [a.orderId, ...values],
      );
    const [row] = await tx.query<Shipment & { carrier: { code: string; name: string } }>(SHIPMENT_WITH_CARRIER, [a.orderId]);
    if (!row || row.status === 'cancelled') throw new Error(`shipment of order ${order.orderNo} could not be recorded`);
    await writeAudit(tx, {
      key: `shipment:${a.orderId}:${row.trackingNo}`,
      actor: 'system',
      action: 'shipment.book',
      entity: 'shipment',
      entityId: row.id,
      orderNo: order.orderNo,
      before: existing ? { status: existing.status, trackingNo: existing.trackingNo } : null,
      after: { carrier: row.carrier.code, trackingNo: row.trackingNo, eta: row.eta.toISOString(), cost: row.cost.toFixed(2), weightKg },
    });
    return bookingView(row);
  });
}

async function lockShipment(tx: Sql, orderId: string) {
  const [shipment] = await tx.query<Shipment>(`SELECT * FROM shipments WHERE order_id = $1 FOR UPDATE`, [orderId]);
  const [order] = await tx.query<{ orderNo: string }>(`SELECT order_no FROM orders WHERE id = $1`, [orderId]);
  if (!order) throw notFound(`order ${orderId} not found`);
  if (!shipment) throw wrongStage(`order ${order.orderNo} has no carrier booking`);
  return { order, shipment };
}

export interface DispatchResult {
  /**
   * The ETA from the real dispatch time plus the carrier's transit days
   * (ISO), also stored on the shipment. The booking's ETA assumed the goods
   * left when it was booked; a later dispatch would raise false late-delivery
   * alerts. Absent from results recorded before it was added (old histories).
   */
  eta?: string;
}

/**
 * Loaded and dispatched: the reservations leave the warehouse and the ETA is
 * recomputed from the dispatch time. No-op once dispatched (returns the
 * stored ETA).
 */
export async function confirmDispatch(deps: ActivityDeps, a: { orderId: string; at: string; actor: string }): Promise<DispatchResult> {
  const at = toDate(a.at, 'at');
  return sqlOf(deps.prisma).transaction(async (tx) => {
    const { order, shipment } = await lockShipment(tx, a.orderId);
    if (shipment.status === 'dispatched' || shipment.status === 'delivered') return { eta: shipment.eta.toISOString() };
    if (shipment.status !== 'booked') throw wrongStage(`shipment of order ${order.orderNo} is ${shipment.status}`);
    const [carrier] = await tx.query<{ transitDays: number }>(`SELECT transit_days FROM carriers WHERE id = $1`, [shipment.carrierId]);
    const eta = addDays(at.toISOString(), carrier.transitDays);
    const consumed = (await settleReservations(tx, a.orderId, 'consumed')).map((r) => ({
      lineId: r.orderLineId,
      productId: r.productId,
      quantity: r.quantity,
    }));
    await tx.execute(`UPDATE shipments SET status = 'dispatched', dispatched_at = $2::timestamp(3), eta = $3::timestamp(3) WHERE id = $1`, [
      shipment.id,
      at.toISOString(),
      eta,
    ]);
    await writeAudit(tx, {
      key: `dispatch:${a.orderId}`,
      actor: a.actor,
      action: 'shipment.dispatch',
      entity: 'shipment',
      entityId: shipment.id,
      orderNo: order.orderNo,
      before: { status: shipment.status, eta: shipment.eta.toISOString() },
      after: { status: 'dispatched', dispatchedAt: a.at, eta, consumed },
    });
    return { eta };
  });
}

/** Delivered. No-op once delivered; refused before dispatch. */
export async function confirmDelivery(deps: ActivityDeps, a: { orderId: string; at: string; actor: string }): Promise<void> {
  const at = toDate(a.at, 'at');
  await sqlOf(deps.prisma).transaction(async (tx) => {
    const { order, shipment } = await lockShipment(tx, a.orderId);
    if (shipment.status === 'delivered') return;
    if (shipment.status !== 'dispatched')
      throw wrongStage(`shipment of order ${order.orderNo} is ${shipment.status}, not dispatched`);
    await tx.execute(`UPDATE shipments SET status = 'delivered', delivered_at = $2::timestamp(3) WHERE id = $1`, [shipment.id, at.toISOString()]);
    await writeAudit(tx, {
      key: `delivery:${a.orderId}`,
      actor: a.actor,
      action: 'shipment.deliver',
      entity: 'shipment',
      entityId: shipment.id,
      orderNo: order.orderNo,
      before: { status: shipment.status },
      after: { status: 'delivered', deliveredAt: a.at },
    });
  });
}
