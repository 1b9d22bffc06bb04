import { randomUUID } from 'node:crypto';
import { builtinCarrierAdapter, trackingNumber } from '../../activities/carriers/builtin';
import { createOrder, createStockedProduct } from './order-factory';
import { useActivityEnv, auditCount, type ActivityEnv } from './setup';

jest.setTimeout(60_000);

let env: ActivityEnv;
let region: string;
let code: string;
useActivityEnv(async (started) => {
  env = started;
  // A region and carriers of this file's own, so the choice does not depend on seed data.
  const tag = randomUUID().slice(0, 6).toUpperCase();
  region = `测试省${tag}`;
  code = `TC${tag}`;
  await env.prisma.carrier.create({
    data: {
      code,
      name: '顺风测试快运',
      serviceAreas: [region],
      transitDays: 2,
      reliability: '0.980',
      rates: { create: [{ region, baseFee: '20.00', perKg: '1.5000' }] },
    },
  });
  await env.prisma.carrier.create({
    data: {
      code: `TX${tag}`,
      name: 'Pricier Express',
      serviceAreas: [region],
      transitDays: 2,
      reliability: '0.990',
      rates: { create: [{ region, baseFee: '80.00', perKg: '3.0000' }] },
    },
  });
});

async function readyOrder(quantity = 4, onHand = 10) {
  const p = await createStockedProduct(env.prisma, onHand); // 2.5 kg each
  const o = await createOrder(env.prisma, {
    customerId: env.fixture.customerId,
    region,
    requestedDeliveryDate: '2099-06-30',
    lines: [{ productId: p.id, quantity }],
  });
  await env.acts.reserveStock({ orderId: o.id });
  return { p, o };
}

test('builtin adapter: tracking number from the key, ETA = ship date + transit days', async () => {
  const req = { key: 'order-1', carrierCode: 'SF', region: '上海', weightKg: '1', shipDate: '2099-05-01', transitDays: 3 };
  const a = await builtinCarrierAdapter.book(req);
  expect(a).toEqual({ trackingNo: trackingNumber('SF', 'order-1'), eta: '2099-05-04T00:00:00.000Z' });
  expect(a.trackingNo).toMatch(/^SF\d{10}$/);
  expect(await builtinCarrierAdapter.book(req)).toEqual(a);
  expect((await builtinCarrierAdapter.book({ ...req, key: 'order-2' })).trackingNo).not.toBe(a.trackingNo);
  await expect(builtinCarrierAdapter.cancel(a.trackingNo)).resolves.toBeUndefined();
});

test('bookCarrier: the cheapest carrier in time; a retry returns the same booking', async () => {
  const { o } = await readyOrder(4);
  const first = await env.acts.bookCarrier({ orderId: o.id, shipDate: '2099-06-01' });
  expect(first).toEqual({
    shipmentId: expect.any(String),
    carrierCode: code,
    carrierName: '顺风测试快运',
    trackingNo: trackingNumber(code, o.id),
    eta: '2099-06-03T00:00:00.000Z',
    cost: '35.00', // 20 + 1.5 x 10 kg
  });
  const again = await env.acts.bookCarrier({ orderId: o.id, shipDate: '2099-06-02' });
  expect(again).toEqual(first);
  expect(await env.prisma.shipment.count({ where: { orderId: o.id } })).toBe(1);
  expect(await env.prisma.shipment.findUniqueOrThrow({ where: { orderId: o.id } })).toMatchObject({ status: 'booked' });
  expect(await auditCount(env.prisma, `shipment:${o.id}:${first.trackingNo}`)).toBe(1);
});

test('bookCarrier: a region nobody serves is BadInput', async () => {
  const p = await createStockedProduct(env.prisma, 1);
  const o = await createOrder(env.prisma, { customerId: env.fixture.customerId, region: `无人区${randomUUID()}`, lines: [{ productId: p.id, quantity: 1 }] });
  await expect(env.acts.bookCarrier({ orderId: o.id, shipDate: '2099-06-01' })).rejects.toMatchObject({ type: 'BadInput', nonRetryable: true });
});

test('confirmDispatch consumes the reservations once; confirmDelivery follows it', async () => {
  const { p, o } = await readyOrder(4, 10);
  await expect(env.acts.confirmDispatch({ orderId: o.id, at: '2099-06-01T09:00:00.000Z', actor: 'logistics' })).rejects.toMatchObject({
    type: 'WrongStage',
  });
  await env.acts.bookCarrier({ orderId: o.id, shipDate: '2099-06-01' });
  await expect(env.acts.confirmDelivery({ orderId: o.id, at: '2099-06-03T09:00:00.000Z', actor: 'logistics' })).rejects.toMatchObject({
    type: 'WrongStage',
    nonRetryable: true,
  });

  const dispatch = { orderId: o.id, at: '2099-06-01T09:00:00.000Z', actor: 'logistics' };
  await env.acts.confirmDispatch(dispatch);
  await env.acts.confirmDispatch(dispatch);
  expect(await env.prisma.inventory.findUniqueOrThrow({ where: { productId: p.id } })).toMatchObject({ onHand: 6, reserved: 0 });
  expect(await env.prisma.reservation.findUniqueOrThrow({ where: { orderLineId: o.lines[0].id } })).toMatchObject({ status: 'consumed', quantity: 4 });
  let s = await env.prisma.shipment.findUniqueOrThrow({ where: { orderId: o.id } });
  expect(s.status).toBe('dispatched');
  expect(s.dispatchedAt?.toISOString()).toBe(dispatch.at);
  expect(await auditCount(env.prisma, `dispatch:${o.id}`)).toBe(1);

  const delivery = { orderId: o.id, at: '2099-06-03T15:00:00.000Z', actor: 'logistics' };
  await env.acts.confirmDelivery(delivery);
  await env.acts.confirmDelivery(delivery);
  s = await env.prisma.shipment.findUniqueOrThrow({ where: { orderId: o.id } });
  expect(s.status).toBe('delivered');
  expect(s.deliveredAt?.toISOString()).toBe(delivery.at);
  expect(await auditCount(env.prisma, `delivery:${o.id}`)).toBe(1);
  await env.acts.confirmDispatch(dispatch); // after delivery: still a no-op
  expect(await env.prisma.inventory.findUniqueOrThrow({ where: { productId: p.id } })).toMatchObject({ onHand: 6, reserved: 0 });
});

test('logistics confirmations for an unknown order are NotFound', async () => {
  await expect(env.acts.confirmDispatch({ orderId: 'missing', at: '2099-06-01T09:00:00.000Z', actor: 'logistics' })).rejects.toMatchObject({
    type: 'NotFound',
  });
});
