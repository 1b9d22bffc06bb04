/**
 * The activities behind changes, cancellation, holds, profit and risk
 * (issues 3 and 5), against the real PostgreSQL and a capturing SMTP server.
 * Each activity is run twice where Temporal could retry it: the second run
 * must land on the same rows.
 */
import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { createActivities, type CarrierAdapter } from '../../activities';
import { builtinCarrierAdapter, trackingNumber } from '../../activities/carriers/builtin';
import { orderTotals } from '../../workflows/domain/money';
import { planProduction } from '../../workflows/domain/production';
import { createFixture } from '../support/fixtures';
import { createOrder, createStockedProduct } from './order-factory';
import { useActivityEnv, auditCount, type ActivityEnv } from './setup';

jest.setTimeout(60_000);

let env: ActivityEnv;
useActivityEnv((started) => {
  env = started;
});

const order = (lines: { productId: string; quantity: number; unitPrice?: string }[], over: { customerId?: string; region?: string } = {}) =>
  createOrder(env.prisma, { customerId: over.customerId ?? env.fixture.customerId, region: over.region, requestedDeliveryDate: '2099-06-30', lines });

async function stock(productId: string) {
  const inv = await env.prisma.inventory.findUniqueOrThrow({ where: { productId } });
  const held = await env.prisma.reservation.aggregate({ where: { productId, status: 'reserved' }, _sum: { quantity: true } });
  return { onHand: inv.onHand, reserved: inv.reserved, sumOfReservations: held._sum.quantity ?? 0 };
}

const lineOf = (productId: string, quantity: number, unitPrice = '100.00', taxRate = '0.13') => ({ productId, quantity, unitPrice, taxRate });

// ---------------------------------------------------------------------------

