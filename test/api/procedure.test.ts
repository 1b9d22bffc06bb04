/**
 * The procedure's routes against the real stack (test/support/stack.ts):
 * correction, joint review, change requests (idempotent filing, the list,
 * decisions), cancel / hold / release, feedback and complaints, and the risk
 * register. Every refusal is checked for its status and, for 400, the field.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createFixture } from '../support/fixtures';
import { authHeaders, placeOrder, waitForStage, waitForState, type OrderFixture } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';
import { changeIdFor } from '../../api/services/changes';

jest.setTimeout(180_000);

let stack: TestStack;

useTestStack((started) => {
  stack = started;
});

type Method = 'GET' | 'POST' | 'PATCH';

async function call(method: Method, url: string, body?: unknown, actor = 'sales', headers: Record<string, string> = {}) {
  const res = await stack.app.inject({ method, url, payload: body as object | undefined, headers: { ...(await authHeaders(stack, actor)), ...headers } });
  return { status: res.statusCode, headers: res.headers, body: res.body ? (res.json() as any) : undefined };
}

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const line = (productId: string, quantity: number) => ({ productId, quantity, unitPrice: '1200.00', taxRate: '0.13' });

/** Sales approves (as a sales lead) and finance approves. */
async function approveReviews(orderNo: string) {
  expect((await call('POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager')).status).toBe(200);
  await waitForStage(stack, orderNo, 'finance_review');
  expect((await call('POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance')).status).toBe(200);
}

describe('POST /orders/:orderNo/correction', () => {
  let f: OrderFixture;
  beforeAll(async () => {
    f = await createFixture(stack.prisma);
  });

  it('corrects a returned order; review starts again; a second correction is 409', async () => {
    const orderNo = await placeOrder(stack, f);
    const ret = await call('POST', `/orders/${orderNo}/reviews/sales`, { decision: 'return', comment: '数量请与客户确认' }, 'sales_manager');
    expect(ret.body.stage).toBe('correction');

    const empty = await call('POST', `/orders/${orderNo}/correction`, { changes: {} });
    expect(empty).toMatchObject({ status: 400, body: { field: 'changes' } });
    const zero = await call('POST', `/orders/${orderNo}/correction`, { changes: { lines: [line(f.inStockProductId, 0)] } });
    expect(zero).toMatchObject({ status: 400, body: { field: 'changes.lines[0].quantity' } });
    const past = await call('POST', `/orders/${orderNo}/correction`, { changes: { requestedDeliveryDate: '2020-01-01' } });
    expect(past).toMatchObject({ status: 400, body: { field: 'changes.requestedDeliveryDate' } });
    const terms = await call('POST', `/orders/${orderNo}/correction`, { changes: { paymentTerms: 'NET_999' } });
    expect(terms).toMatchObject({ status: 400, body: { field: 'changes.paymentTerms' } });
    const unknownProduct = await call('POST', `/orders/${orderNo}/correction`, { changes: { lines: [line('no-such-product', 1)] } });
    expect(unknownProduct).toMatchObject({ status: 400, body: { field: 'changes.lines[0].productId' } });

    const res = await call('POST', `/orders/${orderNo}/correction`, { changes: { lines: [line(f.inStockProductId, 3)] } });
    expect(res).toMatchObject({ status: 200, body: { orderNo, stage: 'sales_review' } });
    const order = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo } });
    expect(order.totalAmount.toFixed(2)).toBe('4068.00');
    expect(order.correctionCount).toBe(1);

    const again = await call('POST', `/orders/${orderNo}/correction`, { changes: { lines: [line(f.inStockProductId, 4)] } });
    expect(again.status).toBe(409);
  });

  it('404 for an unknown order', async () => {
    const res = await call('POST', '/orders/SO-1999-999999/correction', { changes: { requestedDeliveryDate: inDays(20) } });
    expect(res.status).toBe(404);
  });
});

