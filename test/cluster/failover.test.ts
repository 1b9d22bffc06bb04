/**
 * Failover on the production topology (README "Operations"): the real
 * Temporal server on PostgreSQL with 4 history shards (scripts/cluster.sh and
 * deploy/, as `npm run start:cluster` runs them), two order workers and two
 * API instances as separate processes, orders driven over HTTP as the
 * departments do. Three failures:
 *   - a worker is killed (SIGKILL) with orders in flight: the other finishes them;
 *   - an API instance is killed: the other serves every order;
 *   - the Temporal server is killed and restarted: the orders resume from
 *     PostgreSQL in the same workflow runs.
 * After each, nothing is lost or done twice (read from the database and the
 * SMTP capture, not from the code): every order closed, one reservation per
 * line, one shipment, one invoice with one payment, every email sent exactly once.
 *
 * Runs alone (scripts/test.sh's cluster step): it starts its own server and
 * four Node processes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFor, parseCodecKey } from '../../activities/infra/codec';
import { issueToken } from '../../api/auth/tokens';
import { startChild, type Child } from '../../bench/lib/procs';
import { HttpClient, setTokens, type HttpResult } from '../../bench/lib/http';
import { ensureClusterTools, startCluster, type Cluster } from '../../scripts/lib/cluster';
import { orderWorkflowId } from '../../workflows/order/contract';
import { closeTestPrisma, testPrisma } from '../support/db';
import { createFixture, type Fixture } from '../support/fixtures';
import { intakeBody } from '../support/orders';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp';
import { FAST_POLICY } from '../support/stack';

jest.setTimeout(300_000);

const log = (line: string) => process.stdout.write(`[cluster test] ${line}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Per order, from intake to closed, including a failover (activity timeouts are 30 s). */
const ORDER_DEADLINE_MS = 180_000;
/** What the UI server is told (the API's /codec under start:cluster); the test reads it back. */
const CODEC_ENDPOINT = 'http://127.0.0.1:3999/codec';

const prisma = testPrisma();
const dir = mkdtempSync(join(tmpdir(), 'salesorder-cluster-test-'));
const taskQueue = `cluster-test-${Date.now()}`;
let cluster: Cluster;
let smtp: SmtpCapture;
let temporal: Client;
let fixture: Fixture;
const workers: Child[] = [];
const apis: { child: Child; http: HttpClient; alive: boolean }[] = [];

beforeAll(async () => {
  ensureClusterTools(log);
  smtp = await startSmtpCapture();
  const codecKey = process.env.PAYLOAD_CODEC_KEY!;
  cluster = await startCluster({
    dir,
    databaseUrl: process.env.DATABASE_URL!,
    dbName: 'temporal_cluster_test',
    visibilityDbName: 'temporal_visibility_cluster_test',
    ui: true,
    codecEndpoint: CODEC_ENDPOINT,
    log,
  });
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(FAST_POLICY));
  // What bench/proc/{worker,api}.ts read: the app's configuration keys plus the prebuilt workflow bundle.
  const env: Record<string, string> = {
    BENCH_KIND: 'orders',
    BENCH_BUNDLE: process.env.WORKFLOW_BUNDLE!,
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: process.env.DATABASE_URL!,
    SMTP_URL: smtp.url,
    POLICY_FILE: policyFile,
    PAYLOAD_CODEC_KEY: codecKey,
    PAYLOAD_CODEC_OLD_KEYS: '',
    RATE_LIMIT_MAX: '100000',
  };
  const started = await Promise.all([
    startChild('worker A', 'worker.ts', env, log),
    startChild('worker B', 'worker.ts', env, log),
    startChild('api A', 'api.ts', env, log),
    startChild('api B', 'api.ts', env, log),
  ]);
  workers.push(started[0], started[1]);
  for (const child of started.slice(2)) apis.push({ child, http: new HttpClient(String(child.ready.url)), alive: true });

  const connection = await Connection.connect({ address: cluster.address });
  temporal = new Client({ connection, namespace: 'default', dataConverter: dataConverterFor([parseCodecKey(codecKey)]) });
  const tokens: Record<string, string> = {};
  for (const username of Object.values(ACTORS)) tokens[username] ??= (await issueToken(prisma, { username, name: 'cluster test', ttlDays: 1 })).token;
  setTokens(tokens);
  fixture = await createFixture(prisma, { onHand: 100_000, creditLimit: '999999999.00' });
});

afterAll(async () => {
  await Promise.all([...workers, ...apis.map((a) => a.child)].map((c) => c.stop(5_000).catch(() => undefined)));
  for (const a of apis) a.http.close();
  await temporal?.connection.close().catch(() => undefined);
  await cluster?.stop().catch((err) => log(String(err)));
  await smtp?.close();
  await closeTestPrisma();
  rmSync(dir, { recursive: true, force: true });
});

