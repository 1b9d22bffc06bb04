/**
 * Open-order scale: N orders taken through the API (POST /orders at
 * concurrency C) and left waiting in sales review. Measures the intake rate,
 * how long until every order has run its first activities and waits, the
 * worker's RSS, and how late deadline timers fire while all of them wait.
 *
 * Timers: the last K orders (--scale-timed, default 1,000; all in smoke mode)
 * get a shrunk sales review limit (--scale-deadline, e.g. 2 minutes); the
 * first N - K get a limit of a day, so they wait without firing in the run.
 * So the measured timers fire with (nearly) all N orders waiting, instead of
 * while the first orders are still being taken. Lateness = the time the
 * reminder alert row was written - the stage deadline the workflow recorded
 * at stage entry (stage_transitions.deadline); both come from the database.
 *
 * One order worker, or two with bench --cluster (RSS, summed, read from /proc every second), and two API
 * processes (one per policy: the policy is read at API start and travels in
 * each order's workflow input), on a task queue of their own.
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
import { startWorkers } from '../lib/workers';
import { errorText, nowMs, pool, sleep, summarize, type Summary } from '../lib/util';

export interface ScaleResult {
  orders: number;
  created: number;
  failed: number;
  /** Orders with the shrunk deadline (the last ones taken) and with a day's limit (the rest). */
  timedOrders: number;
  backgroundOrders: number;
  concurrency: number;
  deadline: string;
  /** Intake: orders accepted (HTTP 201) per second of intake (the pause while the background batch settles not counted). */
  creationRate: number;
  creationS: number;
  intakeMs: Summary;
  /** From the first intake until every order had run its first activities and waited (s). */
  settledS: number | null;
  settledRate: number | null;
  /** Worker RSS (MiB; all workers together): when all orders were waiting, the highest seen in the phase, after the timers. */
  workerRssMiB: { settled: number | null; max: number; afterTimers: number | null };
  workerHeapUsedMiB: number | null;
  /** Reminder alerts written for the timed orders, and their lateness in ms (all of them). */
  remindersFired: number;
  latenessMs: Summary;
  /** Lateness of the timers due after every order was waiting (no intake or settling competing). */
  latenessWhileAllWaitingMs: Summary;
  /** True when the first timed deadline passed while orders were still being taken. */
  timersOverlappedIntake: boolean;
  activityStats?: Record<string, unknown>;
  errors: string[];
}

