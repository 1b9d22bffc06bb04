/**
 * Security of the API against the real stack (issue 4): the role table
 * walked cell by cell, authentication (missing, bad, expired, revoked
 * tokens), the record-level rule, segregation of duties, the audit trail
 * (API rows, GET /audit, the database refusing changes), rate limits,
 * security headers, error bodies, and docs/ROLES.md being current.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { buildApp } from '../../api/app';
import authPlugin from '../../api/auth/plugin';
import { CALLER_ROLES, ROUTE_ACCESS, renderRolesTable, routeKey, type CallerRole, type RouteAccess } from '../../api/auth/roles';
import { hashToken, issueToken, revokeToken } from '../../api/auth/tokens';
import { intakeOrder } from '../../api/services/intake';
import { createPrisma } from '../../activities/infra/db';
import { createFixture, type Fixture } from '../support/fixtures';
import { api, authHeaders, intakeBody, placeOrder, tokenFor, waitForStage } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(180_000);

let stack: TestStack;
let f: Fixture;
/** An order of `f` (owned by `sales`), in sales review. */
let orderNo: string;

useTestStack(async (started) => {
  stack = started;
  f = await createFixture(stack.prisma);
  orderNo = await placeOrder(stack, f);
  await waitForStage(stack, orderNo, 'sales_review');
});

const UNKNOWN = 'SO-1999-999999';
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const idem = () => ({ 'idempotency-key': `sec-${randomUUID()}` });

/** The seeded user who has each role. */
const USER_OF: Record<CallerRole, string> = {
  sales: 'sales',
  sales_manager: 'sales_manager',
  finance: 'finance',
  finance_manager: 'finance_manager',
  production: 'production',
  logistics: 'logistics',
  marketing: 'marketing',
  admin: 'admin',
  auditor: 'auditor',
  carrier: 'carrier-webhook',
};

/** The department a role decides for (a role with none asks for production: it is refused anyway). */
const departmentOf = (role: CallerRole) =>
  role === 'sales' || role === 'sales_manager'
    ? 'sales'
    : role === 'finance' || role === 'finance_manager'
      ? 'finance'
      : role === 'logistics'
        ? 'logistics'
        : 'production';

