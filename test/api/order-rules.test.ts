/**
 * Rules of the procedure the API enforces (issue 10, "What was found" 7),
 * each through the HTTP API on the real stack: date windows at intake and in
 * corrections and changes (b), work queues per role including change
 * reviews (e), releasing a customer's credit hold (g), credit exposure
 * across currencies (h).
 */
import { randomUUID } from 'node:crypto';
import { createFixture } from '../support/fixtures';
import { api, intakeBody, placeOrder, waitForStage, type OrderFixture } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;
useTestStack((started) => {
  stack = started;
});

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const idem = () => ({ 'idempotency-key': `test-${randomUUID()}` });

describe('(b) order dates stay within the policy windows', () => {
  let f: OrderFixture;
  beforeAll(async () => {
    f = await createFixture(stack.prisma);
  });

  it.each([
    ['an order date a century back', { orderDate: '1900-01-01' }, 'orderDate'],
    ['an order date more than a year back', { orderDate: inDays(-400) }, 'orderDate'],
    ['a delivery date in year 9999', { requestedDeliveryDate: '9999-12-31' }, 'requestedDeliveryDate'],
    ['a delivery date more than two years ahead', { requestedDeliveryDate: inDays(800) }, 'requestedDeliveryDate'],
  ])('intake refuses %s with 400 naming the field and stores nothing', async (_name, over, field) => {
    const before = await stack.prisma.order.count({ where: { customerId: f.customerId } });
    const res = await api(stack, 'POST', '/orders', intakeBody(f, over), 'sales', idem());
    expect({ status: res.status, field: res.body.field }).toEqual({ status: 400, field });
    expect(await stack.prisma.order.count({ where: { customerId: f.customerId } })).toBe(before);
  });

  it('intake accepts dates inside the windows', async () => {
    const res = await api(stack, 'POST', '/orders', intakeBody(f, { orderDate: inDays(-300), requestedDeliveryDate: inDays(700) }), 'sales', idem());
    expect(res.status).toBe(201);
  });

  it('a change request and a correction refuse a delivery date in year 9999', async () => {
    const orderNo = await placeOrder(stack, f);
    const change = await api(
      stack,
      'POST',
      `/orders/${orderNo}/changes`,
      { reason: '客户来函', changes: { requestedDeliveryDate: '9999-12-31' } },
      'sales',
      idem(),
    );
    expect({ status: change.status, field: change.body.field }).toEqual({ status: 400, field: 'changes.requestedDeliveryDate' });
    expect(await stack.prisma.changeRequest.count({ where: { order: { orderNo } } })).toBe(0);

    const ret = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'return', comment: '日期请确认' }, 'sales_manager');
    expect(ret.body.stage).toBe('correction');
    const corr = await api(stack, 'POST', `/orders/${orderNo}/correction`, { changes: { requestedDeliveryDate: '9999-12-31' } });
    expect({ status: corr.status, field: corr.body.field }).toEqual({ status: 400, field: 'changes.requestedDeliveryDate' });
    const ok = await api(stack, 'POST', `/orders/${orderNo}/correction`, { changes: { requestedDeliveryDate: inDays(60) } });
    expect(ok.status).toBe(200);
    await waitForStage(stack, orderNo, 'sales_review');
  });
});

describe('(e) work queues list every waiting item for every role that can act on it', () => {
  let f: OrderFixture;
  beforeAll(async () => {
    f = await createFixture(stack.prisma);
  });

  const tasksOf = async (role: string) => {
    const res = await api(stack, 'GET', `/tasks?role=${role}&limit=500`, undefined, role);
    expect(res.status).toBe(200);
    return res.body.items as { orderNo: string; task: string; changeId?: string }[];
  };

  it('the sales review waits for sales and sales_manager; the finance review for finance and finance_manager', async () => {
    const orderNo = await placeOrder(stack, f);
    expect((await tasksOf('sales')).filter((t) => t.orderNo === orderNo)).toEqual([expect.objectContaining({ task: 'review' })]);
    expect((await tasksOf('sales_manager')).filter((t) => t.orderNo === orderNo)).toEqual([expect.objectContaining({ task: 'review' })]);

    expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager')).status).toBe(200);
    await waitForStage(stack, orderNo, 'finance_review');
    expect((await tasksOf('sales_manager')).some((t) => t.orderNo === orderNo)).toBe(false);
    expect((await tasksOf('finance')).filter((t) => t.orderNo === orderNo)).toEqual([expect.objectContaining({ task: 'review' })]);
    expect((await tasksOf('finance_manager')).filter((t) => t.orderNo === orderNo)).toEqual([expect.objectContaining({ task: 'review' })]);
  });

  it('a change request under review is in the queue of each reviewing department until it decides', async () => {
    const orderNo = await placeOrder(stack, f);
    const filed = await api(stack, 'POST', `/orders/${orderNo}/changes`, { reason: '客户来函', changes: { requestedDeliveryDate: inDays(40) } }, 'sales', idem());
    expect(filed.status).toBe(201);
    const { changeId, pending } = filed.body as { changeId: string; pending: string[] };
    expect([...pending].sort()).toEqual(['finance', 'sales']);

    const changeTasks = async (role: string) => (await tasksOf(role)).filter((t) => t.orderNo === orderNo && t.task.startsWith('change_review'));
    expect(await changeTasks('finance')).toEqual([expect.objectContaining({ task: 'change_review:finance', changeId })]);
    expect(await changeTasks('finance_manager')).toEqual([expect.objectContaining({ task: 'change_review:finance', changeId })]);
    expect(await changeTasks('sales_manager')).toEqual([expect.objectContaining({ task: 'change_review:sales', changeId })]);
    expect(await changeTasks('production')).toEqual([]);

    const decided = await api(stack, 'POST', `/orders/${orderNo}/changes/${changeId}/reviews`, { department: 'sales', decision: 'approve' }, 'sales_manager');
    expect(decided.status).toBe(200);
    expect(await changeTasks('sales_manager')).toEqual([]);
    expect(await changeTasks('finance')).toEqual([expect.objectContaining({ task: 'change_review:finance', changeId })]);
  });
});

