import { randomUUID } from 'node:crypto';
import { messageIdFor } from '../../activities/email/outbox';
import { createOrder, createStockedProduct } from './order-factory';
import { useActivityEnv, auditCount, delivered, type ActivityEnv } from './setup';

jest.setTimeout(60_000);

let env: ActivityEnv;
useActivityEnv((started) => {
  env = started;
});

/** An order of 2 x 100.00 + 13 % tax = 226.00, invoiced. */
async function invoicedOrder() {
  const p = await createStockedProduct(env.prisma, 10, { listPrice: '100.00' });
  const o = await createOrder(env.prisma, { customerId: env.fixture.customerId, lines: [{ productId: p.id, quantity: 2, taxRate: '0.13' }] });
  const inv = await env.acts.issueInvoice({ orderId: o.id, issuedAt: '2099-07-01T00:00:00.000Z', dueDate: '2099-07-31T00:00:00.000Z' });
  return { o, inv };
}

test('issueInvoice: one invoice per order for the order total; a retry returns it', async () => {
  const { o, inv } = await invoicedOrder();
  expect(inv).toEqual({ invoiceId: expect.any(String), invoiceNo: `INV-${o.orderNo.slice(3)}`, amount: '226.00', dueDate: '2099-07-31T00:00:00.000Z' });
  const again = await env.acts.issueInvoice({ orderId: o.id, issuedAt: '2099-07-02T00:00:00.000Z', dueDate: '2099-08-01T00:00:00.000Z' });
  expect(again).toEqual(inv);
  expect(await env.prisma.invoice.count({ where: { orderId: o.id } })).toBe(1);
  expect(await env.prisma.invoice.findUniqueOrThrow({ where: { orderId: o.id } })).toMatchObject({ status: 'open', customerId: env.fixture.customerId, currency: 'CNY' });
  expect(await auditCount(env.prisma, `invoice:${o.id}`)).toBe(1);
});

describe('recordPayment', () => {
  test('partial then full; the same reference again returns the first recording', async () => {
    const { o, inv } = await invoicedOrder();
    const part = { orderId: o.id, amount: '100.00', reference: 'BANK-001', paidAt: '2099-07-10T00:00:00.000Z', actor: 'finance' };
    const r1 = await env.acts.recordPayment(part);
    expect(r1).toEqual({ paymentId: expect.any(String), paid: '100.00', outstanding: '126.00', paidInFull: false });
    expect(await env.acts.recordPayment(part)).toEqual(r1);

    const r2 = await env.acts.recordPayment({ ...part, amount: '126', reference: 'BANK-002' });
    expect(r2).toEqual({ paymentId: expect.any(String), paid: '226.00', outstanding: '0.00', paidInFull: true });
    expect(await env.acts.recordPayment(part)).toEqual({ ...r1, paid: '226.00', outstanding: '0.00', paidInFull: true });

    expect(await env.prisma.payment.count({ where: { invoiceId: inv.invoiceId } })).toBe(2);
    const invoice = await env.prisma.invoice.findUniqueOrThrow({ where: { id: inv.invoiceId } });
    expect(invoice.paid.toFixed(2)).toBe('226.00');
    expect(invoice.status).toBe('paid');
    expect(await auditCount(env.prisma, `payment:${inv.invoiceId}:BANK-001`)).toBe(1);
  });

  test('a replayed reference with another amount and bad amounts are BadInput and change nothing', async () => {
    const { o, inv } = await invoicedOrder();
    const pay = (amount: string, reference: string) => env.acts.recordPayment({ orderId: o.id, amount, reference, paidAt: '2099-07-10T00:00:00.000Z', actor: 'finance' });
    await pay('50.00', 'REF-A');
    await expect(pay('60.00', 'REF-A')).rejects.toMatchObject({ type: 'BadInput', nonRetryable: true });
    for (const bad of ['0', '-5', '1.234', 'abc'])
      await expect(pay(bad, `REF-${bad}`)).rejects.toMatchObject({ type: 'BadInput', details: [{ field: 'amount' }] });
    await expect(pay('10', '  ')).rejects.toMatchObject({ type: 'BadInput' });
    const invoice = await env.prisma.invoice.findUniqueOrThrow({ where: { id: inv.invoiceId } });
    expect(invoice.paid.toFixed(2)).toBe('50.00');
    expect(await env.prisma.payment.count({ where: { invoiceId: inv.invoiceId } })).toBe(1);
  });

  test('an overpayment is recorded and its excess is a refund due, once under retry', async () => {
    const { o, inv } = await invoicedOrder();
    const pay = () => env.acts.recordPayment({ orderId: o.id, amount: '250.00', reference: 'OVER', paidAt: '2099-07-10T00:00:00.000Z', actor: 'finance' });
    expect(await pay()).toMatchObject({ paid: '250.00', outstanding: '0.00', paidInFull: true });
    await pay();
    const refunds = await env.prisma.refund.findMany({ where: { invoiceId: inv.invoiceId } });
    expect(refunds.map((r) => ({ amount: r.amount.toFixed(2), status: r.status }))).toEqual([{ amount: '24.00', status: 'due' }]);
  });

  test('no invoice yet is WrongStage; an unknown order is NotFound', async () => {
    const p = await createStockedProduct(env.prisma, 1);
    const o = await createOrder(env.prisma, { customerId: env.fixture.customerId, lines: [{ productId: p.id, quantity: 1 }] });
    const args = { amount: '1.00', reference: 'X', paidAt: '2099-07-10T00:00:00.000Z', actor: 'finance' };
    await expect(env.acts.recordPayment({ orderId: o.id, ...args })).rejects.toMatchObject({ type: 'WrongStage' });
    await expect(env.acts.recordPayment({ orderId: 'missing', ...args })).rejects.toMatchObject({ type: 'NotFound' });
  });
});

