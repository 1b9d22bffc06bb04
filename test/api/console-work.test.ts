/**
 * The console's server side (issue 11 items 1, 3, 4, 8, 9) on the real stack,
 * signed in with passwords like the web app: My work for several roles
 * (reviews, change reviews, exceptions; most urgent first), the actions an
 * order offers each user matching what the routes then accept, the
 * timeline, the console's configuration, the web app's static files with
 * the SPA fallback, the staff mail's link to the order page, and the codec
 * for the Temporal UI with the console session.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec } from '../../activities/infra/codec';
import { payloadToJson } from '../../api/routes/codec';
import { closeTestPrisma } from '../support/db';
import { createFixture } from '../support/fixtures';
import { browse, signIn, type Browser } from '../support/console';
import { placeOrder, waitForState, type OrderFixture } from '../support/orders';
import { startTestStack, type TestStack } from '../support/stack';

jest.setTimeout(180_000);

let stack: TestStack;
let web: string;
const users: Record<string, Browser> = {};
const as = async (username: string) => (users[username] ??= await signIn(stack, username));

beforeAll(async () => {
  web = mkdtempSync(join(tmpdir(), 'console-web-'));
  mkdirSync(join(web, 'assets'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>销售订单</title><div id="root"></div>');
  writeFileSync(join(web, 'assets', 'app-1234.js'), 'console.log("app")');
  stack = await startTestStack({
    env: { WEB_DIST: web, PUBLIC_URL: 'http://console.example.test:8080' },
    // A change review is due sooner than a sales review: "most urgent first" must put it on top.
    // No contract signature step: the exception test goes straight from joint review to shipping.
    policy: {
      contractSignature: 'never',
      stages: { sales_review: { limit: '1h' }, change_review: { limit: '10m', escalateAfter: '1h', actionAfter: '1h' } },
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await closeTestPrisma();
  rmSync(web, { recursive: true, force: true });
});

const work = async (username: string) => {
  const res = await browse(stack, await as(username), 'GET', '/work');
  expect(res.status).toBe(200);
  return res.body as { role: string; total: number; items: any[] };
};
const actionsOf = async (username: string, orderNo: string) => {
  const res = await browse(stack, await as(username), 'GET', `/orders/${orderNo}/actions`);
  expect(res.status).toBe(200);
  return res.body.actions as { id: string; method: string; path: string; fields: any[]; headers?: Record<string, string> }[];
};

/** The body a person would send for an action: the first option of each choice, a value for each required field. */
function bodyFor(action: { fields: any[] }, choose: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of action.fields) {
    if (f.name in choose) body[f.name] = choose[f.name];
    else if (f.type === 'hidden') body[f.name] = f.value;
    else if (f.type === 'enum') body[f.name] = f.options[0].value;
    else if (f.type === 'textarea' || f.type === 'text') body[f.name] = '控制台测试';
  }
  return body;
}

/** Performs an action as listed; answers the status. */
async function perform(username: string, action: { method: string; path: string; fields: any[] }, choose?: Record<string, unknown>) {
  const res = await browse(stack, await as(username), action.method as 'POST', action.path, bodyFor(action, choose));
  return res;
}