describe('applyOrderChanges', () => {
  test('lines keyed by product: update, add, zero the left-out; totals, terms, date, address, contact; a retry changes nothing', async () => {
    const p1 = await createStockedProduct(env.prisma, 50);
    const p2 = await createStockedProduct(env.prisma, 50);
    const p3 = await createStockedProduct(env.prisma, 50);
    const o = await order([
      { productId: p1.id, quantity: 4 },
      { productId: p2.id, quantity: 3 },
    ]);
    const args = {
      orderId: o.id,
      orderNo: o.orderNo,
      key: 'correction:2099-01-01T00:00:00.000Z',
      kind: 'correction' as const,
      actor: 'sales',
      changes: {
        lines: [{ ...lineOf(p1.id, 6, '95.50'), specification: '蓝色' }, lineOf(p3.id, 2, '120.00', '0.09')],
        paymentTerms: 'NET_60',
        requestedDeliveryDate: '2099-07-15',
        deliveryAddress: { recipient: '李四', phone: '+86 10 1234 5678', region: '北京', city: '北京市', line1: '朝阳区建国路1号' },
        contact: { name: '李四', phone: '+86 10 1234 5678' },
      },
    };
    const first = await env.acts.applyOrderChanges(args);
    const totals = orderTotals([
      { quantity: 6, unitPrice: '95.50', taxRate: '0.13' },
      { quantity: 2, unitPrice: '120.00', taxRate: '0.09' },
    ]);
    const lines = await env.prisma.orderLine.findMany({ where: { orderId: o.id }, orderBy: { lineNo: 'asc' } });
    expect(lines.map((l) => [l.lineNo, l.productId, l.quantity, l.unitPrice.toFixed(2), l.taxRate.toFixed(2), l.specification])).toEqual([
      [1, p1.id, 6, '95.50', '0.13', '蓝色'],
      [2, p2.id, 0, '100.00', '0.13', null],
      [3, p3.id, 2, '120.00', '0.09', null],
    ]);
    expect(first).toEqual({
      totalAmount: totals.total,
      paymentTerms: 'NET_60',
      requestedDeliveryDate: '2099-07-15',
      lines: [
        { lineId: lines[0].id, productId: p1.id, sku: p1.sku, quantity: 6, unitPrice: '95.50', taxRate: '0.1300' },
        { lineId: lines[2].id, productId: p3.id, sku: p3.sku, quantity: 2, unitPrice: '120.00', taxRate: '0.0900' },
      ],
    });
    const row = await env.prisma.order.findUniqueOrThrow({ where: { id: o.id } });
    expect(row).toMatchObject({ paymentTerms: 'NET_60', contactName: '李四', contactEmail: 'wang@example.cn', correctionCount: 1 });
    expect(row.subtotal.toFixed(2)).toBe(totals.subtotal);
    expect(row.taxAmount.toFixed(2)).toBe(totals.tax);
    expect((row.deliveryAddress as { region: string }).region).toBe('北京');

    // A retry (same key) returns the same facts and writes nothing.
    expect(await env.acts.applyOrderChanges(args)).toEqual(first);
    expect(await env.prisma.orderLine.count({ where: { orderId: o.id } })).toBe(3);
    expect((await env.prisma.order.findUniqueOrThrow({ where: { id: o.id } })).correctionCount).toBe(1);
    expect(await auditCount(env.prisma, `apply:${o.id}:${args.key}`)).toBe(1);

    // A change (not a correction) does not count as a correction; a product back in the set reuses its line.
    const second = await env.acts.applyOrderChanges({ ...args, key: 'change:c2', kind: 'change', changes: { lines: [lineOf(p2.id, 1), lineOf(p1.id, 6, '95.50')] } });
    expect(second.lines.map((l) => [l.productId, l.quantity])).toEqual([
      [p1.id, 6],
      [p2.id, 1],
    ]);
    expect((await env.prisma.order.findUniqueOrThrow({ where: { id: o.id } })).correctionCount).toBe(1);
    expect(await env.prisma.orderLine.count({ where: { orderId: o.id } })).toBe(3);
  });

  test('unknown or inactive products and terms the customer may not use are BadInput naming the field, and change nothing', async () => {
    const f = await createFixture(env.prisma, { allowedPaymentTerms: ['NET_30'] });
    const p = await createStockedProduct(env.prisma, 5);
    const gone = await createStockedProduct(env.prisma, 5);
    await env.prisma.product.update({ where: { id: gone.id }, data: { active: false } });
    const o = await order([{ productId: p.id, quantity: 1 }], { customerId: f.customerId });
    const base = { orderId: o.id, orderNo: o.orderNo, kind: 'change' as const, actor: 'sales' };
    await expect(env.acts.applyOrderChanges({ ...base, key: 'k1', changes: { lines: [lineOf(`nope-${randomUUID()}`, 1)] } })).rejects.toMatchObject({
      type: 'BadInput',
      nonRetryable: true,
      details: [{ field: 'changes.lines[0].productId' }],
    });
    await expect(env.acts.applyOrderChanges({ ...base, key: 'k2', changes: { lines: [lineOf(p.id, 1), lineOf(gone.id, 1)] } })).rejects.toMatchObject({
      type: 'BadInput',
      details: [{ field: 'changes.lines[1].productId' }],
    });
    await expect(env.acts.applyOrderChanges({ ...base, key: 'k3', changes: { paymentTerms: 'NET_60' } })).rejects.toMatchObject({
      type: 'BadInput',
      details: [{ field: 'changes.paymentTerms' }],
    });
    await expect(env.acts.applyOrderChanges({ ...base, key: 'k4', changes: { lines: [{ ...lineOf(p.id, 0) }] } })).rejects.toMatchObject({
      type: 'BadInput',
      details: [{ field: 'changes.lines[0].quantity' }],
    });
    const row = await env.prisma.order.findUniqueOrThrow({ where: { id: o.id }, include: { lines: true } });
    expect(row.paymentTerms).toBe('NET_30');
    expect(row.totalAmount.toFixed(2)).toBe(o.totalAmount.toFixed(2));
    expect(row.lines).toHaveLength(1);
    await expect(env.acts.applyOrderChanges({ ...base, orderId: 'missing', key: 'k5', changes: { paymentTerms: 'NET_30' } })).rejects.toMatchObject({
      type: 'NotFound',
    });
  });

  test('financeCheck with changes judges the order as if changed, writing nothing', async () => {
    const f = await createFixture(env.prisma, { creditLimit: '5000.00', allowedPaymentTerms: ['NET_30'] });
    const p = await createStockedProduct(env.prisma, 50, { listPrice: '100.00', standardCost: '60.00' });
    const o = await order([{ productId: p.id, quantity: 10 }], { customerId: f.customerId }); // 1130.00
    const policy = { minMargin: '0.15', priceDeviation: '0.2' };
    const now = await env.acts.financeCheck({ orderId: o.id, ...policy });
    expect(now.credit.ok).toBe(true);
    const changed = await env.acts.financeCheck({
      orderId: o.id,
      ...policy,
      changes: { lines: [lineOf(p.id, 50, '65.00')], paymentTerms: 'NET_60' },
    });
    expect(changed.credit.exposure).toBe('3672.50'); // 50 x 65 x 1.13
    expect(changed.termsAllowed).toBe(false);
    expect(changed.price.marginOk).toBe(false);
    expect(changed.price.lines[0].farFromList).toBe(true);
    const over = await env.acts.financeCheck({ orderId: o.id, ...policy, changes: { lines: [lineOf(p.id, 50, '100.00')] } });
    expect(over.credit.ok).toBe(false);
    const row = await env.prisma.order.findUniqueOrThrow({ where: { id: o.id }, include: { lines: true } });
    expect(row.totalAmount.toFixed(2)).toBe('1130.00');
    expect(row.lines.map((l) => l.quantity)).toEqual([10]);
  });
});

