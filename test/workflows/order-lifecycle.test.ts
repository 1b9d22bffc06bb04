/**
 * The order workflow end to end against the real dev server, PostgreSQL and
 * an SMTP server: what the departments do through the API, what the order
 * records, and what the customer and staff receive.
 */
import { createFixture } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/stack';
import { api, placeOrder, recordHistory, waitForStage, waitForState, liveState } from '../support/orders';

jest.setTimeout(120_000);

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const mailsFor = (orderNo: string) => stack.smtp.messages.filter((m) => m.subject.includes(orderNo));

test('happy path: intake to paid, with every record and email', async () => {
  const f = await createFixture(stack.prisma, { onHand: 50 });
  const orderNo = await placeOrder(stack, f);
  await waitForStage(stack, orderNo, 'sales_review');

  const sales = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve', comment: '资料齐全' }, 'sales');
  expect(sales).toMatchObject({ status: 200, body: { orderNo, stage: 'finance_review' } });
  const fin = await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance');
  expect(fin.status).toBe(200);

  // In stock: reserved at once, carrier booked, waiting for logistics to dispatch.
  const shipping = await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment);
  expect(shipping.shortfallLines).toEqual([]);
  expect(shipping.shipment!.trackingNo).toMatch(/^[A-Z]+\d{10}$/);
  const inv = await stack.prisma.inventory.findUniqueOrThrow({ where: { productId: f.inStockProductId } });
  expect(inv).toMatchObject({ onHand: 50, reserved: 2 });

  expect((await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics')).body).toMatchObject({ stage: 'in_transit' });
  const afterDispatch = await stack.prisma.inventory.findUniqueOrThrow({ where: { productId: f.inStockProductId } });
  expect(afterDispatch).toMatchObject({ onHand: 48, reserved: 0 });

  const inTransit = await waitForState(stack, orderNo, (s) => !!s.invoice);
  const total = inTransit.invoice!.amount;
  expect(total).toBe('2712.00'); // 2 × 1200.00 + 13 % tax

  // Partial payment while in transit, then delivery, then the rest.
  const part = await api(stack, 'POST', `/orders/${orderNo}/payments`, { amount: '1000.00', reference: 'BANK-1', paidAt: new Date().toISOString() }, 'finance');
  expect(part.body).toMatchObject({ outstanding: '1712.00', paidInFull: false });
  expect((await api(stack, 'POST', `/orders/${orderNo}/delivery`, {}, 'logistics')).body).toMatchObject({ stage: 'awaiting_payment' });
  const rest = await api(stack, 'POST', `/orders/${orderNo}/payments`, { amount: '1712.00', reference: 'BANK-2', paidAt: new Date().toISOString() }, 'finance');
  expect(rest.body).toMatchObject({ outstanding: '0.00', paidInFull: true });

  const closed = await waitForStage(stack, orderNo, 'closed');
  expect(closed.decisions.map((d) => [d.stage, d.decision, d.actor])).toEqual([
    ['sales_review', 'approve', 'sales'],
    ['finance_review', 'approve', 'finance'],
  ]);
  const result = await stack.client.workflow.getHandle(`order-${orderNo}`).result();
  expect(result.outcome).toMatch(/^closed/);

  // The read model agrees with the workflow.
  const order = await stack.prisma.order.findUniqueOrThrow({
    where: { orderNo },
    include: { transitions: { orderBy: { seq: 'asc' } }, shipment: true, invoice: { include: { payments: true } }, reservations: true, reviews: true },
  });
  expect(order.stage).toBe('closed');
  expect(order.closedAt).not.toBeNull();
  expect(order.transitions.map((t) => t.toStage)).toEqual([
    'sales_review', 'finance_review', 'confirmation', 'stock_preparation', 'shipping', 'in_transit', 'awaiting_payment', 'closed',
  ]);
  expect(order.shipment).toMatchObject({ status: 'delivered' });
  expect(order.invoice!.status).toBe('paid');
  expect(order.invoice!.paid.toFixed(2)).toBe('2712.00');
  expect(order.invoice!.payments).toHaveLength(2);
  expect(order.reservations.map((r) => r.status)).toEqual(['consumed']);
  expect(order.reviews).toHaveLength(2);

  // Cost and profit, computed once at close: revenue net of tax, standard cost of goods, shipping.
  const profit = await stack.prisma.orderProfit.findUniqueOrThrow({ where: { orderId: order.id } });
  const shippingCost = order.shipment!.cost.toFixed(2);
  expect(profit.revenue.toFixed(2)).toBe('2400.00');
  expect(profit.costOfGoods.toFixed(2)).toBe('1200.00'); // 2 × standard cost 600.00
  expect(profit.shippingCost.toFixed(2)).toBe(shippingCost);
  expect(profit.profit.toFixed(2)).toBe((2400 - 1200 - Number(shippingCost)).toFixed(2));

  // The customer heard about each step, once (the last mails may still be on their way from the outbox).
  for (let i = 0; i < 100 && mailsFor(orderNo).filter((m) => m.to.includes(f.customerEmail)).length < 6; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300)); // a duplicate would have arrived by now
  const subjects = mailsFor(orderNo).filter((m) => m.to.includes(f.customerEmail)).map((m) => m.subject);
  expect(subjects.length).toBe(6); // confirmation, shipping, invoice, 2 × payment received, delivery
  expect(new Set(mailsFor(orderNo).map((m) => m.messageId)).size).toBe(mailsFor(orderNo).length);
  const audit = await stack.prisma.auditEntry.count({ where: { orderNo } });
  expect(audit).toBeGreaterThanOrEqual(8);
  await recordHistory(stack, orderNo, 'happy-path');
});