const ACTORS = { intake: 'sales', salesReview: 'sales_manager', financeReview: 'finance', logistics: 'logistics' } as const;

/** POST to the first live API that answers; connection errors and 5xx (a server restarting) are retried. */
async function post(path: string, actor: string, body: unknown, deadline: number, headers?: Record<string, string>): Promise<HttpResult> {
  let last = '';
  for (;;) {
    for (const api of apis.filter((a) => a.alive)) {
      try {
        const res = await api.http.request('POST', path, { actor, body, headers, timeoutMs: 20_000 });
        if (res.status < 500) return res;
        last = `HTTP ${res.status} ${JSON.stringify(res.body)}`;
      } catch (err) {
        last = (err as Error).message;
      }
    }
    if (Date.now() > deadline) throw new Error(`POST ${path}: no API answered in time (${last})`);
    await sleep(300);
  }
}

async function placeOrder(tag: string, deadline: number): Promise<{ orderNo: string; total: string }> {
  // The idempotency key makes a retried intake (its answer lost) the same order.
  const res = await post('/orders', ACTORS.intake, intakeBody(fixture), deadline, { 'idempotency-key': `${taskQueue}-${tag}` });
  if (res.status !== 201) throw new Error(`intake: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return { orderNo: res.body.orderNo, total: res.body.totalAmount };
}

/** The human step each waiting stage needs; the other stages move on their own. */
function stepFor(stage: string, orderNo: string, total: string): { path: string; actor: string; body: unknown } | undefined {
  const base = `/orders/${encodeURIComponent(orderNo)}`;
  switch (stage) {
    case 'sales_review':
      return { path: `${base}/reviews/sales`, actor: ACTORS.salesReview, body: { decision: 'approve' } };
    case 'finance_review':
      return { path: `${base}/reviews/finance`, actor: ACTORS.financeReview, body: { decision: 'approve' } };
    case 'shipping':
      return { path: `${base}/dispatch`, actor: ACTORS.logistics, body: {} };
    case 'in_transit':
      return { path: `${base}/delivery`, actor: ACTORS.logistics, body: {} };
    case 'awaiting_payment':
      // One reference per order: a payment sent again after a lost answer is the same payment.
      return { path: `${base}/payments`, actor: ACTORS.financeReview, body: { amount: total, reference: `PAY-${orderNo}`, paidAt: new Date().toISOString() } };
    default:
      return undefined;
  }
}

/**
 * Takes an order to closed, acting on the stage the read model shows (so a
 * step whose answer was lost in a failover is not blindly repeated: it is
 * sent again only when the stage has not moved for a while, and then answers
 * 409 if it had been applied).
 */
async function driveToClosed(order: { orderNo: string; total: string }, deadline: number): Promise<void> {
  let acted = { stage: '', at: 0 };
  for (;;) {
    const row = await prisma.order.findUnique({ where: { orderNo: order.orderNo }, select: { stage: true } });
    const stage = row?.stage ?? '';
    if (stage === 'closed') return;
    if (Date.now() > deadline) throw new Error(`${order.orderNo} stuck in ${stage || 'intake'}`);
    const step = stepFor(stage, order.orderNo, order.total);
    if (step && !(acted.stage === stage && Date.now() - acted.at < 5_000)) {
      const res = await post(step.path, step.actor, step.body, deadline);
      // 409: not ready yet (no shipment booked) or already applied: look again shortly.
      if (res.status !== 200 && res.status !== 409) throw new Error(`${step.path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      acted = res.status === 200 ? { stage, at: Date.now() } : { stage, at: Date.now() - 4_500 };
    }
    await sleep(200);
  }
}

/** Nothing lost, nothing twice: read from PostgreSQL and the SMTP capture. */
async function expectExactlyOnce(orderNos: string[]): Promise<void> {
  const orders = await prisma.order.findMany({
    where: { orderNo: { in: orderNos } },
    include: { lines: true, reservations: true, shipment: true, invoice: { include: { payments: true } } },
  });
  expect(orders).toHaveLength(orderNos.length);
  for (const o of orders) {
    expect({ orderNo: o.orderNo, stage: o.stage }).toEqual({ orderNo: o.orderNo, stage: 'closed' });
    // One reservation per line, consumed by the dispatch.
    expect(o.reservations.map((r) => r.orderLineId).sort()).toEqual(o.lines.map((l) => l.id).sort());
    expect(o.reservations.every((r) => r.status === 'consumed')).toBe(true);
    expect(o.shipment?.status).toBe('delivered');
    expect(o.invoice?.status).toBe('paid');
    expect(o.invoice?.payments).toHaveLength(1);
  }
  // The carrier was booked once per order: one shipment row each, distinct tracking numbers.
  const shipments = await prisma.shipment.findMany({ where: { orderId: { in: orders.map((o) => o.id) } } });
  expect(shipments).toHaveLength(orders.length);
  // Every email of these orders leaves exactly once (sending may trail the order's close by a moment).
  const ids = orders.map((o) => o.id);
  const deadline = Date.now() + 90_000;
  while ((await prisma.emailOutbox.count({ where: { orderId: { in: ids }, status: { not: 'sent' } } })) > 0 && Date.now() < deadline) await sleep(500);
  const outbox = await prisma.emailOutbox.findMany({ where: { orderId: { in: ids } } });
  expect(outbox.length).toBeGreaterThanOrEqual(orders.length);
  expect(outbox.filter((m) => m.status !== 'sent').map((m) => m.key)).toEqual([]);
  for (const m of outbox) {
    const caught = smtp.messages.filter((c) => c.messageId === m.messageId);
    expect({ key: m.key, sent: caught.length }).toEqual({ key: m.key, sent: 1 });
  }
}

