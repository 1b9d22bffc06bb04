/**
 * The sales analysis API against a hand-made data set in 2016 (a year no
 * other test writes to): every figure below was computed by hand from the
 * orders listed here, not by the code under test.
 *
 *   order  date        customer region channel    stage         lines (qty x price; cost P1 600, P2 3200)
 *   O6     2015-12-01  C        广东   phone      closed        P1 1 x 1000      (before the period: C is returning)
 *   O1     2016-01-10  A        浙江   phone      closed        P1 2 x 1000, P2 1 x 5000
 *   O2     2016-01-20  C        广东   ecommerce  closed        P1 5 x 900
 *   O3     2016-02-05  A        浙江   ecommerce  shipping      P2 2 x 4800
 *   O4     2016-02-15  B        广东   phone      sales_review  P1 1 x 1100.55
 *   O5     2016-02-20  B        广东   phone      rejected      P1 10 x 1000    (not counted)
 *   O7     2016-02-25  A        浙江   phone      cancelled     P2 1 x 5000     (not counted)
 *
 * Period 2016-01-01..2016-02-29: orders O1-O4; revenue 7000 + 4500 + 9600 +
 * 1100.55 = 22200.55; cost 4400 + 3000 + 6400 + 600 = 14400.00.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { createFixture, type Fixture } from '../support/fixtures';
import { api } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;
let a: Fixture;
let b: Fixture;
let c: Fixture;
let p1: string;
let p2: string;
const PERIOD = 'from=2016-01-01&to=2016-02-29';

async function order(customer: Fixture, date: string, region: string, channel: string, stage: string, lines: [string, number, string][]) {
  const orderNo = `SO-2016-${String(randomInt(1, 1_000_000_000)).padStart(9, '0')}`;
  await stack.prisma.order.create({
    data: {
      orderNo,
      idempotencyKey: `analysis-${randomUUID()}`,
      requestHash: 'analysis',
      customerId: customer.customerId,
      channel,
      contactName: '王经理',
      orderDate: new Date(`${date}T00:00:00Z`),
      requestedDeliveryDate: new Date(`${date}T00:00:00Z`),
      deliveryAddress: { recipient: '王经理', phone: '+86 21 5555 0101', region, city: '某市', line1: '某路1号' },
      paymentTerms: 'NET_30',
      subtotal: '0',
      taxAmount: '0',
      totalAmount: '0',
      stage,
      stageEnteredAt: new Date(`${date}T00:00:00Z`),
      enteredBy: 'sales',
      workflowId: `order-${orderNo}`,
      lines: { create: lines.map(([productId, quantity, unitPrice], i) => ({ lineNo: i + 1, productId, quantity, unitPrice, taxRate: '0.13' })) },
    },
  });
}

useTestStack(async (started) => {
  stack = started;
  [a, b, c] = [await createFixture(stack.prisma), await createFixture(stack.prisma), await createFixture(stack.prisma)];
  p1 = a.inStockProductId; // standard cost 600.00
  p2 = a.mtoProductId; // standard cost 3200.00
  await order(c, '2015-12-01', '广东', 'phone', 'closed', [[p1, 1, '1000.00']]);
  await order(a, '2016-01-10', '浙江', 'phone', 'closed', [[p1, 2, '1000.00'], [p2, 1, '5000.00']]);
  await order(c, '2016-01-20', '广东', 'ecommerce', 'closed', [[p1, 5, '900.00']]);
  await order(a, '2016-02-05', '浙江', 'ecommerce', 'shipping', [[p2, 2, '4800.00']]);
  await order(b, '2016-02-15', '广东', 'phone', 'sales_review', [[p1, 1, '1100.55']]);
  await order(b, '2016-02-20', '广东', 'phone', 'rejected', [[p1, 10, '1000.00']]);
  await order(a, '2016-02-25', '浙江', 'phone', 'cancelled', [[p2, 1, '5000.00']]);
});

const get = (url: string, actor = 'marketing') => api(stack, 'GET', url, undefined, actor);

test('summary: orders, customers, revenue, margin, average order value', async () => {
  const res = await get(`/analysis/summary?${PERIOD}`);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    period: { from: '2016-01-01', to: '2016-02-29' },
    customers: 3,
    orders: 4,
    quantity: 11,
    revenue: '22200.55',
    cost: '14400.00',
    margin: '7800.55',
    marginRate: '0.3514',
    averageOrderValue: '5550.14',
    share: null,
  });
});

test('by product, customer, region, channel and month', async () => {
  const items = async (by: string) => (await get(`/analysis/sales?${PERIOD}&by=${by}`)).body.items;
  const pick = (rows: any[]) => rows.map((r) => [r.key, r.orders, r.quantity, r.revenue, r.cost, r.margin, r.marginRate, r.averageOrderValue, r.share]);

  const products = await items('product');
  expect(pick(products)).toEqual([
    [p2, 2, 3, '14600.00', '9600.00', '5000.00', '0.3425', '7300.00', '0.6576'],
    [p1, 3, 8, '7600.55', '4800.00', '2800.55', '0.3685', '2533.52', '0.3424'],
  ]);
  expect(products[0].label).toContain(a.mtoSku);

  const customers = await items('customer');
  expect(customers.map((r: any) => [r.key, r.orders, r.revenue, r.cost, r.marginRate, r.share])).toEqual([
    [a.customerId, 2, '16600.00', '10800.00', '0.3494', '0.7477'],
    [c.customerId, 1, '4500.00', '3000.00', '0.3333', '0.2027'],
    [b.customerId, 1, '1100.55', '600.00', '0.4548', '0.0496'],
  ]);
  expect(customers[0].label).toBe(`${a.customerCode} ${a.customerName}`);

  expect((await items('region')).map((r: any) => [r.key, r.orders, r.revenue, r.cost])).toEqual([
    ['浙江', 2, '16600.00', '10800.00'],
    ['广东', 2, '5600.55', '3600.00'],
  ]);
  expect((await items('channel')).map((r: any) => [r.key, r.orders, r.revenue, r.cost])).toEqual([
    ['ecommerce', 2, '14100.00', '9400.00'],
    ['phone', 2, '8100.55', '5000.00'],
  ]);
  expect(pick(await items('month'))).toEqual([
    ['2016-01', 2, 8, '11500.00', '7400.00', '4100.00', '0.3565', '5750.00', '0.5180'],
    ['2016-02', 2, 3, '10700.55', '7000.00', '3700.55', '0.3458', '5350.28', '0.4820'],
  ]);
});

test('top customers and products', async () => {
  const top = await get(`/analysis/top?${PERIOD}&dimension=customer&limit=2`);
  expect(top.body.items.map((r: any) => [r.key, r.revenue, r.share])).toEqual([
    [a.customerId, '16600.00', '0.7477'],
    [c.customerId, '4500.00', '0.2027'],
  ]);
  const products = await get(`/analysis/top?${PERIOD}&dimension=product&limit=1`);
  expect(products.body.items.map((r: any) => [r.key, r.revenue])).toEqual([[p2, '14600.00']]);
});

test('new and returning customers per month', async () => {
  const res = await get(`/analysis/customers?${PERIOD}`);
  expect(res.body.items).toEqual([
    // January: A's first order (new); C ordered in December 2015 (returning).
    { month: '2016-01', newCustomers: 1, returningCustomers: 1, newOrders: 1, returningOrders: 1, newRevenue: '7000.00', returningRevenue: '4500.00' },
    // February: B's first counted order (its rejected one does not count); A again.
    { month: '2016-02', newCustomers: 1, returningCustomers: 1, newOrders: 1, returningOrders: 1, newRevenue: '1100.55', returningRevenue: '9600.00' },
  ]);
});

test('filters: region, channel and customer, product', async () => {
  const s = async (q: string) => (await get(`/analysis/summary?${PERIOD}&${q}`)).body;
  expect(await s(`region=${encodeURIComponent('浙江')}`)).toMatchObject({ orders: 2, revenue: '16600.00', cost: '10800.00' });
  expect(await s(`channel=phone&customerId=${a.customerId}`)).toMatchObject({ orders: 1, revenue: '7000.00', cost: '4400.00' });
  // Only P1's lines count: O1's P1 line, O2, O4.
  expect(await s(`productId=${p1}`)).toMatchObject({ orders: 3, quantity: 8, revenue: '7600.55', averageOrderValue: '2533.52' });
  expect((await get('/analysis/summary?from=2016-02-01&to=2016-02-10')).body).toMatchObject({ orders: 1, revenue: '9600.00' });
});

test('CSV', async () => {
  const res = await get(`/analysis/sales?${PERIOD}&by=month&format=csv`);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
  expect(res.headers['content-disposition']).toBe('attachment; filename="sales-by-month-2016-01-01-2016-02-29.csv"');
  expect(res.body).toBe(
    'key,label,orders,quantity,revenue,cost,margin,marginRate,averageOrderValue,share\r\n' +
      '2016-01,2016-01,2,8,11500.00,7400.00,4100.00,0.3565,5750.00,0.5180\r\n' +
      '2016-02,2016-02,2,3,10700.55,7000.00,3700.55,0.3458,5350.28,0.4820\r\n',
  );
  const mix = await get(`/analysis/customers?${PERIOD}&format=csv`);
  expect(mix.body.split('\r\n')[0]).toBe('month,newCustomers,returningCustomers,newOrders,returningOrders,newRevenue,returningRevenue');
});

test('roles and bad input', async () => {
  expect((await get(`/analysis/summary?${PERIOD}`, 'sales')).status).toBe(403);
  expect((await get(`/analysis/summary?${PERIOD}`, 'auditor')).status).toBe(200);
  const backwards = await get('/analysis/summary?from=2016-03-01&to=2016-02-01');
  expect(backwards.status).toBe(400);
  expect(backwards.body.field).toBe('from');
  expect((await get(`/analysis/sales?${PERIOD}&by=colour`)).status).toBe(400);
  expect((await get(`/analysis/top?${PERIOD}&dimension=customer&limit=0`)).status).toBe(400);
});