test('rejection in sales review ends the order and tells the customer; later decisions get 409', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f);
  await waitForStage(stack, orderNo, 'sales_review');

  const early = await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance');
  expect(early.status).toBe(409);

  const noReason = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'reject' }, 'sales');
  expect(noReason.status).toBe(400);
  expect(noReason.body.field).toBe('comment');

  const rej = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'reject', comment: '客户资料不全' }, 'sales');
  expect(rej).toMatchObject({ status: 200, body: { stage: 'rejected' } });
  const again = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales');
  expect(again.status).toBe(409);

  const order = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo } });
  expect(order.stage).toBe('rejected');
  expect(order.outcome).toContain('客户资料不全');
  const mail = await stack.smtp.waitFor((m) => m.subject.includes(orderNo));
  expect(mail.text).toContain('客户资料不全');
  expect(await stack.prisma.reservation.count({ where: { orderId: order.id } })).toBe(0);
  await recordHistory(stack, orderNo, 'sales-rejection');
});

test('finance review refuses approval over the credit limit', async () => {
  const f = await createFixture(stack.prisma, { creditLimit: '1000.00' });
  const orderNo = await placeOrder(stack, f);
  await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales');
  await waitForStage(stack, orderNo, 'finance_review');
  const res = await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance');
  expect(res.status).toBe(409);
  expect(res.body.message).toMatch(/credit exposure 2712.00 exceeds the limit/);
  expect((await liveState(stack, orderNo)).stage).toBe('finance_review');
  const rej = await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'reject', comment: 'over credit limit' }, 'finance');
  expect(rej.body.stage).toBe('rejected');
  await recordHistory(stack, orderNo, 'finance-credit-refusal');
});