describe('POST /orders/:orderNo/reviews/joint', () => {
  it('each department decides once; the order entrant is 403; all approvals move the order on', async () => {
    const f = await createFixture(stack.prisma);
    const orderNo = await placeOrder(stack, f, { special: true });
    const early = await call('POST', `/orders/${orderNo}/reviews/joint`, { department: 'production', decision: 'approve' }, 'production');
    expect(early.status).toBe(409);

    await approveReviews(orderNo);
    await waitForStage(stack, orderNo, 'joint_review');
    const url = `/orders/${orderNo}/reviews/joint`;

    expect(await call('POST', url, { department: 'sales', decision: 'approve' }, 'production')).toMatchObject({ status: 400, body: { field: 'department' } });
    expect(await call('POST', url, { department: 'logistics', decision: 'reject' }, 'logistics')).toMatchObject({ status: 400, body: { field: 'comment' } });
    expect(await call('POST', url, { department: 'logistics', decision: 'return', comment: 'x' }, 'logistics')).toMatchObject({ status: 400, body: { field: 'decision' } });
    expect((await call('POST', url, { department: 'finance', decision: 'approve' }, 'sales')).status).toBe(403);

    const first = await call('POST', url, { department: 'production', decision: 'approve', comment: '产能可满足' }, 'production');
    expect(first).toMatchObject({ status: 200, body: { orderNo, stage: 'joint_review' } });
    expect([...first.body.pending].sort()).toEqual(['finance', 'logistics']);
    expect((await call('POST', url, { department: 'production', decision: 'approve' }, 'production')).status).toBe(409);

    await call('POST', url, { department: 'logistics', decision: 'approve' }, 'logistics');
    const last = await call('POST', url, { department: 'finance', decision: 'approve' }, 'finance');
    expect(last.status).toBe(200);
    expect(last.body.pending).toEqual([]);
    expect(last.body.stage).not.toBe('joint_review');
    const decisions = await stack.prisma.reviewDecision.findMany({ where: { order: { orderNo }, stage: 'joint_review' } });
    expect(decisions.map((d) => d.department).sort()).toEqual(['finance', 'logistics', 'production']);
  });
});