describe('updateChangeRequest', () => {
  test('status, decided and applied times; retries; a missing request is NotFound', async () => {
    const o = await order([{ productId: env.fixture.inStockProductId, quantity: 1 }]);
    const cr = await env.prisma.changeRequest.create({
      data: { orderId: o.id, requestKey: `k-${randomUUID()}`, changes: { paymentTerms: 'NET_60' }, reason: '客户要求', requestedBy: 'sales' },
    });
    const base = { changeId: cr.id, orderNo: o.orderNo };
    await env.acts.updateChangeRequest({ ...base, status: 'under_review', note: 'reviewers: sales, finance' });
    await env.acts.updateChangeRequest({ ...base, status: 'under_review', note: 'reviewers: sales, finance' });
    expect(await env.prisma.changeRequest.findUniqueOrThrow({ where: { id: cr.id } })).toMatchObject({ status: 'under_review', decidedAt: null });
    await env.acts.updateChangeRequest({ ...base, status: 'applied', note: 'applied' });
    const applied = await env.prisma.changeRequest.findUniqueOrThrow({ where: { id: cr.id } });
    expect(applied.status).toBe('applied');
    expect(applied.decidedAt).not.toBeNull();
    expect(applied.appliedAt).not.toBeNull();
    await env.acts.updateChangeRequest({ ...base, status: 'applied', note: 'applied' });
    expect((await env.prisma.changeRequest.findUniqueOrThrow({ where: { id: cr.id } })).appliedAt).toEqual(applied.appliedAt);
    expect(await auditCount(env.prisma, `change:${cr.id}:applied`)).toBe(1);
    expect(await auditCount(env.prisma, `change:${cr.id}:under_review`)).toBe(1);
    await expect(env.acts.updateChangeRequest({ ...base, status: 'rejected', note: 'late' })).rejects.toMatchObject({ type: 'WrongStage' });
    await expect(env.acts.updateChangeRequest({ changeId: 'missing', orderNo: o.orderNo, status: 'rejected', note: 'x' })).rejects.toMatchObject({
      type: 'NotFound',
      nonRetryable: true,
    });
  });
});

// ---------------------------------------------------------------------------