describe('sendDunningReminder', () => {
  test('one reminder and one email per level, retries included', async () => {
    const { o, inv } = await invoicedOrder();
    const a = { orderId: o.id, invoiceId: inv.invoiceId, level: 'overdue_1', final: false };
    expect(await env.acts.sendDunningReminder(a)).toEqual({ sent: true });
    expect(await env.acts.sendDunningReminder(a)).toEqual({ sent: true });
    expect(await env.prisma.dunningReminder.count({ where: { invoiceId: inv.invoiceId } })).toBe(1);
    const mails = await delivered(env.smtp, messageIdFor(`dunning:${inv.invoiceId}:overdue_1`));
    expect(mails).toHaveLength(1);
    expect(mails[0].text).toContain('226.00');
    expect(await auditCount(env.prisma, `dunning:${inv.invoiceId}:overdue_1`)).toBe(1);
    const customer = await env.prisma.customer.findUniqueOrThrow({ where: { id: env.fixture.customerId } });
    expect(customer.creditHold).toBe(false);
  });

  test('skipped once the invoice is paid', async () => {
    const { o, inv } = await invoicedOrder();
    await env.acts.recordPayment({ orderId: o.id, amount: '226.00', reference: 'FULL', paidAt: '2099-07-10T00:00:00.000Z', actor: 'finance' });
    expect(await env.acts.sendDunningReminder({ orderId: o.id, invoiceId: inv.invoiceId, level: 'friendly', final: false })).toEqual({ sent: false });
    expect(await env.prisma.dunningReminder.count({ where: { invoiceId: inv.invoiceId } })).toBe(0);
    expect(await env.prisma.emailOutbox.count({ where: { key: `dunning:${inv.invoiceId}:friendly` } })).toBe(0);
  });

  test('an invoice of another order is NotFound', async () => {
    const { inv } = await invoicedOrder();
    await expect(env.acts.sendDunningReminder({ orderId: 'other', invoiceId: inv.invoiceId, level: 'friendly', final: false })).rejects.toMatchObject({
      type: 'NotFound',
    });
  });

  test('the final level puts the customer on credit hold and alerts the finance manager, once', async () => {
    const tag = randomUUID().slice(0, 8);
    await env.prisma.user.create({ data: { username: `fm-${tag}`, name: '钱财务总监', email: `qian-${tag}@example.cn`, role: 'finance_manager' } });
    const managers = await env.prisma.user.findMany({ where: { role: 'finance_manager', active: true } });
    // a customer of its own, so the hold does not leak into the other tests
    const base = await env.prisma.customer.findUniqueOrThrow({ where: { id: env.fixture.customerId } });
    const c = await env.prisma.customer.create({
      data: { code: `${base.code}-F${tag}`, name: '广州逾期客户', language: 'zh', email: base.email, creditLimit: '100000', allowedPaymentTerms: ['NET_30'] },
    });
    const p = await createStockedProduct(env.prisma, 10, { listPrice: '100.00' });
    const o = await createOrder(env.prisma, { customerId: c.id, lines: [{ productId: p.id, quantity: 2 }] });
    const inv = await env.acts.issueInvoice({ orderId: o.id, issuedAt: '2099-07-01T00:00:00.000Z', dueDate: '2099-07-31T00:00:00.000Z' });

    const a = { orderId: o.id, invoiceId: inv.invoiceId, level: 'final', final: true };
    expect(await env.acts.sendDunningReminder(a)).toEqual({ sent: true });
    expect(await env.acts.sendDunningReminder(a)).toEqual({ sent: true });

    const held = await env.prisma.customer.findUniqueOrThrow({ where: { id: c.id } });
    expect(held.creditHold).toBe(true);
    expect(held.creditHoldReason).toContain(inv.invoiceNo);
    expect(await auditCount(env.prisma, `credit-hold:${inv.invoiceId}:final`)).toBe(1);
    const alertKey = `dunning:${inv.invoiceId}:final:credit_hold`;
    expect(await env.prisma.alert.findMany({ where: { key: alertKey } })).toEqual([
      expect.objectContaining({ orderId: o.id, kind: 'credit_hold', role: 'finance_manager' }),
    ]);
    const [notice] = await delivered(env.smtp, messageIdFor(`dunning:${inv.invoiceId}:final`));
    expect(notice.subject).toBe(`最终催款通知：订单 ${o.orderNo}`);
    for (const m of managers) expect(await delivered(env.smtp, messageIdFor(`${alertKey}:${m.id}`), 50)).toHaveLength(1);
  });
});
