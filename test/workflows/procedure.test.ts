/**
 * Every other path an order can take (issue 3): joint review, return for
 * correction, change requests before and after confirmation, cancellation
 * with compensation, hold and release, prepayment, the dunning ladder with
 * credit hold, progress updates, and continue-as-new keeping history short.
 * Real dev server, PostgreSQL and SMTP; departments act through the API or
 * the order's updates, exactly as the API does.
 */
import { randomUUID } from 'node:crypto';
import { createFixture, type Fixture } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/stack';
import { api, orderHandle, placeOrder, recordHistory, refusal, waitForStage, waitForState, liveState } from '../support/orders';
import {
  cancelOrder,
  correctOrder,
  fileChange,
  holdOrder,
  jointReview,
  releaseOrder,
  reviewChange,
} from '../../workflows/order/contract';

jest.setTimeout(180_000);

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    policy: { jointReviewThreshold: '100000' },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const approve = async (orderNo: string, stage: 'sales' | 'finance') =>
  api(stack, 'POST', `/orders/${orderNo}/reviews/${stage}`, { decision: 'approve' }, stage === 'sales' ? 'sales' : 'finance');

async function toShipping(f: Fixture, over: Record<string, unknown> = {}): Promise<string> {
  const orderNo = await placeOrder(stack, f, over);
  await approve(orderNo, 'sales');
  await approve(orderNo, 'finance');
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment);
  return orderNo;
}

async function fileAndApprove(orderNo: string, changes: object, reviewers: string[]) {
  const h = orderHandle(stack, orderNo);
  const changeId = `chg-${randomUUID()}`;
  const filed = await h.executeUpdate(fileChange, { args: [{ changeId, changes: changes as any, reason: '客户来函变更', actor: 'sales' }] });
  expect(filed.pending.sort()).toEqual([...reviewers].sort());
  let last;
  for (const department of reviewers)
    last = await h.executeUpdate(reviewChange, { args: [{ changeId, department: department as any, decision: 'approve', actor: `${department}_lead` }] });
  return { changeId, result: last! };
}

test('joint review: a big order needs production, logistics and finance; all approve', async () => {
  const f = await createFixture(stack.prisma, { onHand: 200 });
  const orderNo = await placeOrder(stack, f, { lines: [{ productId: f.inStockProductId, quantity: 100, unitPrice: '1200.00', taxRate: '0.13' }] });
  await approve(orderNo, 'sales');
  await approve(orderNo, 'finance');
  const s = await waitForStage(stack, orderNo, 'joint_review');
  expect(s.jointReviewReasons.join(' ')).toMatch(/threshold/i);

  const h = orderHandle(stack, orderNo);
  const first = await h.executeUpdate(jointReview, { args: [{ department: 'production', decision: 'approve', actor: 'production' }] });
  expect(first.pending.sort()).toEqual(['finance', 'logistics']);
  expect((await liveState(stack, orderNo)).joint!.production.decision).toBe('approve');
  expect(await refusal(h.executeUpdate(jointReview, { args: [{ department: 'production', decision: 'approve', actor: 'production' }] }))).toMatchObject({
    type: 'WrongStage',
    message: expect.stringMatching(/already decided/),
  });
  await h.executeUpdate(jointReview, { args: [{ department: 'logistics', decision: 'approve', actor: 'logistics' }] });
  const last = await h.executeUpdate(jointReview, { args: [{ department: 'finance', decision: 'approve', actor: 'finance' }] });
  expect(last.pending).toEqual([]);
  const decisions = await stack.prisma.reviewDecision.findMany({ where: { order: { orderNo }, stage: 'joint_review' } });
  expect(decisions.map((d) => d.department).sort()).toEqual(['finance', 'logistics', 'production']);

  // A jointly reviewed order waits for the signed contract (policy contractSignature: joint_review).
  await waitForStage(stack, orderNo, 'contract_signature');
  const scan = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from('signed contract scan')]);
  const signed = await api(stack, 'POST', `/orders/${orderNo}/contract/signature`, {
    signedOn: new Date().toISOString().slice(0, 10),
    signer: '王经理',
    scan: { fileName: 'signed.pdf', contentBase64: scan.toString('base64') },
  }, 'sales');
  expect(signed).toMatchObject({ status: 201, body: { signed: true, complete: false, contract: { version: 1 } } });
  expect((await liveState(stack, orderNo)).stage).toBe('contract_signature'); // finance has not confirmed yet
  const confirmed = await api(stack, 'POST', `/orders/${orderNo}/contract/finance-confirmation`, { comment: '条款无误' }, 'finance');
  expect(confirmed).toMatchObject({ status: 200, body: { complete: true } });
  await waitForState(stack, orderNo, (st) => ['stock_preparation', 'shipping'].includes(st.stage));
  await recordHistory(stack, orderNo, 'joint-review-approved');
});