describe('adjustPlan', () => {
  const at = '2099-05-01T08:00:00.000Z';

  test('up and down: reserves from stock, makes the rest, gives back the excess; never over-reserves; retries change nothing', async () => {
    const p = await createStockedProduct(env.prisma, 10, { leadTimeDays: 2, dailyCapacity: 5 });
    const o = await order([{ productId: p.id, quantity: 4 }]);
    await env.acts.reserveStock({ orderId: o.id });
    const change = (quantity: number, key: string) =>
      env.acts.applyOrderChanges({ orderId: o.id, orderNo: o.orderNo, key, kind: 'change', changes: { lines: [lineOf(p.id, quantity)] }, actor: 'sales' });

    await change(8, 'up-1');
    expect(await env.acts.adjustPlan({ orderId: o.id, at })).toEqual({ production: [] });
    expect(await stock(p.id)).toEqual({ onHand: 10, reserved: 8, sumOfReservations: 8 });

    // Another order takes 1 of the 2 left; this one then wants 12: 1 more from stock, 3 made.
    const other = await order([{ productId: p.id, quantity: 1 }]);
    await env.acts.reserveStock({ orderId: other.id });
    await change(12, 'up-2');
    const up = await env.acts.adjustPlan({ orderId: o.id, at });
    const plan = planProduction({ quantity: 3, leadTimeDays: 2, dailyCapacity: 5, startAt: at });
    expect(up.production).toEqual([
      { productionOrderId: expect.any(String), lineId: o.lines[0].id, quantity: 3, plannedFinish: plan.plannedFinish, percent: 0, status: 'planned' },
    ]);
    expect(await stock(p.id)).toEqual({ onHand: 10, reserved: 10, sumOfReservations: 10 });
    expect(await env.acts.adjustPlan({ orderId: o.id, at })).toEqual(up); // retry
    expect(await stock(p.id)).toEqual({ onHand: 10, reserved: 10, sumOfReservations: 10 });
    expect(await env.prisma.productionOrder.count({ where: { orderId: o.id } })).toBe(1);
    expect(await env.prisma.auditEntry.count({ where: { entityId: o.id, action: 'plan.adjust' } })).toBe(2); // up-1, up-2

    // Down to 3: 6 back to stock, the production order is no longer needed.
    await change(3, 'down');
    const at2 = '2099-05-02T08:00:00.000Z';
    expect(await env.acts.adjustPlan({ orderId: o.id, at: at2 })).toEqual({ production: [] });
    expect(await env.acts.adjustPlan({ orderId: o.id, at: at2 })).toEqual({ production: [] });
    expect(await stock(p.id)).toEqual({ onHand: 10, reserved: 4, sumOfReservations: 4 });
    expect(await env.prisma.productionOrder.findFirstOrThrow({ where: { orderId: o.id } })).toMatchObject({ status: 'cancelled' });
    expect(await env.prisma.reservation.findUniqueOrThrow({ where: { orderLineId: o.lines[0].id } })).toMatchObject({ quantity: 3, status: 'reserved' });

    // Up again beyond stock: the cancelled production order's row is planned again.
    await change(10, 'up-3');
    const again = await env.acts.adjustPlan({ orderId: o.id, at: at2 });
    expect(again.production).toMatchObject([{ quantity: 1, status: 'planned' }]);
    expect(await stock(p.id)).toEqual({ onHand: 10, reserved: 10, sumOfReservations: 10 });
  });

  test('make-to-order: the production order grows (re-planned) and shrinks; a new line is reserved and planned; a removed line gives back', async () => {
    const mto = await createStockedProduct(env.prisma, 0, { makeToOrder: true, leadTimeDays: 3, dailyCapacity: 2 });
    const p = await createStockedProduct(env.prisma, 5);
    const o = await order([
      { productId: mto.id, quantity: 4 },
      { productId: p.id, quantity: 2 },
    ]);
    await env.acts.reserveStock({ orderId: o.id });
    const [po] = await env.acts.scheduleProduction({ orderId: o.id, lines: [{ lineId: o.lines[0].id, quantity: 4 }], startAt: '2099-04-01T00:00:00.000Z' });
    const p2 = await createStockedProduct(env.prisma, 3);
    await env.acts.applyOrderChanges({
      orderId: o.id,
      orderNo: o.orderNo,
      key: 'mto-up',
      kind: 'change',
      changes: { lines: [lineOf(mto.id, 6), lineOf(p2.id, 5)] },
      actor: 'sales',
    });
    const at = '2099-04-05T00:00:00.000Z';
    const r = await env.acts.adjustPlan({ orderId: o.id, at });
    const lines = await env.prisma.orderLine.findMany({ where: { orderId: o.id }, orderBy: { lineNo: 'asc' } });
    expect(r.production).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ productionOrderId: po.productionOrderId, quantity: 6, plannedFinish: planProduction({ quantity: 6, leadTimeDays: 3, dailyCapacity: 2, startAt: at }).plannedFinish }),
        expect.objectContaining({ lineId: lines[2].id, quantity: 2, status: 'planned' }),
      ]),
    );
    expect(r.production).toHaveLength(2);
    expect(await stock(p.id)).toEqual({ onHand: 5, reserved: 0, sumOfReservations: 0 });
    expect(await stock(p2.id)).toEqual({ onHand: 3, reserved: 3, sumOfReservations: 3 });

    // Shrink: the production order keeps its dates.
    await env.acts.applyOrderChanges({ orderId: o.id, orderNo: o.orderNo, key: 'mto-down', kind: 'change', changes: { lines: [lineOf(mto.id, 1), lineOf(p2.id, 3)] }, actor: 'sales' });
    const down = await env.acts.adjustPlan({ orderId: o.id, at: '2099-04-06T00:00:00.000Z' });
    expect(down.production).toEqual([expect.objectContaining({ productionOrderId: po.productionOrderId, quantity: 1, plannedFinish: r.production.find((x) => x.productionOrderId === po.productionOrderId)!.plannedFinish })]);
    expect(await stock(p2.id)).toEqual({ onHand: 3, reserved: 3, sumOfReservations: 3 });
  });

  test('before stock preparation there is nothing to adjust; an unknown order is NotFound', async () => {
    const o = await order([{ productId: env.fixture.inStockProductId, quantity: 1 }]);
    expect(await env.acts.adjustPlan({ orderId: o.id, at: '2099-05-01T00:00:00.000Z' })).toEqual({ production: [] });
    expect(await env.prisma.reservation.count({ where: { orderId: o.id } })).toBe(0);
    await expect(env.acts.adjustPlan({ orderId: 'missing', at: '2099-05-01T00:00:00.000Z' })).rejects.toMatchObject({ type: 'NotFound' });
  });
});

// ---------------------------------------------------------------------------