describe('(g) a customer’s credit hold: put on by finance, released by the finance manager', () => {
  it('an order of a customer on hold cannot pass finance review until the finance manager releases the hold', async () => {
    const f = await createFixture(stack.prisma, { creditHold: true });
    const orderNo = await placeOrder(stack, f);
    expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager')).status).toBe(200);
    await waitForStage(stack, orderNo, 'finance_review');
    expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance')).status).toBe(409);

    const url = `/customers/${f.customerId}/credit-hold/release`;
    expect((await api(stack, 'POST', url, { reason: '已结清欠款' }, 'finance')).status).toBe(403);
    expect((await api(stack, 'POST', url, { reason: '  ' }, 'finance_manager')).body).toMatchObject({ field: 'reason' });
    const released = await api(stack, 'POST', url, { reason: '已结清欠款' }, 'finance_manager');
    expect(released).toMatchObject({ status: 200, body: { customerId: f.customerId, creditHold: false, creditHoldReason: null } });
    expect((await api(stack, 'POST', url, { reason: '再次解除' }, 'finance_manager')).status).toBe(409);
    expect((await api(stack, 'POST', '/customers/no-such-customer/credit-hold/release', { reason: 'x' }, 'finance_manager')).status).toBe(404);
    const audit = await stack.prisma.auditEntry.findMany({ where: { entity: 'customer', entityId: f.customerId, action: 'customer.credit_release' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'finance_manager', before: { creditHold: true }, after: { creditHold: false } });

    expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance')).status).toBe(200);
  });

  it('finance puts a customer on hold by hand (409 when already on hold); no order passes finance review then', async () => {
    const f = await createFixture(stack.prisma);
    const orderNo = await placeOrder(stack, f);
    expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager')).status).toBe(200);
    await waitForStage(stack, orderNo, 'finance_review');
    const url = `/customers/${f.customerId}/credit-hold`;
    expect((await api(stack, 'POST', url, { reason: '逾期未付' }, 'sales_manager')).status).toBe(403);
    expect(await api(stack, 'POST', url, { reason: '逾期未付' }, 'finance')).toMatchObject({ status: 200, body: { creditHold: true, creditHoldReason: '逾期未付' } });
    expect((await api(stack, 'POST', url, { reason: '逾期未付' }, 'finance')).status).toBe(409);
    expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance')).status).toBe(409);
  });
});

describe('(h) credit exposure converts every amount into the credit limit’s currency', () => {
  it('an open USD order counts at its CNY value against a CNY limit', async () => {
    // Limit 10,000.00 CNY. One open order of 2,712.00 USD (= 19,255.20 CNY at the default 7.10), then 2,712.00 CNY:
    // added as plain numbers the exposure would be 5,424.00 and pass.
    const f = await createFixture(stack.prisma, { creditLimit: '10000.00' });
    await placeOrder(stack, f, { currency: 'USD' });
    const orderNo = await placeOrder(stack, f);
    expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager')).status).toBe(200);
    await waitForStage(stack, orderNo, 'finance_review');
    const res = await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance');
    expect(res.status).toBe(409);
    expect(res.body.message).toContain('21967.20'); // 19,255.20 + 2,712.00 CNY
  });

  it('a limit in USD counts CNY orders at their USD value', async () => {
    // Limit 1,000.00 USD; this order 2,712.00 CNY = 381.97 USD: within the limit (as plain numbers it would not be).
    const f = await createFixture(stack.prisma, { creditLimit: '1000.00' });
    await stack.prisma.customer.update({ where: { id: f.customerId }, data: { creditCurrency: 'USD' } });
    const orderNo = await placeOrder(stack, f);
    expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager')).status).toBe(200);
    await waitForStage(stack, orderNo, 'finance_review');
    expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance')).status).toBe(200);
  });

  it('intake refuses a currency the policy has no exchange rate for', async () => {
    const f = await createFixture(stack.prisma);
    const res = await api(stack, 'POST', '/orders', intakeBody(f, { currency: 'XAU' }), 'sales', idem());
    expect({ status: res.status, field: res.body.field }).toEqual({ status: 400, field: 'currency' });
  });
});