test('joint review: one rejection rejects the order', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f, { special: true });
  await approve(orderNo, 'sales');
  await approve(orderNo, 'finance');
  await waitForStage(stack, orderNo, 'joint_review');
  const res = await orderHandle(stack, orderNo).executeUpdate(jointReview, {
    args: [{ department: 'logistics', decision: 'reject', comment: '该地区无法按期送达', actor: 'logistics' }],
  });
  expect(res.stage).toBe('rejected');
  expect((await stack.prisma.order.findUniqueOrThrow({ where: { orderNo } })).stage).toBe('rejected');
  await recordHistory(stack, orderNo, 'joint-review-rejected');
});

test('return for correction: sales corrects the order and review starts again', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f);
  const ret = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'return', comment: '数量请与客户确认' }, 'sales_manager');
  expect(ret.body.stage).toBe('correction');
  expect((await liveState(stack, orderNo)).returnedWith).toMatchObject({ stage: 'sales_review', comment: '数量请与客户确认' });

  const corrected = await orderHandle(stack, orderNo).executeUpdate(correctOrder, {
    args: [{ changes: { lines: [{ productId: f.inStockProductId, quantity: 3, unitPrice: '1200.00', taxRate: '0.13' }] }, actor: 'sales' }],
  });
  expect(corrected.stage).toBe('sales_review');
  const s = await liveState(stack, orderNo);
  expect(s.totalAmount).toBe('4068.00'); // 3 × 1200 × 1.13
  const order = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo }, include: { lines: true } });
  expect(order.correctionCount).toBe(1);
  expect(order.totalAmount.toFixed(2)).toBe('4068.00');
  expect(order.lines.filter((l) => l.quantity > 0).map((l) => l.quantity)).toEqual([3]);
  await recordHistory(stack, orderNo, 'return-for-correction');
});

test('change before confirmation is reviewed by sales and finance and updates the order', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f);
  const { result } = await fileAndApprove(orderNo, { requestedDeliveryDate: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10) }, ['sales', 'finance']);
  expect(result.status).toBe('applied');
  const order = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo }, include: { changeRequests: true } });
  expect(order.changeRequests.map((c) => c.status)).toEqual(['applied']);
  await stack.smtp.waitFor((m) => m.subject.includes(orderNo) && m.to.includes(f.customerEmail) && /变更|change/i.test(m.subject));
  await recordHistory(stack, orderNo, 'change-before-confirmation');
});