describe('rebookCarrier and updateInvoiceAmount', () => {
  let regionA: string;
  let regionB: string;
  let codeA: string;
  let codeB: string;
  const cancelled: string[] = [];
  let acts: ReturnType<typeof createActivities>;
  beforeAll(async () => {
    const tag = randomUUID().slice(0, 6).toUpperCase();
    regionA = `测试甲${tag}`;
    regionB = `测试乙${tag}`;
    codeA = `RA${tag}`;
    codeB = `RB${tag}`;
    await env.prisma.carrier.create({
      data: { code: codeA, name: '甲快运', serviceAreas: [regionA], transitDays: 2, reliability: '0.980', rates: { create: [{ region: regionA, baseFee: '20.00', perKg: '1.0000' }] } },
    });
    await env.prisma.carrier.create({
      data: { code: codeB, name: '乙物流', serviceAreas: [regionB], transitDays: 3, reliability: '0.950', rates: { create: [{ region: regionB, baseFee: '30.00', perKg: '2.0000' }] } },
    });
    const recording: CarrierAdapter = {
      book: (req) => builtinCarrierAdapter.book(req),
      cancel: async (trackingNo) => {
        cancelled.push(trackingNo);
      },
    };
    acts = createActivities({ ...env.deps, carriers: recording });
  });

  test('rebookCarrier: new address and weight, new carrier; the old booking is cancelled; a retry returns the same booking', async () => {
    const p = await createStockedProduct(env.prisma, 20); // 2.5 kg
    const o = await order([{ productId: p.id, quantity: 4 }], { region: regionA });
    await acts.reserveStock({ orderId: o.id });
    const first = await acts.bookCarrier({ orderId: o.id, shipDate: '2099-06-01' });
    expect(first.carrierCode).toBe(codeA);

    await acts.applyOrderChanges({
      orderId: o.id,
      orderNo: o.orderNo,
      key: 'rebook',
      kind: 'change',
      changes: {
        lines: [lineOf(p.id, 6, '1000.00')],
        deliveryAddress: { recipient: '赵六', phone: '+86 20 1111 2222', region: regionB, city: '广州市', line1: '天河路1号' },
      },
      actor: 'sales',
    });
    const args = { orderId: o.id, key: 'chg-1', shipDate: '2099-06-02T00:00:00.000Z' };
    const rebooked = await acts.rebookCarrier(args);
    expect(rebooked).toEqual({
      shipmentId: first.shipmentId,
      carrierCode: codeB,
      carrierName: '乙物流',
      trackingNo: trackingNumber(codeB, `${o.id}:chg-1`),
      eta: '2099-06-05T00:00:00.000Z',
      cost: '60.00', // 30 + 2 x 15 kg
    });
    expect(cancelled).toEqual([first.trackingNo]);
    expect(await acts.rebookCarrier(args)).toEqual(rebooked);
    expect(cancelled).toEqual([first.trackingNo]);
    const s = await env.prisma.shipment.findUniqueOrThrow({ where: { orderId: o.id } });
    expect(s).toMatchObject({ status: 'booked', trackingNo: rebooked.trackingNo });
    expect(s.weightKg.toFixed(3)).toBe('15.000');
    expect(await auditCount(env.prisma, `rebook:${o.id}:chg-1`)).toBe(1);

    await acts.confirmDispatch({ orderId: o.id, at: '2099-06-02T09:00:00.000Z', actor: 'logistics' });
    await expect(acts.rebookCarrier({ ...args, key: 'chg-2' })).rejects.toMatchObject({ type: 'WrongStage' });
  });

  test('updateInvoiceAmount: the new total; paid when the payments cover it; retries change nothing', async () => {
    const p = await createStockedProduct(env.prisma, 20);
    const o = await order([{ productId: p.id, quantity: 10, unitPrice: '100.00' }]); // 1130.00
    const inv = await env.acts.issueInvoice({ orderId: o.id, issuedAt: '2099-06-01T00:00:00.000Z', dueDate: '2099-07-01T00:00:00.000Z' });
    await env.acts.recordPayment({ orderId: o.id, amount: '600.00', reference: 'BANK-1', paidAt: '2099-06-02T00:00:00.000Z', actor: 'finance' });
    const change = (q: number, key: string) =>
      env.acts.applyOrderChanges({ orderId: o.id, orderNo: o.orderNo, key, kind: 'change', changes: { lines: [lineOf(p.id, q)] }, actor: 'sales' });

    await change(20, 'inv-up'); // 2260.00
    expect(await env.acts.updateInvoiceAmount({ orderId: o.id })).toEqual({ amount: '2260.00', paidInFull: false });
    expect(await env.acts.updateInvoiceAmount({ orderId: o.id })).toEqual({ amount: '2260.00', paidInFull: false });
    expect(await env.prisma.invoice.findUniqueOrThrow({ where: { id: inv.invoiceId } })).toMatchObject({ status: 'open' });

    await change(5, 'inv-down'); // 565.00 < 600 paid
    expect(await env.acts.updateInvoiceAmount({ orderId: o.id })).toEqual({ amount: '565.00', paidInFull: true });
    const row = await env.prisma.invoice.findUniqueOrThrow({ where: { id: inv.invoiceId } });
    expect(row.status).toBe('paid');
    expect(row.amount.toFixed(2)).toBe('565.00');
    expect(await env.prisma.auditEntry.count({ where: { entity: 'invoice', entityId: inv.invoiceId, action: 'invoice.amount' } })).toBe(2);

    const none = await order([{ productId: p.id, quantity: 1 }]);
    await expect(env.acts.updateInvoiceAmount({ orderId: none.id })).rejects.toMatchObject({ type: 'WrongStage' });
  });
});

// ---------------------------------------------------------------------------