describe('change requests', () => {
  let f: OrderFixture;
  let orderNo: string;
  const key = `chg-key-${randomUUID()}`;
  const body = () => ({ changes: { requestedDeliveryDate: inDays(30) }, reason: '客户来函：推迟交货' });

  beforeAll(async () => {
    f = await createFixture(stack.prisma);
    orderNo = await placeOrder(stack, f);
    await waitForStage(stack, orderNo, 'sales_review');
  });

  it('the Idempotency-Key header is required (8-100 characters); the body is checked', async () => {
    const url = `/orders/${orderNo}/changes`;
    expect(await call('POST', url, body())).toMatchObject({ status: 400, body: { field: 'Idempotency-Key' } });
    expect(await call('POST', url, body(), 'sales', { 'idempotency-key': 'short' })).toMatchObject({ status: 400, body: { field: 'Idempotency-Key' } });
    const k = { 'idempotency-key': `bad-${randomUUID()}` };
    expect(await call('POST', url, { changes: body().changes }, 'sales', k)).toMatchObject({ status: 400, body: { field: 'reason' } });
    expect(await call('POST', url, { ...body(), reason: '   ' }, 'sales', k)).toMatchObject({ status: 400, body: { field: 'reason' } });
    expect(await call('POST', url, { ...body(), changes: {} }, 'sales', k)).toMatchObject({ status: 400, body: { field: 'changes' } });
    expect(await call('POST', url, { ...body(), changes: { colour: 'red' } }, 'sales', k)).toMatchObject({ status: 400, body: { field: 'changes.colour' } });
    expect(await call('POST', '/orders/SO-1999-999999/changes', body(), 'sales', k)).toMatchObject({ status: 404 });
    expect(await stack.prisma.changeRequest.count({ where: { order: { orderNo } } })).toBe(0);
  });

  it('files a change once per key: 201, then a replay (200, Idempotent-Replay), a different body is 409', async () => {
    const url = `/orders/${orderNo}/changes`;
    const changeId = changeIdFor(orderNo, key);
    expect(changeId).toMatch(/^chg_[0-9a-f]{24}$/);

    const res = await call('POST', url, body(), 'sales', { 'idempotency-key': key });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ orderNo, changeId, status: 'under_review' });
    expect([...res.body.pending].sort()).toEqual(['finance', 'sales']);
    expect(res.headers['idempotent-replay']).toBeUndefined();

    const replay = await call('POST', url, body(), 'sales', { 'idempotency-key': key });
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replay']).toBe('true');
    expect(replay.body).toEqual(res.body);

    const other = await call('POST', url, { ...body(), reason: '另一个理由' }, 'sales', { 'idempotency-key': key });
    expect(other).toMatchObject({ status: 409, body: { field: 'Idempotency-Key' } });

    // One change under review at a time.
    const second = await call('POST', url, { ...body(), reason: '第二个变更' }, 'sales', { 'idempotency-key': `chg-key-${randomUUID()}` });
    expect(second.status).toBe(409);

    const rows = await stack.prisma.changeRequest.findMany({ where: { order: { orderNo } } });
    expect(rows.map((r) => r.id)).toEqual([changeId]);
  });

  it('GET lists the change requests from the database', async () => {
    const res = await call('GET', `/orders/${orderNo}/changes`);
    expect(res.status).toBe(200);
    expect(res.body.orderNo).toBe(orderNo);
    expect(res.body.items).toEqual([
      expect.objectContaining({
        id: changeIdFor(orderNo, key),
        status: 'under_review',
        changes: body().changes,
        reason: '客户来函：推迟交货',
        wrongData: false,
        requestedBy: 'sales',
        createdAt: expect.any(String),
        decidedAt: null,
        appliedAt: null,
      }),
    ]);
    expect(Object.keys(res.body.items[0].reviews).sort()).toEqual(['finance', 'sales']);
    expect((await call('GET', '/orders/SO-1999-999999/changes')).status).toBe(404);
  });

  it('decisions: the filer is 403, unknown change 404, a non-reviewer 400; all approve and it is applied', async () => {
    const changeId = changeIdFor(orderNo, key);
    const url = `/orders/${orderNo}/changes/${changeId}/reviews`;
    expect((await call('POST', url, { department: 'sales', decision: 'approve' }, 'sales')).status).toBe(403);
    expect((await call('POST', `/orders/${orderNo}/changes/chg_000000000000000000000000/reviews`, { department: 'sales', decision: 'approve' }, 'sales_manager')).status).toBe(404);
    expect(await call('POST', url, { department: 'production', decision: 'approve' }, 'production')).toMatchObject({ status: 400, body: { field: 'department' } });
    expect(await call('POST', url, { department: 'finance', decision: 'reject' }, 'finance')).toMatchObject({ status: 400, body: { field: 'comment' } });

    const first = await call('POST', url, { department: 'sales', decision: 'approve' }, 'sales_manager');
    expect(first).toMatchObject({ status: 200, body: { orderNo, changeId, status: 'under_review', pending: ['finance'] } });
    expect((await call('POST', url, { department: 'sales', decision: 'approve' }, 'sales_manager')).status).toBe(409);
    const last = await call('POST', url, { department: 'finance', decision: 'approve', comment: '同意' }, 'finance');
    expect(last).toMatchObject({ status: 200, body: { orderNo, changeId, status: 'applied', pending: [] } });

    const order = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo } });
    expect(order.requestedDeliveryDate.toISOString().slice(0, 10)).toBe(body().changes.requestedDeliveryDate);
    const listed = (await call('GET', `/orders/${orderNo}/changes`)).body.items[0];
    expect(listed.status).toBe('applied');
    expect(listed.reviews).toMatchObject({ sales: { decision: 'approve', actor: 'sales_manager' }, finance: { decision: 'approve', actor: 'finance' } });

    // A replay after the decision answers the change's current state.
    const replay = await call('POST', `/orders/${orderNo}/changes`, body(), 'sales', { 'idempotency-key': key });
    expect(replay).toMatchObject({ status: 200, body: { changeId, status: 'applied', pending: [] } });
  });

  it('409 after dispatch, for changes and for cancellation', async () => {
    const g = await createFixture(stack.prisma);
    const shipped = await placeOrder(stack, g);
    await approveReviews(shipped);
    await waitForState(stack, shipped, (s) => s.stage === 'shipping' && !!s.shipment);
    expect((await call('POST', `/orders/${shipped}/dispatch`, {}, 'logistics')).status).toBe(200);
    const res = await call('POST', `/orders/${shipped}/changes`, body(), 'sales', { 'idempotency-key': `chg-key-${randomUUID()}` });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/dispatch/);
    expect((await call('POST', `/orders/${shipped}/cancel`, { reason: '客户取消' })).status).toBe(409);
  });
});

