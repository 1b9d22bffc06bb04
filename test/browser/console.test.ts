/**
 * The approvers' console in a real browser (Debian's Chromium via
 * playwright-core) against the real stack: the API serving the built
 * console at /app, a worker, the Temporal dev server, PostgreSQL, SMTP
 * capture. One long scenario (an order from intake to paid, every step by a
 * person in the page) and a few short checks, on one shared stack.
 * Screenshots of each step go to docs/screenshots/ (README: The console).
 */
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { startTestStack, type TestStack } from '../support/stack';
import { createFixture, type Fixture } from '../support/fixtures';
import { api, authHeaders, placeOrder, waitForStage, waitForState } from '../support/orders';
import { closeTestPrisma } from '../support/db';
import { PHONE, SCREENSHOTS, ensureWebBuilt, launch, passwordOf, seriousViolations, shot, signIn, type AxeViolation } from './browser';

// Functions passed to page.evaluate run in the page; the test's TypeScript has no DOM library.
declare const document: { title: string };

jest.setTimeout(240_000);

let stack: TestStack;
let browser: Browser;
let base: string;
let fx: Fixture;

const USERS = ['sales', 'sales_manager', 'sales_manager2', 'finance', 'production', 'logistics', 'auditor', 'marketing'];

beforeAll(async () => {
  ensureWebBuilt();
  stack = await startTestStack();
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  // The demo passwords, set the way an admin sets them (the seed may have set them already).
  for (const u of USERS) {
    const res = await stack.app.inject({ method: 'PUT', url: `/users/${u}/password`, payload: { password: passwordOf(u) }, headers: await authHeaders(stack, 'admin') });
    if (res.statusCode !== 204) throw new Error(`setting ${u}'s password: ${res.statusCode} ${res.body}`);
  }
  fx = await createFixture(stack.prisma);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await closeTestPrisma();
});

/** The card of one action in the order page's action panel. */
const action = (page: Page, id: string) => page.locator(`[data-action="${id}"]`);
const actionStartingWith = (page: Page, prefix: string) => page.locator(`[data-action^="${prefix}"]`).first();

/** Picks a radio button (decision, action) by its value inside a card. */
async function choose(card: ReturnType<typeof action>, value: string) {
  await card.locator(`label:has(input[value="${value}"])`).click();
}

/** Submits an action's form and returns the answer the panel shows for it. */
async function submitAction(page: Page, card: ReturnType<typeof action>): Promise<string> {
  const current = page.locator('[data-testid="action-answer"]');
  const seq = (await current.count()) ? Number(await current.getAttribute('data-seq')) : 0;
  await card.getByRole('button', { name: /^(提交|Submit)$/ }).click();
  const answer = page.locator(`[data-testid="action-answer"][data-seq="${seq + 1}"]`);
  try {
    await answer.waitFor({ timeout: 60_000 });
  } catch (err) {
    await page.screenshot({ path: `${SCREENSHOTS}/failed-${Date.now()}.tmp.png`, fullPage: true });
    throw new Error(`no answer to ${await card.getAttribute('data-action')}; the card says: ${await card.innerText()}\n${(err as Error).message}`);
  }
  return (await answer.innerText()).trim();
}

/**
 * The accessibility check of a page: axe-core's serious and critical
 * violations, kept per page and asserted by the last test, so one page's
 * finding does not hide the rest of the scenario.
 */
const a11y: Record<string, AxeViolation[]> = {};
async function expectNoSeriousViolations(page: Page, what: string) {
  a11y[what] = await seriousViolations(page);
}

async function openOrder(page: Page, orderNo: string) {
  await page.goto(`${base}/app/orders/${orderNo}`);
  await page.locator('[data-testid="order-no"]').waitFor();
  await page.locator('#actions').waitFor();
  await page.waitForLoadState('networkidle');
}

async function stageText(page: Page): Promise<string> {
  return (await page.locator('[data-testid="order-stage"]').innerText()).trim();
}

