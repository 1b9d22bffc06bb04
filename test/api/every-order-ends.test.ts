/**
 * Every order ends (SPEC 3a, issue 10): the paths that used to leave an
 * order stuck, failed or inconsistent, each driven through the API against
 * the real stack. Each test names the finding it guards.
 */
import { randomUUID } from 'node:crypto';
import { createFixture, type Fixture } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/stack';
import { api, orderHandle, placeOrder, recordHistory, waitForState } from '../support/orders';
import type { OrderState } from '../../workflows/order/contract';

jest.setTimeout(180_000);

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    policy: {
      jointReviewThreshold: '100000',
      // A change review's clock runs while these tests watch it.
      stages: { change_review: { limit: '3s', escalateAfter: '1h', actionAfter: '1h', timeoutAction: 'reject', assignee: 'sales', manager: 'sales_manager' } },
      earlyWarning: '0s',
      // These tests are about what happens after confirmation, not about the contract signature step.
      contractSignature: 'never',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const approve = (orderNo: string, stage: 'sales' | 'finance') =>
  api(stack, 'POST', `/orders/${orderNo}/reviews/${stage}`, { decision: 'approve' }, stage === 'sales' ? 'sales_manager' : 'finance');

async function toShipping(f: Fixture, over: Record<string, unknown> = {}): Promise<string> {
  const orderNo = await placeOrder(stack, f, over);
  expect((await approve(orderNo, 'sales')).status).toBe(200);
  expect((await approve(orderNo, 'finance')).status).toBe(200);
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment);
  return orderNo;
}