describe('cancel, hold, release', () => {
  let f: OrderFixture;
  beforeAll(async () => {
    f = await createFixture(stack.prisma);
  });

  it('hold and release with a reason; the second of each is 409', async () => {
    const orderNo = await placeOrder(stack, f);
    await waitForStage(stack, orderNo, 'sales_review');
    expect(await call('POST', `/orders/${orderNo}/hold`, {}, 'sales_manager')).toMatchObject({ status: 400, body: { field: 'reason' } });
    expect(await call('POST', `/orders/${orderNo}/hold`, { reason: ' ' }, 'sales_manager')).toMatchObject({ status: 400, body: { field: 'reason' } });
    expect(await call('POST', `/orders/${orderNo}/hold`, { reason: 'x'.repeat(501) }, 'sales_manager')).toMatchObject({ status: 400, body: { field: 'reason' } });
    expect((await call('POST', `/orders/${orderNo}/release`, { reason: '无' }, 'finance_manager')).status).toBe(409);

    const hold = await call('POST', `/orders/${orderNo}/hold`, { reason: '信用审查' }, 'finance_manager');
    expect(hold).toMatchObject({ status: 200, body: { orderNo, stage: 'sales_review' } });
    expect((await call('POST', `/orders/${orderNo}/hold`, { reason: '再次' }, 'finance_manager')).status).toBe(409);
    const release = await call('POST', `/orders/${orderNo}/release`, { reason: '审查通过' }, 'finance_manager');
    expect(release).toMatchObject({ status: 200, body: { orderNo, stage: 'sales_review' } });
    expect((await call('POST', `/orders/${orderNo}/release`, { reason: '再次' }, 'finance_manager')).status).toBe(409);

    const row = await stack.prisma.orderHold.findFirstOrThrow({ where: { order: { orderNo } } });
    expect(row).toMatchObject({ reason: '信用审查', heldBy: 'finance_manager', releasedBy: 'finance_manager' });
    expect(row.releasedAt).not.toBeNull();
  });

  it('cancel: 200 cancelled, again 409, unknown order 404', async () => {
    const orderNo = await placeOrder(stack, f);
    await waitForStage(stack, orderNo, 'sales_review');
    const res = await call('POST', `/orders/${orderNo}/cancel`, { reason: '客户取消订单' });
    expect(res).toMatchObject({ status: 200, body: { orderNo, stage: 'cancelled' } });
    expect((await stack.prisma.order.findUniqueOrThrow({ where: { orderNo } })).stage).toBe('cancelled');
    expect((await call('POST', `/orders/${orderNo}/cancel`, { reason: '再次' })).status).toBe(409);
    expect((await call('POST', `/orders/${orderNo}/hold`, { reason: '再次' }, 'sales_manager')).status).toBe(409);
    expect((await call('POST', '/orders/SO-1999-999999/cancel', { reason: 'x' })).status).toBe(404);
  });
});