export async function runScale(ctx: Ctx): Promise<ScaleResult> {
  const { opts, log } = ctx;
  const n = opts.scaleOrders;
  const k = Math.min(n, opts.scaleTimed);
  const background = n - k;
  const limitMs = parseDuration(opts.scaleDeadline);
  const taskQueue = `bench-scale-${ctx.runId}`;
  const policy = (limit: string) => {
    const file = join(ctx.tmpDir, `scale-policy-${limit}.json`);
    // Only sales review's limit changes; its escalation and timeout stay far away: one timer step per order.
    writeFileSync(file, JSON.stringify({ stages: { sales_review: { limit, escalateAfter: '1d', actionAfter: '2d' } } }));
    return file;
  };
  const children: Child[] = [];
  const errors: string[] = [];
  const ids: string[] = [];
  const timed: { id: string; createdAt: number }[] = [];
  const workflowIds: string[] = [];
  let rssMax = 0;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const [worker, apiTimed, apiLong] = await Promise.all([
      startWorkers('scale worker', ctx.workers ?? 1, orderEnv(ctx, taskQueue), log),
      startChild('scale api (timed)', 'api.ts', orderEnv(ctx, taskQueue, { POLICY_FILE: policy(opts.scaleDeadline) }), log),
      background > 0 ? startChild('scale api (1d)', 'api.ts', orderEnv(ctx, taskQueue, { POLICY_FILE: policy('1d') }), log) : undefined,
    ]);
    children.push(...worker.all, apiTimed, ...(apiLong ? [apiLong] : []));
    sampler = setInterval(() => {
      const r = worker.rssMiB();
      if (Number.isFinite(r)) rssMax = Math.max(rssMax, r);
    }, 1_000);
    sampler.unref();
    const httpTimed = new HttpClient(String(apiTimed.ready.url), opts.scaleConcurrency * 2 + 8);
    const httpLong = apiLong ? new HttpClient(String(apiLong.ready.url), opts.scaleConcurrency * 2 + 8) : httpTimed;

    const firstActivitiesDone = async (): Promise<number> => {
      const a = (await worker.stats()).activities ?? {};
      const done = (name: string) => (a[name] ? a[name].n - a[name].failures : 0);
      return a.assessRisks ? done('assessRisks') : done('salesPrechecks');
    };
    /** Waits until `count` orders have run their first activities (transition, pre-checks, risks) and wait in sales review. */
    const settle = async (count: number, what: string): Promise<number | null> => {
      const deadline = Date.now() + Math.max(180_000, count * 150);
      let report = Date.now();
      while (Date.now() < deadline) {
        const done = await firstActivitiesDone();
        if (done >= count) return Date.now();
        if (Date.now() - report > 15_000) {
          report = Date.now();
          log(`scale: ${done}/${count} ${what} waiting, worker RSS ${worker.rssMiB()} MiB`);
        }
        await sleep(500);
      }
      errors.push(`scale: not every order (${what}) settled in time`);
      return null;
    };

    // 1. Intake: the background orders first; once they all wait, the timed ones.
    log(`scale: taking ${n} orders at concurrency ${opts.scaleConcurrency}: ${background} with a 1d sales review limit, then ${k} with ${opts.scaleDeadline}`);
    const intakeMs: number[] = [];
    let failed = 0;
    let intakeS = 0;
    const wall0 = Date.now();
    let lastReport = Date.now();
    const take = async (from: number, to: number, http: HttpClient, isTimed: boolean) => {
      const t0 = nowMs();
      await pool(to - from, opts.scaleConcurrency, async (j) => {
        const i = from + j;
        try {
          const res = await http.request('POST', '/orders', {
            actor: 'sales',
            body: intakeBody(ctx.fixtures, i),
            headers: { 'idempotency-key': `bench-${ctx.runId}-scale-${i}` },
          });
          if (res.status !== 201) throw new Error(`intake: HTTP ${res.status} ${JSON.stringify(res.body)}`.slice(0, 300));
          intakeMs.push(res.ms);
          ids.push(res.body.orderId);
          if (isTimed) timed.push({ id: res.body.orderId, createdAt: Date.now() });
          workflowIds.push(orderWorkflowId(res.body.orderNo));
        } catch (err) {
          failed += 1;
          if (errors.length < 10) errors.push(errorText(err));
        }
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          log(`scale: ${ids.length + failed}/${n} taken, worker RSS ${worker.rssMiB()} MiB`);
        }
      });
      intakeS += (nowMs() - t0) / 1000;
    };
    if (background > 0) {
      await take(0, background, httpLong, false);
      if (ids.length === 0) throw new Error(`scale: no order was created (${errors[0] ?? 'no error recorded'})`);
      log(`scale: ${ids.length} background orders taken; waiting until they all wait`);
      await settle(ids.length, 'background');
    }
    await take(background, n, httpTimed, true);
    const intakeEnd = Date.now();
    const created = ids.length;
    if (created === 0) throw new Error(`scale: no order was created (${errors[0] ?? 'no error recorded'})`);
    log(`scale: ${created} taken in ${intakeS.toFixed(1)} s of intake (${(created / intakeS).toFixed(1)}/s); waiting for all to settle`);
    const firstTimed = timed.length ? Math.min(...timed.map((t) => t.createdAt)) : intakeEnd;
    const lastTimed = timed.length ? Math.max(...timed.map((t) => t.createdAt)) : intakeEnd;

    // 2. Settled: every order waits in sales review.
    const settledAt = await settle(created, 'all');
    const settledWall = settledAt ?? Number.POSITIVE_INFINITY;
    const settledS = settledAt === null ? null : (settledAt - wall0) / 1000;
    let settledRss: number | null = null;
    let heap: number | null = null;
    if (settledAt !== null) {
      settledRss = worker.rssMiB();
      heap = (await worker.stats()).heapUsedMiB ?? null;
      log(`scale: all ${created} waiting; worker RSS ${settledRss} MiB`);
    }
    const creationS = intakeS;

    // 3. The timed orders' deadline timers: wait for every reminder (bounded).
    const timedIds = timed.map((t) => t.id);
    const timersDeadline = Math.max(lastTimed + limitMs, Number.isFinite(settledWall) ? settledWall : Date.now()) + 180_000;
    let fired = 0;
    const dbUrl = opts.databaseUrl;
    const countFired = () =>
      withPg(dbUrl, async (c) => {
        const { rows } = await c.query(`SELECT count(*)::int AS n FROM alerts WHERE kind = 'reminded' AND order_id = ANY($1::text[])`, [timedIds]);
        return rows[0].n as number;
      });
    log(`scale: waiting for ${timedIds.length} reminders (the last deadline is in ${Math.max(0, Math.round((lastTimed + limitMs - Date.now()) / 1000))} s)`);
    while (Date.now() < timersDeadline) {
      fired = await countFired();
      if (fired >= timedIds.length) break;
      await sleep(Date.now() < lastTimed + limitMs ? 2_000 : 500);
    }
    const afterTimersRss = worker.rssMiB();
    if (fired < timedIds.length) errors.push(`scale: only ${fired} of ${timedIds.length} reminders fired in time`);
    const lateness = await withPg(dbUrl, async (c) => {
      // Timestamps are UTC (Prisma writes UTC; the columns have no zone).
      const { rows } = await c.query(
        `SELECT EXTRACT(EPOCH FROM (a.created_at - t.deadline)) * 1000 AS ms,
                EXTRACT(EPOCH FROM t.deadline) * 1000 AS due
           FROM alerts a JOIN stage_transitions t ON t.order_id = a.order_id AND t.seq = 1
          WHERE a.kind = 'reminded' AND a.order_id = ANY($1::text[]) AND t.deadline IS NOT NULL`,
        [timedIds],
      );
      return rows.map((r) => ({ ms: Number(r.ms), due: Number(r.due) }));
    });
    const wStats = await worker.stats();
    httpTimed.close();
    httpLong.close();
    return {
      orders: n,
      created,
      failed,
      timedOrders: timedIds.length,
      backgroundOrders: created - timedIds.length,
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
      timersOverlappedIntake: firstTimed + limitMs < intakeEnd,
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