test('an order from intake to paid, every step by a person in the console', async () => {
  // 1. Sales signs in and enters the order through the form.
  const salesCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const signin = await salesCtx.newPage();
  await signin.goto(`${base}/app/`);
  await signin.waitForURL(/\/app\/signin/);
  await shot(signin, '01-sign-in');
  await expectNoSeriousViolations(signin, 'sign-in page');
  await salesCtx.close();

  const { context: salesContext, page: sales } = await signIn(browser, base, 'sales');
  await sales.goto(`${base}/app/intake`);
  await sales.locator('#customerId').click();
  await sales.locator('#customerId').fill(fx.customerCode);
  await sales.locator('.ant-select-item-option', { hasText: fx.customerCode }).click();
  await sales.locator('[data-testid="credit"]').waitFor();
  await sales.locator('#lines_0_productId').click();
  await sales.locator('#lines_0_productId').fill(fx.inStockSku);
  await sales.locator('.ant-select-item-option', { hasText: fx.inStockSku }).click();
  await sales.locator('#lines_0_quantity').fill('2');
  expect(await sales.locator('#lines_0_unitPrice').inputValue()).toBe('1000.00'); // the list price, filled in
  await sales.locator('#deliveryAddress_region').fill(fx.region);
  await sales.locator('#deliveryAddress_city').fill('上海市');
  await sales.locator('#deliveryAddress_line1').fill('浦东新区世纪大道100号');
  await sales.locator('#deliveryAddress_postcode').fill('200120');
  await sales.evaluate('window.scrollTo(0, 0)');
  await shot(sales, '02-intake-form');
  await expectNoSeriousViolations(sales, 'intake form');
  // A double click: the page's idempotency key makes it one order.
  await sales.getByRole('button', { name: '提交订单' }).dblclick();
  const created = sales.getByText(/订单 SO-\d{4}-\d+ 已创建/);
  await created.waitFor();
  const orderNo = /SO-\d{4}-\d+/.exec(await created.innerText())![0];
  await shot(sales, '03-order-created');
  expect(await stack.prisma.order.count({ where: { customerId: fx.customerId } })).toBe(1);

  // 2. The sales manager finds it in My work and approves.
  const { context: smContext, page: sm } = await signIn(browser, base, 'sales_manager');
  const row = sm.locator('[data-testid="work-item"]', { hasText: orderNo });
  await row.waitFor();
  expect(await row.innerText()).toContain('¥2,260.00');
  expect(await sm.title()).toMatch(/^\(\d+\) 我的工作$/);
  await shot(sm, '04-my-work-sales-manager');
  await expectNoSeriousViolations(sm, 'My work');
  await row.getByRole('link', { name: orderNo }).click();
  await sm.locator('[data-action="sales_review"]').waitFor();
  await shot(sm, '05-order-sales-review');
  await expectNoSeriousViolations(sm, 'order page');
  await choose(action(sm, 'sales_review'), 'approve');
  expect(await submitAction(sm, action(sm, 'sales_review'))).toContain('财务评审');
  await waitForStage(stack, orderNo, 'finance_review');

  // 3. Finance approves.
  const { context: finContext, page: fin } = await signIn(browser, base, 'finance');
  await fin.locator('[data-testid="work-item"]', { hasText: orderNo }).waitFor();
  await openOrder(fin, orderNo);
  await choose(action(fin, 'finance_review'), 'approve');
  await submitAction(fin, action(fin, 'finance_review'));
  await shot(fin, '06-finance-approved');
  await waitForStage(stack, orderNo, 'shipping', 60_000);

  // 4. Sales files a change request (3 units instead of 2); production, logistics and finance each approve it.
  await openOrder(sales, orderNo);
  const fileChange = action(sales, 'file_change');
  await fileChange.getByText('修改订单行').click();
  await fileChange.getByLabel(`新数量 ${fx.inStockSku}`).fill('3');
  await fileChange.locator('#file_change_reason').fill('客户来函追加数量');
  await shot(sales, '07-change-request');
  expect(await submitAction(sales, fileChange)).toMatch(/已提交/);
  await waitForState(stack, orderNo, (s) => (s as { changes?: { status: string }[] }).changes?.some((c) => c.status === 'under_review') ?? true);

  const { context: prodContext, page: prod } = await signIn(browser, base, 'production');
  const { context: logContext, page: log } = await signIn(browser, base, 'logistics');
  for (const [page, dept] of [[prod, 'production'], [log, 'logistics'], [fin, 'finance']] as const) {
    await page.goto(`${base}/app/`);
    // The change review is in the department's work (logistics also has the dispatch waiting).
    await page.locator(`[data-testid="work-item"][data-row-key^="${orderNo}:change_review:${dept}"]`).waitFor();
    await openOrder(page, orderNo);
    const card = actionStartingWith(page, 'change_review:');
    expect(await card.getAttribute('data-action')).toMatch(new RegExp(`:${dept}$`));
    await choose(card, 'approve');
    await submitAction(page, card);
    if (dept === 'production') await shot(page, '08-change-review-production');
  }
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !(s as { changes?: { status: string }[] }).changes?.some((c) => c.status === 'under_review'), 60_000);
  const afterChange = await api(stack, 'GET', `/orders/${orderNo}`, undefined, 'sales');
  expect(afterChange.body.lines[0].quantity).toBe(3);
  expect(afterChange.body.changes.map((c: { status: string }) => c.status)).toEqual(['applied']);

  // 5. Logistics confirms dispatch, then delivery.
  await openOrder(log, orderNo);
  await submitAction(log, action(log, 'dispatch'));
  await waitForStage(stack, orderNo, 'in_transit');
  await openOrder(log, orderNo);
  await shot(log, '09-in-transit');
  await submitAction(log, action(log, 'delivery'));
  await waitForStage(stack, orderNo, 'awaiting_payment');

  // 6. Finance records two partial payments.
  const invoice = (await api(stack, 'GET', `/orders/${orderNo}`, undefined, 'finance')).body.invoice as { amount: string };
  expect(invoice.amount).toBe('3390.00'); // 3 x 1000.00 + 13 % tax, after the change
  await openOrder(fin, orderNo);
  const pay = action(fin, 'payment');
  await pay.locator('#payment_amount').fill('1000.00');
  await pay.locator('#payment_reference').fill(`BANK-${orderNo}-1`);
  expect(await submitAction(fin, pay)).toContain('¥2,390.00');
  await shot(fin, '10-first-payment');
  await openOrder(fin, orderNo);
  await action(fin, 'payment').locator('#payment_amount').fill('2390.00');
  await action(fin, 'payment').locator('#payment_reference').fill(`BANK-${orderNo}-2`);
  expect(await submitAction(fin, action(fin, 'payment'))).toContain('已全部收款');
  await waitForStage(stack, orderNo, 'closed', 60_000);

  // 7. The order page shows it closed with its full timeline.
  await openOrder(sales, orderNo);
  expect(await stageText(sales)).toBe('已关闭');
  const timeline = sales.locator('[data-testid="timeline"]');
  const kinds = await timeline.locator('[data-kind]').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
  for (const k of ['transition', 'decision', 'change', 'payment']) expect(kinds).toContain(k);
  const text = await timeline.innerText();
  for (const s of ['销售评审', '财务评审', '已关闭']) expect(text).toContain(s);
  expect(await sales.locator('[data-testid="invoice"]').innerText()).toContain('¥0.00');
  await sales.screenshot({ path: `${__dirname}/../../docs/screenshots/11-order-closed.png`, fullPage: true, animations: 'disabled' });

  for (const c of [salesContext, smContext, finContext, prodContext, logContext]) await c.close();
});