describe('feedback and complaints', () => {
  let f: OrderFixture;
  let orderNo: string;
  beforeAll(async () => {
    f = await createFixture(stack.prisma);
    orderNo = await placeOrder(stack, f);
  });

  it('feedback: 201 with a row and an audit entry; bad ratings 400; unknown 404; cancelled 409', async () => {
    const url = `/orders/${orderNo}/feedback`;
    for (const rating of [0, 6, 2.5, '5']) expect(await call('POST', url, { rating })).toMatchObject({ status: 400, body: { field: 'rating' } });
    expect(await call('POST', url, { rating: 4, comment: 'x'.repeat(2001) })).toMatchObject({ status: 400, body: { field: 'comment' } });

    const res = await call('POST', url, { rating: 4, comment: '交货及时' }, 'sales');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.any(String), orderNo, rating: 4 });
    const row = await stack.prisma.feedback.findUniqueOrThrow({ where: { id: res.body.id } });
    expect(row).toMatchObject({ rating: 4, comment: '交货及时', createdBy: 'sales' });
    const audit = await stack.prisma.auditEntry.findFirstOrThrow({ where: { entity: 'feedback', entityId: res.body.id } });
    expect(audit).toMatchObject({ action: 'feedback.create', actor: 'sales', orderNo, after: { rating: 4, comment: '交货及时' } });

    expect((await call('POST', '/orders/SO-1999-999999/feedback', { rating: 5 })).status).toBe(404);

    const cancelled = await placeOrder(stack, f);
    await waitForStage(stack, cancelled, 'sales_review');
    expect((await call('POST', `/orders/${cancelled}/cancel`, { reason: '客户取消' })).status).toBe(200);
    expect((await call('POST', `/orders/${cancelled}/feedback`, { rating: 1 })).status).toBe(409);
  });

  it('complaints: owner defaults to an active sales manager; alert and audit rows; resolve once', async () => {
    const url = `/orders/${orderNo}/complaints`;
    expect(await call('POST', url, {})).toMatchObject({ status: 400, body: { field: 'text' } });
    expect(await call('POST', url, { text: '  ' })).toMatchObject({ status: 400, body: { field: 'text' } });
    expect(await call('POST', url, { text: '包装破损', owner: 'nobody-here' })).toMatchObject({ status: 400, body: { field: 'owner' } });
    expect((await call('POST', '/orders/SO-1999-999999/complaints', { text: '包装破损' })).status).toBe(404);

    const named = await call('POST', url, { text: '发票抬头错误', owner: 'finance' }, 'sales');
    expect(named).toMatchObject({ status: 201, body: { owner: 'finance', status: 'open' } });

    const res = await call('POST', url, { text: '包装破损，两台电机外壳有划痕' }, 'sales');
    expect(res.status).toBe(201);
    const manager = await stack.prisma.user.findFirstOrThrow({ where: { role: 'sales_manager', active: true }, orderBy: { username: 'asc' } });
    expect(res.body).toMatchObject({ id: expect.any(String), orderNo, owner: manager.username, status: 'open', createdBy: 'sales', resolution: null });
    const id = res.body.id as string;
    const alert = await stack.prisma.alert.findUniqueOrThrow({ where: { key: `complaint:${id}` } });
    expect(alert).toMatchObject({ kind: 'complaint', role: 'sales_manager' });
    expect(await stack.prisma.auditEntry.findFirst({ where: { entity: 'complaint', entityId: id, action: 'complaint.create' } })).not.toBeNull();

    expect(await call('POST', `/complaints/${id}/resolve`, {})).toMatchObject({ status: 400, body: { field: 'resolution' } });
    const resolved = await call('POST', `/complaints/${id}/resolve`, { resolution: '已补发外壳并致歉' }, 'sales_manager');
    expect(resolved).toMatchObject({ status: 200, body: { id, status: 'resolved', resolution: '已补发外壳并致歉', resolvedBy: 'sales_manager' } });
    expect(resolved.body.resolvedAt).toEqual(expect.any(String));
    const row = await stack.prisma.complaint.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'resolved', resolvedBy: 'sales_manager' });
    const audit = await stack.prisma.auditEntry.findFirstOrThrow({ where: { entity: 'complaint', entityId: id, action: 'complaint.resolve' } });
    expect(audit).toMatchObject({ actor: 'sales_manager', orderNo, before: { status: 'open' }, after: { status: 'resolved' } });

    expect((await call('POST', `/complaints/${id}/resolve`, { resolution: '再次' })).status).toBe(409);
    expect((await call('POST', '/complaints/no-such-complaint/resolve', { resolution: 'x' })).status).toBe(404);
  });

  it('GET /orders/:orderNo shows feedback and complaints', async () => {
    const res = await call('GET', `/orders/${orderNo}`);
    expect(res.status).toBe(200);
    expect(res.body.feedback).toEqual([expect.objectContaining({ rating: 4, comment: '交货及时', createdBy: 'sales' })]);
    expect(res.body.complaints).toHaveLength(2);
    expect(res.body.complaints.map((c: { status: string }) => c.status).sort()).toEqual(['open', 'resolved']);
  });
});