test('change after confirmation: joint review, reservations and invoice follow; refused after dispatch', async () => {
  const f = await createFixture(stack.prisma, { onHand: 10 });
  const orderNo = await toShipping(f, { paymentTerms: 'NET_30' });
  const h = orderHandle(stack, orderNo);

  // The filer cannot approve their own change (segregation of duties).
  const changeId = `chg-${randomUUID()}`;
  await h.executeUpdate(fileChange, {
    args: [{ changeId, changes: { lines: [{ productId: f.inStockProductId, quantity: 5, unitPrice: '1200.00', taxRate: '0.13' }] }, reason: '客户追加数量', actor: 'sales' }],
  });
  expect(await refusal(h.executeUpdate(reviewChange, { args: [{ changeId, department: 'finance', decision: 'approve', actor: 'sales' }] }))).toMatchObject({
    type: 'Forbidden',
    message: expect.stringMatching(/cannot decide/),
  });
  // Logistics cannot dispatch while a change is under review.
  expect((await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics')).status).toBe(409);
  for (const department of ['production', 'logistics', 'finance'] as const)
    await h.executeUpdate(reviewChange, { args: [{ changeId, department, decision: 'approve', actor: `${department}_lead` }] });

  const inv = await stack.prisma.inventory.findUniqueOrThrow({ where: { productId: f.inStockProductId } });
  expect(inv.reserved).toBe(5);
  expect((await liveState(stack, orderNo)).totalAmount).toBe('6780.00');

  await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics');
  const invoice = await waitForState(stack, orderNo, (s) => !!s.invoice);
  expect(invoice.invoice!.amount).toBe('6780.00');
  expect(
    await refusal(h.executeUpdate(fileChange, { args: [{ changeId: `chg-${randomUUID()}`, changes: { requestedDeliveryDate: '2030-01-01' }, reason: 'late', actor: 'sales' }] })),
  ).toMatchObject({ type: 'WrongStage', message: expect.stringMatching(/not possible after dispatch/) });
  const apiRefusal = await api(stack, 'POST', `/orders/${orderNo}/cancel`, { reason: 'too late' }, 'sales');
  expect(apiRefusal.status).toBe(409);
  await recordHistory(stack, orderNo, 'change-after-confirmation');
});

test('cancellation undoes everything in reverse order and tells the customer', async () => {
  const f = await createFixture(stack.prisma, { onHand: 4 });
  const orderNo = await placeOrder(stack, f, {
    paymentTerms: 'PREPAYMENT',
    lines: [
      { productId: f.inStockProductId, quantity: 4, unitPrice: '1200.00', taxRate: '0.13' },
      { productId: f.mtoProductId, quantity: 2, unitPrice: '6000.00', taxRate: '0.13' },
    ],
  });
  await approve(orderNo, 'sales');
  await approve(orderNo, 'finance');
  await waitForState(stack, orderNo, (s) => s.stage === 'stock_preparation' && s.production.length === 1 && !!s.invoice);

  const res = await orderHandle(stack, orderNo).executeUpdate(cancelOrder, { args: [{ reason: '客户取消订单', actor: 'sales' }] });
  expect(res.stage).toBe('cancelled');

  const order = await stack.prisma.order.findUniqueOrThrow({
    where: { orderNo },
    include: { reservations: true, productionOrders: true, invoice: true },
  });
  expect(order.stage).toBe('cancelled');
  expect(order.reservations.every((r) => r.status === 'released')).toBe(true);
  expect(order.productionOrders.every((p) => p.status === 'cancelled')).toBe(true);
  expect(order.invoice!.status).toBe('void');
  const inv = await stack.prisma.inventory.findUniqueOrThrow({ where: { productId: f.inStockProductId } });
  expect(inv.reserved).toBe(0);
  await stack.smtp.waitFor((m) => m.subject.includes(orderNo) && m.to.includes(f.customerEmail) && /取消|cancel/i.test(m.subject));
  await recordHistory(stack, orderNo, 'cancellation');
});

test('hold stops the clock; release lets it run on, and the held time is recorded', async () => {
  // 10 s: long enough that the hold lands well inside the limit even on a loaded machine.
  const quick = await startTestStack({ policy: { stages: { sales_review: { limit: '10s', escalateAfter: '1h', actionAfter: '1h' } } } });
  try {
    const f = await createFixture(quick.prisma);
    const orderNo = await placeOrder(quick, f);
    const h = orderHandle(quick, orderNo);
    const entered = Date.parse((await waitForStage(quick, orderNo, 'sales_review')).stageEnteredAt);
    await h.executeUpdate(holdOrder, { args: [{ reason: '信用审查', actor: 'finance_manager' }] });
    const heldAt = Date.now();
    expect((await liveState(quick, orderNo)).escalation).toBe('none');
    // Held until the unheld limit is 2 s behind us: the clock must not have run.
    await new Promise((r) => setTimeout(r, Math.max(0, entered + 12_000 - Date.now())));
    expect((await liveState(quick, orderNo)).escalation).toBe('none');
    await h.executeUpdate(releaseOrder, { args: [{ reason: '审查通过', actor: 'finance_manager' }] });
    const heldFor = Date.now() - heldAt;
    const s = await liveState(quick, orderNo);
    expect(s.heldMs).toBeGreaterThanOrEqual(heldFor - 1000);
    await waitForState(quick, orderNo, (x) => x.escalation === 'reminded', 30_000);
    const hold = await quick.prisma.orderHold.findFirstOrThrow({ where: { order: { orderNo } } });
    expect(hold.releasedAt).not.toBeNull();
    expect(hold.heldMs).toBeGreaterThanOrEqual(heldFor - 1000);
    await recordHistory(quick, orderNo, 'hold-release');
  } finally {
    await quick.stop();
  }
});

test('prepayment: invoiced at confirmation, shipping waits for the money', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f, { paymentTerms: 'PREPAYMENT' });
  await approve(orderNo, 'sales');
  await approve(orderNo, 'finance');
  const waiting = await waitForStage(stack, orderNo, 'awaiting_prepayment');
  expect(waiting.invoice!.amount).toBe('2712.00');
  expect(waiting.shipment).toBeUndefined();
  await api(stack, 'POST', `/orders/${orderNo}/payments`, { amount: '2712.00', reference: 'PRE-1', paidAt: new Date().toISOString() }, 'finance');
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment);
  await recordHistory(stack, orderNo, 'prepayment');
});