describe('My work and the order actions', () => {
  let f: OrderFixture;
  beforeAll(async () => {
    f = await createFixture(stack.prisma);
  });

  it('a review waits for sales and its manager, offered as an action only to them; performing it is accepted', async () => {
    const orderNo = await placeOrder(stack, f);
    await waitForState(stack, orderNo, (s) => s.stage === 'sales_review');
    const mine = (await work('sales_manager')).items.find((i) => i.orderNo === orderNo);
    expect(mine).toMatchObject({
      task: 'review',
      stage: 'sales_review',
      customer: { id: f.customerId },
      amount: '2712.00',
      currency: 'CNY',
      overdue: false,
      escalation: 'none',
      problems: expect.any(Array),
      risks: expect.any(Array),
    });
    expect(mine.secondsLeft).toBeGreaterThan(0);
    expect(mine.secondsLeft).toBeLessThanOrEqual(3600);
    expect((await work('finance')).items.some((i) => i.orderNo === orderNo)).toBe(false);

    // Without the role: nothing offered, and a forged request is refused by the route.
    expect(await actionsOf('marketing', orderNo)).toEqual([]);
    expect(await actionsOf('logistics', orderNo)).toEqual([]);
    const forged = await browse(stack, await as('marketing'), 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' });
    expect(forged.status).toBe(403);

    const offered = await actionsOf('sales_manager', orderNo);
    const review = offered.find((a) => a.id === 'sales_review')!;
    expect(review).toMatchObject({ method: 'POST', path: `/orders/${orderNo}/reviews/sales` });
    expect(review.fields.find((x) => x.name === 'decision').options.map((o: { value: string }) => o.value)).toEqual(['approve', 'reject', 'return']);
    // Every action listed is one the route accepts for this user (never 403).
    const res = await perform('sales_manager', review, { decision: 'approve' });
    expect(res.status).toBe(200);
  });

  it('finance: the review and then the staff mails link to the order page', async () => {
    const orderNo = await placeOrder(stack, f);
    await browse(stack, await as('sales_manager'), 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' });
    await waitForState(stack, orderNo, (s) => s.stage === 'finance_review');
    expect((await work('finance')).items.find((i) => i.orderNo === orderNo)).toMatchObject({ task: 'review', stage: 'finance_review' });
    // sales entered the order: sales has no finance action; finance may approve.
    expect((await actionsOf('sales', orderNo)).some((a) => a.id === 'finance_review')).toBe(false);
    const review = (await actionsOf('finance', orderNo)).find((a) => a.id === 'finance_review')!;
    expect((await perform('finance', review, { decision: 'approve' })).status).toBe(200);
    // The confirmation tells production and logistics, with a link to the console page.
    const mail = await stack.smtp.waitFor((m) => m.to.includes('logistics@example.com') && m.subject.includes(orderNo), 30_000);
    expect(mail.text).toContain(`http://console.example.test:8080/app/orders/${orderNo}`);
  });

  it('change reviews wait for each reviewing department, most urgent first; the filer is offered no decision', async () => {
    const reviewFirst = await placeOrder(stack, f);
    const changed = await placeOrder(stack, f);
    await waitForState(stack, changed, (s) => s.stage === 'sales_review');
    const fileAction = (await actionsOf('sales', changed)).find((a) => a.id === 'file_change')!;
    expect(fileAction.headers).toEqual({ 'Idempotency-Key': 'generate' });
    const filed = await browse(
      stack,
      await as('sales'),
      'POST',
      fileAction.path,
      { reason: '客户来函', changes: { requestedDeliveryDate: new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10) } },
      { headers: { 'idempotency-key': `test-${randomUUID()}` } },
    );
    expect(filed.status).toBe(201);
    const changeId = filed.body.changeId as string;
    await waitForState(stack, changed, (s) => s.changes.some((c) => c.changeId === changeId));

    const fin = (await work('finance')).items.find((i) => i.changeId === changeId);
    expect(fin).toMatchObject({ task: 'change_review:finance', department: 'finance', orderNo: changed });
    const sm = await work('sales_manager');
    const changeAt = sm.items.findIndex((i) => i.changeId === changeId);
    const reviewAt = sm.items.findIndex((i) => i.orderNo === reviewFirst && i.task === 'review');
    expect(changeAt).toBeGreaterThanOrEqual(0);
    expect(reviewAt).toBeGreaterThanOrEqual(0);
    // The change (due in 10 minutes) is more urgent than the older review (due in an hour).
    expect(changeAt).toBeLessThan(reviewAt);
    const deadlines = sm.items.map((i) => i.deadline);
    const dated = deadlines.filter((d): d is string => d !== null);
    expect(dated).toEqual([...dated].sort());
    expect(deadlines.slice(0, dated.length).every((d) => d !== null)).toBe(true);
    expect(sm.total).toBe(sm.items.length);

    // The filer decides nothing; the other departments' people do, and the route accepts it.
    expect((await actionsOf('sales', changed)).some((a) => a.id.startsWith('change_review:'))).toBe(false);
    const finAction = (await actionsOf('finance', changed)).find((a) => a.id === `change_review:${changeId}:finance`)!;
    expect(finAction.fields.find((x) => x.name === 'department').value).toBe('finance');
    expect((await perform('finance', finAction, { decision: 'approve' })).status).toBe(200);
    const smAction = (await actionsOf('sales_manager', changed)).find((a) => a.id === `change_review:${changeId}:sales`)!;
    expect((await perform('sales_manager', smAction, { decision: 'approve' })).status).toBe(200);
    expect((await work('finance')).items.some((i) => i.changeId === changeId)).toBe(false);
  });

  it('an exception waits for the failed stage’s assignee, with the resolution as an action', async () => {
    const region = `测试省${randomUUID().slice(0, 6)}`;
    const orderNo = await placeOrder(stack, f, {
      deliveryAddress: { recipient: '王经理', phone: '+86 21 5555 0101', region, city: '某市', line1: '某路1号' },
    });
    await browse(stack, await as('sales_manager'), 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' });
    await waitForState(stack, orderNo, (s) => s.stage === 'finance_review');
    await browse(stack, await as('finance'), 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' });
    // An unknown region is a high risk: joint review, each department through the action it is offered.
    await waitForState(stack, orderNo, (s) => s.stage === 'joint_review' && !!s.joint);
    for (const [username, department] of [['production', 'production'], ['logistics', 'logistics'], ['finance2', 'finance']] as const) {
      const offered = await actionsOf(username, orderNo);
      expect(offered.filter((a) => a.id.startsWith('joint_review:')).map((a) => a.id)).toEqual([`joint_review:${department}`]);
      expect((await perform(username, offered.find((a) => a.id === `joint_review:${department}`)!, { decision: 'approve' })).status).toBe(200);
    }
    await waitForState(stack, orderNo, (s) => s.stage === 'exception', 60_000);
    // The read model follows the workflow (the transition and the alert are written by activities).
    let item: any;
    for (let i = 0; i < 150 && item?.task !== 'resolve_exception'; i++) {
      item = (await work('logistics')).items.find((x) => x.orderNo === orderNo);
      if (item?.task !== 'resolve_exception') await new Promise((r) => setTimeout(r, 200));
    }
    expect(item).toMatchObject({ task: 'resolve_exception', stage: 'exception' });
    const resolve = (await actionsOf('logistics', orderNo)).find((a) => a.id === 'exception')!;
    expect(resolve.fields.find((x) => x.name === 'action').options.map((o: { value: string }) => o.value)).toEqual(['retry', 'cancel']);
    expect((await actionsOf('marketing', orderNo))).toEqual([]);
    // Cancelling through the listed action is accepted (not 403) and ends the order.
    const res = await perform('logistics', resolve, { action: 'cancel', comment: '该地区无法送达' });
    expect(res.status).toBe(200);
    expect(res.body.stage).toBe('cancelled');
    // A cancelled order offers nothing but recording a complaint.
    expect((await actionsOf('sales_manager', orderNo)).map((a) => a.id)).toEqual(['complaint']);

    // The timeline has the transitions, the decisions and the alert, oldest first, and the Temporal UI link.
    const t = await browse(stack, await as('auditor'), 'GET', `/orders/${orderNo}/timeline`);
    expect(t.status).toBe(200);
    expect(t.body.workflowUrl).toContain(encodeURIComponent(`order-${orderNo}`));
    const kinds = new Set(t.body.items.map((i: { kind: string }) => i.kind));
    for (const k of ['transition', 'decision', 'exception', 'email']) expect(kinds).toContain(k);
    const ats = t.body.items.map((i: { at: string }) => i.at);
    expect(ats).toEqual([...ats].sort());
  });

  it('a sales user sees neither work nor actions of another sales user’s customer (404)', async () => {
    const other = await createFixture(stack.prisma, { ownerUsername: 'sales2' });
    const orderNo = await placeOrder(stack, other, {}).catch(() => null);
    // sales may not even enter it; sales2 may.
    expect(orderNo).toBeNull();
    const { api, intakeBody } = await import('../support/orders');
    const res = await api(stack, 'POST', '/orders', intakeBody(other), 'sales2', { 'idempotency-key': `test-${randomUUID()}` });
    expect(res.status).toBe(201);
    expect((await browse(stack, await as('sales'), 'GET', `/orders/${res.body.orderNo}/actions`)).status).toBe(404);
    expect((await work('sales')).items.some((i) => i.orderNo === res.body.orderNo)).toBe(false);
  });
});

describe('the console’s static files and configuration', () => {
  it('serves the app at /app with the SPA fallback', async () => {
    const index = await stack.app.inject({ method: 'GET', url: '/app/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.body).toContain('销售订单');
    const deep = await stack.app.inject({ method: 'GET', url: '/app/orders/SO-2026-000001' });
    expect(deep.statusCode).toBe(200);
    expect(deep.body).toBe(index.body);
    const asset = await stack.app.inject({ method: 'GET', url: '/app/assets/app-1234.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toBe('console.log("app")');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await stack.app.inject({ method: 'GET', url: '/app' })).headers.location).toBe('/app/');
    // Outside the folder is never served.
    const escape = await stack.app.inject({ method: 'GET', url: '/app/..%2F..%2Fpackage.json' });
    expect(escape.body).toBe(index.body);
  });

  it('answers 503 naming the build command while the app is not built', async () => {
    rmSync(join(web, 'index.html'));
    try {
      const res = await stack.app.inject({ method: 'GET', url: '/app/orders/x' });
      expect(res.statusCode).toBe(503);
      expect(res.json().message).toContain('npm run build:web');
    } finally {
      writeFileSync(join(web, 'index.html'), '<!doctype html><title>销售订单</title><div id="root"></div>');
    }
  });

  it('GET /console/config is public', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/console/config' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      timeZone: 'Asia/Shanghai',
      temporalUiUrl: stack.config.temporalUiUrl,
      namespace: stack.config.temporalNamespace,
      defaultLanguage: 'zh',
      publicUrl: 'http://console.example.test:8080',
      session: { idleSeconds: 1800, maxSeconds: 43200 },
    });
  });
});

describe('the Temporal UI decodes payloads with the console session (item 9)', () => {
  const uiOrigin = () => new URL(stack.config.temporalUiUrl).origin;
  const sealed = async () => {
    const [p] = await new EncryptionCodec(stack.config.payloadCodecKeys).encode([defaultPayloadConverter.toPayload('上海某某贸易有限公司')!]);
    return { payloads: [payloadToJson(p)] };
  };
  const decode = async (cookie: string | null) =>
    stack.app.inject({
      method: 'POST',
      url: '/codec/decode',
      payload: await sealed(),
      headers: { origin: uiOrigin(), 'x-namespace': 'default', ...(cookie ? { cookie } : {}) },
    });

  it('answers 200 with the session cookie of an allowed role (no CSRF header: the UI cannot send one)', async () => {
    const res = await decode((await as('auditor')).cookie);
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(uiOrigin());
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    const out = res.json().payloads[0];
    expect(Buffer.from(out.data, 'base64').toString('utf8')).toBe('"上海某某贸易有限公司"');
  });

  it('answers 401 without it, and 403 for a role that may not read payloads', async () => {
    expect((await decode(null)).statusCode).toBe(401);
    expect((await decode((await as('sales')).cookie)).statusCode).toBe(403);
  });
});