describe('compensation', () => {
  test('cancelling undoes everything: nothing left reserved, booked, in production or invoiced; retries are no-ops', async () => {
    const p = await createStockedProduct(env.prisma, 10);
    const mto = await createStockedProduct(env.prisma, 0, { makeToOrder: true });
    const mto2 = await createStockedProduct(env.prisma, 0, { makeToOrder: true });
    const o = await order([
      { productId: p.id, quantity: 4 },
      { productId: mto.id, quantity: 2 },
      { productId: mto2.id, quantity: 3 },
    ]);
    await env.acts.reserveStock({ orderId: o.id });
    const planned = await env.acts.scheduleProduction({
      orderId: o.id,
      lines: [
        { lineId: o.lines[1].id, quantity: 2 },
        { lineId: o.lines[2].id, quantity: 3 },
      ],
      startAt: '2099-05-01T00:00:00.000Z',
    });
    // The first production order is finished: its goods are in stock, reserved for the line.
    await env.acts.completeProduction({ productionOrderId: planned[0].productionOrderId, qcPassed: true, actor: 'production', at: '2099-05-05T00:00:00.000Z' });
    expect(await stock(mto.id)).toEqual({ onHand: 2, reserved: 2, sumOfReservations: 2 });
    const booking = await env.acts.bookCarrier({ orderId: o.id, shipDate: '2099-05-10' });
    const inv = await env.acts.issueInvoice({ orderId: o.id, issuedAt: '2099-05-01T00:00:00.000Z', dueDate: '2099-05-08T00:00:00.000Z' });

    const undo = async () => {
      const voided = await env.acts.voidInvoice({ orderId: o.id, actor: 'sales' });
      const shipment = await env.acts.cancelShipment({ orderId: o.id, actor: 'sales' });
      const production = await env.acts.cancelProductionOrders({ orderId: o.id, actor: 'sales' });
      const reservations = await env.acts.releaseReservations({ orderId: o.id, actor: 'sales' });
      return { voided, shipment, production, reservations };
    };
    expect(await undo()).toEqual({
      voided: { voided: true, refundDue: '0.00' },
      shipment: { cancelled: true },
      production: { cancelled: 1 },
      reservations: { released: 6 },
    });
    expect(await undo()).toEqual({
      voided: { voided: true, refundDue: '0.00' },
      shipment: { cancelled: false },
      production: { cancelled: 0 },
      reservations: { released: 0 },
    });

    expect(await stock(p.id)).toEqual({ onHand: 10, reserved: 0, sumOfReservations: 0 });
    expect(await stock(mto.id)).toEqual({ onHand: 2, reserved: 0, sumOfReservations: 0 });
    expect(await env.prisma.reservation.count({ where: { orderId: o.id, status: 'reserved' } })).toBe(0);
    expect((await env.prisma.productionOrder.findMany({ where: { orderId: o.id }, orderBy: { productionNo: 'asc' } })).map((x) => x.status)).toEqual([
      'completed',
      'cancelled',
    ]);
    expect(await env.prisma.shipment.findUniqueOrThrow({ where: { orderId: o.id } })).toMatchObject({ status: 'cancelled' });
    expect(await env.prisma.invoice.findUniqueOrThrow({ where: { orderId: o.id } })).toMatchObject({ status: 'void' });
    expect(await auditCount(env.prisma, `invoice-void:${inv.invoiceId}`)).toBe(1);
    expect(await auditCount(env.prisma, `shipment-cancel:${o.id}:${booking.trackingNo}`)).toBe(1);
    expect(await auditCount(env.prisma, `reservations-release:${o.id}`)).toBe(1);
    expect(await env.prisma.auditEntry.count({ where: { orderNo: o.orderNo, action: 'production.cancel' } })).toBe(1);
  });

  test('nothing done yet: every step is a no-op; a part-paid invoice is voided with the refund due; a dispatched shipment is refused', async () => {
    const o = await order([{ productId: env.fixture.inStockProductId, quantity: 1 }]);
    expect(await env.acts.voidInvoice({ orderId: o.id, actor: 'sales' })).toEqual({ voided: false, refundDue: '0.00' });
    expect(await env.acts.cancelShipment({ orderId: o.id, actor: 'sales' })).toEqual({ cancelled: false });
    expect(await env.acts.cancelProductionOrders({ orderId: o.id, actor: 'sales' })).toEqual({ cancelled: 0 });
    expect(await env.acts.releaseReservations({ orderId: o.id, actor: 'sales' })).toEqual({ released: 0 });

    const p = await createStockedProduct(env.prisma, 5);
    const paid = await order([{ productId: p.id, quantity: 2 }]);
    const inv = await env.acts.issueInvoice({ orderId: paid.id, issuedAt: '2099-05-01T00:00:00.000Z', dueDate: '2099-05-08T00:00:00.000Z' });
    await env.acts.recordPayment({ orderId: paid.id, amount: '50.00', reference: 'PRE-1', paidAt: '2099-05-02T00:00:00.000Z', actor: 'finance' });
    expect(await env.acts.voidInvoice({ orderId: paid.id, actor: 'sales' })).toEqual({ voided: true, refundDue: '50.00' });
    expect(await env.acts.voidInvoice({ orderId: paid.id, actor: 'sales' })).toEqual({ voided: true, refundDue: '50.00' });
    const audit = await env.prisma.auditEntry.findUniqueOrThrow({ where: { key: `invoice-void:${inv.invoiceId}` } });
    expect(audit.after).toMatchObject({ status: 'void', refundDue: '50.00' });

    await env.acts.reserveStock({ orderId: paid.id });
    await env.acts.bookCarrier({ orderId: paid.id, shipDate: '2099-05-10' });
    await env.acts.confirmDispatch({ orderId: paid.id, at: '2099-05-10T08:00:00.000Z', actor: 'logistics' });
    await expect(env.acts.cancelShipment({ orderId: paid.id, actor: 'sales' })).rejects.toMatchObject({ type: 'WrongStage', nonRetryable: true });
  });
});

