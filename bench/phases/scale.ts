/**
 * Open-order scale: N orders taken through the API (POST /orders at
 * concurrency C) and left waiting in sales review, whose time limit is shrunk
 * (policy override, e.g. 2 minutes). Measures the intake rate, how long until
 * every order has run its first activities and waits, the worker's RSS, and
 * how late the deadline timers fire: lateness = time the reminder alert row
 * was written - the stage deadline the workflow recorded at stage entry.
 *
 * The order worker and API are processes of their own on a task queue of
 * their own; the worker's RSS is read from /proc while the orders wait.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { orderWorkflowId } from '../../workflows/order/contract';
import { parseDuration } from '../../workflows/domain/duration';
import { orderEnv, type Ctx } from '../lib/context';
import { intakeBody } from '../lib/fixtures';
import { HttpClient } from '../lib/http';
import { withPg } from '../lib/pg';
import { startChild, type Child } from '../lib/procs';
import { errorText, nowMs, pool, sleep, summarize, type Summary } from '../lib/util';

export interface ScaleResult {
  orders: number;
  created: number;
  failed: number;
  concurrency: number;
  deadline: string;
  /** Intake: orders accepted (HTTP 201) per second, and the intake request latency. */
  creationRate: number;
  creationS: number;
  intakeMs: Summary;
  /** From the first intake until every order had run its first activities and waited (s). */
  settledS: number | null;
  settledRate: number | null;
  /** Worker RSS (MiB): when all orders were waiting, and the highest seen in the phase. */
  workerRssMiB: { settled: number | null; max: number; afterTimers: number | null };
  workerHeapUsedMiB: number | null;
  /** Reminder alerts written / expected, and their lateness in ms (all of them). */
  remindersFired: number;
  latenessMs: Summary;
  /**
   * Lateness of the timers due after every order was created and waiting (no
   * intake work competing): the target's condition, "10,000 waiting orders".
   * Empty when the intake took longer than the deadline plus settling.
   */
  latenessWhileAllWaitingMs: Summary;
  /** True when the first deadlines passed while orders were still being created. */
  timersOverlappedIntake: boolean;
  activityStats?: Record<string, unknown>;
  errors: string[];
}

