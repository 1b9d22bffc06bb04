/**
 * Issue 11, item 9: the Temporal Web UI reads the order's encrypted payloads
 * the way the README says. The standalone Temporal UI server (the one
 * `npm start` runs, configured by deploy/temporal-ui/sales-orders.yaml: codec
 * endpoint with "include credentials") in front of the test's Temporal
 * server; the API serving the console and /codec. Signed in to the console
 * as an allowed role, the workflow's page shows the decoded input; without
 * the console session (a fresh browser), the same page cannot decode it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startTestStack, type TestStack } from '../support/stack';
import { createFixture } from '../support/fixtures';
import { authHeaders, placeOrder, orderHandle, waitForStage } from '../support/orders';
import { closeTestPrisma } from '../support/db';
import { until } from '../support/poll';
import { freePorts } from '../../bench/lib/util';
import { DESKTOP, ROOT, ensureWebBuilt, launch, passwordOf, shot, signIn } from './browser';

jest.setTimeout(240_000);

const UI_SERVER = join(ROOT, '.tools', 'bin', 'temporal-ui-server');

let stack: TestStack;
let browser: Browser;
let ui: ChildProcess | undefined;
let base: string;
let uiUrl: string;

/** Answers once `url` answers at all (below 500). */
const waitForHttp = (url: string) =>
  until(
    `${url} to answer`,
    async () => {
      const res = await fetch(url).catch(() => undefined);
      return res !== undefined && res.status < 500;
    },
    60_000,
    300,
  );

beforeAll(async () => {
  if (!existsSync(UI_SERVER)) throw new Error(`${UI_SERVER} is missing: bash scripts/cluster.sh ensure-ui builds it (npm test does)`);
  ensureWebBuilt();
  const [uiPort] = await freePorts(1);
  uiUrl = `http://127.0.0.1:${uiPort}`;
  // The API allows exactly the UI's origin to call /codec with credentials.
  stack = await startTestStack({ env: { TEMPORAL_UI_URL: uiUrl } });
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
  const res = await stack.app.inject({
    method: 'PUT',
    url: '/users/sales_manager/password',
    payload: { password: passwordOf('sales_manager') },
    headers: await authHeaders(stack, 'admin'),
  });
  if (res.statusCode !== 204) throw new Error(`setting the password: ${res.statusCode} ${res.body}`);

  ui = spawn(UI_SERVER, ['--root', 'deploy', '--config', 'temporal-ui', '--env', 'sales-orders', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: stack.config.temporalAddress,
      TEMPORAL_NAMESPACE: stack.config.temporalNamespace,
      TEMPORAL_UI_PORT: String(uiPort),
      TEMPORAL_CODEC_ENDPOINT: `${base}/codec`,
      TEMPORAL_CORS_ORIGINS: base,
    },
    stdio: 'ignore',
  });
  await waitForHttp(`${uiUrl}/api/v1/settings`);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  ui?.kill('SIGTERM');
  await stack?.stop();
  await closeTestPrisma();
});

/** The workflow's page in the Temporal UI, and whether its input shows the order id (only in the encrypted payload). */
async function inputShown(page: Page, workflowId: string, runId: string, orderId: string): Promise<boolean> {
  await page.goto(`${uiUrl}/namespaces/${stack.config.temporalNamespace}/workflows/${workflowId}/${runId}/history`);
  await page.getByText(workflowId).first().waitFor({ timeout: 60_000 });
  try {
    await page.getByText(orderId).first().waitFor({ timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

test('signed in to the console, the Temporal UI decodes the order; without the session it cannot', async () => {
  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f);
  await waitForStage(stack, orderNo, 'sales_review');
  const order = await stack.prisma.order.findUniqueOrThrow({ where: { orderNo } });
  const handle = orderHandle(stack, orderNo);
  const { runId } = await handle.describe();

  // A fresh browser, never signed in: the codec answers 401, the input stays encrypted.
  const stranger = await browser.newContext({ viewport: DESKTOP });
  const strangerPage = await stranger.newPage();
  expect(await inputShown(strangerPage, handle.workflowId, runId, order.id)).toBe(false);
  await stranger.close();

  // The README's way: sign in to the console, then open the order's history in the UI.
  const { context, page } = await signIn(browser, base, 'sales_manager');
  expect(await inputShown(page, handle.workflowId, runId, order.id)).toBe(true);
  await shot(page, '23-temporal-ui-decoded');
  await context.close();
});
