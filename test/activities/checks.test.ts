import { createOrder, createStockedProduct } from './order-factory';
import { useActivityEnv, type ActivityEnv } from './setup';
import { fmt, money } from '../../workflows/domain/money';

jest.setTimeout(60_000);

let env: ActivityEnv;
useActivityEnv((started) => {
  env = started;
});

async function freshCustomer(over: { creditLimit?: string; creditHold?: boolean; allowedPaymentTerms?: string[] } = {}) {
  const base = await env.prisma.customer.findUniqueOrThrow({ where: { id: env.fixture.customerId } });
  return env.prisma.customer.create({
    data: {
      code: `${base.code}-${Math.random().toString(36).slice(2, 8)}`,
      name: '杭州测试客户有限公司',
      language: 'zh',
      email: base.email,
      creditLimit: over.creditLimit ?? '100000.00',
      creditHold: over.creditHold ?? false,
      allowedPaymentTerms: over.allowedPaymentTerms ?? ['NET_30', 'PREPAYMENT'],
    },
  });
}

test('financeCheck: exposure = open receivables + open uninvoiced orders + this order', async () => {
  const product = await createStockedProduct(env.prisma, 100, { listPrice: '100.00', standardCost: '60.00' });
  const c = await freshCustomer();
  const line = (quantity: number) => [{ productId: product.id, quantity, taxRate: '0' }];
  const thisOrder = await createOrder(env.prisma, { customerId: c.id, lines: line(10) }); // 1000.00
  const openOrder = await createOrder(env.prisma, { customerId: c.id, lines: line(20), stage: 'stock_preparation' }); // 2000.00
  await createOrder(env.prisma, { customerId: c.id, lines: line(30), stage: 'closed' }); // excluded
  await createOrder(env.prisma, { customerId: c.id, lines: line(40), stage: 'rejected' }); // excluded
  const invoiced = await createOrder(env.prisma, { customerId: c.id, lines: line(50), stage: 'awaiting_payment' }); // invoiced: receivable
  await env.prisma.invoice.create({
    data: { invoiceNo: `INV-T-${invoiced.orderNo}`, orderId: invoiced.id, customerId: c.id, amount: '5000.00', paid: '1200.00', currency: 'CNY', issuedAt: new Date(), dueDate: new Date() },
  });

  const r = await env.acts.financeCheck({ orderId: thisOrder.id, minMargin: '0.15', priceDeviation: '0.2' });
  const expected = money('3800.00').plus(openOrder.totalAmount.toFixed(2)).plus(thisOrder.totalAmount.toFixed(2));
  expect(r.credit).toEqual({
    exposure: fmt(expected),
    available: fmt(money('100000').minus(expected)),
    withinLimit: true,
    creditHold: false,
    ok: true,
  });
  expect(r.price).toMatchObject({ revenue: '1000.00', cost: '600.00', margin: '0.4000', marginOk: true });
  expect(r.termsAllowed).toBe(true);
  expect(r.problems).toEqual([]);
});

test('financeCheck: credit hold, over limit, terms not allowed and thin margin are all problems', async () => {
  const product = await createStockedProduct(env.prisma, 100, { listPrice: '100.00', standardCost: '95.00' });
  const c = await freshCustomer({ creditLimit: '500.00', creditHold: true, allowedPaymentTerms: ['PREPAYMENT'] });
  const o = await createOrder(env.prisma, { customerId: c.id, paymentTerms: 'NET_60', lines: [{ productId: product.id, quantity: 10, taxRate: '0' }] });
  const r = await env.acts.financeCheck({ orderId: o.id, minMargin: '0.15', priceDeviation: '0.2' });
  expect(r.credit).toMatchObject({ exposure: '1000.00', withinLimit: false, creditHold: true, ok: false });
  expect(r.termsAllowed).toBe(false);
  expect(r.price.marginOk).toBe(false);
  const text = r.problems.join('\n');
  expect(text).toMatch(/credit hold/);
  expect(text).toMatch(/exceeds limit 500\.00/);
  expect(text).toMatch(/NET_60/);
  expect(text).toMatch(/margin/);
});

test('salesPrechecks: the domain rules on the stored order, plus inactive products', async () => {
  const product = await createStockedProduct(env.prisma, 100, { listPrice: '100.00' });
  const c = await freshCustomer();
  const o = await createOrder(env.prisma, {
    customerId: c.id,
    contactName: '',
    lines: [{ productId: product.id, quantity: 1, unitPrice: '50.00' }],
  });
  await env.prisma.product.update({ where: { id: product.id }, data: { active: false } });
  const { problems } = await env.acts.salesPrechecks({ orderId: o.id, priceDeviation: '0.2' });
  expect(problems).toEqual(
    expect.arrayContaining([
      'contact name is missing',
      expect.stringMatching(new RegExp(`line 1 \\(${product.sku}\\): unit price 50.00 is 50.0% below list 100.00`)),
      `line 1 (${product.sku}): product is no longer active`,
    ]),
  );

  const clean = await createOrder(env.prisma, { customerId: c.id, lines: [{ productId: env.fixture.inStockProductId, quantity: 1 }] });
  expect(await env.acts.salesPrechecks({ orderId: clean.id, priceDeviation: '0.2' })).toEqual({ problems: [] });
});

test('checks of an unknown order are NotFound', async () => {
  await expect(env.acts.salesPrechecks({ orderId: 'missing', priceDeviation: '0.2' })).rejects.toMatchObject({ type: 'NotFound' });
  await expect(env.acts.financeCheck({ orderId: 'missing', minMargin: '0.1', priceDeviation: '0.2' })).rejects.toMatchObject({ type: 'NotFound' });
});