test('a user without the role sees no action, and a forged request from the page gets 403', async () => {
  const orderNo = await placeOrder(stack, fx);
  await waitForStage(stack, orderNo, 'sales_review');
  const { context, page } = await signIn(browser, base, 'production');
  await openOrder(page, orderNo);
  expect(await page.locator('[data-action]').count()).toBe(0);
  await page.getByText('当前没有您可执行的操作').waitFor();
  await shot(page, '12-no-actions-for-production');
  const statuses = await page.evaluate(async (no) => {
    const s = (await (await fetch('/auth/session')).json()) as { csrfToken: string };
    const post = (headers: Record<string, string>) =>
      fetch(`/orders/${no}/reviews/sales`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ decision: 'approve' }) }).then((r) => r.status);
    return { withCsrf: await post({ 'x-csrf-token': s.csrfToken }), withoutCsrf: await post({}) };
  }, orderNo);
  expect(statuses).toEqual({ withCsrf: 403, withoutCsrf: 403 });
  expect((await api(stack, 'GET', `/orders/${orderNo}`, undefined, 'sales')).body.stage).toBe('sales_review');
  await context.close();
});

test('a wrong password is refused and audited', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/app/signin`);
  await page.locator('#signin_username').fill('marketing');
  await page.locator('#signin_password').fill('not-the-password');
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('alert').filter({ hasText: '用户名或密码错误' }).waitFor();
  expect(new URL(page.url()).pathname).toBe('/app/signin');
  await shot(page, '13-wrong-password');
  const audit = await api(stack, 'GET', '/audit?limit=50', undefined, 'auditor');
  const failed = (audit.body.items as { action: string; actor: string; entityId: string; after: unknown }[]).filter(
    (r) => /session/.test(r.action) && /fail/i.test(r.action) && (r.actor === 'marketing' || r.entityId === 'marketing' || JSON.stringify(r.after ?? '').includes('marketing')),
  );
  expect(failed.length).toBeGreaterThanOrEqual(1);
  await context.close();
});

test('a 409 shows its message in the page', async () => {
  const orderNo = await placeOrder(stack, fx);
  await waitForStage(stack, orderNo, 'sales_review');
  const { context, page } = await signIn(browser, base, 'sales_manager2');
  // A page left open: its action list is the one it loaded (its refreshes answer the same).
  let frozen: { status: number; body: string; contentType: string } | undefined;
  await page.route(`**/orders/${orderNo}/actions`, async (route) => {
    if (!frozen) {
      const res = await route.fetch();
      frozen = { status: res.status(), body: await res.text(), contentType: res.headers()['content-type'] ?? 'application/json' };
    }
    await route.fulfill(frozen);
  });
  await openOrder(page, orderNo);
  // Meanwhile someone else approves.
  const other = await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager');
  expect(other.status).toBe(200);
  await choose(action(page, 'sales_review'), 'approve');
  const answer = await submitAction(page, action(page, 'sales_review'));
  expect(answer).toContain('当前状态不允许此操作');
  expect(answer).toMatch(/409/);
  await shot(page, '14-conflict-409');
  await context.close();
});

test('the page title count follows new work; My work is readable on a phone', async () => {
  const { context, page } = await signIn(browser, base, 'sales_manager', { viewport: PHONE });
  await page.waitForFunction(() => /^\(\d+\) 我的工作$/.test(document.title));
  const count = () => page.evaluate(() => Number(/^\((\d+)\)/.exec(document.title)?.[1] ?? -1));
  const before = await count();
  const orderNo = await placeOrder(stack, fx);
  // The page polls every 10 s: the new order's review shows up and the title counts it.
  await page.waitForFunction((n) => document.title === `(${n}) 我的工作`, before + 1, { timeout: 45_000 });
  await page.locator('[data-testid="work-item"]', { hasText: orderNo }).waitFor();
  await shot(page, '15-my-work-phone');
  await expectNoSeriousViolations(page, 'My work on a phone');
  await context.close();
});

test('the boards open for their roles; the English switch', async () => {
  const { context, page } = await signIn(browser, base, 'sales_manager');
  for (const [path, name] of [
    ['/orders', '16-open-orders'],
    ['/risks', '17-risks'],
    ['/kpis', '18-kpis'],
    ['/analysis', '19-analysis'],
  ] as const) {
    await page.goto(`${base}/app${path}`);
    await page.waitForLoadState('networkidle');
    await page.locator('h1').waitFor();
    await shot(page, name);
    await expectNoSeriousViolations(page, path);
  }
  await context.close();
  const { context: ac, page: auditor } = await signIn(browser, base, 'auditor');
  const [auditAnswer] = await Promise.all([
    auditor.waitForResponse((r) => new URL(r.url()).pathname === '/audit'),
    auditor.goto(`${base}/app/audit`),
  ]);
  expect(auditAnswer.status()).toBe(200);
  await auditor.locator('[data-testid="audit-table"] tbody tr.ant-table-row').first().waitFor();
  await shot(auditor, '20-audit');
  await expectNoSeriousViolations(auditor, 'audit');
  await ac.close();
  const { context: adc, page: admin } = await signIn(browser, base, 'admin');
  await admin.goto(`${base}/app/users`);
  await admin.locator('tr.ant-table-row', { hasText: 'sales_manager2' }).waitFor();
  await shot(admin, '21-users');
  await expectNoSeriousViolations(admin, 'users');
  // The English switch: the same page in English, kept across a reload.
  await admin.getByRole('button', { name: 'English' }).click();
  await admin.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
  await admin.reload();
  await admin.getByRole('button', { name: 'Reset password' }).first().waitFor();
  await shot(admin, '22-users-english');
  await adc.close();
});

test('the main pages have no serious or critical accessibility violations (axe-core, WCAG 2.1 A/AA)', () => {
  expect(Object.keys(a11y).sort()).toEqual(
    ['sign-in page', 'intake form', 'My work', 'order page', 'My work on a phone', '/orders', '/risks', '/kpis', '/analysis', 'audit', 'users'].sort(),
  );
  const found = Object.fromEntries(Object.entries(a11y).filter(([, v]) => v.length > 0));
  expect(found).toEqual({});
});
