/**
 * Money due back to a customer is a refund row, shown with the order and
 * settled by finance (issue 10, "What was found" 7, item k), through the HTTP
 * API on the real stack: an overpayment is recorded and its excess is due
 * back; a cancellation after prepayment makes the whole payment due back.
 */
import { createFixture } from '../support/fixtures';
import { api, placeOrder, waitForStage, waitForState, type OrderFixture } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;
let f: OrderFixture;
useTestStack(async (started) => {
  stack = started;
  f = await createFixture(stack.prisma);
});

async function approve(orderNo: string) {
  expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager')).status).toBe(200);
  await waitForStage(stack, orderNo, 'finance_review');
  expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance')).status).toBe(200);
}

const pay = (orderNo: string, amount: string, reference: string) =>
  api(stack, 'POST', `/orders/${orderNo}/payments`, { amount, reference, paidAt: new Date().toISOString() }, 'finance');

it('an overpayment is recorded; the excess is a refund due that finance settles once', async () => {
  const orderNo = await placeOrder(stack, f); // NET_30: invoiced on dispatch, 2,712.00 CNY
  await approve(orderNo);
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment);
  expect((await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics')).status).toBe(200);
  await waitForState(stack, orderNo, (s) => s.invoice !== undefined && s.invoice !== null);

  const paid = await pay(orderNo, '2812.00', 'BANK-OVER-1');
  expect(paid).toMatchObject({ status: 200, body: { outstanding: '0.00', paidInFull: true } });

  const order = (await api(stack, 'GET', `/orders/${orderNo}`)).body;
  expect(order.invoice).toMatchObject({ amount: '2712.00', paid: '2812.00', outstanding: '0.00' });
  expect(order.refunds).toEqual([
    expect.objectContaining({ amount: '100.00', currency: 'CNY', status: 'due', invoiceId: order.invoice.id, createdBy: 'finance', settledAt: null }),
  ]);
  const refundId = order.refunds[0].id as string;
  expect((await api(stack, 'GET', '/refunds?status=due&limit=500', undefined, 'finance')).body.items).toEqual(
    expect.arrayContaining([expect.objectContaining({ id: refundId, orderNo })]),
  );

  const url = `/refunds/${refundId}/settle`;
  expect((await api(stack, 'POST', url, { reference: 'BANK-BACK-1' }, 'sales_manager')).status).toBe(403);
  const settled = await api(stack, 'POST', url, { reference: 'BANK-BACK-1' }, 'finance');
  expect(settled).toMatchObject({ status: 200, body: { id: refundId, orderNo, status: 'paid', reference: 'BANK-BACK-1', settledBy: 'finance' } });
  expect((await api(stack, 'POST', url, { reference: 'BANK-BACK-2' }, 'finance')).status).toBe(409);
  expect((await api(stack, 'POST', '/refunds/no-such-refund/settle', { reference: 'X' }, 'finance')).status).toBe(404);
  const after = (await api(stack, 'GET', `/orders/${orderNo}`)).body;
  expect(after.refunds).toEqual([expect.objectContaining({ id: refundId, status: 'paid', reference: 'BANK-BACK-1' })]);
  expect(await stack.prisma.auditEntry.count({ where: { entity: 'refund', entityId: refundId } })).toBe(2); // due, settled
});

it('cancelling an order after its prepayment makes the payment a refund due', async () => {
  const orderNo = await placeOrder(stack, f, { paymentTerms: 'PREPAYMENT' });
  await approve(orderNo);
  await waitForStage(stack, orderNo, 'awaiting_prepayment');
  expect((await pay(orderNo, '2712.00', 'BANK-PRE-1')).status).toBe(200);
  await waitForState(stack, orderNo, (s) => s.stage !== 'awaiting_prepayment');

  const cancelled = await api(stack, 'POST', `/orders/${orderNo}/cancel`, { reason: '客户取消' }, 'sales_manager');
  expect(cancelled.status).toBe(200);
  await waitForStage(stack, orderNo, 'cancelled');
  const order = (await api(stack, 'GET', `/orders/${orderNo}`)).body;
  expect(order.invoice).toMatchObject({ status: 'void', paid: '2712.00' });
  expect(order.refunds).toEqual([expect.objectContaining({ amount: '2712.00', status: 'due', reason: expect.stringContaining('cancelled') })]);
});
