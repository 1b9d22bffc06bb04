import { planProduction } from '../../workflows/domain/production';
import { createOrder, createStockedProduct } from './order-factory';
import { useActivityEnv, auditCount, type ActivityEnv } from './setup';

jest.setTimeout(60_000);

let env: ActivityEnv;
useActivityEnv((started) => {
  env = started;
});

const START = '2099-03-01T08:00:00.000Z';

async function orderWithShortfall(onHand: number, quantity: number, over: { makeToOrder?: boolean } = {}) {
  const p = await createStockedProduct(env.prisma, onHand, { leadTimeDays: 2, dailyCapacity: 5, ...over });
  const o = await createOrder(env.prisma, { customerId: env.fixture.customerId, lines: [{ productId: p.id, quantity }] });
  const { lines } = await env.acts.reserveStock({ orderId: o.id });
  const [po] = await env.acts.scheduleProduction({
    orderId: o.id,
    lines: lines.filter((l) => l.shortfall > 0).map((l) => ({ lineId: l.lineId, quantity: l.shortfall })),
    startAt: START,
  });
  return { p, o, po };
}

test('scheduleProduction: one production order per line, planned by lead time and capacity; a retry returns it', async () => {
  const { o, po } = await orderWithShortfall(2, 12); // shortfall 10: 2 days lead + 2 days making
  const plan = planProduction({ quantity: 10, leadTimeDays: 2, dailyCapacity: 5, startAt: START });
  expect(po).toEqual({
    productionOrderId: expect.any(String),
    productionNo: `PO-${o.orderNo.slice(3)}-01`,
    lineId: o.lines[0].id,
    quantity: 10,
    plannedFinish: plan.plannedFinish,
  });
  const again = await env.acts.scheduleProduction({ orderId: o.id, lines: [{ lineId: o.lines[0].id, quantity: 10 }], startAt: '2099-04-01T00:00:00.000Z' });
  expect(again).toEqual([po]);
  expect(await env.prisma.productionOrder.count({ where: { orderId: o.id } })).toBe(1);
  expect(await auditCount(env.prisma, `production:${o.lines[0].id}`)).toBe(1);
});

test('scheduleProduction: a line of another order is NotFound', async () => {
  const { o } = await orderWithShortfall(0, 1);
  await expect(env.acts.scheduleProduction({ orderId: o.id, lines: [{ lineId: 'other', quantity: 1 }], startAt: START })).rejects.toMatchObject({
    type: 'NotFound',
  });
});

test('reportProductionProgress: percent and in_progress; bad percent is BadInput', async () => {
  const { po } = await orderWithShortfall(0, 5);
  await env.acts.reportProductionProgress({ productionOrderId: po.productionOrderId, percent: 40, actor: 'production' });
  await env.acts.reportProductionProgress({ productionOrderId: po.productionOrderId, percent: 40, actor: 'production' });
  expect(await env.prisma.productionOrder.findUniqueOrThrow({ where: { id: po.productionOrderId } })).toMatchObject({
    percent: 40,
    status: 'in_progress',
  });
  expect(await env.prisma.auditEntry.count({ where: { entityId: po.productionOrderId, action: 'production.progress' } })).toBe(1);
  await expect(env.acts.reportProductionProgress({ productionOrderId: po.productionOrderId, percent: 140, actor: 'production' })).rejects.toMatchObject({
    type: 'BadInput',
    nonRetryable: true,
  });
  await expect(env.acts.reportProductionProgress({ productionOrderId: 'missing', percent: 10, actor: 'production' })).rejects.toMatchObject({
    type: 'NotFound',
  });
});

test('completeProduction: passing QC adds the quantity to stock and to the line reservation exactly once', async () => {
  const { p, o, po } = await orderWithShortfall(3, 8); // 3 reserved, 5 to make
  const done = { productionOrderId: po.productionOrderId, qcPassed: true, note: '质检合格', actor: 'production', at: '2099-03-06T10:00:00.000Z' };
  const first = await env.acts.completeProduction(done);
  const second = await env.acts.completeProduction(done);
  expect(first).toEqual({ status: 'completed', plannedFinish: po.plannedFinish });
  expect(second).toEqual(first);
  expect(await env.prisma.inventory.findUniqueOrThrow({ where: { productId: p.id } })).toMatchObject({ onHand: 8, reserved: 8 });
  expect(await env.prisma.reservation.findUniqueOrThrow({ where: { orderLineId: o.lines[0].id } })).toMatchObject({ quantity: 8, status: 'reserved' });
  const row = await env.prisma.productionOrder.findUniqueOrThrow({ where: { id: po.productionOrderId } });
  expect(row).toMatchObject({ status: 'completed', qcPassed: true, percent: 100, note: '质检合格' });
  expect(row.completedAt?.toISOString()).toBe(done.at);
  expect(await auditCount(env.prisma, `production-complete:${po.productionOrderId}`)).toBe(1);
});

test('completeProduction: a make-to-order product gets its stock row on completion', async () => {
  const { p, o, po } = await orderWithShortfall(0, 4, { makeToOrder: true });
  await env.acts.completeProduction({ productionOrderId: po.productionOrderId, qcPassed: true, actor: 'production', at: '2099-03-06T10:00:00.000Z' });
  expect(await env.prisma.inventory.findUniqueOrThrow({ where: { productId: p.id } })).toMatchObject({ onHand: 4, reserved: 4 });
  expect(await env.prisma.reservation.findUniqueOrThrow({ where: { orderLineId: o.lines[0].id } })).toMatchObject({ quantity: 4 });
});

test('completeProduction: failing QC means rework from `at`; a retry changes nothing; then it passes', async () => {
  const { p, po } = await orderWithShortfall(0, 5);
  const failed = { productionOrderId: po.productionOrderId, qcPassed: false, note: '尺寸超差，返工', actor: 'production', at: '2099-03-05T00:00:00.000Z' };
  const r1 = await env.acts.completeProduction(failed);
  const plan = planProduction({ quantity: 5, leadTimeDays: 2, dailyCapacity: 5, startAt: failed.at });
  expect(r1).toEqual({ status: 'rework', plannedFinish: plan.plannedFinish });
  expect(await env.acts.completeProduction(failed)).toEqual(r1);
  expect(await env.prisma.productionOrder.findUniqueOrThrow({ where: { id: po.productionOrderId } })).toMatchObject({
    status: 'rework',
    qcPassed: false,
    note: '尺寸超差，返工',
  });
  expect(await env.prisma.inventory.findUniqueOrThrow({ where: { productId: p.id } })).toMatchObject({ onHand: 0, reserved: 0 });

  const passed = await env.acts.completeProduction({ ...failed, qcPassed: true, note: 'ok', at: '2099-03-09T00:00:00.000Z' });
  expect(passed).toEqual({ status: 'completed', plannedFinish: plan.plannedFinish });
  expect(await env.prisma.inventory.findUniqueOrThrow({ where: { productId: p.id } })).toMatchObject({ onHand: 5, reserved: 5 });
});