interface Req {
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * A request per route that passes everything but authorization: valid input,
 * usually aimed at an order or row that does not exist (so it reaches the
 * handler and answers 404 without changing anything), else at real data.
 */
const WALK: Record<string, (role: CallerRole) => Req> = {
  'POST /orders': () => ({ url: '/orders', body: intakeBody(f), headers: idem() }),
  'GET /orders': () => ({ url: '/orders?limit=1' }),
  'GET /orders/:orderNo': () => ({ url: `/orders/${orderNo}` }),
  'GET /orders/:orderNo/documents': () => ({ url: `/orders/${orderNo}/documents` }),
  'GET /orders/:orderNo/documents/:docId.pdf': () => ({ url: `/orders/${orderNo}/documents/no-such-document.pdf` }),
  'GET /orders/:orderNo/contract': () => ({ url: `/orders/${orderNo}/contract` }),
  'GET /orders/:orderNo/contract/signature/scan': () => ({ url: `/orders/${orderNo}/contract/signature/scan` }),
  'POST /orders/:orderNo/contract/signature': () => ({
    url: `/orders/${UNKNOWN}/contract/signature`,
    body: { signedOn: '2026-01-01', signer: '王经理', scan: { fileName: 'signed.pdf', contentBase64: Buffer.from('%PDF-1.4 walk').toString('base64') } },
  }),
  'POST /orders/:orderNo/contract/finance-confirmation': () => ({ url: `/orders/${UNKNOWN}/contract/finance-confirmation`, body: {} }),
  'POST /orders/:orderNo/correction': () => ({ url: `/orders/${UNKNOWN}/correction`, body: { changes: { requestedDeliveryDate: inDays(20) } } }),
  'POST /orders/:orderNo/reviews/sales': () => ({ url: `/orders/${UNKNOWN}/reviews/sales`, body: { decision: 'approve' } }),
  'POST /orders/:orderNo/reviews/finance': () => ({ url: `/orders/${UNKNOWN}/reviews/finance`, body: { decision: 'approve' } }),
  'POST /orders/:orderNo/reviews/joint': (role) => ({
    url: `/orders/${UNKNOWN}/reviews/joint`,
    body: { department: departmentOf(role) === 'sales' ? 'production' : departmentOf(role), decision: 'approve' },
  }),
  'POST /orders/:orderNo/changes': () => ({
    url: `/orders/${UNKNOWN}/changes`,
    body: { changes: { requestedDeliveryDate: inDays(20) }, reason: '客户来函' },
    headers: idem(),
  }),
  'GET /orders/:orderNo/changes': () => ({ url: `/orders/${orderNo}/changes` }),
  'POST /orders/:orderNo/changes/:changeId/reviews': (role) => ({
    url: `/orders/${UNKNOWN}/changes/chg_000000000000000000000000/reviews`,
    body: { department: departmentOf(role), decision: 'approve' },
  }),
  'POST /orders/:orderNo/cancel': () => ({ url: `/orders/${UNKNOWN}/cancel`, body: { reason: '客户取消' } }),
  'POST /orders/:orderNo/hold': () => ({ url: `/orders/${UNKNOWN}/hold`, body: { reason: '信用审查' } }),
  'POST /orders/:orderNo/release': () => ({ url: `/orders/${UNKNOWN}/release`, body: { reason: '审查通过' } }),
  'POST /orders/:orderNo/exception': () => ({ url: `/orders/${UNKNOWN}/exception`, body: { action: 'retry', comment: '已修正' } }),
  'POST /production-orders/:id/progress': () => ({ url: '/production-orders/no-such-po/progress', body: { percent: 10 } }),
  'POST /production-orders/:id/complete': () => ({ url: '/production-orders/no-such-po/complete', body: { qcPassed: true } }),
  'POST /orders/:orderNo/dispatch': () => ({ url: `/orders/${UNKNOWN}/dispatch`, body: {} }),
  'POST /orders/:orderNo/delivery': () => ({ url: `/orders/${UNKNOWN}/delivery`, body: {} }),
  'POST /orders/:orderNo/payments': () => ({
    url: `/orders/${UNKNOWN}/payments`,
    body: { amount: '10.00', reference: 'BANK-WALK', paidAt: '2026-01-01T00:00:00Z' },
  }),
  'GET /refunds': () => ({ url: '/refunds?limit=1' }),
  'POST /refunds/:id/settle': () => ({ url: '/refunds/no-such-refund/settle', body: { reference: 'BANK-WALK' } }),
  'POST /customers/:id/credit-hold': () => ({ url: '/customers/no-such-customer/credit-hold', body: { reason: '逾期' } }),
  'POST /customers/:id/credit-hold/release': () => ({ url: '/customers/no-such-customer/credit-hold/release', body: { reason: '已付清' } }),
  'POST /orders/:orderNo/feedback': () => ({ url: `/orders/${UNKNOWN}/feedback`, body: { rating: 5 } }),
  'POST /orders/:orderNo/complaints': () => ({ url: `/orders/${UNKNOWN}/complaints`, body: { text: '包装破损' } }),
  'POST /complaints/:id/resolve': () => ({ url: '/complaints/no-such-complaint/resolve', body: { resolution: '已处理' } }),
  'GET /tasks': (role) => ({ url: `/tasks?role=${role === 'carrier' ? 'sales' : role}` }),
  'GET /risks': () => ({ url: '/risks?limit=1' }),
  'PATCH /risks/:id': () => ({ url: '/risks/no-such-risk', body: { status: 'mitigated' } }),
  'GET /audit': () => ({ url: '/audit?limit=1' }),
  'GET /kpis': () => ({ url: `/kpis?period=${new Date().toISOString().slice(0, 7)}` }),
  'GET /kpis/report.csv': () => ({ url: `/kpis/report.csv?period=${new Date().toISOString().slice(0, 7)}` }),
  'GET /kpis/report.html': () => ({ url: `/kpis/report.html?period=${new Date().toISOString().slice(0, 7)}&trend=2` }),
  'GET /analysis/summary': () => ({ url: '/analysis/summary?from=2016-01-01&to=2016-01-31' }),
  'GET /analysis/sales': () => ({ url: '/analysis/sales?from=2016-01-01&to=2016-01-31&by=month' }),
  'GET /analysis/top': () => ({ url: '/analysis/top?from=2016-01-01&to=2016-01-31&dimension=customer' }),
  'GET /analysis/customers': () => ({ url: '/analysis/customers?from=2016-01-01&to=2016-01-31' }),
  'GET /me': () => ({ url: '/me' }),
  'GET /tokens': () => ({ url: '/tokens?limit=1' }),
  'POST /users/:username/tokens': () => ({ url: '/users/marketing/tokens', body: { name: 'walk', ttlDays: 1 } }),
  'POST /tokens/:id/revoke': () => ({ url: '/tokens/no-such-token/revoke' }),
  'POST /codec/session': () => ({ url: '/codec/session' }),
  'POST /codec/decode': () => ({ url: '/codec/decode', body: { payloads: [] } }),
  'POST /codec/encode': () => ({ url: '/codec/encode', body: { payloads: [] } }),
  // The console (docs/CONSOLE-API.md); with a bearer token sign-out answers 409 (no session to end).
  'DELETE /auth/session': () => ({ url: '/auth/session' }),
  'PUT /me/password': () => ({ url: '/me/password', body: { currentPassword: 'not the password', newPassword: 'walk password 1' } }),
  'GET /users': () => ({ url: '/users' }),
  'PUT /users/:username/password': () => ({ url: '/users/no-such-user/password', body: { password: 'walk password 1' } }),
  'GET /work': () => ({ url: '/work?limit=1' }),
  'GET /customers': () => ({ url: '/customers?limit=1' }),
  'GET /products': () => ({ url: '/products?limit=1' }),
  'GET /orders/:orderNo/actions': () => ({ url: `/orders/${orderNo}/actions` }),
  'GET /orders/:orderNo/timeline': () => ({ url: `/orders/${orderNo}/timeline` }),
};

async function send(route: RouteAccess, req: Req, actor: string | null, extra: Record<string, string> = {}) {
  return api(stack, route.method as 'GET' | 'POST' | 'PATCH', req.url, req.body, actor, { ...(req.headers ?? {}), ...extra });
}

describe('the role table, walked against the running API', () => {
  it('has a request for every route in the table (a new route needs one here)', () => {
    expect(Object.keys(WALK).sort()).toEqual(ROUTE_ACCESS.map((r) => routeKey(r.method, r.url)).sort());
  });

  it('every route and every role: allowed roles get through, the others get 403', async () => {
    const cells: { route: string; role: string; allowed: boolean; status: number }[] = [];
    for (const route of ROUTE_ACCESS) {
      const key = routeKey(route.method, route.url);
      for (const role of CALLER_ROLES) {
        const res = await send(route, WALK[key](role), USER_OF[role]);
        const allowed = route.roles.includes(role);
        cells.push({ route: key, role, allowed, status: res.status });
        if (!allowed) expect({ key, role, body: res.body }).toEqual({ key, role, body: { error: 'Forbidden', message: expect.any(String) } });
      }
    }
    const wrong = cells.filter((c) => (c.allowed ? [401, 403].includes(c.status) || c.status >= 500 : c.status !== 403));
    expect(wrong).toEqual([]);
    // Every allowed cell reached a handler (no 401/403) and most did something real.
    expect(cells.filter((c) => c.allowed && [200, 201].includes(c.status)).length).toBeGreaterThan(40);
  });

  it('no token: 401 on every route of the table; /health and /docs stay public', async () => {
    for (const route of ROUTE_ACCESS) {
      const key = routeKey(route.method, route.url);
      const res = await send(route, WALK[key]('admin'), null);
      expect({ key, status: res.status, body: res.body }).toEqual({
        key,
        status: 401,
        body: { error: 'Unauthorized', message: expect.stringMatching(/Bearer/) },
      });
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    expect((await api(stack, 'GET', '/health', undefined, null)).status).toBe(200);
    expect((await api(stack, 'GET', '/docs/json', undefined, null)).status).toBe(200);
    expect((await api(stack, 'GET', '/docs', undefined, null)).status).toBeLessThan(400);
  });

  it('auditors and marketing never write', () => {
    // The codec's POSTs change no data: a session cookie for the reader, payloads decrypted or encrypted in the answer.
    // Signing out and changing one's own password touch only the caller's own session and credentials.
    const readOnlyPosts = ['POST /codec/session', 'POST /codec/decode', 'POST /codec/encode', 'DELETE /auth/session', 'PUT /me/password'];
    for (const route of ROUTE_ACCESS.filter((r) => r.method !== 'GET' && !readOnlyPosts.includes(routeKey(r.method, r.url)))) {
      expect(route.roles).not.toContain('auditor');
      expect(route.roles).not.toContain('marketing');
    }
  });
});

describe('authentication', () => {
  it('expired, revoked, unknown and malformed tokens are all 401 with one message', async () => {
    const expired = await issueToken(stack.prisma, { username: 'sales', name: 'old', ttlDays: 1, now: new Date(Date.now() - 2 * 86_400_000) });
    const revoked = await issueToken(stack.prisma, { username: 'sales', name: 'revoked', ttlDays: 1 });
    expect((await api(stack, 'GET', '/me', undefined, null, { authorization: `Bearer ${revoked.token}` })).status).toBe(200);
    await revokeToken(stack.prisma, revoked.id);

    const bodies = [];
    for (const header of [
      `Bearer ${expired.token}`,
      `Bearer ${revoked.token}`,
      `Bearer so_${'A'.repeat(43)}`,
      'Bearer not-a-token',
      `Basic ${Buffer.from('sales:sales').toString('base64')}`,
      'Bearer',
    ]) {
      const res = await api(stack, 'GET', `/orders/${orderNo}`, undefined, null, { authorization: header });
      expect({ header, status: res.status }).toEqual({ header, status: 401 });
      bodies.push(res.body);
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0]).toEqual({ error: 'Unauthorized', message: 'The bearer token is not valid' });
  });

  it('an inactive user’s token stops working', async () => {
    const username = `sales.leaver-${randomUUID().slice(0, 8)}`;
    await stack.prisma.user.create({ data: { username, name: '离职', email: `${username}@example.com`, role: 'sales' } });
    const t = await issueToken(stack.prisma, { username, name: 'laptop' });
    const auth = { authorization: `Bearer ${t.token}` };
    expect((await api(stack, 'GET', '/me', undefined, null, auth)).status).toBe(200);
    await stack.prisma.user.update({ where: { username }, data: { active: false } });
    expect((await api(stack, 'GET', '/me', undefined, null, auth)).status).toBe(401);
  });

  it('stores only the hash; lastUsedAt is written at most once a minute', async () => {
    const t = await issueToken(stack.prisma, { username: 'production', name: 'usage' });
    const row = await stack.prisma.apiToken.findUniqueOrThrow({ where: { id: t.id } });
    expect(row.tokenHash).toBe(hashToken(t.token));
    expect(row.tokenHash).not.toContain(t.token);
    expect(t.token).toMatch(/^so_[A-Za-z0-9_-]{43}$/);
    expect(row.lastUsedAt).toBeNull();

    const auth = { authorization: `Bearer ${t.token}` };
    const me = await api(stack, 'GET', '/me', undefined, null, auth);
    expect(me.body).toMatchObject({ username: 'production', role: 'production', kind: 'user', token: { id: t.id, name: 'usage' } });
    const first = (await stack.prisma.apiToken.findUniqueOrThrow({ where: { id: t.id } })).lastUsedAt;
    expect(first).not.toBeNull();
    await api(stack, 'GET', '/me', undefined, null, auth);
    expect((await stack.prisma.apiToken.findUniqueOrThrow({ where: { id: t.id } })).lastUsedAt).toEqual(first);
  });

  it('an admin issues a token (shown once), owners see their own, revocation ends it', async () => {
    const bad = [
      { name: 'x', ttlDays: 0 },
      { name: 'x', ttlDays: 366 },
      { name: '' },
      { name: 'x', kind: 'robot' },
      { name: 'x', scopes: ['all'] },
    ];
    for (const body of bad) expect((await api(stack, 'POST', '/users/logistics/tokens', body, 'admin')).status).toBe(400);
    expect((await api(stack, 'POST', '/users/nobody-here/tokens', { name: 'x' }, 'admin')).status).toBe(404);

    const issued = await api(stack, 'POST', '/users/logistics/tokens', { name: 'handheld', ttlDays: 7 }, 'admin');
    expect(issued.status).toBe(201);
    expect(issued.headers['cache-control']).toBe('no-store');
    expect(issued.body).toMatchObject({ id: expect.any(String), token: expect.stringMatching(/^so_/), username: 'logistics', kind: 'user', name: 'handheld' });
    const auth = { authorization: `Bearer ${issued.body.token}` };
    expect((await api(stack, 'GET', '/me', undefined, null, auth)).body).toMatchObject({ username: 'logistics', role: 'logistics' });

    // The list never shows a token or its hash; logistics sees its own only; the admin sees all.
    const own = await api(stack, 'GET', '/tokens', undefined, null, auth);
    expect(own.body.items.every((t: { username: string }) => t.username === 'logistics')).toBe(true);
    expect(own.body.items.find((t: { id: string }) => t.id === issued.body.id)).toMatchObject({ status: 'active', name: 'handheld' });
    const all = await api(stack, 'GET', '/tokens?limit=500', undefined, 'admin');
    expect(new Set(all.body.items.map((t: { username: string }) => t.username)).size).toBeGreaterThan(1);
    const text = JSON.stringify(all.body) + JSON.stringify(own.body);
    expect(text).not.toContain(issued.body.token);
    expect(text).not.toContain(hashToken(issued.body.token));
    expect(text).not.toMatch(/tokenHash|token_hash/);

    // Someone else's token does not exist for you; its owner (or an admin) revokes it.
    expect((await api(stack, 'POST', `/tokens/${issued.body.id}/revoke`, undefined, 'production')).status).toBe(404);
    const revoked = await api(stack, 'POST', `/tokens/${issued.body.id}/revoke`, undefined, null, auth);
    expect(revoked).toMatchObject({ status: 200, body: { id: issued.body.id, status: 'revoked', revokedAt: expect.any(String) } });
    expect((await api(stack, 'GET', '/me', undefined, null, auth)).status).toBe(401);

    // The audit trail records the issue without the token.
    const rows = await stack.prisma.auditEntry.findMany({ where: { entity: 'api_token', entityId: issued.body.id } });
    expect(rows.map((r) => r.action).sort()).toEqual(['POST /tokens/:id/revoke', 'POST /users/:username/tokens']);
    expect(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(issued.body.token);
  });

  it('a service token for the carrier webhook confirms deliveries and nothing else', async () => {
    const me = await tokenFor(stack, 'carrier-webhook');
    const row = await stack.prisma.apiToken.findUniqueOrThrow({ where: { tokenHash: hashToken(me) } });
    expect(row.kind).toBe('service');
    const auth = { authorization: `Bearer ${me}` };
    expect((await api(stack, 'POST', `/orders/${UNKNOWN}/delivery`, {}, null, auth)).status).toBe(404);
    expect((await api(stack, 'GET', `/orders/${orderNo}`, undefined, null, auth)).status).toBe(403);
    expect((await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, null, auth)).status).toBe(403);
  });
});

describe('rules that need the request', () => {
  it('joint review and change decisions: the department must be the caller’s', async () => {
    const joint = `/orders/${UNKNOWN}/reviews/joint`;
    expect((await api(stack, 'POST', joint, { department: 'finance', decision: 'approve' }, 'production')).status).toBe(403);
    expect((await api(stack, 'POST', joint, { department: 'production', decision: 'approve' }, 'finance_manager')).status).toBe(403);
    expect((await api(stack, 'POST', joint, { department: 'finance', decision: 'approve' }, 'finance_manager')).status).toBe(404);
    const change = `/orders/${UNKNOWN}/changes/chg_000000000000000000000000/reviews`;
    expect((await api(stack, 'POST', change, { department: 'sales', decision: 'approve' }, 'finance')).status).toBe(403);
    expect((await api(stack, 'POST', change, { department: 'logistics', decision: 'approve' }, 'production')).status).toBe(403);
    expect((await api(stack, 'POST', change, { department: 'sales', decision: 'approve' }, 'sales_manager')).status).toBe(404);
  });

  it('work queues: your own role, unless a manager, admin or auditor asks', async () => {
    expect((await api(stack, 'GET', '/tasks?role=finance', undefined, 'sales')).status).toBe(403);
    expect((await api(stack, 'GET', '/tasks?role=sales', undefined, 'marketing')).status).toBe(403);
    for (const who of ['sales_manager', 'finance_manager', 'admin', 'auditor'])
      expect((await api(stack, 'GET', '/tasks?role=finance', undefined, who)).status).toBe(200);
    const mine = await api(stack, 'GET', '/tasks?role=sales&limit=500', undefined, 'sales');
    expect(mine.body.items.map((t: { orderNo: string }) => t.orderNo)).toContain(orderNo);
  });

  it('a risk is changed by its owner role or a manager', async () => {
    const order = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo } });
    const risk = await stack.prisma.risk.create({
      data: { orderId: order.id, category: 'production', code: `sec_${randomUUID().slice(0, 8)}`, probability: 2, impact: 3, score: 6, level: 'medium', control: '跟踪', owner: 'production', reason: '测试' },
    });
    const url = `/risks/${risk.id}`;
    expect((await api(stack, 'PATCH', url, { control: '加班' }, 'logistics')).status).toBe(403);
    expect((await api(stack, 'PATCH', url, { control: '加班' }, 'sales')).status).toBe(403);
    expect((await api(stack, 'PATCH', url, { control: '加班' }, 'production')).status).toBe(200);
    expect((await api(stack, 'PATCH', url, { owner: 'logistics' }, 'finance_manager')).status).toBe(200);
    expect((await api(stack, 'PATCH', url, { status: 'mitigated' }, 'logistics')).status).toBe(200);
  });

  it('a credit hold (placed by finance) is released by the finance manager only', async () => {
    const credit = await placeOrder(stack, f);
    await waitForStage(stack, credit, 'sales_review');
    expect((await api(stack, 'POST', `/orders/${credit}/hold`, { reason: '信用审查' }, 'finance_manager')).status).toBe(200);
    const refused = await api(stack, 'POST', `/orders/${credit}/release`, { reason: '无' }, 'sales_manager');
    expect(refused).toMatchObject({ status: 403, body: { message: expect.stringMatching(/credit hold/) } });
    expect((await api(stack, 'POST', `/orders/${credit}/release`, { reason: '审查通过' }, 'finance_manager')).status).toBe(200);

    expect((await api(stack, 'POST', `/orders/${credit}/hold`, { reason: '客户要求暂停' }, 'sales_manager')).status).toBe(200);
    expect((await api(stack, 'POST', `/orders/${credit}/release`, { reason: '恢复' }, 'sales_manager')).status).toBe(200);
  });
});