// ---------------------------------------------------------------------------

describe('recordHold', () => {
  test('hold then release: the row, the order flag, audit; retries change nothing', async () => {
    const o = await order([{ productId: env.fixture.inStockProductId, quantity: 1 }]);
    const since = '2099-05-01T08:00:00.000Z';
    const key = `hold:${o.id}:${since}`;
    const hold = { orderId: o.id, orderNo: o.orderNo, key, action: 'hold' as const, stage: 'finance_review', reason: '信用审查', actor: 'finance_manager', at: since };
    await env.acts.recordHold(hold);
    await env.acts.recordHold(hold);
    expect(await env.prisma.orderHold.count({ where: { orderId: o.id } })).toBe(1);
    expect((await env.prisma.order.findUniqueOrThrow({ where: { id: o.id } })).onHold).toBe(true);

    const release = { ...hold, action: 'release' as const, reason: '已收款', actor: 'finance_manager', at: '2099-05-01T10:00:00.000Z', heldMs: 7_200_000 };
    await env.acts.recordHold(release);
    await env.acts.recordHold({ ...release, at: '2099-05-01T11:00:00.000Z' }); // a late retry changes nothing
    const row = await env.prisma.orderHold.findUniqueOrThrow({ where: { key } });
    expect(row).toMatchObject({ stage: 'finance_review', reason: '信用审查', heldBy: 'finance_manager', releaseReason: '已收款', releasedBy: 'finance_manager', heldMs: 7_200_000n });
    expect(row.releasedAt?.toISOString()).toBe('2099-05-01T10:00:00.000Z');
    expect((await env.prisma.order.findUniqueOrThrow({ where: { id: o.id } })).onHold).toBe(false);
    expect(await auditCount(env.prisma, `${key}:hold`)).toBe(1);
    expect(await auditCount(env.prisma, `${key}:release`)).toBe(1);
    await expect(env.acts.recordHold({ ...release, key: 'hold:none' })).rejects.toMatchObject({ type: 'NotFound' });
  });
});

describe('computeProfit', () => {
  test('revenue net of tax, standard cost of what shipped, shipping cost; one row per order', async () => {
    const p = await createStockedProduct(env.prisma, 20, { listPrice: '100.00', standardCost: '60.00' }); // 2.5 kg
    const q = await createStockedProduct(env.prisma, 20, { standardCost: '10.00' });
    const o = await order([
      { productId: p.id, quantity: 4, unitPrice: '100.00' },
      { productId: q.id, quantity: 2 },
    ]);
    // q's line left out by a change: it keeps its row with quantity 0.
    await env.acts.applyOrderChanges({ orderId: o.id, orderNo: o.orderNo, key: 'profit', kind: 'change', changes: { lines: [lineOf(p.id, 4, '100.00')] }, actor: 'sales' });
    await env.acts.reserveStock({ orderId: o.id });
    const booking = await env.acts.bookCarrier({ orderId: o.id, shipDate: '2099-06-01' });
    const closedAt = '2099-06-10T00:00:00.000Z';
    const first = await env.acts.computeProfit({ orderId: o.id, closedAt });
    const profit = new Decimal(160).minus(booking.cost);
    expect(first).toEqual({
      revenue: '400.00',
      costOfGoods: '240.00',
      shippingCost: booking.cost,
      profit: profit.toFixed(2),
      margin: profit.div(400).toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toFixed(4),
    });
    expect(await env.acts.computeProfit({ orderId: o.id, closedAt })).toEqual(first);
    const row = await env.prisma.orderProfit.findUniqueOrThrow({ where: { orderId: o.id } });
    expect([row.revenue.toFixed(2), row.costOfGoods.toFixed(2), row.profit.toFixed(2), row.margin.toFixed(4)]).toEqual([
      first.revenue,
      first.costOfGoods,
      first.profit,
      first.margin,
    ]);
    expect(await auditCount(env.prisma, `profit:${o.id}:${closedAt}`)).toBe(1);
  });
});

// ---------------------------------------------------------------------------

