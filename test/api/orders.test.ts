/**
 * Reading orders, commands to their workflows, work queues, health and the
 * OpenAPI document, against the real stack (test/support/stack.ts).
 */
import { createFixture } from '../support/fixtures';
import { api, authHeaders, placeOrder, waitForStage, type OrderFixture } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;

useTestStack((started) => {
  stack = started;
});

describe('GET /orders', () => {
  let f: OrderFixture;
  const placed: string[] = [];

  beforeAll(async () => {
    f = await createFixture(stack.prisma);
    for (let i = 0; i < 3; i++) placed.push(await placeOrder(stack, f));
  });

  it('filters by customer and pages newest first with an opaque cursor', async () => {
    const page1 = await api(stack, 'GET', `/orders?customerId=${f.customerId}&limit=2`);
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((o: { orderNo: string }) => o.orderNo)).toEqual([placed[2], placed[1]]);
    expect(page1.body.nextCursor).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]+$/));
    expect(page1.body.items[0]).toMatchObject({
      customerId: f.customerId,
      customerName: expect.any(String),
      stage: 'sales_review',
      totalAmount: '2712.00',
      currency: 'CNY',
      escalation: expect.any(String),
      riskLevel: expect.any(String),
      timeInStageSeconds: expect.any(Number),
    });

    const page2 = await api(stack, 'GET', `/orders?customerId=${f.customerId}&limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.status).toBe(200);
    expect(page2.body.items.map((o: { orderNo: string }) => o.orderNo)).toEqual([placed[0]]);
    expect(page2.body.nextCursor).toBeNull();
  });

  it('filters by stage and risk level', async () => {
    const inReview = await api(stack, 'GET', `/orders?customerId=${f.customerId}&stage=sales_review`);
    expect(inReview.body.items).toHaveLength(3);
    const closed = await api(stack, 'GET', `/orders?customerId=${f.customerId}&stage=closed`);
    expect(closed.body.items).toHaveLength(0);

    const level = inReview.body.items[0].riskLevel as string;
    const byRisk = await api(stack, 'GET', `/orders?customerId=${f.customerId}&riskLevel=${level}`);
    expect(byRisk.body.items.length).toBeGreaterThanOrEqual(1);
    expect(byRisk.body.items.every((o: { riskLevel: string }) => o.riskLevel === level)).toBe(true);
  });

  it('rejects bad query parameters naming them', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['stage=nowhere', 'stage'],
      ['riskLevel=extreme', 'riskLevel'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ]) {
      const res = await api(stack, 'GET', `/orders?${query}`);
      expect({ query, status: res.status, field: res.body.field }).toEqual({ query, status: 400, field });
    }
  });
});

describe('GET /orders/:orderNo', () => {
  it('404 for an unknown order, 400 for a malformed number', async () => {
    const missing = await api(stack, 'GET', '/orders/SO-1999-999999');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'Not Found', message: expect.any(String) });

    const malformed = await api(stack, 'GET', '/orders/12345');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: 'Bad Request', field: 'orderNo' });
  });
});

describe('reviews', () => {
  let f: OrderFixture;
  let orderNo: string;

  beforeAll(async () => {
    f = await createFixture(stack.prisma);
    orderNo = await placeOrder(stack, f);
    await waitForStage(stack, orderNo, 'sales_review');
  });

  it('a finance decision while the order is in sales review is 409', async () => {
    const res = await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance');
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'Conflict', message: expect.any(String) });
  });

  it('a rejection needs a comment (400 on comment); unknown decisions and fields are 400', async () => {
    const noComment = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'reject' }, 'sales_manager');
    expect(noComment.status).toBe(400);
    expect(noComment.body).toMatchObject({ field: 'comment' });

    const blank = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'reject', comment: '   ' }, 'sales_manager');
    expect(blank.body).toMatchObject({ field: 'comment' });

    const unknown = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'maybe' }, 'sales_manager');
    expect(unknown.body).toMatchObject({ field: 'decision' });

    const extra = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve', amount: 1 }, 'sales_manager');
    expect(extra.body).toMatchObject({ field: 'amount' });
  });

  it('a decision on an unknown order is 404', async () => {
    const res = await api(stack, 'POST', '/orders/SO-1999-999999/reviews/sales', { decision: 'approve' }, 'sales_manager');
    expect(res.status).toBe(404);
  });

  it('shows the order in the sales work queue, oldest first', async () => {
    const res = await api(stack, 'GET', '/tasks?role=sales&limit=500');
    expect(res.status).toBe(200);
    const mine = res.body.items.find((t: { orderNo: string }) => t.orderNo === orderNo);
    expect(mine).toMatchObject({ task: 'review', stage: 'sales_review', customerId: f.customerId, overdue: false });
    expect(mine.stageDeadline).toEqual(expect.any(String));
    const entered = res.body.items.map((t: { stageEnteredAt: string }) => t.stageEnteredAt);
    expect([...entered].sort()).toEqual(entered);

    const finance = await api(stack, 'GET', '/tasks?role=finance&limit=500', undefined, 'finance');
    expect(finance.body.items.some((t: { orderNo: string }) => t.orderNo === orderNo)).toBe(false);

    const bad = await api(stack, 'GET', '/tasks?role=ceo');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ field: 'role' });
  });

  it('a sales approval moves the order on; approving again is 409', async () => {
    const res = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve', comment: '资料齐全' }, 'sales_manager');
    expect(res.status).toBe(200);
    expect(res.body.orderNo).toBe(orderNo);
    expect(res.body.stage).not.toBe('sales_review');

    const again = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager');
    expect(again.status).toBe(409);
  });
});

describe('other commands', () => {
  it('an unknown production order is 404; a bad body is 400', async () => {
    const res = await api(stack, 'POST', '/production-orders/no-such-po/progress', { percent: 50 }, 'production');
    expect(res.status).toBe(404);
    const bad = await api(stack, 'POST', '/production-orders/no-such-po/progress', { percent: 101 }, 'production');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ field: 'percent' });
  });

  it('payments: amount, reference and paidAt are checked before the order is asked', async () => {
    const url = '/orders/SO-1999-999999/payments';
    const base = { amount: '100.00', reference: 'BANK-1', paidAt: '2026-01-01T00:00:00Z' };
    expect((await api(stack, 'POST', url, { ...base, amount: '0' }, 'finance')).body).toMatchObject({ field: 'amount' });
    expect((await api(stack, 'POST', url, { ...base, amount: '-5' }, 'finance')).body).toMatchObject({ field: 'amount' });
    expect((await api(stack, 'POST', url, { ...base, paidAt: '2999-01-01T00:00:00Z' }, 'finance')).body).toMatchObject({
      field: 'paidAt',
    });
    expect((await api(stack, 'POST', url, { ...base, reference: '' }, 'finance')).body).toMatchObject({ field: 'reference' });
    expect((await api(stack, 'POST', url, base, 'finance')).status).toBe(404);
  });
});

describe('platform', () => {
  it('GET /health: database and Temporal answer', async () => {
    const res = await api(stack, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: 'ok', temporal: 'ok' });
  });

  it('GET /docs/json: the OpenAPI document lists the routes', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/orders', '/orders/{orderNo}', '/orders/{orderNo}/reviews/sales', '/orders/{orderNo}/payments', '/tasks', '/health'])
      expect(Object.keys(doc.paths)).toContain(path);
    expect(doc.paths['/orders'].post.responses).toHaveProperty('201');
    expect(doc.paths['/orders'].post.responses).toHaveProperty('409');
  });

  it('unknown routes are 404 JSON; bodies over 1 MiB are 413', async () => {
    const missing = await api(stack, 'GET', '/no-such-route');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'Not Found' });

    const big = await stack.app.inject({
      method: 'POST',
      url: '/orders',
      payload: JSON.stringify({ notes: 'x'.repeat(1024 * 1024 + 1) }),
      headers: { ...(await authHeaders(stack, 'sales')), 'content-type': 'application/json', 'idempotency-key': 'big-body-1' },
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error: 'Payload Too Large' });
  });

  it('security headers are set', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/health' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
