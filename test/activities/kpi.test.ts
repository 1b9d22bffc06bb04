/**
 * KPIs per period (activities/kpi.ts) against the real database, with
 * expected values worked out by hand from a data set this file writes in
 * 2019, a year no other test touches (their rows are dated "now"), so every
 * count below is exactly this file's.
 *
 * The one company-wide figure is the inventory value (all products' stock):
 * its expected value is derived from the value at a later quiet period
 * (2019-12, after all of this file's movements and before anyone else's),
 * read in the same snapshot, plus this file's movements in between.
 *
 * The data set (times UTC; limits are the stored deadlines, held time in ms on
 * the transition leaving the stage):
 *
 * O1 created 03-04 09:00. sales_review (→03-05 09:00) left 03-04 15:00 ✓;
 *    finance_review (→03-05 15:00) left 03-05 10:00 ✓; joint_review (→03-07 10:00)
 *    left 03-06 08:00 ✓ = confirmation (47 h after intake ✓); stock_preparation
 *    (→03-08 08:00) left 03-09 08:00 ✗; shipping (→03-11 08:00) left 03-09 10:00 ✓
 *    (dispatched: A×3); in_transit (→03-19 10:00) left 03-12 10:00 ✓ (delivered);
 *    awaiting_payment (no limit) left 04-02 10:00 = closed: profit 950 / 1000 in APRIL.
 *    Feedback 5 (03-15) and 2 (04-05).
 * O2 created 03-10 08:00, corrected once. sales_review (→03-11 08:00) left 03-11 12:00 ✗;
 *    correction (→03-13 12:00) left 03-11 20:00 ✓; sales_review (→03-12 20:00) left
 *    03-13 12:00 after a 2-day hold ✓ (✗ without it); finance_review (→03-14 12:00) left
 *    03-14 06:00 ✓ = confirmation 94 h after intake, target 48 h + 48 h held ✓;
 *    stock_preparation (→03-16 06:00) left 04-01 06:00 ✗ (counts in April). Production
 *    B×4 completed 03-25. Complaint 04-03.
 * O3 created 03-20 10:00. sales_review (→03-21 10:00) left 03-20 16:00 ✓ = rejected.
 *    A change request with wrong data (rejected): not accurate.
 * O4 created 03-31 22:00 (March), sales_review (→04-01 22:00) left 04-01 08:00 ✓,
 *    finance_review (→04-02 08:00) left 04-01 20:00 ✓ = confirmation 22 h ✓: April.
 *    Invoiced, partly paid: no profit row. Production B×1 completed 04-10.
 * O5 created 02-25 10:00 (February). sales_review ✓, finance_review ✓, confirmation 02-26,
 *    stock_preparation ✓ (Feb), shipping (→03-01 09:00) left 03-01 08:00 ✓ (dispatched
 *    A×5 + B×2 = 150.00); in_transit (→03-11 08:00) left 03-05 08:00 ✓ (delivered);
 *    closed 03-25: profit 1800 / 2000 in March. Production B×2 completed 02-26.
 *    Feedback 3 (03-10), complaint 03-06.
 * O6 created 03-25 09:00. sales_review (→03-26 09:00) left 03-26 08:00 ✓; finance_review
 *    (→03-27 08:00) left 03-28 10:00 ✗ = confirmation 73 h ✗. A change request that
 *    is not about wrong data: still accurate.
 *
 * Product A standard cost 10.00, B 50.00.
 */
