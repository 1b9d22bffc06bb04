/**
 * The intake form's look-ups (api/routes/catalog.ts) on the real stack:
 * customers with credit standing (a sales user finds only their own) and
 * products with list price and stock.
 */
import { createFixture, FIXTURE_PRICES, type Fixture } from '../support/fixtures';
import { api, placeOrder, waitForStage } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;
let mine: Fixture;
let others: Fixture;

useTestStack(async (started) => {
  stack = started;
  mine = await createFixture(stack.prisma, { creditLimit: '50000.00', allowedPaymentTerms: ['NET_30'] });
  others = await createFixture(stack.prisma, { ownerUsername: 'sales2', creditHold: true });
});

describe('GET /customers', () => {
  it('finds a customer by code with its credit standing: exposure counts its open orders', async () => {
    const before = await api(stack, 'GET', `/customers?q=${mine.customerCode}`, undefined, 'sales');
    expect(before.status).toBe(200);
    expect(before.body.items).toEqual([
      expect.objectContaining({
        id: mine.customerId,
        code: mine.customerCode,
        creditLimit: '50000.00',
        creditCurrency: 'CNY',
        creditHold: false,
        exposure: '0.00',
        available: '50000.00',
        allowedPaymentTerms: ['NET_30'],
        contacts: [expect.objectContaining({ name: '王小明' })],
      }),
    ]);
    const orderNo = await placeOrder(stack, mine); // 2 x 1200.00 + 13 % = 2712.00
    await waitForStage(stack, orderNo, 'sales_review');
    const after = await api(stack, 'GET', `/customers?q=${mine.customerCode.toLowerCase()}`, undefined, 'finance');
    expect(after.body.items[0]).toMatchObject({ exposure: '2712.00', available: '47288.00' });
  });

  it('a sales user finds only the customers they own; finance finds every one, with its credit hold', async () => {
    const asSales = await api(stack, 'GET', `/customers?q=${others.customerCode}`, undefined, 'sales');
    expect(asSales.body.items).toEqual([]);
    const asOwner = await api(stack, 'GET', `/customers?q=${others.customerCode}`, undefined, 'sales2');
    expect(asOwner.body.items.map((c: { id: string }) => c.id)).toEqual([others.customerId]);
    const asFinance = await api(stack, 'GET', `/customers?q=${others.customerCode}`, undefined, 'finance');
    expect(asFinance.body.items[0]).toMatchObject({ id: others.customerId, creditHold: true, creditHoldReason: expect.any(String) });
  });

  it('is not for production, logistics or marketing (403)', async () => {
    for (const role of ['production', 'logistics', 'marketing']) expect((await api(stack, 'GET', '/customers', undefined, role)).status).toBe(403);
  });
});

describe('GET /products', () => {
  it('finds a product by SKU with list price and stock', async () => {
    const res = await api(stack, 'GET', `/products?q=${mine.inStockSku}`, undefined, 'sales');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      {
        id: mine.inStockProductId,
        sku: mine.inStockSku,
        name: expect.any(String),
        listPrice: FIXTURE_PRICES.inStock.listPrice,
        currency: 'CNY',
        onHand: 100,
        reserved: expect.any(Number),
        available: expect.any(Number),
        makeToOrder: false,
      },
    ]);
    const p = res.body.items[0];
    expect(p.available).toBe(p.onHand - p.reserved);
    const mto = await api(stack, 'GET', `/products?q=${mine.mtoSku}`, undefined, 'production');
    expect(mto.body.items[0]).toMatchObject({ sku: mine.mtoSku, makeToOrder: true, onHand: 0, available: 0 });
  });

  it('answers 400 naming the field for a bad limit', async () => {
    const res = await api(stack, 'GET', '/products?limit=0', undefined, 'sales');
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('limit');
  });
});