test('dunning ladder: reminders once each, the final notice puts the customer on credit hold', async () => {
  const quick = await startTestStack({
    policy: {
      // Seconds apart, with room for a busy machine: the ladder catches up (sends only the newest
      // level due) when the invoice is noticed after the next level's time, here 10 s after dispatch.
      paymentTerms: { NET_30: { creditPeriod: '8s', prepayment: false } },
      dunning: [
        { code: 'friendly', offset: '-4s' },
        { code: 'overdue_1', offset: '2s' },
        { code: 'final', offset: '4s', final: true },
      ],
    },
  });
  try {
    const f = await createFixture(quick.prisma);
    const orderNo = await placeOrder(quick, f);
    await api(quick, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales');
    await api(quick, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance');
    await waitForState(quick, orderNo, (s) => s.stage === 'shipping' && !!s.shipment);
    await api(quick, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics');
    await waitForState(quick, orderNo, (s) => s.remindersSent === 3, 45_000);

    const invoice = await quick.prisma.invoice.findFirstOrThrow({ where: { order: { orderNo } }, include: { reminders: true } });
    expect(invoice.reminders.map((r) => r.level).sort()).toEqual(['final', 'friendly', 'overdue_1']);
    // Early warning to finance: one overdue-payment alert, however many notices follow.
    const overdue = await quick.prisma.alert.findMany({ where: { order: { orderNo }, kind: 'overdue_payment' } });
    expect(overdue.map((a) => a.role)).toEqual(['finance']);
    const customer = await quick.prisma.customer.findUniqueOrThrow({ where: { id: f.customerId } });
    expect(customer.creditHold).toBe(true);
    const toCustomer = quick.smtp.messages.filter((m) => m.to.includes(f.customerEmail) && m.subject.includes(orderNo));
    expect(new Set(toCustomer.map((m) => m.messageId)).size).toBe(toCustomer.length);

    // A customer on credit hold blocks the finance review of their next order.
    const next = await placeOrder(quick, f);
    await api(quick, 'POST', `/orders/${next}/reviews/sales`, { decision: 'approve' }, 'sales');
    await waitForStage(quick, next, 'finance_review');
    const blocked = await api(quick, 'POST', `/orders/${next}/reviews/finance`, { decision: 'approve' }, 'finance');
    expect(blocked.status).toBe(409);
    expect(blocked.body.message).toMatch(/credit hold/);
    await recordHistory(quick, orderNo, 'dunning-ladder-credit-hold');
  } finally {
    await quick.stop();
  }
});

test('progress updates go out while the order is open, and continue-as-new keeps history bounded', async () => {
  const quick = await startTestStack({ policy: { progressUpdateInterval: '300ms', maxHistoryEvents: 100 } });
  try {
    const f = await createFixture(quick.prisma);
    const orderNo = await placeOrder(quick, f);
    const s = await waitForState(quick, orderNo, (x) => x.run >= 3, 90_000);
    expect(s.stage).toBe('sales_review');
    expect(s.progressUpdatesSent).toBeGreaterThan(10);

    const h = orderHandle(quick, orderNo);
    const desc = await h.describe();
    expect(desc.historyLength).toBeLessThan(160);
    // State survived the hand-over: the order still takes its decision.
    const res = await api(quick, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'reject', comment: '测试结束' }, 'sales');
    expect(res.body.stage).toBe('rejected');
    const sent = quick.smtp.messages.filter((m) => m.to.includes(f.customerEmail) && m.subject.includes(orderNo));
    expect(new Set(sent.map((m) => m.messageId)).size).toBe(sent.length);
    await recordHistory(quick, orderNo, 'continue-as-new');
  } finally {
    await quick.stop();
  }
});
