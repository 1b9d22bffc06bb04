/**
 * What dispatch does, through the HTTP API on the real stack (issue 10,
 * "What was found" 7): the ETA is recomputed from the real dispatch time
 * (j), and the "shipped" staff mail goes only to the sales users who may see
 * the order (m).
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

/** An order of the fixture customer (owned by `sales`) approved and booked, waiting for dispatch. */
async function bookedOrder(): Promise<string> {
  const orderNo = await placeOrder(stack, f);
  expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager')).status).toBe(200);
  await waitForStage(stack, orderNo, 'finance_review');
  expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance')).status).toBe(200);
  // The carrier is booked once the order is in shipping.
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment);
  return orderNo;
}

it('(j) dispatch recomputes the ETA from the dispatch time and the carrier transit days', async () => {
  const orderNo = await bookedOrder();
  const booked = (await api(stack, 'GET', `/orders/${orderNo}`)).body.shipment;
  // Goods leave a while after the booking: dispatch two seconds later, confirmed as of now.
  await new Promise((r) => setTimeout(r, 2_000));
  const at = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
  expect((await api(stack, 'POST', `/orders/${orderNo}/dispatch`, { at }, 'logistics')).status).toBe(200);

  const carrier = await stack.prisma.carrier.findUniqueOrThrow({ where: { code: booked.carrierCode } });
  const expected = new Date(Date.parse(at) + carrier.transitDays * 86_400_000).toISOString();
  const shipment = (await api(stack, 'GET', `/orders/${orderNo}`)).body.shipment;
  expect(shipment.dispatchedAt).toBe(at);
  expect(shipment.eta).toBe(expected);
  expect(shipment.eta).not.toBe(booked.eta);
});

it('(m) the "shipped" staff mail goes to the sales user who owns the customer, not to other sales users', async () => {
  const orderNo = await bookedOrder();
  const order = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo } });
  expect((await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics')).status).toBe(200);

  const owner = await stack.prisma.user.findUniqueOrThrow({ where: { username: 'sales' } });
  const others = await stack.prisma.user.findMany({ where: { role: 'sales', active: true, NOT: { id: owner.id } } });
  expect(others.length).toBeGreaterThan(0); // the seed has a second sales user (sales2)
  await stack.smtp.waitFor((m) => m.to.includes(owner.email) && m.subject.includes(`[${orderNo}] shipped`));
  // The staff mail is sent before the order moves on to in_transit.
  await waitForStage(stack, orderNo, 'in_transit');
  const rows = await stack.prisma.emailOutbox.findMany({ where: { key: { startsWith: `shipped:${order.id}:` } } });
  expect(rows.map((r) => r.toAddress)).toEqual([owner.email]);
  const shippedMails = stack.smtp.messages.filter((m) => m.subject.includes(`[${orderNo}] shipped`));
  expect(shippedMails.flatMap((m) => m.to)).toEqual([owner.email]);
});