describe('risk register', () => {
  let f: OrderFixture;
  let customerName: string;
  const ids: Record<string, string> = {};
  let orderA: string;

  /** An order row without a workflow, so no assessment touches its risks. */
  async function bareOrder(customerId: string) {
    const orderNo = `SO-2099-${String(parseInt(randomBytes(4).toString('hex'), 16)).padStart(10, '0')}`;
    return stack.prisma.order.create({
      data: {
        orderNo,
        idempotencyKey: `bare-${randomUUID()}`,
        requestHash: 'x',
        customerId,
        channel: 'phone',
        contactName: '测试',
        orderDate: new Date('2026-01-01'),
        requestedDeliveryDate: new Date('2026-02-01'),
        deliveryAddress: {},
        paymentTerms: 'NET_30',
        subtotal: '100.00',
        taxAmount: '13.00',
        totalAmount: '113.00',
        stage: 'sales_review',
        stageEnteredAt: new Date(),
        enteredBy: 'sales',
        workflowId: `bare-${orderNo}`,
      },
    });
  }

  beforeAll(async () => {
    const fx = await createFixture(stack.prisma);
    f = fx;
    customerName = fx.customerName;
    const a = await bareOrder(f.customerId);
    const b = await bareOrder(f.customerId);
    orderA = a.orderNo;
    const risk = (orderId: string, category: string, p: number, i: number, level: string, owner: string, updatedAt: string, status = 'open') =>
      stack.prisma.risk.create({
        data: { orderId, category, code: `${category}_test`, probability: p, impact: i, score: p * i, level, control: '跟踪', owner, status, reason: '测试', updatedAt: new Date(updatedAt) },
      });
    ids.credit = (await risk(a.id, 'credit', 4, 5, 'high', 'finance', '2026-03-01T00:00:00Z')).id;
    ids.production = (await risk(a.id, 'production', 3, 4, 'medium', 'production', '2026-03-01T00:00:00Z')).id;
    ids.logistics = (await risk(b.id, 'logistics', 4, 3, 'medium', 'logistics', '2026-03-02T00:00:00Z')).id;
    ids.market = (await risk(a.id, 'market', 2, 2, 'low', 'sales_manager', '2026-03-03T00:00:00Z')).id;
    ids.closed = (await risk(b.id, 'credit', 5, 5, 'high', 'finance', '2026-03-04T00:00:00Z', 'closed')).id;
  });

  it('lists open risks ranked by score then most recently updated, with order and customer', async () => {
    const res = await call('GET', `/risks?customerId=${f.customerId}`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((r: { id: string }) => r.id)).toEqual([ids.credit, ids.logistics, ids.production, ids.market]);
    expect(res.body.items[0]).toMatchObject({ orderNo: orderA, customerId: f.customerId, customerName, category: 'credit', score: 20, level: 'high', owner: 'finance', status: 'open' });
    expect(res.body.nextCursor).toBeNull();
  });

  it('pages with an opaque cursor', async () => {
    const p1 = await call('GET', `/risks?customerId=${f.customerId}&limit=3`);
    expect(p1.body.items.map((r: { id: string }) => r.id)).toEqual([ids.credit, ids.logistics, ids.production]);
    const p2 = await call('GET', `/risks?customerId=${f.customerId}&limit=3&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items.map((r: { id: string }) => r.id)).toEqual([ids.market]);
    expect(p2.body.nextCursor).toBeNull();
  });

  it('filters by category, level, owner and status', async () => {
    const q = async (extra: string) => (await call('GET', `/risks?customerId=${f.customerId}&${extra}`)).body.items.map((r: { id: string }) => r.id);
    expect(await q('level=medium')).toEqual([ids.logistics, ids.production]);
    expect(await q('category=credit')).toEqual([ids.credit]);
    expect(await q('owner=logistics')).toEqual([ids.logistics]);
    expect(await q('status=closed')).toEqual([ids.closed]);
    expect(await q('category=credit&status=closed&level=high')).toEqual([ids.closed]);
  });

  it('rejects bad query parameters naming them', async () => {
    for (const [query, field] of [
      ['level=extreme', 'level'],
      ['category=weather', 'category'],
      ['status=gone', 'status'],
      ['owner=ceo', 'owner'],
      ['limit=0', 'limit'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ]) {
      const res = await call('GET', `/risks?${query}`);
      expect({ query, status: res.status, field: res.body.field }).toEqual({ query, status: 400, field });
    }
  });

  it('PATCH updates control, owner and status with an audit entry; 400 and 404', async () => {
    const url = `/risks/${ids.production}`;
    // The risk is production's: production and the managers may change it.
    expect(await call('PATCH', url, {}, 'production')).toMatchObject({ status: 400, body: { field: 'body' } });
    expect(await call('PATCH', url, { owner: 'ceo' }, 'production')).toMatchObject({ status: 400, body: { field: 'owner' } });
    expect(await call('PATCH', url, { status: 'solved' }, 'production')).toMatchObject({ status: 400, body: { field: 'status' } });
    expect(await call('PATCH', url, { control: '  ' }, 'production')).toMatchObject({ status: 400, body: { field: 'control' } });
    expect(await call('PATCH', url, { score: 1 }, 'production')).toMatchObject({ status: 400, body: { field: 'score' } });
    expect((await call('PATCH', '/risks/no-such-risk', { status: 'closed' }, 'sales_manager')).status).toBe(404);

    const res = await call('PATCH', url, { control: '加班生产，外协补充', owner: 'sales_manager', status: 'mitigated' }, 'sales_manager');
    expect(res).toMatchObject({ status: 200, body: { id: ids.production, orderNo: orderA, control: '加班生产，外协补充', owner: 'sales_manager', status: 'mitigated', score: 12 } });
    const row = await stack.prisma.risk.findUniqueOrThrow({ where: { id: ids.production } });
    expect(row).toMatchObject({ control: '加班生产，外协补充', owner: 'sales_manager', status: 'mitigated' });
    const audit = await stack.prisma.auditEntry.findFirstOrThrow({ where: { entity: 'risk', entityId: ids.production } });
    expect(audit).toMatchObject({
      action: 'risk.update',
      actor: 'sales_manager',
      orderNo: orderA,
      before: { control: '跟踪', owner: 'production', status: 'open' },
      after: { control: '加班生产，外协补充', owner: 'sales_manager', status: 'mitigated' },
    });

    const open = await call('GET', `/risks?customerId=${f.customerId}`);
    expect(open.body.items.map((r: { id: string }) => r.id)).toEqual([ids.credit, ids.logistics, ids.market]);
    const mitigated = await call('GET', `/risks?customerId=${f.customerId}&status=mitigated`);
    expect(mitigated.body.items.map((r: { id: string }) => r.id)).toEqual([ids.production]);
  });
});

describe('OpenAPI', () => {
  it('lists the new routes', async () => {
    const doc = (await stack.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const path of [
      '/orders/{orderNo}/correction',
      '/orders/{orderNo}/reviews/joint',
      '/orders/{orderNo}/changes',
      '/orders/{orderNo}/changes/{changeId}/reviews',
      '/orders/{orderNo}/cancel',
      '/orders/{orderNo}/hold',
      '/orders/{orderNo}/release',
      '/orders/{orderNo}/feedback',
      '/orders/{orderNo}/complaints',
      '/complaints/{id}/resolve',
      '/risks',
      '/risks/{id}',
    ])
      expect(Object.keys(doc.paths)).toContain(path);
    expect(doc.paths['/orders/{orderNo}/changes'].post.responses).toHaveProperty('201');
    expect(doc.paths['/risks/{id}'].patch.responses).toHaveProperty('404');
  });
});