test('out of stock: the shortfall goes to production, rework on failed QC, then ships', async () => {
  const f = await createFixture(stack.prisma, { onHand: 3 });
  const orderNo = await placeOrder(stack, f, {
    lines: [
      { productId: f.inStockProductId, quantity: 5, unitPrice: '1200.00', taxRate: '0.13' },
      { productId: f.mtoProductId, quantity: 40, unitPrice: '5200.00', taxRate: '0.13' },
    ],
    paymentTerms: 'NET_30',
    // Far enough out that 40 made-to-order units (4 a day) are not a high production risk.
    requestedDeliveryDate: new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10),
  });
  await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales');
  await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance');
  const prep = await waitForState(stack, orderNo, (s) => s.stage === 'stock_preparation' && s.production.length === 2);
  expect(prep.shortfallLines).toHaveLength(2);

  // Never over-reserved: the 3 on hand are reserved, 2 + 40 are made.
  const inv = await stack.prisma.inventory.findUniqueOrThrow({ where: { productId: f.inStockProductId } });
  expect(inv.reserved).toBe(3);
  const pos = await stack.prisma.productionOrder.findMany({ where: { order: { orderNo } }, orderBy: { quantity: 'asc' } });
  expect(pos.map((p) => p.quantity)).toEqual([2, 40]);

  const [small, big] = pos;
  expect((await api(stack, 'POST', `/production-orders/${big.id}/progress`, { percent: 50 }, 'production')).status).toBe(200);
  expect((await api(stack, 'POST', `/production-orders/${small.id}/complete`, { qcPassed: true }, 'production')).status).toBe(200);
  const rework = await api(stack, 'POST', `/production-orders/${big.id}/complete`, { qcPassed: false, note: '尺寸超差' }, 'production');
  expect(rework.status).toBe(200);
  expect((await liveState(stack, orderNo)).stage).toBe('stock_preparation');
  expect((await stack.prisma.productionOrder.findUniqueOrThrow({ where: { id: big.id } })).status).toBe('rework');
  expect((await api(stack, 'POST', `/production-orders/${big.id}/complete`, { qcPassed: true }, 'production')).status).toBe(200);

  await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment);
  const again = await api(stack, 'POST', `/production-orders/${big.id}/complete`, { qcPassed: true }, 'production');
  expect(again.status).toBe(409);
  const reservations = await stack.prisma.reservation.findMany({ where: { order: { orderNo } } });
  expect(reservations.map((r) => r.quantity).sort((a, b) => a - b)).toEqual([5, 40]);
  await recordHistory(stack, orderNo, 'production-rework');
});

test('a stage that runs out of time warns, reminds, escalates, then takes its timeout action', async () => {
  const quick = await startTestStack({
    policy: {
      earlyWarning: '1s',
      // Seconds apart, with room for a loaded machine: each level must be seen by a poll (the alert's
      // write runs in the workflow task that raises it, a local activity, so a query sees it after that).
      stages: { sales_review: { limit: '3s', escalateAfter: '4s', actionAfter: '4s', timeoutAction: 'reject' } },
    },
  });
  try {
    const f = await createFixture(quick.prisma);
    const orderNo = await placeOrder(quick, f);
    await waitForState(quick, orderNo, (s) => s.escalation === 'warned', 20_000);
    const reminded = await waitForState(quick, orderNo, (s) => s.escalation === 'reminded', 20_000);
    expect(reminded.stage).toBe('sales_review');
    await waitForState(quick, orderNo, (s) => s.escalation === 'escalated', 20_000);
    const end = await waitForStage(quick, orderNo, 'rejected', 20_000);
    expect(end.outcome).toMatch(/timed out/);

    const order = await quick.prisma.order.findUniqueOrThrow({ where: { orderNo }, include: { alerts: { orderBy: { createdAt: 'asc' } } } });
    expect(order.alerts.map((a) => [a.kind, a.role])).toEqual([
      ['warned', 'sales'],
      ['reminded', 'sales'],
      ['escalated', 'sales_manager'],
      ['timed_out', 'sales_manager'],
    ]);
    // Staff mails leave the outbox moments after the alerts are written.
    await quick.smtp.waitFor((m) => m.subject.includes(orderNo) && m.to.includes('sales@example.com'));
    await quick.smtp.waitFor((m) => m.subject.includes(orderNo) && m.to.includes('sales_manager@example.com'));
    await recordHistory(quick, orderNo, 'stage-timeout');
  } finally {
    await quick.stop();
  }
});