async function runIds(orderNos: string[]): Promise<string[]> {
  return Promise.all(orderNos.map(async (no) => (await temporal.workflow.getHandle(orderWorkflowId(no)).describe()).runId));
}

test('the Web UI server fronts the cluster and decodes payloads through the configured codec endpoint', async () => {
  const res = await fetch(`${cluster.uiUrl}/api/v1/settings`);
  expect(res.status).toBe(200);
  const settings = (await res.json()) as { Codec?: { Endpoint?: string; IncludeCredentials?: boolean } };
  expect(settings.Codec).toEqual(expect.objectContaining({ Endpoint: CODEC_ENDPOINT, IncludeCredentials: true }));
});

test('kill -9 one of two workers with orders in flight: every order finishes on the other', async () => {
  const deadline = Date.now() + ORDER_DEADLINE_MS;
  const orders = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => placeOrder(`worker-${i}`, deadline)));
  const driving = Promise.allSettled(orders.map((o) => driveToClosed(o, deadline)));
  // Once some orders are past their first review, the others still queued behind them.
  while ((await prisma.order.count({ where: { orderNo: { in: orders.map((o) => o.orderNo) }, stage: { not: 'sales_review' } } })) < 2) {
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  log(`killing ${workers[0].name} (pid ${workers[0].pid}) with ${orders.length} orders in flight`);
  process.kill(workers[0].pid, 'SIGKILL');
  const results = await driving;
  expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  await expectExactlyOnce(orders.map((o) => o.orderNo));
  expect(() => process.kill(workers[0].pid, 0)).toThrow();
});

test('kill one of two API instances: the other serves every order, old and new', async () => {
  const deadline = Date.now() + ORDER_DEADLINE_MS;
  const before = await Promise.all([0, 1].map((i) => placeOrder(`api-${i}`, deadline)));
  const [a, b] = apis;
  log(`killing ${b.child.name} (pid ${b.child.pid})`);
  process.kill(b.child.pid, 'SIGKILL');
  b.alive = false;
  await expect(b.http.request('GET', '/health', { timeoutMs: 3_000 })).rejects.toThrow();
  const after = await placeOrder('api-after', deadline);
  for (const o of [...before, after]) {
    const res = await a.http.request('GET', `/orders/${encodeURIComponent(o.orderNo)}`, { actor: ACTORS.intake });
    expect({ orderNo: o.orderNo, status: res.status }).toEqual({ orderNo: o.orderNo, status: 200 });
  }
  const results = await Promise.allSettled([...before, after].map((o) => driveToClosed(o, deadline)));
  expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  await expectExactlyOnce([...before, after].map((o) => o.orderNo));
});

test('kill and restart the Temporal server: orders resume from PostgreSQL in the same runs, nothing lost or duplicated', async () => {
  const deadline = Date.now() + ORDER_DEADLINE_MS;
  const orders = await Promise.all([0, 1, 2, 3].map((i) => placeOrder(`server-${i}`, deadline)));
  const orderNos = orders.map((o) => o.orderNo);
  const runsBefore = await runIds(orderNos);
  const driving = Promise.allSettled(orders.map((o) => driveToClosed(o, deadline)));
  while ((await prisma.order.count({ where: { orderNo: { in: orderNos }, stage: { not: 'sales_review' } } })) < 1) {
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  const pid = cluster.serverPid();
  log(`killing temporal-server (pid ${pid}) with ${orders.length} orders in flight`);
  cluster.killServer();
  await sleep(2_000);
  await cluster.restartServer();
  expect(cluster.serverPid()).not.toBe(pid);
  const results = await driving;
  expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  await expectExactlyOnce(orderNos);
  // The same executions went on: no order was started again.
  expect(await runIds(orderNos)).toEqual(runsBefore);
  for (const no of orderNos) expect((await temporal.workflow.getHandle(orderWorkflowId(no)).describe()).status.name).toBe('COMPLETED');
});
