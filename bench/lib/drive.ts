/**
 * Drives orders through the happy path over HTTP, the same way for the order
 * API and the baseline API:
 *
 *   POST /orders                      intake (201)
 *   POST /orders/:no/reviews/sales    sales approves
 *   POST /orders/:no/reviews/finance  finance approves
 *   POST /orders/:no/dispatch         logistics: loaded and dispatched
 *   POST /orders/:no/delivery         logistics: delivered
 *   POST /orders/:no/payments         finance: payment in full
 *   ... until the workflow has completed (closed)
 *
 * Before each human step the driver waits until the workflow is idle (no
 * pending activity and no pending workflow task, read with DescribeWorkflow
 * from the Temporal server, never from the worker): a person acts on an order
 * that is waiting for them, so an update's round trip measures the decision
 * and not the work still running before it. A 409 on dispatch/delivery (not
 * ready yet) is retried with a short backoff and counted. The end of an order
 * is its workflow's completion (a long poll of its result).
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { HttpClient, HttpResult } from './http';
import { errorText, nowMs, pool, sleep, summarize, withTimeout, type Log, type Summary } from './util';

export const STEPS = ['salesReview', 'financeReview', 'dispatch', 'delivery', 'payment'] as const;
export type Step = (typeof STEPS)[number];

export interface DriveTarget {
  name: string;
  http: HttpClient;
  temporal: Client;
  workflowIdOf(orderNo: string): string;
  intakeBody(i: number): Record<string, unknown>;
}

export interface DriveOptions {
  orders: number;
  concurrency: number;
  warmup: number;
  runId: string;
  /** Per order, ms (default 180 s). */
  orderTimeoutMs?: number;
  log: Log;
}

interface OrderSample {
  latencyMs: number;
  intakeMs: number;
  steps: Record<Step, number>;
  idlePolls: number;
  notReadyRetries: number;
  workflowId: string;
}

export interface DriveResult {
  orders: number;
  completed: number;
  failed: number;
  concurrency: number;
  warmup: number;
  durationS: number;
  ordersPerSec: number;
  latencyMs: Summary;
  intakeMs: Summary;
  /** HTTP round trip of each update, ms. */
  updateMs: Record<Step, Summary>;
  /** Sales and finance approvals together: POST review -> 200. */
  approvalMs: Summary;
  idlePollsPerOrder: number;
  notReadyRetriesPerOrder: number;
  errors: string[];
  /** Workflow ids of completed orders (the first few), to read a history. */
  sampleWorkflowIds: string[];
}

/** Who does each step (seeded users, prisma/seed.ts; `sales` owns the bench customers, the reviewer is not the one who entered the order). */
export const ACTORS = { intake: 'sales', salesReview: 'sales_manager', financeReview: 'finance', dispatch: 'logistics', delivery: 'logistics', payment: 'finance' } as const;
export const BENCH_USERS = [...new Set(Object.values(ACTORS)), 'sales_manager'];

async function waitIdle(handle: WorkflowHandle, deadline: number): Promise<number> {
  let polls = 0;
  // Each DescribeWorkflowExecution costs the server ~1.5-2 ms of CPU: start fast, back off to 400 ms.
  let interval = 25;
  for (;;) {
    polls += 1;
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') return polls;
    const raw = d.raw;
    if (!raw.pendingWorkflowTask && (raw.pendingActivities?.length ?? 0) === 0) return polls;
    if (Date.now() > deadline) throw new Error(`${handle.workflowId} did not become idle in time`);
    await sleep(interval);
    interval = Math.min(400, Math.ceil(interval * 1.5));
  }
}

function expectOk(step: string, res: HttpResult, ok = 200): void {
  if (res.status !== ok) throw new Error(`${step}: HTTP ${res.status} ${typeof res.body === 'string' ? res.body : JSON.stringify(res.body)}`.slice(0, 400));
}

