/**
 * GET /kpis, /kpis/report.csv and /kpis/report.html against the real stack:
 * live values until the period is closed (periodCloseWorkflow on this file's
 * worker), the archive as stored afterwards; the CSV and HTML shapes; the
 * 400s. Data in May 2018, a month no other test writes to.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { createFixture } from '../support/fixtures';
import { api, authHeaders } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';
import { escapeHtml } from '../../api/services/kpis';
import { periodCloseWorkflow } from '../../workflows/kpi/workflow';

jest.setTimeout(120_000);

let stack: TestStack;
let orderId: string;
const at = (s: string) => new Date(`2018-${s}:00.000Z`);

useTestStack(async (started) => {
  stack = started;
  const f = await createFixture(stack.prisma);
  const orderNo = `SO-2018-${String(randomInt(1, 1_000_000_000)).padStart(9, '0')}`;
  const o = await stack.prisma.order.create({
    data: {
      orderNo,
      idempotencyKey: `kpi-api-${randomUUID()}`,
      requestHash: 'kpi-api',
      customerId: f.customerId,
      channel: 'api',
      contactName: '王经理',
      orderDate: at('05-10T08:00'),
      requestedDeliveryDate: at('05-30T00:00'),
      deliveryAddress: { recipient: '王经理', phone: '+86 21 5555 0101', region: '上海', city: '上海市', line1: '世纪大道100号' },
      paymentTerms: 'NET_30',
      subtotal: '500.00',
      taxAmount: '65.00',
      totalAmount: '565.00',
      stage: 'closed',
      stageEnteredAt: at('05-20T08:00'),
      enteredBy: 'sales',
      workflowId: `order-${orderNo}`,
      createdAt: at('05-10T08:00'),
    },
  });
  orderId = o.id;
  // sales_review ✓ (left 4 h in), finance_review ✗ (left a day late): timeliness 1 / 2.
  await stack.prisma.stageTransition.createMany({
    data: [
      { orderId, seq: 1, toStage: 'sales_review', at: at('05-10T08:00'), deadline: at('05-11T08:00') },
      { orderId, seq: 2, fromStage: 'sales_review', toStage: 'finance_review', at: at('05-10T12:00'), deadline: at('05-11T12:00') },
      { orderId, seq: 3, fromStage: 'finance_review', toStage: 'rejected', at: at('05-12T12:00') },
    ],
  });
  await stack.prisma.orderProfit.create({
    data: { orderId, currency: 'CNY', revenue: '500.00', costOfGoods: '350.00', shippingCost: '50.00', profit: '100.00', margin: '0.2000', closedAt: at('05-20T08:00') },
  });
  await stack.prisma.feedback.create({ data: { orderId, rating: 4, createdBy: 'sales', createdAt: at('05-21T08:00') } });
});

const v = (value: string | null, numerator: string, denominator: string) => ({ value, numerator, denominator });

describe('GET /kpis', () => {
  test('live values before the close, the archive as stored after it', async () => {
    const live = await api(stack, 'GET', '/kpis?period=2018-05', undefined, 'marketing');
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({
      period: '2018-05',
      kind: 'month',
      start: '2018-05-01T00:00:00.000Z',
      end: '2018-06-01T00:00:00.000Z',
      source: 'live',
      computedAt: expect.any(String),
    });
    expect(live.body.kpis.timeliness.overall).toEqual(v('0.5000', '1', '2'));
    expect(live.body.kpis.timeliness.departments).toEqual({
      sales: v('1.0000', '1', '1'),
      finance: v('0.0000', '0', '1'),
      production: v(null, '0', '0'),
      logistics: v(null, '0', '0'),
    });
    expect(live.body.kpis.accuracy.overall).toEqual(v('1.0000', '1', '1'));
    expect(live.body.kpis.averageRating.overall).toEqual(v('4.00', '4', '1'));
    expect(live.body.kpis.profitMargin.overall).toEqual(v('0.2000', '100.00', '500.00'));
    expect(live.body.kpis.intakeToConfirmation.overall).toEqual(v(null, '0', '0'));

    // Close May 2018 the way the schedule does (a named period).
    const closed = await stack.client.workflow.execute(periodCloseWorkflow, {
      taskQueue: stack.taskQueue,
      workflowId: `kpi-close-test-2018-05-${randomUUID()}`,
      args: [{ kind: 'month', period: '2018-05' }],
    });
    expect(closed.period).toBe('2018-05');

    // A rating arrives after the close: live figures would change, the archive does not.
    await stack.prisma.feedback.create({ data: { orderId, rating: 1, createdBy: 'sales', createdAt: at('05-31T08:00') } });

    const archived = await api(stack, 'GET', '/kpis?period=2018-05', undefined, 'auditor');
    expect(archived.status).toBe(200);
    expect(archived.body.source).toBe('archive');
    expect(archived.body.computedAt).toBe(closed.computedAt);
    expect(archived.body.kpis.averageRating.overall).toEqual(v('4.00', '4', '1'));
    expect({ ...archived.body, source: 'x' }).toEqual({ ...JSON.parse(JSON.stringify(closed)), source: 'x' });

    const june = await api(stack, 'GET', '/kpis?period=2018-06', undefined, 'sales');
    expect(june.body.source).toBe('live');
  });

  test('quarters and years', async () => {
    const q = await api(stack, 'GET', '/kpis?period=2018-Q2', undefined, 'finance');
    expect(q.status).toBe(200);
    expect(q.body).toMatchObject({ period: '2018-Q2', kind: 'quarter', source: 'live' });
    expect(q.body.kpis.profitMargin.overall).toEqual(v('0.2000', '100.00', '500.00'));
    const y = await api(stack, 'GET', '/kpis?period=2018', undefined, 'production');
    expect(y.body).toMatchObject({ period: '2018', kind: 'year', start: '2018-01-01T00:00:00.000Z', end: '2019-01-01T00:00:00.000Z' });
  });

  test.each([
    ['/kpis?period=2018-13', /month must be 01-12/],
    ['/kpis?period=May', /invalid period/],
    ['/kpis?period=2018-Q0', /quarter must be Q1-Q4/],
    ['/kpis', /period/],
    ['/kpis?period=2099-01', /2099-01 is in the future/],
    ['/kpis/report.csv?period=2099', /in the future/],
    ['/kpis/report.html?period=2018-13', /month must be 01-12/],
  ])('%s: 400 naming period', async (url, message) => {
    const res = await api(stack, 'GET', url, undefined, 'sales');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'Bad Request', field: 'period', message: expect.stringMatching(message) });
  });

  test('trend out of range: 400 naming trend; no token: 401', async () => {
    const res = await api(stack, 'GET', '/kpis/report.html?period=2018-05&trend=0', undefined, 'sales');
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('trend');
    expect((await api(stack, 'GET', '/kpis?period=2018-05', undefined, null)).status).toBe(401);
  });

  test('the running period is live', async () => {
    const now = new Date();
    const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const res = await api(stack, 'GET', `/kpis?period=${month}`, undefined, 'sales_manager');
    expect(res.status).toBe(200);
    expect(res.body.source).toBe('live');
  });
});

describe('reports', () => {
  test('CSV: one row per KPI and department with value, numerator, denominator, source', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/kpis/report.csv?period=2018-05', headers: await auth('auditor') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="kpi-2018-05.csv"');
    const lines = res.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('period,kpi,department,value,numerator,denominator,source');
    // 7 KPIs overall + timeliness for 4 departments.
    expect(lines).toHaveLength(1 + 7 + 4);
    expect(lines).toContain('2018-05,timeliness,all,0.5000,1,2,archive');
    expect(lines).toContain('2018-05,timeliness,finance,0.0000,0,1,archive');
    expect(lines).toContain('2018-05,timeliness,logistics,,0,0,archive');
    expect(lines).toContain('2018-05,averageRating,all,4.00,4,1,archive');
    expect(lines).toContain('2018-05,profitMargin,all,0.2000,100.00,500.00,archive');
    expect(lines.slice(1).every((l) => l.split(',').length === 7)).toBe(true);

    const live = await stack.app.inject({ method: 'GET', url: '/kpis/report.csv?period=2018-04', headers: await auth('marketing') });
    expect(live.body).toContain('2018-04,accuracy,all,,0,0,live');
  });

  test('HTML: self-contained page with a chart per KPI over the trend periods and a table', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/kpis/report.html?period=2018-05&trend=3', headers: await auth('marketing') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = res.body;
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<title>KPI report 2018-05</title>');
    expect(html.match(/<svg /g)).toHaveLength(7);
    // No scripts, no external resources (the SVG namespace is a name, not a fetch).
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    // The trend: March and April live, May archived.
    expect(html).toContain('<th>2018-03<br><small>live</small></th><th>2018-04<br><small>live</small></th><th>2018-05<br><small>archive</small></th>');
    expect(html).toContain('source: archive');
    expect(html).toContain('<td class="num">50.00 %</td><td class="num">1</td><td class="num">2</td>');
    // May is the only point of the timeliness line (March, April: no data).
    expect(html).toMatch(/<circle [^>]*class="archive"><title>2018-05 \(archive\): 50\.00 % = 1 \/ 2<\/title><\/circle>/);

    const defaults = await stack.app.inject({ method: 'GET', url: '/kpis/report.html?period=2018-05', headers: await auth('sales') });
    expect(defaults.body).toContain('Trend, last 6 months');
    expect(defaults.body).toContain('<th>2017-12<br><small>live</small></th>');
  });

  test('HTML escaping', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  test('every staff role may read the reports', async () => {
    for (const role of ['sales', 'sales_manager', 'finance', 'finance_manager', 'production', 'logistics', 'marketing', 'admin', 'auditor']) {
      for (const url of ['/kpis?period=2018-05', '/kpis/report.csv?period=2018-05', '/kpis/report.html?period=2018-05&trend=1']) {
        const res = await stack.app.inject({ method: 'GET', url, headers: await auth(role) });
        expect([role, url, res.statusCode]).toEqual([role, url, 200]);
      }
    }
  });

  test('the OpenAPI document lists the three routes', async () => {
    const res = await api(stack, 'GET', '/docs/json', undefined, null);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/kpis', '/kpis/report.csv', '/kpis/report.html']));
  });
});

const auth = (username: string) => authHeaders(stack, username);
