/**
 * Issue 10, finding 7: the stages whose limits follow a plan (stock
 * preparation: the production plan; in transit: the ETA) and their
 * non-default timeout actions, and dunning after a change reopens a paid
 * invoice. Driven through the API against the real stack.
 *
 * Plans are measured in days (production takes at least a day, a carrier at
 * least its transit days), so this stack shrinks the plan itself: the
 * production plan's finish is the moment production is scheduled (the real
 * scheduleProduction runs and writes its rows; only the finish the workflow
 * is told is now), and a carrier with 0 transit days serves this file's own
 * region. The graces, escalation and action intervals are a second each.
 */
import { randomUUID } from 'node:crypto';
import { createFixture, type Fixture } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/stack';
import { api, intakeBody, orderHandle, placeOrder, waitForState } from '../support/orders';
import { until } from '../support/poll';

jest.setTimeout(300_000);

const SAME_DAY_REGION = `当日达省${randomUUID().slice(0, 6)}`;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    policy: {
      jointReviewThreshold: '100000',
      contractSignature: 'never',
      earlyWarning: '0s',
      productionGrace: '1s',
      deliveryGrace: '1s',
      stages: {
        stock_preparation: { limit: '1h', escalateAfter: '1s', actionAfter: '1s', timeoutAction: 'reject', assignee: 'production', manager: 'sales_manager' },
        // Goods on the road can be neither rejected nor cancelled: whatever the action says, a late delivery needs a person.
        in_transit: { limit: '1h', escalateAfter: '1s', actionAfter: '1s', timeoutAction: 'cancel', assignee: 'logistics', manager: 'sales_manager' },
      },
      // The prepayment invoice falls due 8 s after it is issued; the reminders follow it.
      paymentTerms: { PREPAYMENT: { creditPeriod: '8s', prepayment: true } },
      dunning: [
        { code: 'friendly', offset: '-3s' },
        { code: 'overdue_1', offset: '1s' },
        { code: 'final', offset: '1h', final: true },
      ],
    },
    activities: (real) => ({
      ...real,
      // The production plan finishes as soon as it is made (see the file's comment).
      scheduleProduction: async (a: Parameters<typeof real.scheduleProduction>[0]) =>
        (await real.scheduleProduction(a)).map((p) => ({ ...p, plannedFinish: a.startAt })),
    }),
  });
  const carrier = await stack.prisma.carrier.create({
    data: { code: `SD${randomUUID().slice(0, 6).toUpperCase()}`, name: '当日达测试快运', serviceAreas: [SAME_DAY_REGION], transitDays: 0, reliability: '0.990' },
  });
  await stack.prisma.carrierRate.create({ data: { carrierId: carrier.id, region: SAME_DAY_REGION, baseFee: '20.00', perKg: '1.0000' } });
});
afterAll(async () => {
  await stack?.stop();
});

const approve = (orderNo: string, stage: 'sales' | 'finance') =>
  api(stack, 'POST', `/orders/${orderNo}/reviews/${stage}`, { decision: 'approve' }, stage === 'sales' ? 'sales_manager' : 'finance');

const mailsTo = (f: Fixture, orderNo: string) => stack.smtp.messages.filter((m) => m.to.includes(f.customerEmail) && m.subject.includes(orderNo));

async function healthy(orderNo: string): Promise<void> {
  const history = await orderHandle(stack, orderNo).fetchHistory();
  expect((history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
}

test('stock preparation past the plan with timeoutAction "reject": rejected, production cancelled, stock released, nothing booked or delivered', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f, {
    lines: [
      { productId: f.inStockProductId, quantity: 3, unitPrice: '1200.00', taxRate: '0.13' },
      { productId: f.mtoProductId, quantity: 1, unitPrice: '6000.00', taxRate: '0.13' },
    ],
  });
  expect((await approve(orderNo, 'sales')).status).toBe(200);
  expect((await approve(orderNo, 'finance')).status).toBe(200);
  await waitForState(stack, orderNo, (s) => s.stage === 'stock_preparation' && s.production.length > 0);
  expect((await stack.prisma.inventory.findUniqueOrThrow({ where: { productId: f.inStockProductId } })).reserved).toBe(3);

  // Plan finish + 1 s grace, then escalated, then the action: rejected (before, the action was ignored).
  const end = await waitForState(stack, orderNo, (s) => s.stage === 'rejected', 30_000);
  expect(end.outcome).toMatch(/production did not finish in time/);
  expect(end.alerts.filter((a) => a.startsWith('stock_preparation'))).toEqual(
    expect.arrayContaining(['stock_preparation:reminded', 'stock_preparation:escalated', 'stock_preparation:timed_out']),
  );
  const order = await until(
    'the read model to say rejected',
    async () => {
      const v = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo }, include: { productionOrders: true, shipment: true } });
      return v.stage === 'rejected' && v;
    },
    30_000,
  );
  expect(order.productionOrders.map((p) => p.status)).toEqual(['cancelled']);
  expect(order.shipment).toBeNull();
  expect((await stack.prisma.inventory.findUniqueOrThrow({ where: { productId: f.inStockProductId } })).reserved).toBe(0);
  await stack.smtp.waitFor((m) => m.to.includes(f.customerEmail) && m.subject.includes(orderNo) && /未能受理|unable to accept/.test(m.subject));
  expect(mailsTo(f, orderNo).some((m) => /已发货|已送达|shipped|delivered/i.test(m.subject))).toBe(false);
  await healthy(orderNo);
});