describe('record level: a sales user sees their own customers’ orders only', () => {
  let theirs: Fixture;
  let theirOrder: string;
  beforeAll(async () => {
    theirs = await createFixture(stack.prisma, { ownerUsername: 'sales2' });
    const placed = await api(stack, 'POST', '/orders', intakeBody(theirs), 'sales2', idem());
    expect(placed.status).toBe(201);
    theirOrder = placed.body.orderNo;
  });

  it('sales2 cannot see or touch sales’s order: 404, and it is not in any list', async () => {
    const one = await api(stack, 'GET', `/orders/${orderNo}`, undefined, 'sales2');
    expect(one).toMatchObject({ status: 404, body: { error: 'Not Found', message: `order ${orderNo} not found` } });
    // The same answer as an order that does not exist.
    expect((await api(stack, 'GET', `/orders/${UNKNOWN}`, undefined, 'sales2')).body.message).toBe(`order ${UNKNOWN} not found`);
    expect((await api(stack, 'GET', `/orders/${orderNo}/changes`, undefined, 'sales2')).status).toBe(404);
    expect((await api(stack, 'POST', `/orders/${orderNo}/cancel`, { reason: '试试' }, 'sales2')).status).toBe(404);
    expect((await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales2')).status).toBe(404);
    expect((await api(stack, 'POST', `/orders/${orderNo}/feedback`, { rating: 1 }, 'sales2')).status).toBe(404);

    const list = await api(stack, 'GET', '/orders?limit=200', undefined, 'sales2');
    expect(list.status).toBe(200);
    expect(list.body.items.map((o: { orderNo: string }) => o.orderNo)).not.toContain(orderNo);
    expect((await api(stack, 'GET', `/orders?customerId=${f.customerId}`, undefined, 'sales2')).body.items).toEqual([]);
    const tasks = await api(stack, 'GET', '/tasks?role=sales&limit=500', undefined, 'sales2');
    expect(tasks.body.items.map((t: { orderNo: string }) => t.orderNo)).not.toContain(orderNo);

    // Nor can sales2 take an order for sales's customer: it answers as an unknown customer.
    const intake = await api(stack, 'POST', '/orders', intakeBody(f), 'sales2', idem());
    expect(intake).toMatchObject({ status: 400, body: { field: 'customerId', message: `customer ${f.customerId} does not exist` } });
  });

  it('sales2 sees its own customers’ orders; managers and other departments see all', async () => {
    const own = await api(stack, 'POST', '/orders', intakeBody(theirs), 'sales2', idem());
    expect(own.status).toBe(201);
    const list = await api(stack, 'GET', `/orders?customerId=${theirs.customerId}`, undefined, 'sales2');
    expect(list.body.items.map((o: { orderNo: string }) => o.orderNo)).toContain(own.body.orderNo);
    expect((await api(stack, 'GET', `/orders/${own.body.orderNo}`, undefined, 'sales2')).status).toBe(200);
    expect((await api(stack, 'GET', `/orders/${own.body.orderNo}`, undefined, 'sales')).status).toBe(404);
    for (const who of ['sales_manager', 'finance', 'marketing', 'auditor']) {
      expect((await api(stack, 'GET', `/orders/${theirOrder}`, undefined, who)).status).toBe(200);
      expect((await api(stack, 'GET', `/orders/${orderNo}`, undefined, who)).status).toBe(200);
    }
  });
});

describe('segregation of duties (the workflow decides, the API answers 403)', () => {
  it('whoever entered an order cannot approve its finance review or its joint review', async () => {
    // Roles already keep the sales user who entered an order away from finance decisions...
    const bySales = await placeOrder(stack, f);
    await waitForStage(stack, bySales, 'sales_review');
    expect((await api(stack, 'POST', `/orders/${bySales}/reviews/finance`, { decision: 'approve' }, 'sales')).status).toBe(403);

    // ...and when a finance user entered it (taken by phone on a colleague's behalf), the workflow does.
    const entered = await intakeOrder(
      { prisma: stack.prisma, temporal: stack.client, config: stack.config, log: stack.app.log },
      { body: intakeBody(f, { special: true }) as never, idempotencyKey: `sec-${randomUUID()}`, actor: 'finance2' },
    );
    const no = entered.order.orderNo;
    await waitForStage(stack, no, 'sales_review');
    expect((await api(stack, 'GET', `/orders/${no}`, undefined, 'sales')).body.enteredBy).toBe('finance2');
    expect((await api(stack, 'POST', `/orders/${no}/reviews/sales`, { decision: 'approve' }, 'sales')).status).toBe(200);
    await waitForStage(stack, no, 'finance_review');

    const own = await api(stack, 'POST', `/orders/${no}/reviews/finance`, { decision: 'approve' }, 'finance2');
    expect(own).toMatchObject({ status: 403, body: { error: 'Forbidden', message: expect.stringMatching(/entered order .* cannot approve its finance review/) } });
    expect((await api(stack, 'POST', `/orders/${no}/reviews/finance`, { decision: 'approve' }, 'finance')).status).toBe(200);
    await waitForStage(stack, no, 'joint_review');

    const url = `/orders/${no}/reviews/joint`;
    const ownJoint = await api(stack, 'POST', url, { department: 'finance', decision: 'approve' }, 'finance2');
    expect(ownJoint).toMatchObject({ status: 403, body: { message: expect.stringMatching(/cannot approve its joint review/) } });
    expect((await api(stack, 'POST', url, { department: 'finance', decision: 'approve' }, 'finance_manager')).status).toBe(200);
  });

  it('whoever filed a change cannot decide on it', async () => {
    const no = await placeOrder(stack, f);
    await waitForStage(stack, no, 'sales_review');
    const filed = await api(stack, 'POST', `/orders/${no}/changes`, { changes: { requestedDeliveryDate: inDays(30) }, reason: '客户来函：推迟交货' }, 'sales_manager', idem());
    expect(filed.status).toBe(201);
    const url = `/orders/${no}/changes/${filed.body.changeId}/reviews`;
    const own = await api(stack, 'POST', url, { department: 'sales', decision: 'approve' }, 'sales_manager');
    expect(own).toMatchObject({ status: 403, body: { message: expect.stringMatching(/filed change .* cannot decide/) } });
    const other = await api(stack, 'POST', url, { department: 'sales', decision: 'approve' }, 'sales_manager2');
    expect(other).toMatchObject({ status: 200, body: { pending: ['finance'] } });
    expect((await api(stack, 'POST', url, { department: 'finance', decision: 'approve' }, 'finance')).body.status).toBe('applied');
  });
});

describe('audit trail', () => {
  it('one row per successful command: actor, action, order, address, before and after', async () => {
    const no = await placeOrder(stack, f);
    await waitForStage(stack, no, 'sales_review');
    const rowsOf = (action: string) => stack.prisma.auditEntry.findMany({ where: { orderNo: no, action }, orderBy: { id: 'asc' } });

    const [intake] = await rowsOf('POST /orders');
    expect(intake).toMatchObject({
      actor: 'sales',
      entity: 'order',
      entityId: no,
      ip: '127.0.0.1',
      before: null,
      after: { order: { orderNo: no, stage: 'sales_review', totalAmount: '2712.00' }, request: { customerId: f.customerId } },
    });

    expect((await api(stack, 'POST', `/orders/${no}/hold`, { reason: '客户要求暂停' }, 'sales_manager')).status).toBe(200);
    expect((await api(stack, 'POST', `/orders/${no}/hold`, { reason: '再次' }, 'sales_manager')).status).toBe(409);
    expect((await api(stack, 'POST', `/orders/${no}/hold`, { reason: '越权' }, 'marketing')).status).toBe(403);
    const holds = await rowsOf('POST /orders/:orderNo/hold');
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({
      actor: 'sales_manager',
      entity: 'order',
      entityId: no,
      ip: '127.0.0.1',
      before: { order: { stage: 'sales_review', onHold: false } },
      after: { order: { stage: 'sales_review', onHold: true }, request: { reason: '客户要求暂停' } },
    });

    // A replayed intake changed nothing: no second row.
    const key = idem();
    const body = intakeBody(f);
    const first = await api(stack, 'POST', '/orders', body, 'sales', key);
    expect((await api(stack, 'POST', '/orders', body, 'sales', key)).status).toBe(200);
    expect(await stack.prisma.auditEntry.count({ where: { orderNo: first.body.orderNo, action: 'POST /orders' } })).toBe(1);
  });

  it('GET /audit: auditors and admins, newest first, filtered, paged', async () => {
    const no = await placeOrder(stack, f);
    await waitForStage(stack, no, 'sales_review');
    await api(stack, 'POST', `/orders/${no}/hold`, { reason: '一' }, 'sales_manager');
    await api(stack, 'POST', `/orders/${no}/release`, { reason: '二' }, 'sales_manager');

    expect((await api(stack, 'GET', `/audit?orderNo=${no}`, undefined, 'sales_manager')).status).toBe(403);
    expect((await api(stack, 'GET', `/audit?orderNo=${no}`, undefined, 'admin')).status).toBe(200);
    const all = await api(stack, 'GET', `/audit?orderNo=${no}&limit=200`, undefined, 'auditor');
    expect(all.status).toBe(200);
    const ids = all.body.items.map((r: { id: string }) => BigInt(r.id));
    expect([...ids].sort((a, b) => (a < b ? 1 : -1))).toEqual(ids);
    const actions = all.body.items.map((r: { action: string }) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['POST /orders', 'POST /orders/:orderNo/hold', 'POST /orders/:orderNo/release', 'order.create']));
    expect(actions.indexOf('POST /orders/:orderNo/release')).toBeLessThan(actions.indexOf('POST /orders/:orderNo/hold'));

    const q = async (query: string) => (await api(stack, 'GET', `/audit?orderNo=${no}&${query}`, undefined, 'auditor')).body.items;
    // The API's rows and the workflow's own (order.hold, order.release) side by side.
    expect((await q('actor=sales_manager')).map((r: { action: string }) => r.action).sort()).toEqual([
      'POST /orders/:orderNo/hold',
      'POST /orders/:orderNo/release',
      'order.hold',
      'order.release',
    ]);
    expect(await q(`action=${encodeURIComponent('POST /orders/:orderNo/release')}`)).toEqual([
      expect.objectContaining({ actor: 'sales_manager', entity: 'order', entityId: no, ip: '127.0.0.1', before: expect.objectContaining({ order: expect.objectContaining({ onHold: true }) }) }),
    ]);
    expect((await q('entity=order')).length).toBeGreaterThanOrEqual(3);
    expect(await q(`from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).toEqual([]);
    expect((await q(`to=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).length).toBe(all.body.items.length);

    const p1 = await api(stack, 'GET', `/audit?orderNo=${no}&limit=1`, undefined, 'auditor');
    const p2 = await api(stack, 'GET', `/audit?orderNo=${no}&limit=1&cursor=${p1.body.nextCursor}`, undefined, 'auditor');
    expect(p1.body.items[0].id).toBe(all.body.items[0].id);
    expect(p2.body.items[0].id).toBe(all.body.items[1].id);
    expect((await api(stack, 'GET', '/audit?cursor=bm90LWEtY3Vyc29y', undefined, 'auditor')).body).toMatchObject({ field: 'cursor' });
    expect((await api(stack, 'GET', '/audit?limit=0', undefined, 'auditor')).body).toMatchObject({ field: 'limit' });
  });

  it('the database refuses UPDATE and DELETE of the trail, from the application’s own connection', async () => {
    const row = await stack.prisma.auditEntry.findFirstOrThrow({ orderBy: { id: 'desc' } });
    await expect(stack.prisma.$executeRaw`UPDATE audit_trail SET actor = 'mallory' WHERE id = ${row.id}`).rejects.toThrow(/append-only/);
    await expect(stack.prisma.$executeRaw`DELETE FROM audit_trail WHERE id = ${row.id}`).rejects.toThrow(/append-only/);
    await expect(stack.prisma.auditEntry.deleteMany({ where: { id: row.id } })).rejects.toThrow(/append-only/);
    expect(await stack.prisma.auditEntry.findUniqueOrThrow({ where: { id: row.id } })).toEqual(row);
  });
});

describe('abuse limits and error bodies', () => {
  it('429 once a caller exceeds the limit; other callers go on', async () => {
    const tiny = await buildApp({ config: { ...stack.config, rateLimitMax: 3, rateLimitWindowMs: 60_000 }, prisma: stack.prisma, temporal: stack.client });
    try {
      const sales = await authHeaders(stack, 'sales');
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await tiny.inject({ method: 'GET', url: '/me', headers: sales })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await tiny.inject({ method: 'GET', url: '/me', headers: sales });
      expect(limited.json()).toEqual({ error: 'Too Many Requests', message: expect.stringMatching(/retry/) });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await tiny.inject({ method: 'GET', url: '/me', headers: await authHeaders(stack, 'finance') })).statusCode).toBe(200);

      // Guessing tokens is limited per address too.
      const guesses = [];
      for (let i = 0; i < 5; i++)
        guesses.push((await tiny.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer so_${String(i).repeat(43)}` } })).statusCode);
      expect(guesses.slice(0, 3)).toEqual([401, 401, 401]);
      expect(guesses[4]).toBe(429);
    } finally {
      await tiny.close();
    }
  });

  it('security headers on every answer', async () => {
    for (const res of [await api(stack, 'GET', '/health', undefined, null), await api(stack, 'GET', '/me'), await api(stack, 'GET', '/me', undefined, null)]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('a 500 says nothing about the inside: no stack, no SQL, no driver message', async () => {
    const broken = createPrisma('postgresql://postgres@127.0.0.1:5432/no_such_database_sec_test');
    const app = await buildApp({ config: stack.config, prisma: broken, temporal: stack.client });
    try {
      const res = await app.inject({ method: 'GET', url: '/orders', headers: await authHeaders(stack, 'sales') });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: 'Internal Server Error', message: 'Something went wrong on our side; the error has been logged.' });
      expect(res.body).not.toMatch(/no_such_database|postgres|prisma|SELECT|\bat .*\.ts|stack/i);
    } finally {
      await app.close();
      await broken.$disconnect();
    }
  });

  it('bodies over 1 MiB are 413 (authenticated caller)', async () => {
    const res = await stack.app.inject({
      method: 'POST',
      url: '/orders',
      payload: JSON.stringify({ notes: 'x'.repeat(1024 * 1024 + 1) }),
      headers: { ...(await authHeaders(stack, 'sales')), 'content-type': 'application/json', ...idem() },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: 'Payload Too Large', message: expect.any(String) });
  });
});

describe('the role table itself', () => {
  it('a route missing from the table stops the app from starting', async () => {
    const app = Fastify();
    const start = async () => {
      await app.register(authPlugin);
      app.get('/secret-admin-thing', async () => 'open');
      await app.ready();
    };
    await expect(start()).rejects.toThrow(/GET \/secret-admin-thing is not in the role table/);
  });

  it('a table entry without its route stops the app from starting', async () => {
    const app = Fastify();
    await app.register(authPlugin);
    await expect(app.ready()).rejects.toThrow(/lists routes that do not exist/);
  });

  it('docs/ROLES.md is the table as generated from api/auth/roles.ts', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'ROLES.md'), 'utf8');
    expect(doc).toBe(renderRolesTable());
  });
});