import { randomInt, randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { Prisma } from '../../generated/prisma/client';
import { queryKpis, type PeriodKpis } from '../../activities/kpi';
import { parsePeriod } from '../../workflows/domain/kpi';
import { createStockedProduct } from './order-factory';
import { useActivityEnv, auditCount, type ActivityEnv } from './setup';

jest.setTimeout(60_000);

let env: ActivityEnv;
let A: { id: string };
let B: { id: string };
let carrierId: string;
const ids: Record<string, string> = {};

const at = (s: string) => new Date(`2019-${s}:00.000Z`);
const DAY = 86_400_000;

type Step = [stage: string, at: string, deadline: string | null, heldMs?: number];

async function order(name: string, created: string, opts: { correctionCount?: number; lines: [product: { id: string }, qty: number][] }) {
  const orderNo = `SO-2019-${String(randomInt(1, 1_000_000_000)).padStart(9, '0')}`;
  const o = await env.prisma.order.create({
    data: {
      orderNo,
      idempotencyKey: `kpi-test-${randomUUID()}`,
      requestHash: 'kpi-test',
      customerId: env.fixture.customerId,
      channel: 'api',
      contactName: '王经理',
      orderDate: at(created),
      requestedDeliveryDate: new Date(at(created).getTime() + 14 * DAY),
      deliveryAddress: { recipient: '王经理', phone: '+86 21 5555 0101', region: '上海', city: '上海市', line1: '世纪大道100号' },
      paymentTerms: 'NET_30',
      subtotal: '1000.00',
      taxAmount: '130.00',
      totalAmount: '1130.00',
      stage: 'closed',
      stageEnteredAt: at(created),
      enteredBy: 'sales',
      workflowId: `order-${orderNo}`,
      createdAt: at(created),
      correctionCount: opts.correctionCount ?? 0,
      lines: { create: opts.lines.map(([p, quantity], i) => ({ lineNo: i + 1, productId: p.id, quantity, unitPrice: '100.00', taxRate: '0.13' })) },
    },
    include: { lines: { orderBy: { lineNo: 'asc' } } },
  });
  ids[name] = o.id;
  return o;
}

async function transitions(orderId: string, steps: Step[]) {
  await env.prisma.stageTransition.createMany({
    data: steps.map(([toStage, when, deadline, heldMs], i) => ({
      orderId,
      seq: i + 1,
      fromStage: i === 0 ? null : steps[i - 1][0],
      toStage,
      at: at(when),
      deadline: deadline ? at(deadline) : null,
      heldMs: BigInt(heldMs ?? 0),
    })),
  });
}

type Order = Awaited<ReturnType<typeof order>>;

/** Dispatched (and delivered) with every line's reservation consumed. */
async function shipped(o: Order, dispatched: string, delivered: string | null) {
  await env.prisma.shipment.create({
    data: {
      orderId: o.id,
      carrierId,
      trackingNo: `KPI-${randomUUID()}`,
      cost: '20.00',
      weightKg: '5.000',
      eta: at(dispatched),
      status: delivered ? 'delivered' : 'dispatched',
      bookedAt: at(dispatched),
      dispatchedAt: at(dispatched),
      deliveredAt: delivered ? at(delivered) : null,
    },
  });
  for (const l of o.lines)
    await env.prisma.reservation.create({ data: { orderId: o.id, orderLineId: l.id, productId: l.productId, quantity: l.quantity, status: 'consumed' } });
}

async function produced(o: Order, lineNo: number, completed: string) {
  const l = o.lines.find((x) => x.lineNo === lineNo)!;
  await env.prisma.productionOrder.create({
    data: {
      productionNo: `PO-KPI-${randomUUID()}`,
      orderId: o.id,
      orderLineId: l.id,
      productId: l.productId,
      quantity: l.quantity,
      plannedStart: at(completed),
      plannedFinish: at(completed),
      percent: 100,
      status: 'completed',
      qcPassed: true,
      completedAt: at(completed),
    },
  });
}

async function profit(o: Order, revenue: string, costOfGoods: string, shippingCost: string, closed: string) {
  const p = new Decimal(revenue).minus(costOfGoods).minus(shippingCost);
  await env.prisma.orderProfit.create({
    data: { orderId: o.id, currency: 'CNY', revenue, costOfGoods, shippingCost, profit: p.toFixed(2), margin: p.div(revenue).toFixed(4), closedAt: at(closed) },
  });
}

const feedback = (o: Order, rating: number, when: string) =>
  env.prisma.feedback.create({ data: { orderId: o.id, rating, createdBy: 'sales', createdAt: at(when) } });
const complaint = (o: Order, when: string) =>
  env.prisma.complaint.create({ data: { orderId: o.id, text: '包装破损', owner: 'sales', createdBy: 'sales', createdAt: at(when) } });
const changeRequest = (o: Order, wrongData: boolean, status: string) =>
  env.prisma.changeRequest.create({
    data: { orderId: o.id, requestKey: `kpi-${randomUUID()}`, changes: {}, reason: '地址有误', wrongData, requestedBy: 'sales', status },
  });

useActivityEnv(async (started) => {
  env = started;
  A = await createStockedProduct(env.prisma, 100, { standardCost: '10.00' });
  B = await createStockedProduct(env.prisma, 0, { standardCost: '50.00', makeToOrder: true });
  carrierId = (await env.prisma.carrier.findFirstOrThrow({ orderBy: { code: 'asc' } })).id;

  const o1 = await order('O1', '03-04T09:00', { lines: [[A, 3]] });
  await transitions(o1.id, [
    ['sales_review', '03-04T09:00', '03-05T09:00'],
    ['finance_review', '03-04T15:00', '03-05T15:00'],
    ['joint_review', '03-05T10:00', '03-07T10:00'],
    ['confirmation', '03-06T08:00', null],
    ['stock_preparation', '03-06T08:00', '03-08T08:00'],
    ['shipping', '03-09T08:00', '03-11T08:00'],
    ['in_transit', '03-09T10:00', '03-19T10:00'],
    ['awaiting_payment', '03-12T10:00', null],
    ['closed', '04-02T10:00', null],
  ]);
  await shipped(o1, '03-09T10:00', '03-12T10:00');
  await profit(o1, '1000.00', '30.00', '20.00', '04-02T10:00');
  await feedback(o1, 5, '03-15T12:00');
  await feedback(o1, 2, '04-05T12:00');

  const o2 = await order('O2', '03-10T08:00', { correctionCount: 1, lines: [[B, 4]] });
  await transitions(o2.id, [
    ['sales_review', '03-10T08:00', '03-11T08:00'],
    ['correction', '03-11T12:00', '03-13T12:00'],
    ['sales_review', '03-11T20:00', '03-12T20:00'],
    ['finance_review', '03-13T12:00', '03-14T12:00', 2 * DAY],
    ['confirmation', '03-14T06:00', null],
    ['stock_preparation', '03-14T06:00', '03-16T06:00'],
    ['shipping', '04-01T06:00', '04-03T06:00'],
  ]);
  await produced(o2, 1, '03-25T12:00');
  await complaint(o2, '04-03T12:00');

  const o3 = await order('O3', '03-20T10:00', { lines: [[A, 1]] });
  await transitions(o3.id, [
    ['sales_review', '03-20T10:00', '03-21T10:00'],
    ['rejected', '03-20T16:00', null],
  ]);
  await changeRequest(o3, true, 'rejected');

  const o4 = await order('O4', '03-31T22:00', { lines: [[B, 1]] });
  await transitions(o4.id, [
    ['sales_review', '03-31T22:00', '04-01T22:00'],
    ['finance_review', '04-01T08:00', '04-02T08:00'],
    ['confirmation', '04-01T20:00', null],
  ]);
  await produced(o4, 1, '04-10T12:00');
  // Partly paid: an open invoice with one payment, and no profit row until the order closes.
  await env.prisma.invoice.create({
    data: {
      invoiceNo: `INV-KPI-${randomUUID()}`,
      orderId: o4.id,
      customerId: env.fixture.customerId,
      amount: '1130.00',
      paid: '500.00',
      currency: 'CNY',
      issuedAt: at('04-01T20:00'),
      dueDate: at('05-01T00:00'),
      payments: { create: { amount: '500.00', reference: 'KPI-PART-1', paidAt: at('04-15T10:00'), recordedBy: 'finance' } },
    },
  });

  const o5 = await order('O5', '02-25T10:00', { lines: [[A, 5], [B, 2]] });
  await transitions(o5.id, [
    ['sales_review', '02-25T10:00', '02-26T10:00'],
    ['finance_review', '02-25T12:00', '02-26T12:00'],
    ['confirmation', '02-26T09:00', null],
    ['stock_preparation', '02-26T09:00', '02-28T09:00'],
    ['shipping', '02-27T09:00', '03-01T09:00'],
    ['in_transit', '03-01T08:00', '03-11T08:00'],
    ['awaiting_payment', '03-05T08:00', null],
    ['closed', '03-25T08:00', null],
  ]);
  await produced(o5, 2, '02-26T20:00');
  await shipped(o5, '03-01T08:00', '03-05T08:00');
  await profit(o5, '2000.00', '150.00', '50.00', '03-25T08:00');
  await feedback(o5, 3, '03-10T12:00');
  await complaint(o5, '03-06T12:00');

  const o6 = await order('O6', '03-25T09:00', { lines: [[A, 2]] });
  await transitions(o6.id, [
    ['sales_review', '03-25T09:00', '03-26T09:00'],
    ['finance_review', '03-26T08:00', '03-27T08:00'],
    ['confirmation', '03-28T10:00', null],
  ]);
  await changeRequest(o6, false, 'applied');
});

const v = (value: string | null, numerator: string, denominator: string) => ({ value, numerator, denominator });

describe('computeKpis, March 2019', () => {
  let k: PeriodKpis;
  beforeAll(async () => {
    k = await env.acts.computeKpis({ period: '2019-03' });
  });

  test('the period', () => {
    expect(k).toMatchObject({ period: '2019-03', kind: 'month', start: '2019-03-01T00:00:00.000Z', end: '2019-04-01T00:00:00.000Z' });
  });

  test('timeliness: stages finished in March within their limit (held time extends it), per department', () => {
    // sales_review 5 (4 ✓), correction 1 (1), finance_review 3 (2), joint_review 1 (1),
    // stock_preparation 1 (0), shipping 2 (2), in_transit 2 (2).
    expect(k.kpis.timeliness.overall).toEqual(v('0.8000', '12', '15'));
    expect(k.kpis.timeliness.departments).toEqual({
      sales: v('0.8333', '5', '6'),
      finance: v('0.7500', '3', '4'), // finance_review 3 + joint_review 1
      production: v('0.5000', '1', '2'), // stock_preparation 1 + joint_review 1
      logistics: v('1.0000', '5', '5'), // shipping 2 + in_transit 2 + joint_review 1
    });
  });

  test('intake to confirmation: O1 47 h ✓, O2 94 h ≤ 48 h + 48 h held ✓, O6 73 h ✗ (O4 confirmed in April, O5 in February)', () => {
    expect(k.kpis.intakeToConfirmation.overall).toEqual(v('0.6667', '2', '3'));
    expect(k.basis.intakeToConfirmationTargetMs).toBe(2 * DAY);
  });

  test('accuracy: orders created in March (O4 too, confirmed in April) without a correction or a wrong-data change', () => {
    expect(k.kpis.accuracy.overall).toEqual(v('0.6000', '3', '5'));
  });

  test('satisfaction: ratings given in March; complaints filed in March per order delivered in March', () => {
    expect(k.kpis.averageRating.overall).toEqual(v('4.00', '8', '2'));
    expect(k.kpis.complaintRate.overall).toEqual(v('0.5000', '1', '2'));
  });

  test('profit margin: only orders closed in March (O1 closes in April, O4 is only partly paid)', () => {
    expect(k.kpis.profitMargin.overall).toEqual(v('0.9000', '1800.00', '2000.00'));
  });

  test('inventory turnover: cost of goods shipped in March / mean of the value at its start and end', async () => {
    // Both reports from one snapshot: the company-wide stock cannot move between them.
    const [march, december] = await env.prisma.$transaction(
      async (tx) => [await queryKpis(tx, parsePeriod('2019-03')), await queryKpis(tx, parsePeriod('2019-12'))],
      { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead },
    );
    // December 2019 is quiet: nothing moves in it, so its opening and closing value are the same.
    expect(december.basis.closingInventoryValue).toBe(december.basis.openingInventoryValue);
    expect(december.kpis.inventoryTurnover.overall.numerator).toBe('0.00');
    const dec = new Decimal(december.basis.openingInventoryValue);
    // Since 1 March: produced O2 B×4 (200) + O4 B×1 (50); shipped O1 A×3 (30) + O5 A×5, B×2 (150).
    const opening = dec.minus(250).plus(180);
    // Since 1 April: produced O4 B×1 (50).
    const closing = dec.minus(50);
    const average = opening.plus(closing).div(2);
    expect(march.basis.openingInventoryValue).toBe(opening.toFixed(2));
    expect(march.basis.closingInventoryValue).toBe(closing.toFixed(2));
    expect(march.kpis.inventoryTurnover.overall).toEqual(
      v(new Decimal(180).div(average).toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toFixed(4), '180.00', average.toFixed(2)),
    );
    // And the activity (its own snapshot) agrees on the cost of goods shipped.
    expect(k.kpis.inventoryTurnover.overall.numerator).toBe('180.00');
  });
});

describe('computeKpis across period boundaries', () => {
  test('April: O2 stock preparation and O4 reviews finish in April; O1 profit counts at its close', async () => {
    const k = await env.acts.computeKpis({ period: '2019-04' });
    // O2 stock_preparation ✗, O4 sales_review ✓, O4 finance_review ✓.
    expect(k.kpis.timeliness.overall).toEqual(v('0.6667', '2', '3'));
    expect(k.kpis.timeliness.departments?.production).toEqual(v('0.0000', '0', '1'));
    expect(k.kpis.intakeToConfirmation.overall).toEqual(v('1.0000', '1', '1'));
    // Nobody ordered in April.
    expect(k.kpis.accuracy.overall).toEqual(v(null, '0', '0'));
    expect(k.kpis.averageRating.overall).toEqual(v('2.00', '2', '1'));
    // A complaint (O2) but nothing delivered in April: no rate.
    expect(k.kpis.complaintRate.overall).toEqual(v(null, '1', '0'));
    expect(k.kpis.profitMargin.overall).toEqual(v('0.9500', '950.00', '1000.00'));
    expect(k.kpis.inventoryTurnover.overall.numerator).toBe('0.00');
  });

  test('Q1 adds February (O5 sales_review, finance_review, stock_preparation ✓ and its confirmation)', async () => {
    const k = await env.acts.computeKpis({ period: '2019-Q1' });
    expect(k).toMatchObject({ period: '2019-Q1', kind: 'quarter', start: '2019-01-01T00:00:00.000Z', end: '2019-04-01T00:00:00.000Z' });
    expect(k.kpis.timeliness.overall).toEqual(v('0.8333', '15', '18'));
    expect(k.kpis.timeliness.departments?.production).toEqual(v('0.6667', '2', '3'));
    // O5 confirmed 23 h after intake.
    expect(k.kpis.intakeToConfirmation.overall).toEqual(v('0.7500', '3', '4'));
    expect(k.kpis.accuracy.overall).toEqual(v('0.6667', '4', '6'));
    expect(k.kpis.profitMargin.overall).toEqual(v('0.9000', '1800.00', '2000.00'));
  });

  test('the year 2019: both closes', async () => {
    const k = await env.acts.computeKpis({ period: '2019' });
    expect(k.kpis.timeliness.overall).toEqual(v('0.8095', '17', '21'));
    expect(k.kpis.profitMargin.overall).toEqual(v('0.9167', '2750.00', '3000.00'));
    expect(k.kpis.averageRating.overall).toEqual(v('3.33', '10', '3'));
    expect(k.kpis.complaintRate.overall).toEqual(v('1.0000', '2', '2'));
  });

  test('a period with no orders: every KPI null with a 0 denominator (turnover: nothing shipped)', async () => {
    const k = await env.acts.computeKpis({ period: '2019-08' });
    const none = v(null, '0', '0');
    expect(k.kpis.timeliness).toEqual({ overall: none, departments: { sales: none, finance: none, production: none, logistics: none } });
    expect(k.kpis.intakeToConfirmation.overall).toEqual(none);
    expect(k.kpis.accuracy.overall).toEqual(none);
    expect(k.kpis.averageRating.overall).toEqual(none);
    expect(k.kpis.complaintRate.overall).toEqual(none);
    expect(k.kpis.profitMargin.overall).toEqual(v(null, '0.00', '0.00'));
    expect(k.kpis.inventoryTurnover.overall.numerator).toBe('0.00');
  });

  test('a bad period is refused, naming it', async () => {
    await expect(env.acts.computeKpis({ period: '2019-13' })).rejects.toThrow(/month must be 01-12/);
    await expect(env.acts.computeKpis({ period: 'March' })).rejects.toMatchObject({ type: 'BadInput' });
  });
});

describe('archiveKpis', () => {
  test('stores the period once; later runs return it unchanged even when the data changed', async () => {
    const first = await env.acts.archiveKpis({ period: '2019-04' });
    const live = await env.acts.computeKpis({ period: '2019-04' });
    expect({ ...first, computedAt: 'x' }).toEqual({ ...live, computedAt: 'x' });
    expect(await env.prisma.kpiArchive.findUnique({ where: { period: '2019-04' } })).toMatchObject({ kind: 'month' });
    expect(await auditCount(env.prisma, 'kpi:2019-04')).toBe(1);

    // The data changes after the close: a late rating and a corrected profit.
    await feedback({ id: ids.O1 } as Order, 1, '04-20T12:00');
    await env.prisma.orderProfit.update({ where: { orderId: ids.O1 }, data: { profit: '500.00' } });
    const changed = await env.acts.computeKpis({ period: '2019-04' });
    expect(changed.kpis.averageRating.overall).toEqual(v('1.50', '3', '2'));
    expect(changed.kpis.profitMargin.overall.value).toBe('0.5000');

    const again = await env.acts.archiveKpis({ period: '2019-04' });
    expect(again).toEqual(first);
    expect(again.kpis.averageRating.overall).toEqual(v('2.00', '2', '1'));
    expect(await env.prisma.kpiArchive.count({ where: { period: '2019-04' } })).toBe(1);
    expect(await auditCount(env.prisma, 'kpi:2019-04')).toBe(1);
  });

  test('concurrent closes of one period store one row and agree', async () => {
    const [a, b, c] = await Promise.all(['2019-05', '2019-05', '2019-05'].map((period) => env.acts.archiveKpis({ period })));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(await env.prisma.kpiArchive.count({ where: { period: '2019-05' } })).toBe(1);
    expect(await auditCount(env.prisma, 'kpi:2019-05')).toBe(1);
  });

  test('a period that has not ended is not archived', async () => {
    await expect(env.acts.archiveKpis({ period: '2099-01' })).rejects.toThrow(/has not ended/);
    await expect(env.acts.archiveKpis({ period: '2099-Q5' })).rejects.toMatchObject({ type: 'BadInput' });
    expect(await env.prisma.kpiArchive.count({ where: { period: '2099-01' } })).toBe(0);
  });
});