/** An unserved region is a high logistics risk: the order goes through joint review first. */
async function approveJointly(orderNo: string): Promise<void> {
  await waitForState(stack, orderNo, (s) => s.stage === 'joint_review');
  for (const department of ['production', 'logistics', 'finance'])
    expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/joint`, { department, decision: 'approve' }, department)).status).toBe(200);
}

const fileChange = (orderNo: string, changes: object) =>
  api(stack, 'POST', `/orders/${orderNo}/changes`, { reason: '客户来函变更', changes }, 'sales', { 'idempotency-key': `chg-${randomUUID()}` });

/** No workflow task of this order ever failed, and the execution did not fail. */
async function assertHealthyHistory(orderNo: string): Promise<void> {
  const handle = orderHandle(stack, orderNo);
  const history = await handle.fetchHistory();
  const failedTasks = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes);
  expect(failedTasks).toEqual([]);
  const { status } = await handle.describe();
  expect(['RUNNING', 'COMPLETED']).toContain(status.name);
}

const dbOrder = (orderNo: string) => stack.prisma.order.findUniqueOrThrow({ where: { orderNo } });

/** The read model follows the workflow once the transition's activity has run. */
async function waitForDbStage(orderNo: string, stage: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await dbOrder(orderNo)).stage !== stage) {
    if (Date.now() > deadline) throw new Error(`${orderNo} never reached ${stage} in the database`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Fires all requests at once and returns their status codes in request order. */
async function together(...calls: (() => Promise<{ status: number }>)[]): Promise<number[]> {
  return (await Promise.all(calls.map((c) => c()))).map((r) => r.status);
}

test('finding 1: cancel while a change request is under review cancels the order and closes the change', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f);
  const filed = await fileChange(orderNo, { requestedDeliveryDate: new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10) });
  expect(filed.status).toBe(201);
  const cancelled = await api(stack, 'POST', `/orders/${orderNo}/cancel`, { reason: '客户取消' }, 'sales_manager');
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.stage).toBe('cancelled');
  const change = await stack.prisma.changeRequest.findFirstOrThrow({ where: { order: { orderNo } } });
  expect(change.status).toBe('rejected');
  expect((await dbOrder(orderNo)).stage).toBe('cancelled');
  await assertHealthyHistory(orderNo);
  await recordHistory(stack, orderNo, 'cancel-during-change-review');
});

test('finding 1: a rejection and a change review timing out during a change review end cleanly', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f);
  expect((await fileChange(orderNo, { paymentTerms: 'NET_15' })).status).toBe(201);
  const rejected = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'reject', comment: '客户信息不全' }, 'sales_manager');
  expect(rejected.status).toBe(200);
  expect(rejected.body.stage).toBe('rejected');
  expect((await stack.prisma.changeRequest.findFirstOrThrow({ where: { order: { orderNo } } })).status).toBe('rejected');
  await assertHealthyHistory(orderNo);
});

test('finding 2: no carrier serves the region: the order needs attention (exception), then retry after fixing the data', async () => {
  const region = `测试省${randomUUID().slice(0, 6)}`;
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f, {
    deliveryAddress: { recipient: '王经理', phone: '+86 21 5555 0101', region, city: '某市', line1: '某路1号' },
  });
  await approve(orderNo, 'sales');
  await approve(orderNo, 'finance');
  await approveJointly(orderNo);
  const state = await waitForState(stack, orderNo, (s) => s.stage === 'exception');
  expect(state.exception).toMatchObject({ stage: 'shipping', step: 'bookCarrier' });
  await waitForDbStage(orderNo, 'exception');
  // Alerted: the failed stage's assignee (logistics) and its manager.
  let alerts = await stack.prisma.alert.findMany({ where: { order: { orderNo }, kind: 'exception' } });
  for (let i = 0; i < 100 && alerts.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 200));
    alerts = await stack.prisma.alert.findMany({ where: { order: { orderNo }, kind: 'exception' } });
  }
  expect(alerts.map((a) => a.role).sort()).toEqual(['logistics', 'sales_manager']);
  // Shows in the work queue of the responsible role.
  const tasks = await api(stack, 'GET', '/tasks?role=logistics', undefined, 'logistics');
  expect(JSON.stringify(tasks.body)).toContain(orderNo);
  // Stock stays reserved while someone looks at it; the workflow did not fail.
  await assertHealthyHistory(orderNo);
  expect((await orderHandle(stack, orderNo).describe()).status.name).toBe('RUNNING');

  // A wrong command is refused with 409 and changes nothing.
  const early = await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics');
  expect(early.status).toBe(409);

  // Logistics adds a rate for the region, then retries: the carrier is booked.
  const carrier = await stack.prisma.carrier.findFirstOrThrow({ where: { active: true }, orderBy: { code: 'asc' } });
  await stack.prisma.carrierRate.create({ data: { carrierId: carrier.id, region, baseFee: '30.00', perKg: '5.0000' } });
  await stack.prisma.carrier.update({ where: { id: carrier.id }, data: { serviceAreas: { push: region } } });
  const retried = await api(stack, 'POST', `/orders/${orderNo}/exception`, { action: 'retry', comment: '已补充该省运价' }, 'logistics');
  expect(retried.status).toBe(200);
  const shipping = await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment);
  expect(shipping.exception).toBeUndefined();
  expect((await api(stack, 'POST', `/orders/${orderNo}/exception`, { action: 'retry', comment: 'again' }, 'logistics')).status).toBe(409);
  await assertHealthyHistory(orderNo);
  await recordHistory(stack, orderNo, 'exception-retry');
});

test('finding 2: an exception resolved by cancelling releases the stock and books nothing', async () => {
  const region = `测试省${randomUUID().slice(0, 6)}`;
  const f = await createFixture(stack.prisma, { onHand: 50 });
  const orderNo = await placeOrder(stack, f, {
    deliveryAddress: { recipient: '王经理', phone: '+86 21 5555 0101', region, city: '某市', line1: '某路1号' },
  });
  await approve(orderNo, 'sales');
  await approve(orderNo, 'finance');
  await approveJointly(orderNo);
  await waitForDbStage(orderNo, 'exception');
  const order = await dbOrder(orderNo);
  expect(await stack.prisma.reservation.count({ where: { orderId: order.id, status: 'reserved' } })).toBe(1);
  const res = await api(stack, 'POST', `/orders/${orderNo}/exception`, { action: 'cancel', comment: '该地区无法送达' }, 'sales_manager');
  expect(res.status).toBe(200);
  expect(res.body.stage).toBe('cancelled');
  expect(await stack.prisma.reservation.count({ where: { orderId: order.id, status: 'reserved' } })).toBe(0);
  expect(await stack.prisma.shipment.count({ where: { orderId: order.id, status: { not: 'cancelled' } } })).toBe(0);
  await orderHandle(stack, orderNo).result();
  expect((await orderHandle(stack, orderNo).describe()).status.name).toBe('COMPLETED');
  await assertHealthyHistory(orderNo);
});

test('finding 4: two people deciding the same joint review at once: one decision counts, the other gets 409', async () => {
  const f = await createFixture(stack.prisma, { onHand: 200 });
  const orderNo = await placeOrder(stack, f, { lines: [{ productId: f.inStockProductId, quantity: 100, unitPrice: '1200.00', taxRate: '0.13' }] });
  await approve(orderNo, 'sales');
  await approve(orderNo, 'finance');
  await waitForState(stack, orderNo, (s) => s.stage === 'joint_review');
  const statuses = await together(
    () => api(stack, 'POST', `/orders/${orderNo}/reviews/joint`, { department: 'production', decision: 'approve' }, 'production'),
    () => api(stack, 'POST', `/orders/${orderNo}/reviews/joint`, { department: 'production', decision: 'reject', comment: '产能不足' }, 'production'),
  );
  expect(statuses.sort()).toEqual([200, 409]);
  const order = await dbOrder(orderNo);
  const decisions = await stack.prisma.reviewDecision.findMany({ where: { orderId: order.id, department: 'production' } });
  expect(decisions).toHaveLength(1);
  const state = (await orderHandle(stack, orderNo).query('getState')) as OrderState;
  expect(state.joint!.production.decision).toBe(decisions[0].decision);
  if (decisions[0].decision === 'reject') expect(state.stage).toBe('rejected');
  await assertHealthyHistory(orderNo);
});

test('finding 4: two releases at once add the held time once; two holds make one hold', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f);
  const holds = await together(
    () => api(stack, 'POST', `/orders/${orderNo}/hold`, { reason: '等待客户确认' }, 'sales_manager'),
    () => api(stack, 'POST', `/orders/${orderNo}/hold`, { reason: '等待客户确认' }, 'finance_manager'),
  );
  expect(holds.sort()).toEqual([200, 409]);
  await new Promise((r) => setTimeout(r, 1500));
  const releases = await together(
    () => api(stack, 'POST', `/orders/${orderNo}/release`, { reason: '客户已确认' }, 'sales_manager'),
    () => api(stack, 'POST', `/orders/${orderNo}/release`, { reason: '客户已确认' }, 'sales_manager'),
  );
  expect(releases.sort()).toEqual([200, 409]);
  const order = await dbOrder(orderNo);
  const rows = await stack.prisma.orderHold.findMany({ where: { orderId: order.id } });
  expect(rows).toHaveLength(1);
  const state = (await orderHandle(stack, orderNo).query('getState')) as OrderState;
  expect(state.hold).toBeUndefined();
  expect(state.heldMs).toBeGreaterThanOrEqual(1000);
  expect(state.heldMs).toBeLessThan(30_000);
  await assertHealthyHistory(orderNo);
});

test('finding 4: two corrections at once: one applies, the other gets 409', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f);
  const ret = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'return', comment: '请核对数量' }, 'sales_manager');
  expect(ret.body.stage).toBe('correction');
  const statuses = await together(
    () => api(stack, 'POST', `/orders/${orderNo}/correction`, { changes: { lines: [{ productId: f.inStockProductId, quantity: 3, unitPrice: '1200.00', taxRate: '0.13' }] } }, 'sales'),
    () => api(stack, 'POST', `/orders/${orderNo}/correction`, { changes: { lines: [{ productId: f.inStockProductId, quantity: 5, unitPrice: '1200.00', taxRate: '0.13' }] } }, 'sales'),
  );
  expect(statuses.sort()).toEqual([200, 409]);
  await waitForState(stack, orderNo, (s) => s.stage === 'sales_review');
  await assertHealthyHistory(orderNo);
});

test('finding 4: dispatch racing cancel: exactly one wins, and a shipped order keeps its invoice', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await toShipping(f);
  const [dispatch, cancel] = await together(
    () => api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics'),
    () => api(stack, 'POST', `/orders/${orderNo}/cancel`, { reason: '客户取消' }, 'sales_manager'),
  );
  expect([dispatch, cancel].sort()).toEqual([200, 409]);
  const order = await dbOrder(orderNo);
  const invoice = await stack.prisma.invoice.findUnique({ where: { orderId: order.id } });
  if (dispatch === 200) {
    expect(order.stage).toBe('in_transit');
    expect(invoice?.status).not.toBe('void');
  } else {
    expect(order.stage).toBe('cancelled');
    expect(await stack.prisma.shipment.count({ where: { orderId: order.id, status: 'dispatched' } })).toBe(0);
  }
  await assertHealthyHistory(orderNo);
});

test('finding 4: cancel racing a rejection: the order ends once and the workflow closes', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f);
  const statuses = await together(
    () => api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'reject', comment: '价格不合理' }, 'sales_manager'),
    () => api(stack, 'POST', `/orders/${orderNo}/cancel`, { reason: '客户取消' }, 'sales_manager'),
  );
  expect(statuses.filter((s) => s === 200)).toHaveLength(statuses.includes(409) ? 1 : 2);
  const handle = orderHandle(stack, orderNo);
  await handle.result();
  expect(['rejected', 'cancelled']).toContain((await dbOrder(orderNo)).stage);
  await assertHealthyHistory(orderNo);
});

test('rule: finance review refuses payment terms the customer is not allowed (409, nothing changes)', async () => {
  const f = await createFixture(stack.prisma, { allowedPaymentTerms: ['PREPAYMENT', 'NET_30', 'NET_60'] });
  const orderNo = await placeOrder(stack, f, { paymentTerms: 'NET_15' });
  await approve(orderNo, 'sales');
  await waitForState(stack, orderNo, (s) => s.stage === 'finance_review');
  const res = await approve(orderNo, 'finance');
  expect(res.status).toBe(409);
  expect(res.body.message).toContain('NET_15');
  expect((await dbOrder(orderNo)).stage).toBe('finance_review');
  expect(await stack.prisma.reviewDecision.count({ where: { order: { orderNo }, stage: 'finance_review' } })).toBe(0);
});

test('rule: a dispatch time a year back (or in the future) is refused; the ETA counts from the real dispatch', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await toShipping(f);
  const yearBack = new Date(Date.now() - 365 * 86_400_000).toISOString();
  const back = await api(stack, 'POST', `/orders/${orderNo}/dispatch`, { at: yearBack }, 'logistics');
  expect(back.status).toBe(400);
  expect(back.body.field).toBe('at');
  const ahead = await api(stack, 'POST', `/orders/${orderNo}/dispatch`, { at: new Date(Date.now() + 86_400_000).toISOString() }, 'logistics');
  expect(ahead.status).toBe(400);
  const before = (await orderHandle(stack, orderNo).query('getState')) as OrderState;
  await new Promise((r) => setTimeout(r, 1200));
  expect((await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics')).status).toBe(200);
  const after = (await orderHandle(stack, orderNo).query('getState')) as OrderState;
  // Dispatched later than booked: the ETA moved by the same amount, and the in-transit deadline follows it.
  expect(Date.parse(after.shipment!.eta)).toBeGreaterThan(Date.parse(before.shipment!.eta));
  expect(after.stage).toBe('in_transit');
  // The stored in-transit deadline is the new ETA + delivery grace (1h in the test policy), not the policy's 10 days.
  await waitForDbStage(orderNo, 'in_transit');
  expect((await dbOrder(orderNo)).stageDeadline!.toISOString()).toBe(new Date(Date.parse(after.shipment!.eta) + 3_600_000).toISOString());
  // No dunning ladder at once: nothing overdue was sent.
  expect(await stack.prisma.dunningReminder.count({ where: { invoice: { order: { orderNo } } } })).toBe(0);
});

test('rule: changing the terms to prepayment after confirmation issues the invoice and dispatch waits for payment', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await toShipping(f);
  const filed = await fileChange(orderNo, { paymentTerms: 'PREPAYMENT' });
  expect(filed.status).toBe(201);
  for (const [who, department] of [['production', 'production'], ['logistics', 'logistics'], ['finance', 'finance']])
    expect((await api(stack, 'POST', `/orders/${orderNo}/changes/${filed.body.changeId}/reviews`, { department, decision: 'approve' }, who)).status).toBe(200);
  const state = await waitForState(stack, orderNo, (s) => s.stage === 'awaiting_prepayment' && !!s.invoice);
  expect(state.invoice!.paid).toBe('0.00');
  const refused = await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics');
  expect(refused.status).toBe(409);
  const pay = await api(stack, 'POST', `/orders/${orderNo}/payments`, { amount: state.invoice!.amount, reference: `PRE-${randomUUID().slice(0, 8)}`, paidAt: new Date().toISOString() }, 'finance');
  expect(pay.status).toBe(200);
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping');
  expect((await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics')).status).toBe(200);
  await assertHealthyHistory(orderNo);
});

test('rule: a second change request gets its own reminders (alert keys are per change)', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f);
  const first = await fileChange(orderNo, { paymentTerms: 'NET_60' });
  // The change review limit is 3 s: wait for its reminder, then refuse it and file another.
  await waitForState(stack, orderNo, (s) => s.alerts.some((a) => a.startsWith('change_review') && a.includes('reminded')), 30_000);
  expect((await api(stack, 'POST', `/orders/${orderNo}/changes/${first.body.changeId}/reviews`, { department: 'finance', decision: 'reject', comment: '不同意' }, 'finance')).status).toBe(200);
  const second = await fileChange(orderNo, { paymentTerms: 'NET_15' });
  expect(second.status).toBe(201);
  await waitForState(stack, orderNo, (s) => s.alerts.filter((a) => a.startsWith('change_review') && a.includes('reminded')).length >= 4, 30_000);
  const order = await dbOrder(orderNo);
  const reminderKeys = async () => (await stack.prisma.alert.findMany({ where: { orderId: order.id, kind: 'reminded' } })).map((a) => a.key);
  let keys = await reminderKeys();
  for (let i = 0; i < 100 && keys.length < 4; i++) {
    await new Promise((r) => setTimeout(r, 200));
    keys = await reminderKeys();
  }
  expect(keys.filter((k) => k.includes(first.body.changeId)).length).toBe(2);
  expect(keys.filter((k) => k.includes(second.body.changeId)).length).toBe(2);
});

test('rule: stock preparation stores the production plan\'s deadline (latest planned finish + grace), not the default limit', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f, { lines: [{ productId: f.mtoProductId, quantity: 2, unitPrice: '6000.00', taxRate: '0.13' }] });
  await approve(orderNo, 'sales');
  await approve(orderNo, 'finance');
  const state = await waitForState(stack, orderNo, (s) => s.stage === 'stock_preparation' && s.production.length > 0);
  const latest = Math.max(...state.production.map((p) => Date.parse(p.plannedFinish)));
  const expected = new Date(latest + 3_600_000).toISOString(); // + productionGrace (1h in the test policy)
  const deadline = Date.now() + 30_000;
  let stored = (await dbOrder(orderNo)).stageDeadline?.toISOString();
  while (stored !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    stored = (await dbOrder(orderNo)).stageDeadline?.toISOString();
  }
  expect(stored).toBe(expected);
  const transition = await stack.prisma.stageTransition.findFirstOrThrow({ where: { order: { orderNo }, toStage: 'stock_preparation' } });
  expect(transition.deadline!.toISOString()).toBe(expected);
});
