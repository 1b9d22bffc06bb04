/**
 * POST /orders against the real stack: PostgreSQL, the Temporal dev server
 * and a worker on this file's own task queue (test/support/stack.ts).
 */
import { randomUUID } from 'node:crypto';
import { ORDER_NO_RE } from '../../workflows/domain/order-number';
import { orderWorkflowId } from '../../workflows/order/contract';
import { createFixture } from '../support/fixtures';
import { authHeaders, intakeBody, orderHandle, waitForStage, type OrderFixture } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;
let f: OrderFixture;

useTestStack(async (started) => {
  stack = started;
  f = await createFixture(stack.prisma);
});

async function post(body: unknown, key: string | null = `test-${randomUUID()}`, headers: Record<string, string> = {}) {
  const res = await stack.app.inject({
    method: 'POST',
    url: '/orders',
    payload: body as object,
    headers: { ...(await authHeaders(stack, 'sales')), ...(key === null ? {} : { 'idempotency-key': key }), ...headers },
  });
  return { status: res.statusCode, headers: res.headers, body: res.json() as Record<string, any> };
}

const ordersOf = (customerId: string) => stack.prisma.order.count({ where: { customerId } });

describe('POST /orders', () => {
  it('takes an order: 201 with its number, and reads it back with its live workflow state', async () => {
    const res = await post(intakeBody(f, { contact: { name: '王经理', email: 'wang@example.cn' }, notes: '请尽快发货' }));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      orderNo: expect.stringMatching(ORDER_NO_RE),
      stage: 'sales_review',
      orderId: expect.any(String),
      // 2 x 1200.00 = 2400.00 net, 13 % tax = 312.00
      totalAmount: '2712.00',
      currency: 'CNY',
    });
    expect(res.headers.location).toBe(`/orders/${res.body.orderNo}`);
    const orderNo = res.body.orderNo as string;

    await waitForStage(stack, orderNo, 'sales_review');
    const one = await stack.app.inject({ method: 'GET', url: `/orders/${orderNo}`, headers: await authHeaders(stack, 'sales') });
    expect(one.statusCode).toBe(200);
    const order = one.json();
    expect(order).toMatchObject({
      orderNo,
      workflowId: orderWorkflowId(orderNo),
      customer: { id: f.customerId },
      channel: 'phone',
      contact: { name: '王经理', email: 'wang@example.cn', phone: null },
      deliveryAddress: { region: f.region, city: '上海市', line1: '浦东新区世纪大道100号' },
      paymentTerms: 'NET_30',
      currency: 'CNY',
      subtotal: '2400.00',
      taxAmount: '312.00',
      totalAmount: '2712.00',
      notes: '请尽快发货',
      stage: 'sales_review',
      enteredBy: 'sales',
      lines: [{ lineNo: 1, productId: f.inStockProductId, quantity: 2, unitPrice: '1200.00', taxRate: '0.1300' }],
      live: { orderNo, stage: 'sales_review' },
    });
    expect(order.timeInStageSeconds).toBeGreaterThanOrEqual(0);
    expect(order.liveError).toBeUndefined();

    const audit = await stack.prisma.auditEntry.findFirst({ where: { orderNo, action: 'order.create' } });
    expect(audit).toMatchObject({ actor: 'sales', entity: 'order', entityId: res.body.orderId });
  });

  it('accepts a line by SKU instead of product id', async () => {
    const product = await stack.prisma.product.findUniqueOrThrow({ where: { id: f.inStockProductId } });
    const res = await post(intakeBody(f, { lines: [{ sku: product.sku, quantity: 1, unitPrice: '99.99', taxRate: '0' }] }));
    expect(res.status).toBe(201);
    expect(res.body.totalAmount).toBe('99.99');
  });

  it('returns the same order for a repeated Idempotency-Key, with no second order or workflow', async () => {
    const key = `test-${randomUUID()}`;
    const body = intakeBody(f);
    const first = await post(body, key);
    expect(first.status).toBe(201);
    const orderNo = first.body.orderNo as string;
    const run1 = (await orderHandle(stack, orderNo).describe()).runId;

    const again = await post(body, key);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replay']).toBe('true');
    expect(again.body).toEqual(first.body);

    // Key order in the JSON does not matter.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    expect((await post(reordered, key)).body.orderNo).toBe(orderNo);

    expect(await stack.prisma.order.count({ where: { idempotencyKey: key } })).toBe(1);
    const described = await orderHandle(stack, orderNo).describe();
    expect(described.runId).toBe(run1);
    expect(described.status.name).toBe('RUNNING');
  });

  it('concurrent submissions of one key make one order', async () => {
    const key = `test-${randomUUID()}`;
    const body = intakeBody(f);
    const results = await Promise.all([post(body, key), post(body, key), post(body, key), post(body, key)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.body.orderNo)).size).toBe(1);
    expect(await stack.prisma.order.count({ where: { idempotencyKey: key } })).toBe(1);
  });

  it('refuses the same Idempotency-Key with a different body (409 on the key)', async () => {
    const key = `test-${randomUUID()}`;
    expect((await post(intakeBody(f), key)).status).toBe(201);
    const before = await ordersOf(f.customerId);
    const res = await post(intakeBody(f, { notes: 'different' }), key);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'Conflict', field: 'Idempotency-Key' });
    expect(await ordersOf(f.customerId)).toBe(before);
  });

  describe('bad input: 400 naming the field, and nothing stored', () => {
    const line = () => ({ productId: f.inStockProductId, quantity: 2, unitPrice: '1200.00', taxRate: '0.13' });
    const cases: [string, () => Record<string, unknown>, string][] = [
      ['missing customerId', () => { const b = intakeBody(f); delete b.customerId; return b; }, 'customerId'],
      ['unknown customer', () => intakeBody(f, { customerId: 'no-such-customer' }), 'customerId'],
      ['quantity 0', () => intakeBody(f, { lines: [{ ...line(), quantity: 0 }] }), 'lines[0].quantity'],
      ['fractional quantity', () => intakeBody(f, { lines: [line(), { ...line(), quantity: 1.5 }] }), 'lines[1].quantity'],
      ['unknown product', () => intakeBody(f, { lines: [line(), { ...line(), productId: 'no-such-product' }] }), 'lines[1].productId'],
      ['a line without a product', () => intakeBody(f, { lines: [{ quantity: 1, unitPrice: '1.00', taxRate: '0.13' }] }), 'lines[0].productId'],
      ['money as a number', () => intakeBody(f, { lines: [{ ...line(), unitPrice: 1200 }] }), 'lines[0].unitPrice'],
      ['money with 3 decimals', () => intakeBody(f, { lines: [{ ...line(), unitPrice: '1.005' }] }), 'lines[0].unitPrice'],
      ['tax rate above 1', () => intakeBody(f, { lines: [{ ...line(), taxRate: '1.5' }] }), 'lines[0].taxRate'],
      ['no lines', () => intakeBody(f, { lines: [] }), 'lines'],
      ['impossible date', () => intakeBody(f, { requestedDeliveryDate: '2026-02-30' }), 'requestedDeliveryDate'],
      ['delivery date in the past', () => intakeBody(f, { requestedDeliveryDate: '2020-01-01' }), 'requestedDeliveryDate'],
      ['unknown channel', () => intakeBody(f, { channel: 'pigeon' }), 'channel'],
      ['unknown payment terms', () => intakeBody(f, { paymentTerms: 'NET_999' }), 'paymentTerms'],
      ['extra field', () => intakeBody(f, { discountCode: 'X' }), 'discountCode'],
      ['extra field in a line', () => intakeBody(f, { lines: [{ ...line(), colour: 'red' }] }), 'lines[0].colour'],
      ['missing address part', () => { const b = intakeBody(f); delete (b.deliveryAddress as Record<string, unknown>).city; return b; }, 'deliveryAddress.city'],
      ['lower-case currency', () => intakeBody(f, { currency: 'cny' }), 'currency'],
    ];

    it.each(cases)('%s', async (_name, body, field) => {
      const before = await ordersOf(f.customerId);
      const res = await post(body());
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'Bad Request', field });
      expect(res.body.message).toEqual(expect.any(String));
      expect(await ordersOf(f.customerId)).toBe(before);
    });

    it('missing or short Idempotency-Key', async () => {
      for (const key of [null, 'short']) {
        const res = await post(intakeBody(f), key);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error: 'Bad Request', field: 'Idempotency-Key' });
      }
    });

    it('a bad bearer token is 401 and stores nothing', async () => {
      const before = await ordersOf(f.customerId);
      const res = await post(intakeBody(f), undefined, { authorization: 'Bearer Robert"); DROP TABLE orders;' });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'Unauthorized', message: expect.any(String) });
      expect(await ordersOf(f.customerId)).toBe(before);
    });

    it('malformed JSON', async () => {
      const res = await stack.app.inject({
        method: 'POST',
        url: '/orders',
        payload: '{"customerId": ',
        headers: { ...(await authHeaders(stack, 'sales')), 'content-type': 'application/json', 'idempotency-key': `test-${randomUUID()}` },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'Bad Request' });
    });
  });
});
