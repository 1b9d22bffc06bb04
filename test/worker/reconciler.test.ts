/**
 * No orphaned orders (SPEC 3a, issue 10 items 5 and 6), on the real stack:
 * - the API with its production Temporal client (activities/infra/temporal.ts)
 *   pointed at a closed port answers intake, a command and /health with 503
 *   within seconds, and the order is saved;
 * - the reconciler (worker/reconciler.ts) starts that order's workflow, by
 *   hand or in its periodic sweep, and the order proceeds;
 * - a workflow id held by another order's workflow is refused at intake
 *   (409) and by the reconciler, alerted to admin, and never adopted;
 * - two reconcilers never sweep at once (advisory lock).
 * Each sweep here is scoped to this file's orders: other test files share
 * the database and run their own workers.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { Client as PgClient } from 'pg';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { createTemporalClient, type TemporalClient } from '../../activities/infra/temporal';
import { MEMO_ORDER_ID, ORDER_WORKFLOW_TYPE } from '../../activities/order-workflow';
import { orderWorkflowId } from '../../workflows/order/contract';
import { reconcileOrders, startReconciler, type ReconcileLog, type ReconcilerDeps } from '../../worker/reconciler';
import { createFixture } from '../support/fixtures';
import { authHeaders, intakeBody, waitForStage, type OrderFixture } from '../support/orders';
import { useTestStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

/** An error-path bound, generous for a loaded machine; the aim is about 2 s (the SDK's default retries take about 20 s). */
const FAST_ENOUGH_MS = 5_000;

let stack: TestStack;
let f: OrderFixture;
let down: TemporalClient;
let up: TemporalClient;
/** The API as deployed, but its Temporal is unreachable. */
let downApp: FastifyInstance;
/** The API as deployed, Temporal reachable. */
let upApp: FastifyInstance;
const errors: string[] = [];
const log: ReconcileLog = { info: () => undefined, error: (m) => errors.push(m) };
let deps: ReconcilerDeps;
const strays: string[] = [];

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

// Before the stack's own afterAll (hooks run in the order they are declared): it still has its client.
afterAll(async () => {
  for (const id of strays) await stack.client.workflow.getHandle(id).terminate('test cleanup').catch(() => undefined);
  await downApp?.close();
  await upApp?.close();
  await down?.connection.close();
  await up?.connection.close();
});

useTestStack(async (started) => {
  stack = started;
  f = await createFixture(stack.prisma);
  down = createTemporalClient({ ...stack.config, temporalAddress: `127.0.0.1:${await closedPort()}` });
  up = createTemporalClient(stack.config);
  downApp = await buildApp({ config: stack.config, prisma: stack.prisma, temporal: down.client });
  upApp = await buildApp({ config: stack.config, prisma: stack.prisma, temporal: up.client });
  deps = { prisma: stack.prisma, client: up.client, taskQueue: stack.taskQueue, policy: stack.config.policy, databaseUrl: process.env.DATABASE_URL!, log };
});

async function call(app: FastifyInstance, method: 'GET' | 'POST', url: string, body?: object, actor = 'sales', headers: Record<string, string> = {}) {
  const auth = actor ? await authHeaders(stack, actor) : {};
  const started = Date.now();
  const res = await app.inject({ method, url, payload: body, headers: { ...auth, ...headers } });
  return { status: res.statusCode, headers: res.headers, body: res.json() as Record<string, any>, ms: Date.now() - started };
}

/** Intake while Temporal is down: 503, the order saved and no workflow. */
async function orphan(key = `test-${randomUUID()}`) {
  const res = await call(downApp, 'POST', '/orders', intakeBody(f), 'sales', { 'idempotency-key': key });
  expect(res.status).toBe(503);
  const order = await stack.prisma.order.findUniqueOrThrow({ where: { idempotencyKey: key } });
  return { key, order, res };
}

