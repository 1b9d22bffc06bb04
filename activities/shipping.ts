/**
 * Shipping (SPEC 3.7): choose and book a carrier, confirm dispatch (which
 * consumes the order's reservations) and delivery. One shipment per order
 * (unique orderId): a retried booking returns the existing one, and the
 * carrier adapter is itself idempotent by key (the order id).
 */
import type { ActivityDeps } from './index';
import { chooseCarrier, type CarrierOption } from '../workflows/domain/carriers';
import { fixed, money } from '../workflows/domain/money';
import { TX, badInput, notFound, toDate, wrongStage, writeAudit, type Db } from './audit';
import { consumeReservations } from './inventory';

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
export async function carrierOptions(db: Db) {
  const carriers = await db.carrier.findMany({ where: { active: true }, include: { rates: true }, orderBy: { code: 'asc' } });
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
  db: Db,
  order: Parameters<typeof shipmentSpec>[0] & { requestedDeliveryDate: Date },
  shipDate: string,
) {
  const { region, weightKg } = shipmentSpec(order);
  const { carriers, options } = await carrierOptions(db);
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

export async function bookCarrier(deps: ActivityDeps, a: { orderId: string; shipDate: string }): Promise<Booking> {
  const { prisma } = deps;
  toDate(a.shipDate, 'shipDate');
  const existing = await prisma.shipment.findUnique({ where: { orderId: a.orderId }, include: { carrier: true } });
  if (existing && existing.status !== 'cancelled') return bookingView(existing);

  const order = await prisma.order.findUnique({
    where: { id: a.orderId },
    include: { lines: { include: { product: { select: { weightKg: true } } } } },
  });
  if (!order) throw notFound(`order ${a.orderId} not found`);
  const { region, weightKg, choice, carrier } = await chooseCarrierFor(prisma, order, a.shipDate);

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

  return prisma.$transaction(async (tx) => {
    const data = {
      carrierId: carrier.id,
      trackingNo: booked.trackingNo,
      cost: choice.cost,
      weightKg,
      eta: new Date(booked.eta),
      status: 'booked',
      bookedAt: new Date(),
      dispatchedAt: null,
      deliveredAt: null,
    };
    if (existing) await tx.shipment.updateMany({ where: { id: existing.id, status: 'cancelled' }, data });
    else await tx.shipment.createMany({ data: [{ orderId: a.orderId, ...data }], skipDuplicates: true });
    const row = await tx.shipment.findUnique({ where: { orderId: a.orderId }, include: { carrier: true } });
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
  }, TX);
}

async function lockShipment(tx: Db, orderId: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM shipments WHERE order_id = ${orderId} FOR UPDATE`;
  const order = await tx.order.findUnique({ where: { id: orderId }, select: { orderNo: true } });
  if (!order) throw notFound(`order ${orderId} not found`);
  if (rows.length === 0) throw wrongStage(`order ${order.orderNo} has no carrier booking`);
  const shipment = await tx.shipment.findUniqueOrThrow({ where: { id: rows[0].id } });
  return { order, shipment };
}

/** Loaded and dispatched: the reservations leave the warehouse. No-op once dispatched. */
export async function confirmDispatch(deps: ActivityDeps, a: { orderId: string; at: string; actor: string }): Promise<void> {
  const at = toDate(a.at, 'at');
  await deps.prisma.$transaction(async (tx) => {
    const { order, shipment } = await lockShipment(tx, a.orderId);
    if (shipment.status === 'dispatched' || shipment.status === 'delivered') return;
    if (shipment.status !== 'booked') throw wrongStage(`shipment of order ${order.orderNo} is ${shipment.status}`);
    const consumed = await consumeReservations(tx, a.orderId);
    await tx.shipment.update({ where: { id: shipment.id }, data: { status: 'dispatched', dispatchedAt: at } });
    await writeAudit(tx, {
      key: `dispatch:${a.orderId}`,
      actor: a.actor,
      action: 'shipment.dispatch',
      entity: 'shipment',
      entityId: shipment.id,
      orderNo: order.orderNo,
      before: { status: shipment.status },
      after: { status: 'dispatched', dispatchedAt: a.at, consumed },
    });
  }, TX);
}

/** Delivered. No-op once delivered; refused before dispatch. */
export async function confirmDelivery(deps: ActivityDeps, a: { orderId: string; at: string; actor: string }): Promise<void> {
  const at = toDate(a.at, 'at');
  await deps.prisma.$transaction(async (tx) => {
    const { order, shipment } = await lockShipment(tx, a.orderId);
    if (shipment.status === 'delivered') return;
    if (shipment.status !== 'dispatched')
      throw wrongStage(`shipment of order ${order.orderNo} is ${shipment.status}, not dispatched`);
    await tx.shipment.update({ where: { id: shipment.id }, data: { status: 'delivered', deliveredAt: at } });
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
  }, TX);
}