export async function runScale(ctx: Ctx): Promise<ScaleResult> {
  const { opts, log } = ctx;
  const n = opts.scaleOrders;
  const taskQueue = `bench-scale-${ctx.runId}`;
  const policyFile = join(ctx.tmpDir, 'scale-policy.json');
  // Only sales review is shrunk; its escalation and timeout stay far away, so each order fires exactly one timer step.
  writeFileSync(policyFile, JSON.stringify({ stages: { sales_review: { limit: opts.scaleDeadline, escalateAfter: '1d', actionAfter: '2d' } } }));
  const env = orderEnv(ctx, taskQueue, { POLICY_FILE: policyFile });
  const children: Child[] = [];
  const errors: string[] = [];
  const ids: string[] = [];
  const workflowIds: string[] = [];
  let rssMax = 0;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const [worker, api] = await Promise.all([startChild('scale worker', 'worker.ts', env, log), startChild('scale api', 'api.ts', env, log)]);
    children.push(worker, api);
    sampler = setInterval(() => {
      const r = worker.rssMiB();
      if (Number.isFinite(r)) rssMax = Math.max(rssMax, r);
    }, 1_000);
    sampler.unref();
    const http = new HttpClient(String(api.ready.url), opts.scaleConcurrency * 2 + 8);

    // 1. Intake.
    log(`scale: creating ${n} orders (sales review limit ${opts.scaleDeadline}) at concurrency ${opts.scaleConcurrency}`);
    const intakeMs: number[] = [];
    let failed = 0;
    const t0 = nowMs();
    const wall0 = Date.now();
    let lastReport = Date.now();
    await pool(n, opts.scaleConcurrency, async (i) => {
      try {
        const res = await http.request('POST', '/orders', {
          actor: 'sales',
          body: intakeBody(ctx.fixtures, i),
          headers: { 'idempotency-key': `bench-${ctx.runId}-scale-${i}` },
        });
        if (res.status !== 201) throw new Error(`intake: HTTP ${res.status} ${JSON.stringify(res.body)}`.slice(0, 300));
        intakeMs.push(res.ms);
        ids.push(res.body.orderId);
        workflowIds.push(orderWorkflowId(res.body.orderNo));
      } catch (err) {
        failed += 1;
        if (errors.length < 10) errors.push(errorText(err));
      }
      if (Date.now() - lastReport > 10_000) {
        lastReport = Date.now();
        log(`scale: ${ids.length + failed}/${n} created`);
      }
    });
    const creationS = (nowMs() - t0) / 1000;
    const created = ids.length;
    if (created === 0) throw new Error(`scale: no order was created (${errors[0] ?? 'no error recorded'})`);
    log(`scale: ${created} created in ${creationS.toFixed(1)} s (${(created / creationS).toFixed(1)}/s); waiting for them to settle`);
    const limitMs = parseDuration(opts.scaleDeadline);
    const timersOverlappedIntake = creationS * 1000 > limitMs;

    // 2. Settled: every order ran its first activities (transition, pre-checks, risks) and waits in sales review.
    const lastFirstActivity = async (): Promise<number> => {
      const s = await worker.stats<any>();
      const a = s.activities ?? {};
      const done = (name: string) => (a[name] ? a[name].n - a[name].failures : 0);
      return a.assessRisks ? done('assessRisks') : done('salesPrechecks');
    };
    let settledS: number | null = null;
    let settledWall = Number.POSITIVE_INFINITY;
    let settledRss: number | null = null;
    let heap: number | null = null;
    const settleDeadline = Date.now() + Math.max(120_000, created * 100);
    while (Date.now() < settleDeadline) {
      if ((await lastFirstActivity()) >= created) {
        settledWall = Date.now();
        settledS = (settledWall - wall0) / 1000;
        break;
      }
      await sleep(500);
    }
    if (settledS === null) errors.push('scale: not every order settled in time');
    else {
      settledRss = worker.rssMiB();
      heap = (await worker.stats<any>()).heapUsedMiB ?? null;
      log(`scale: all waiting after ${settledS.toFixed(1)} s; worker RSS ${settledRss} MiB`);
    }

    // 3. The deadline timers: wait for every reminder (bounded: last deadline + 3 min).
    const lastDeadline = wall0 + creationS * 1000 + limitMs;
    const timersDeadline = lastDeadline + 180_000;
    let fired = 0;
    const dbUrl = opts.databaseUrl;
    const countFired = () =>
      withPg(dbUrl, async (c) => {
        const { rows } = await c.query(`SELECT count(*)::int AS n FROM alerts WHERE kind = 'reminded' AND order_id = ANY($1::text[])`, [ids]);
        return rows[0].n as number;
      });
    log(`scale: waiting for ${created} reminders (the last deadline is in ${Math.max(0, Math.round((lastDeadline - Date.now()) / 1000))} s)`);
    while (Date.now() < timersDeadline) {
      fired = await countFired();
      if (fired >= created) break;
      await sleep(Date.now() < lastDeadline ? 2_000 : 500);
    }
    const afterTimersRss = worker.rssMiB();
    if (fired < created) errors.push(`scale: only ${fired} of ${created} reminders fired in time`);
    const lateness = await withPg(dbUrl, async (c) => {
      // Timestamps are UTC (Prisma writes UTC; the columns have no zone).
      const { rows } = await c.query(
        `SELECT EXTRACT(EPOCH FROM (a.created_at - t.deadline)) * 1000 AS ms,
                EXTRACT(EPOCH FROM t.deadline) * 1000 AS due
           FROM alerts a JOIN stage_transitions t ON t.order_id = a.order_id AND t.seq = 1
          WHERE a.kind = 'reminded' AND a.order_id = ANY($1::text[]) AND t.deadline IS NOT NULL`,
        [ids],
      );
      return rows.map((r) => ({ ms: Number(r.ms), due: Number(r.due) }));
    });
    const wStats = await worker.stats<any>();
    http.close();
    return {
      orders: n,
      created,
      failed,
      concurrency: opts.scaleConcurrency,
      deadline: opts.scaleDeadline,
      creationRate: Math.round((created / creationS) * 10) / 10,
      creationS: Math.round(creationS * 10) / 10,
      intakeMs: summarize(intakeMs),
      settledS: settledS === null ? null : Math.round(settledS * 10) / 10,
      settledRate: settledS === null ? null : Math.round((created / settledS) * 10) / 10,
      workerRssMiB: { settled: settledRss, max: rssMax, afterTimers: afterTimersRss },
      workerHeapUsedMiB: heap,
      remindersFired: fired,
      latenessMs: summarize(lateness.map((l) => l.ms)),
      latenessWhileAllWaitingMs: summarize(lateness.filter((l) => l.due > settledWall).map((l) => l.ms)),
      timersOverlappedIntake,
      activityStats: wStats.activities,
      errors,
    };
  } finally {
    if (sampler) clearInterval(sampler);
    await Promise.all(children.map((c) => c.stop()));
    // On a server the bench did not start, do not leave waiting orders behind.
    if (!ctx.temporalStarted && workflowIds.length) {
      log(`scale: terminating ${workflowIds.length} waiting workflows on the reused server`);
      const until = Date.now() + 120_000;
      await pool(workflowIds.length, 20, async (i) => {
        if (Date.now() > until) return;
        await ctx.temporal.workflow.getHandle(workflowIds[i]).terminate('bench finished').catch(() => undefined);
      });
    }
  }
}