async function oneOrder(t: DriveTarget, i: number, runId: string, timeoutMs: number): Promise<OrderSample> {
  const deadline = Date.now() + timeoutMs;
  const started = nowMs();
  let idlePolls = 0;
  let notReadyRetries = 0;
  const intake = await t.http.request('POST', '/orders', {
    actor: ACTORS.intake,
    body: t.intakeBody(i),
    headers: { 'idempotency-key': `bench-${runId}-${t.name}-${i}` },
  });
  expectOk('intake', intake, 201);
  const orderNo: string = intake.body.orderNo;
  const total: string = intake.body.totalAmount;
  const workflowId = t.workflowIdOf(orderNo);
  const handle = t.temporal.workflow.getHandle(workflowId);
  const base = `/orders/${encodeURIComponent(orderNo)}`;

  const step = async (name: Step, path: string, body: unknown, retryNotReady: boolean): Promise<number> => {
    idlePolls += await waitIdle(handle, deadline);
    let backoff = 20;
    for (;;) {
      const res = await t.http.request('POST', path, { actor: ACTORS[name], body });
      if (res.status === 409 && retryNotReady && Date.now() < deadline) {
        notReadyRetries += 1;
        await sleep(backoff);
        backoff = Math.min(200, backoff * 2);
        continue;
      }
      expectOk(name, res);
      return res.ms;
    }
  };

  const steps = {} as Record<Step, number>;
  steps.salesReview = await step('salesReview', `${base}/reviews/sales`, { decision: 'approve' }, false);
  steps.financeReview = await step('financeReview', `${base}/reviews/finance`, { decision: 'approve' }, false);
  steps.dispatch = await step('dispatch', `${base}/dispatch`, {}, true);
  steps.delivery = await step('delivery', `${base}/delivery`, {}, true);
  steps.payment = await step('payment', `${base}/payments`, { amount: total, reference: `BENCH-${runId}-${i}`, paidAt: new Date().toISOString() }, false);
  await withTimeout(handle.result(), Math.max(1_000, deadline - Date.now()), `${workflowId} result`);
  return { latencyMs: nowMs() - started, intakeMs: intake.ms, steps, idlePolls, notReadyRetries, workflowId };
}

export async function driveOrders(t: DriveTarget, o: DriveOptions): Promise<DriveResult> {
  const timeoutMs = o.orderTimeoutMs ?? 180_000;
  const errors: string[] = [];
  let failed = 0;
  if (o.warmup > 0) {
    o.log(`${t.name}: ${o.warmup} warm-up orders`);
    await pool(o.warmup, Math.min(o.concurrency, o.warmup), async (i) => {
      try {
        await oneOrder(t, 1_000_000 + i, o.runId, timeoutMs);
      } catch (err) {
        if (errors.length < 10) errors.push(`warm-up: ${errorText(err)}`);
      }
    });
  }
  o.log(`${t.name}: ${o.orders} orders at concurrency ${o.concurrency}`);
  const samples: OrderSample[] = [];
  const started = nowMs();
  let lastReport = Date.now();
  await pool(o.orders, o.concurrency, async (i) => {
    try {
      samples.push(await oneOrder(t, i, o.runId, timeoutMs));
    } catch (err) {
      failed += 1;
      if (errors.length < 10) errors.push(errorText(err));
    }
    if (Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      o.log(`${t.name}: ${samples.length + failed}/${o.orders} done (${failed} failed)`);
    }
  });
  const durationS = (nowMs() - started) / 1000;
  const updateMs = Object.fromEntries(STEPS.map((s) => [s, summarize(samples.map((x) => x.steps[s]))])) as Record<Step, Summary>;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    orders: o.orders,
    completed: samples.length,
    failed,
    concurrency: o.concurrency,
    warmup: o.warmup,
    durationS: r2(durationS),
    ordersPerSec: r2(samples.length / durationS),
    latencyMs: summarize(samples.map((x) => x.latencyMs)),
    intakeMs: summarize(samples.map((x) => x.intakeMs)),
    updateMs,
    approvalMs: summarize(samples.flatMap((x) => [x.steps.salesReview, x.steps.financeReview])),
    idlePollsPerOrder: r2(samples.reduce((a, x) => a + x.idlePolls, 0) / Math.max(1, samples.length)),
    notReadyRetriesPerOrder: r2(samples.reduce((a, x) => a + x.notReadyRetries, 0) / Math.max(1, samples.length)),
    errors,
    sampleWorkflowIds: samples.slice(0, 5).map((x) => x.workflowId),
  };
}

/** What one workflow's history holds: events by type, activities and local activities, updates, workflow tasks, timers. */
export async function historyProfile(client: Client, workflowId: string) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const EventType = temporal.api.enums.v1.EventType;
  const byType: Record<string, number> = {};
  const activityTypes: string[] = [];
  let localActivities = 0;
  for (const e of history.events ?? []) {
    // A local activity leaves one marker (no task events); patch markers are the other kind.
    if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') localActivities += 1;
    const name = (EventType[e.eventType as number] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
    byType[name] = (byType[name] ?? 0) + 1;
    if (e.activityTaskScheduledEventAttributes?.activityType?.name) activityTypes.push(e.activityTaskScheduledEventAttributes.activityType.name);
  }
  return {
    workflowId,
    events: history.events?.length ?? 0,
    activities: byType.ACTIVITY_TASK_SCHEDULED ?? 0,
    localActivities,
    updates: byType.WORKFLOW_EXECUTION_UPDATE_ACCEPTED ?? 0,
    workflowTasks: byType.WORKFLOW_TASK_COMPLETED ?? 0,
    timers: byType.TIMER_STARTED ?? 0,
    byType,
    activitySequence: activityTypes,
  };
}