describe('assessRisks', () => {
  test('writes the register and the order level; one alert and one email per new high risk; none on re-run; closes what no longer applies', async () => {
    const f = await createFixture(env.prisma, { creditLimit: '1000.00' });
    const o = await order([{ productId: f.inStockProductId, quantity: 2, unitPrice: '1000.00' }], { customerId: f.customerId, region: f.region }); // 2260.00
    const first = await env.acts.assessRisks({ orderId: o.id, orderNo: o.orderNo });
    expect(first.level).toBe('high');
    expect(first.risks).toEqual([expect.objectContaining({ category: 'credit', code: 'over_limit', probability: 5, impact: 3, score: 15, level: 'high', owner: 'finance' })]);

    const risks = await env.prisma.risk.findMany({ where: { orderId: o.id } });
    expect(risks).toEqual([expect.objectContaining({ category: 'credit', code: 'over_limit', score: 15, level: 'high', status: 'open', owner: 'finance' })]);
    expect((await env.prisma.order.findUniqueOrThrow({ where: { id: o.id } })).riskLevel).toBe('high');
    const alertKey = `risk:${o.id}:credit:over_limit`;
    expect(await env.prisma.alert.findMany({ where: { orderId: o.id } })).toEqual([expect.objectContaining({ key: alertKey, kind: 'risk', role: 'finance' })]);
    const financeUsers = await env.prisma.user.findMany({ where: { role: 'finance', active: true } });
    expect(financeUsers.length).toBeGreaterThan(0);
    const mail = await env.smtp.waitFor((m) => m.subject.includes(o.orderNo) && m.text.includes('over_limit'));
    expect(financeUsers.map((u) => u.email)).toContain(mail.to[0]);
    const outbox = () => env.prisma.emailOutbox.count({ where: { orderId: o.id, key: { startsWith: `${alertKey}:` } } });
    expect(await outbox()).toBe(financeUsers.length);

    // Re-run (and retry): same register, no second alert, no second email.
    expect(await env.acts.assessRisks({ orderId: o.id, orderNo: o.orderNo })).toEqual(first);
    expect(await env.prisma.alert.count({ where: { orderId: o.id } })).toBe(1);
    expect(await outbox()).toBe(financeUsers.length);
    expect(await env.prisma.auditEntry.count({ where: { entityId: o.id, action: 'risk.assess' } })).toBe(1);

    // The credit limit is raised: the credit risk is closed, the order is low risk.
    await env.prisma.customer.update({ where: { id: f.customerId }, data: { creditLimit: '1000000.00' } });
    const after = await env.acts.assessRisks({ orderId: o.id, orderNo: o.orderNo });
    expect(after).toEqual({ level: 'low', risks: [] });
    expect(await env.prisma.risk.findFirstOrThrow({ where: { orderId: o.id } })).toMatchObject({ category: 'credit', status: 'closed' });
    expect((await env.prisma.order.findUniqueOrThrow({ where: { id: o.id } })).riskLevel).toBe('low');

    // Back over the limit: the row reopens; the same event raises no second alert.
    await env.prisma.customer.update({ where: { id: f.customerId }, data: { creditLimit: '1000.00' } });
    expect((await env.acts.assessRisks({ orderId: o.id, orderNo: o.orderNo })).level).toBe('high');
    expect(await env.prisma.risk.findFirstOrThrow({ where: { orderId: o.id } })).toMatchObject({ status: 'open', level: 'high' });
    expect(await env.prisma.alert.count({ where: { orderId: o.id } })).toBe(1);
    expect(await outbox()).toBe(financeUsers.length);
  });

  test('production, logistics and market facts: shortfall without a plan, a region nobody serves, a price below list', async () => {
    const mto = await createStockedProduct(env.prisma, 0, { makeToOrder: true, listPrice: '100.00', standardCost: '60.00' });
    const o = await order([{ productId: mto.id, quantity: 5, unitPrice: '75.00' }], { region: `无人区${randomUUID().slice(0, 6)}` });
    const r = await env.acts.assessRisks({ orderId: o.id, orderNo: o.orderNo });
    const byCategory = Object.fromEntries(r.risks.map((x) => [x.category, x.code]));
    expect(byCategory).toEqual({ production: 'not_planned', logistics: 'region_not_served', market: 'far_below_list' });
    expect(r.level).toBe('high'); // region not served: 5 x 4
    const rows = await env.prisma.risk.findMany({ where: { orderId: o.id }, orderBy: { category: 'asc' } });
    expect(rows.map((x) => [x.category, x.status])).toEqual([
      ['logistics', 'open'],
      ['market', 'open'],
      ['production', 'open'],
    ]);
    expect(await env.prisma.alert.count({ where: { orderId: o.id, kind: 'risk' } })).toBe(1);

    // Planned production late for the requested date.
    await env.acts.reserveStock({ orderId: o.id });
    await env.acts.scheduleProduction({ orderId: o.id, lines: [{ lineId: o.lines[0].id, quantity: 5 }], startAt: '2099-06-28T00:00:00.000Z' });
    const planned = await env.acts.assessRisks({ orderId: o.id, orderNo: o.orderNo });
    expect(planned.risks.find((x) => x.category === 'production')).toMatchObject({ code: 'late_for_requested_date', probability: 5 });
    await expect(env.acts.assessRisks({ orderId: 'missing', orderNo: 'SO-0000-000000' })).rejects.toMatchObject({ type: 'NotFound' });
  });
});