test('in transit past ETA + grace with timeoutAction "cancel": the order needs attention (exception), nothing is cancelled or said delivered', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f, {
    deliveryAddress: { ...(intakeBody(f).deliveryAddress as object), region: SAME_DAY_REGION },
  });
  expect((await approve(orderNo, 'sales')).status).toBe(200);
  expect((await approve(orderNo, 'finance')).status).toBe(200);
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment);
  expect((await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics')).status).toBe(200);

  const state = await waitForState(stack, orderNo, (s) => s.stage === 'exception', 30_000);
  expect(state.exception).toMatchObject({ stage: 'in_transit', step: 'delivery' });
  expect(state.shipment!.deliveredAt).toBeUndefined();
  const order = await until(
    'the read model to say exception',
    async () => {
      const v = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo }, include: { shipment: true, invoice: true } });
      return v.stage === 'exception' && v;
    },
    30_000,
  );
  // The goods left: the shipment stands, the invoice stands, nothing was cancelled or delivered.
  expect(order.shipment!.status).not.toBe('cancelled');
  expect(order.shipment!.deliveredAt).toBeNull();
  expect(order.invoice!.status).not.toBe('void');
  expect(mailsTo(f, orderNo).some((m) => /已送达|已取消|delivered|cancelled/i.test(m.subject))).toBe(false);
  // Logistics (the stage's assignee) and its manager are alerted.
  const alerts = await until(
    'the exception alerts',
    async () => {
      const v = await stack.prisma.alert.findMany({ where: { order: { orderNo }, kind: 'exception' } });
      return v.length >= 2 && v;
    },
    30_000,
  );
  expect(alerts.map((a) => a.role).sort()).toEqual(['logistics', 'sales_manager']);

  // A delivery is confirmed only after a person resolves the exception ("retry" re-opens in_transit).
  const early = await api(stack, 'POST', `/orders/${orderNo}/delivery`, {}, 'logistics');
  expect(early.status).toBe(409);
  expect(early.body.message).toMatch(/exception/);
  await healthy(orderNo);
});

test('a change that raises a paid prepayment invoice reopens it: shipping waits for payment again and dunning resumes', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f, { paymentTerms: 'PREPAYMENT' });
  expect((await approve(orderNo, 'sales')).status).toBe(200);
  expect((await approve(orderNo, 'finance')).status).toBe(200);
  // The prepayment invoice goes out at confirmation; pay it in full at once.
  const waiting = await waitForState(stack, orderNo, (s) => !!s.invoice, 60_000);
  const invoice = waiting.invoice!;
  const paid = await api(stack, 'POST', `/orders/${orderNo}/payments`, { amount: invoice.amount, reference: `PRE-${randomUUID().slice(0, 8)}`, paidAt: new Date().toISOString() }, 'finance');
  expect(paid.status).toBe(200);
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping', 60_000);
  const remindersBefore = await stack.prisma.dunningReminder.count({ where: { invoiceId: invoice.invoiceId } });

  // One more unit: the total rises above what was paid.
  const filed = await api(
    stack,
    'POST',
    `/orders/${orderNo}/changes`,
    { reason: '客户追加一台', changes: { lines: [{ productId: f.inStockProductId, quantity: 3, unitPrice: '1200.00', taxRate: '0.13' }] } },
    'sales',
    { 'idempotency-key': `chg-${randomUUID()}` },
  );
  expect(filed.status).toBe(201);
  for (const department of ['production', 'logistics', 'finance'])
    expect((await api(stack, 'POST', `/orders/${orderNo}/changes/${filed.body.changeId}/reviews`, { department, decision: 'approve' }, department)).status).toBe(200);

  const reopened = await waitForState(stack, orderNo, (s) => s.stage === 'awaiting_prepayment' && s.invoice!.amount !== invoice.amount, 60_000);
  expect(Number(reopened.invoice!.amount)).toBeGreaterThan(Number(invoice.amount));
  expect((await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics')).status).toBe(409);
  // The ladder goes on from where it stopped (before, it ended with the first full payment).
  const after = await until(
    'a dunning reminder for the reopened invoice',
    async () => {
      const v = await stack.prisma.dunningReminder.findMany({ where: { invoiceId: invoice.invoiceId } });
      return v.length > remindersBefore && v;
    },
    90_000,
  );
  expect(after.length).toBeGreaterThan(remindersBefore);
  // Catching up sends only the newest level that is due, never the whole ladder at once.
  expect(after.map((r) => r.level)).not.toContain('final');

  const rest = (Number(reopened.invoice!.amount) - Number(invoice.amount)).toFixed(2);
  expect((await api(stack, 'POST', `/orders/${orderNo}/payments`, { amount: rest, reference: `PRE-${randomUUID().slice(0, 8)}`, paidAt: new Date().toISOString() }, 'finance')).status).toBe(200);
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping', 60_000);
  await healthy(orderNo);
});