async function workflowExists(workflowId: string): Promise<boolean> {
  try {
    await stack.client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

async function until(pred: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const alertsOf = (orderId: string) => stack.prisma.alert.findMany({ where: { orderId } });

describe('Temporal unreachable', () => {
  it('intake answers 503 within seconds, the order is saved and no workflow started', async () => {
    // The app's first request compiles the route and opens database connections: warm it with one that stops before Temporal.
    const cold = await call(downApp, 'POST', '/orders', intakeBody(f, { customerId: 'no-such-customer' }), 'sales', { 'idempotency-key': `test-${randomUUID()}` });
    expect(cold.status).toBe(400);
    const { order, res } = await orphan();
    console.log(`intake with Temporal unreachable answered ${res.status} in ${res.ms} ms`);
    expect(res.ms).toBeLessThan(FAST_ENOUGH_MS);
    expect(res.body.message).toMatch(new RegExp(`Order ${order.orderNo} is saved .* started automatically`));
    expect(res.headers['retry-after']).toBe('5');
    expect(order).toMatchObject({ stage: 'sales_review', workflowStartedAt: null });
    expect(await workflowExists(order.workflowId)).toBe(false);
  });

  it('a command and /health answer 503 within seconds too', async () => {
    const { order } = await orphan();
    const review = await call(downApp, 'POST', `/orders/${order.orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager');
    console.log(`a sales review with Temporal unreachable answered ${review.status} in ${review.ms} ms`);
    expect(review.status).toBe(503);
    expect(review.ms).toBeLessThan(FAST_ENOUGH_MS);

    const health = await call(downApp, 'GET', '/health', undefined, '');
    console.log(`/health with Temporal unreachable answered ${health.status} in ${health.ms} ms`);
    expect(health.status).toBe(503);
    expect(health.body).toEqual({ status: 'error', database: 'ok', temporal: 'error' });
    expect(health.ms).toBeLessThan(FAST_ENOUGH_MS);
    expect((await call(upApp, 'GET', '/health', undefined, '')).status).toBe(200);
  });
});

describe('the reconciler', () => {
  it('starts the workflow of an order saved while Temporal was down, and the order proceeds', async () => {
    const { key, order } = await orphan();

    const first = await reconcileOrders(deps, { full: false, orderNos: [order.orderNo] });
    expect(first).toMatchObject({ skipped: false, checked: 1, started: 1, conflicts: 0, failed: 0 });
    const described = await stack.client.workflow.getHandle(order.workflowId).describe();
    expect(described.status.name).toBe('RUNNING');
    expect(described.memo).toEqual({ [MEMO_ORDER_ID]: order.id });
    expect(described.taskQueue).toBe(stack.taskQueue);
    const marked = await stack.prisma.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(marked.workflowStartedAt).toBeInstanceOf(Date);

    // Known now: the quick sweep no longer looks at it; the full one confirms it.
    expect(await reconcileOrders(deps, { full: false, orderNos: [order.orderNo] })).toMatchObject({ checked: 0, started: 0 });
    await waitForStage(stack, order.orderNo, 'sales_review');
    expect(await reconcileOrders(deps, { full: true, orderNos: [order.orderNo] })).toMatchObject({ checked: 1, started: 0, verified: 1 });

    // The client's repeat returns the same order (its workflow is this order's), and the order moves on.
    const again = await call(upApp, 'POST', '/orders', intakeBody(f), 'sales', { 'idempotency-key': key });
    expect(again.status).toBe(200);
    expect(again.body.orderNo).toBe(order.orderNo);
    const review = await call(upApp, 'POST', `/orders/${order.orderNo}/reviews/sales`, { decision: 'approve' }, 'sales_manager');
    expect(review.status).toBe(200);
    await waitForStage(stack, order.orderNo, 'finance_review');
    expect((await stack.client.workflow.getHandle(order.workflowId).describe()).runId).toBe(described.runId);
    expect(errors).toEqual([]);
  });

  it('starts orphans at its start (full sweep) and in its periodic quick sweeps', async () => {
    const first = await orphan();
    // The sweeps read this list each time: this file's orders only (see the header).
    const scope = [first.order.orderNo];
    const running = startReconciler(deps, { intervalMs: 300, fullEvery: 1_000, orderNos: scope });
    try {
      await until(() => workflowExists(first.order.workflowId), `a workflow for ${first.order.orderNo} from the first sweep`);
      // Saved after the first (full) sweep: a quick sweep finds it.
      const second = await orphan();
      scope.push(second.order.orderNo);
      await until(() => workflowExists(second.order.workflowId), `a workflow for ${second.order.orderNo} from a quick sweep`);
      await waitForStage(stack, second.order.orderNo, 'sales_review');
    } finally {
      await running.stop();
    }
  });

  it('alerts, and does not restart from the beginning, an order with recorded progress whose workflow is gone', async () => {
    const { order } = await orphan();
    await reconcileOrders(deps, { full: false, orderNos: [order.orderNo] });
    await waitForStage(stack, order.orderNo, 'sales_review');
    // Temporal loses the history (here: deleted), the database keeps the order and its recorded transition.
    await stack.client.workflowService.deleteWorkflowExecution({
      namespace: stack.config.temporalNamespace,
      workflowExecution: { workflowId: order.workflowId },
    });
    await until(async () => !(await workflowExists(order.workflowId)), 'the deletion');

    const r = await reconcileOrders(deps, { full: true, orderNos: [order.orderNo] });
    expect(r).toMatchObject({ checked: 1, started: 0, missing: 1 });
    expect(await workflowExists(order.workflowId)).toBe(false);
    expect(await alertsOf(order.id)).toEqual([expect.objectContaining({ kind: 'workflow_missing', role: 'admin' })]);
    expect(errors.filter((e) => e.includes(order.orderNo))).toEqual([expect.stringMatching(/^workflow_missing: .*not restarted/)]);
  });

  it('never sweeps twice at once: a second reconciler skips while the first holds the lock', async () => {
    const { order } = await orphan();
    const holder = new PgClient({ connectionString: deps.databaseUrl });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtext('reconcile:orders'))`);
      expect(await reconcileOrders(deps, { full: true, orderNos: [order.orderNo] })).toMatchObject({ skipped: true, checked: 0 });
      expect(await workflowExists(order.workflowId)).toBe(false);
      await holder.query(`SELECT pg_advisory_unlock(hashtext('reconcile:orders'))`);
    } finally {
      await holder.end();
    }
    expect(await reconcileOrders(deps, { full: true, orderNos: [order.orderNo] })).toMatchObject({ skipped: false, started: 1 });
  });
});

describe('a workflow id that belongs to another order', () => {
  /** A workflow under the order's id, as an older database's order left it; no worker polls its queue. */
  async function stale(orderNo: string, opts: { memoOrderId?: string; inputOrderId: string }) {
    const workflowId = orderWorkflowId(orderNo);
    strays.push(workflowId);
    const handle = await stack.client.workflow.start(ORDER_WORKFLOW_TYPE, {
      taskQueue: `nobody-${randomUUID()}`,
      workflowId,
      args: [{ orderId: opts.inputOrderId, orderNo }],
      ...(opts.memoOrderId ? { memo: { [MEMO_ORDER_ID]: opts.memoOrderId } } : {}),
    });
    return handle.firstExecutionRunId;
  }

  it('is refused at intake (409) and by the reconciler, alerted once to admin, never adopted', async () => {
    const { key, order } = await orphan();
    const runId = await stale(order.orderNo, { memoOrderId: 'order-of-an-older-database', inputOrderId: 'order-of-an-older-database' });

    const res = await call(upApp, 'POST', '/orders', intakeBody(f), 'sales', { 'idempotency-key': key });
    expect(res.status).toBe(409);
    expect(res.body.message).toContain(`Order ${order.orderNo} is saved but cannot be started`);
    expect(res.body.message).toContain('belongs to order id order-of-an-older-database');
    expect(res.body.message).toContain('An administrator has been alerted');

    const r = await reconcileOrders(deps, { full: true, orderNos: [order.orderNo] });
    expect(r).toMatchObject({ checked: 1, started: 0, verified: 0, conflicts: 1 });
    expect(errors.filter((e) => e.includes(order.orderNo))).toEqual([expect.stringMatching(/^workflow_conflict: .*left untouched/)]);
    const alerts = await alertsOf(order.id);
    expect(alerts).toEqual([expect.objectContaining({ kind: 'workflow_conflict', role: 'admin', key: `workflow_conflict:${order.id}` })]);
    expect(await stack.prisma.auditEntry.count({ where: { key: `alert:workflow_conflict:${order.id}` } })).toBe(1);

    // The stale workflow is untouched and the order is still not known to have one.
    const described = await stack.client.workflow.getHandle(order.workflowId).describe();
    expect(described).toMatchObject({ runId, memo: { [MEMO_ORDER_ID]: 'order-of-an-older-database' } });
    expect(described.status.name).toBe('RUNNING');
    expect(described.taskQueue).not.toBe(stack.taskQueue);
    expect((await stack.prisma.order.findUniqueOrThrow({ where: { id: order.id } })).workflowStartedAt).toBeNull();
  });

  it('without a memo (a continued or older run) is judged by its input: another order is refused, the same order confirmed', async () => {
    const other = await orphan();
    await stale(other.order.orderNo, { inputOrderId: 'order-of-an-older-database' });
    const mine = await orphan();
    await stale(mine.order.orderNo, { inputOrderId: mine.order.id });

    const r = await reconcileOrders(deps, { full: false, orderNos: [other.order.orderNo, mine.order.orderNo] });
    expect(r).toMatchObject({ checked: 2, started: 0, conflicts: 1, verified: 1 });
    expect(await alertsOf(other.order.id)).toEqual([expect.objectContaining({ kind: 'workflow_conflict' })]);
    expect(await alertsOf(mine.order.id)).toEqual([]);
    expect((await stack.prisma.order.findUniqueOrThrow({ where: { id: mine.order.id } })).workflowStartedAt).toBeInstanceOf(Date);
  });
});
