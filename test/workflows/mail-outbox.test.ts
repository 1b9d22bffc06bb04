/**
 * Email never holds an order up (SPEC 3a), through the API against the real
 * stack: with SMTP down the order still moves on and a payment still
 * answers at once, and the mails arrive once SMTP is back; a permanent 550
 * for the customer's address fails that mail and alerts sales on the order
 * while the staff mails of the same step go out.
 */
import { until } from '../support/poll';
import { messageIdFor } from '../../activities/email/outbox';
import { createFixture, type Fixture } from '../support/fixtures';
import { api, placeOrder, waitForState } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;
useTestStack((started) => {
  stack = started;
});
afterEach(async () => {
  stack.smtp.accept();
  await stack.smtp.up();
});

const outboxRow = (key: string) => stack.prisma.emailOutbox.findUnique({ where: { key } });

async function approvedOrder(f: Fixture): Promise<{ orderNo: string; orderId: string }> {
  const orderNo = await placeOrder(stack, f);
  const order = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo } });
  expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager')).status).toBe(200);
  expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance')).status).toBe(200);
  return { orderNo, orderId: order.id };
}

test('SMTP down at confirmation: stock is reserved and the carrier booked at once; the confirmation arrives after SMTP returns', async () => {
  const f = await createFixture(stack.prisma);
  await stack.smtp.down();
  const started = Date.now();
  const { orderNo, orderId } = await approvedOrder(f);
  const state = await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment, 30_000);
  const movedOnMs = Date.now() - started;
  expect(state.stage).toBe('shipping');
  const reservations = await stack.prisma.reservation.count({ where: { orderId } });
  expect(reservations).toBeGreaterThan(0);

  // The confirmation is queued, not sent: SMTP is still down and it has been tried.
  const key = `confirmation:${orderId}`;
  const waiting = await until('a failed attempt', async () => {
    const r = await outboxRow(key);
    return r && r.attempts >= 1 && r.status === 'pending' ? r : undefined;
  });
  expect(waiting.lastError).toMatch(/ECONNREFUSED|connect|closed/i);
  expect(stack.smtp.messages.filter((m) => m.messageId === messageIdFor(key))).toHaveLength(0);

  await stack.smtp.up();
  const mail = await stack.smtp.waitFor((m) => m.messageId === messageIdFor(key), 15_000);
  expect(mail.to).toContain(f.customerEmail);
  await until('the row marked sent', async () => (await outboxRow(key))?.status === 'sent');
  console.log(`SMTP down: order reached shipping in ${movedOnMs} ms; confirmation sent after ${waiting.attempts}+ attempts once SMTP was back`);
});

test("a 550 for the customer's address: that mail fails with an alert to sales on the order; the staff mails go out", async () => {
  const f = await createFixture(stack.prisma);
  stack.smtp.refuseRecipient(f.customerEmail, 550);
  const { orderNo, orderId } = await approvedOrder(f);
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment, 30_000);

  const key = `confirmation:${orderId}`;
  const failed = await until('the confirmation failed', async () => {
    const r = await outboxRow(key);
    return r?.status === 'failed' ? r : undefined;
  });
  expect(failed.attempts).toBe(1);
  expect(failed.lastError).toContain('550');
  const alerts = await stack.prisma.alert.findMany({ where: { orderId, kind: 'mail_failed' } });
  expect(alerts).toEqual([expect.objectContaining({ key: `mail-failed:${key}`, role: 'sales' })]);
  const detail = await api(stack, 'GET', `/orders/${orderNo}`, undefined, 'sales');
  expect(detail.body.alerts).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'mail_failed', role: 'sales' })]));
  // Sales is mailed about it, with the link to the order's page in the console.
  const alertMails = await until('the alert mail to sales', async () => {
    const rows = await stack.prisma.emailOutbox.findMany({ where: { key: { startsWith: `mail-failed:${key}:` } } });
    return rows.length > 0 ? rows : undefined;
  });
  for (const m of alertMails) expect(m.body).toContain(`/app/orders/${orderNo}`);

  // The same step's staff mails (production, logistics) are not held up by the refusal.
  const staff = await until('the staff mails sent', async () => {
    const rows = await stack.prisma.emailOutbox.findMany({ where: { orderId, key: { startsWith: `confirmed:${orderId}:` } } });
    return rows.length > 0 && rows.every((r) => r.status === 'sent') ? rows : undefined;
  });
  expect(staff.length).toBeGreaterThan(0);
  expect(stack.smtp.messages.filter((m) => m.to.includes(f.customerEmail))).toHaveLength(0);
});

test('a payment answers at once while SMTP is down; its receipt goes out later', async () => {
  const f = await createFixture(stack.prisma);
  const { orderNo, orderId } = await approvedOrder(f);
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment, 30_000);
  expect((await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics')).status).toBe(200);
  const invoice = await until('the invoice', () => stack.prisma.invoice.findFirst({ where: { orderId } }));

  await stack.smtp.down();
  const t0 = Date.now();
  const res = await api(stack, 'POST', `/orders/${orderNo}/payments`, {
    amount: invoice.amount.toFixed(2),
    reference: `BANK-${orderNo}`,
    paidAt: new Date().toISOString(),
  }, 'finance');
  const answeredMs = Date.now() - t0;
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ outstanding: '0.00', paidInFull: true });
  expect(answeredMs).toBeLessThan(5_000); // it used to wait for SMTP (504 at 30 s)

  const receipt = await until('the receipt queued', () =>
    stack.prisma.emailOutbox.findFirst({ where: { orderId, template: 'payment_received' } }),
  );
  expect(receipt.status).not.toBe('sent');
  await stack.smtp.up();
  await stack.smtp.waitFor((m) => m.messageId === receipt.messageId, 15_000);
  console.log(`payment with SMTP down answered in ${answeredMs} ms; receipt sent after SMTP returned`);
});
