/**
 * Pipeline and baseline: N orders through the happy path over HTTP at
 * concurrency C (bench/lib/drive.ts), each system with its own worker and API
 * processes on its own task queue, on the same Temporal server in the same run.
 */
import { join } from 'node:path';
import { bareWorkflowId } from '../baseline/api';
import { summarizeProfiles, type ProfileSummary } from '../lib/cpuprofile';
import { orderWorkflowId } from '../../workflows/order/contract';
import { orderEnv, type Ctx } from '../lib/context';
import { driveOrders, historyProfile, type DriveResult } from '../lib/drive';
import { intakeBody } from '../lib/fixtures';
import { HttpClient } from '../lib/http';
import { dbCounters, type DbCounters } from '../lib/pg';
import type { PgCounts } from '../lib/pg-count';
import { startChild, type Child } from '../lib/procs';
import { startWorkers } from '../lib/workers';
import { cpuSeconds, errorText, postgresCpuSeconds } from '../lib/util';

export interface HappyPathResult extends DriveResult {
  system: 'pipeline' | 'baseline';
  taskQueue: string;
  /** One completed order's history: events, activities, updates, workflow tasks, timers. */
  history?: Awaited<ReturnType<typeof historyProfile>>;
  /** Per activity type in the worker: count, p50/p99 ms, total ms. */
  activityStats?: Record<string, unknown>;
  /** CPU ms per order, by process (measured orders and warm-up together), PostgreSQL's, and their total. */
  cpuMsPerOrder: Record<string, number>;
  /** Utilisation of each process's main event loop over the phase (0-1). */
  eventLoopUtilization: Record<string, number>;
  rssMiB: Record<string, number>;
  /**
   * PostgreSQL work per order: pg_stat_database deltas of the bench database (every process), and the
   * statements and transactions the worker and API processes sent, counted in their pg driver
   * (bench/lib/pg-count.ts; the worker's include the outbox dispatcher's).
   */
  db?: {
    xactsPerOrder: number;
    rowsInsertedPerOrder: number;
    rowsUpdatedPerOrder: number;
    statementsPerOrder?: { worker: number; api: number; total: number };
    transactionsPerOrder?: { worker: number; api: number; total: number };
  };
  emailsPerOrder?: number;
  /** With --profile: CPU profile summaries of the worker and API processes (per thread). */
  profiles?: { worker: ProfileSummary[]; api: ProfileSummary[] };
}

/** `round` (1, 2, ...) keeps each round's task queue and intake idempotency keys apart. */
export async function runHappyPath(ctx: Ctx, system: 'pipeline' | 'baseline', round = 1): Promise<HappyPathResult> {
  const runId = round === 1 ? ctx.runId : `${ctx.runId}-r${round}`;
  const { opts, log } = ctx;
  const taskQueue = `bench-${system}-${runId}`;
  const children: Child[] = [];
  try {
    const env =
      system === 'pipeline'
        ? orderEnv(ctx, taskQueue)
        : { BENCH_KIND: 'bare', TEMPORAL_ADDRESS: ctx.temporalAddress, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue, BENCH_BUNDLE: ctx.bareBundle, BENCH_WORKER_OPTIONS: opts.workerOptions ? JSON.stringify(opts.workerOptions) : '' };
    const profileDir = (kind: string) => (opts.profile ? join(ctx.tmpDir, 'profiles', `${system}-${kind}`) : undefined);
    // bench --cluster runs the pipeline with one worker and with two (ctx.workers).
    const [worker, api] = await Promise.all([
      startWorkers(`${system} worker`, ctx.workers ?? 1, env, log, (i) => profileDir(i ? `worker${i + 1}` : 'worker')),
      startChild(`${system} api`, 'api.ts', env, log, { profileDir: profileDir('api') }),
    ]);
    children.push(...worker.all, api);
    const http = new HttpClient(String(api.ready.url), opts.concurrency * 2 + 8);

    const pids: Record<string, number[]> = { worker: worker.all.map((w) => w.pid), api: [api.pid], temporal: ctx.temporalPid ? [ctx.temporalPid] : [], bench: [process.pid] };
    const cpuNow = (): Record<string, number> => ({
      ...Object.fromEntries(Object.entries(pids).map(([k, list]) => [k, list.length ? list.reduce((sum, pid) => sum + cpuSeconds(pid), 0) : NaN])),
      // The database works for the pipeline only, but on this one machine it takes its share of the CPUs.
      postgres: postgresCpuSeconds(),
    });
    const pg0 = system === 'pipeline' ? await pgCounts(worker, api) : undefined;
    const cpu0 = cpuNow();
    const db0: DbCounters | undefined = system === 'pipeline' ? await dbCounters(opts.databaseUrl) : undefined;
    const mail0 = ctx.smtpReceived();

    const result = await driveOrders(
      {
        name: system,
        http,
        temporal: ctx.temporal,
        workflowIdOf: system === 'pipeline' ? orderWorkflowId : bareWorkflowId,
        intakeBody: (i) => intakeBody(ctx.fixtures, i),
      },
      { orders: opts.orders, concurrency: opts.concurrency, warmup: opts.warmup, runId, log },
    );
    const all = Math.max(1, result.completed + result.warmup);
    const cpu1 = cpuNow();
    const cpuMsPerOrder = Object.fromEntries(Object.keys(cpu0).map((k) => [k, Math.round(((cpu1[k] - cpu0[k]) * 1000) / all)]));
    cpuMsPerOrder.total = Object.values(cpuMsPerOrder).reduce((x, y) => x + (Number.isFinite(y) ? y : 0), 0);
    const [wStats, aStats] = await Promise.all([worker.stats(), api.stats<any>()]);
    const pg1 = pg0 ? { worker: wStats.pg as PgCounts, api: aStats.pg as PgCounts } : undefined;
    const rssMiB = { worker: worker.rssMiB(), api: api.rssMiB() };
    let history: HappyPathResult['history'];
    if (result.sampleWorkflowIds[0]) {
      try {
        history = await historyProfile(ctx.temporal, result.sampleWorkflowIds[0]);
      } catch (err) {
        result.errors.push(`history: ${errorText(err)}`);
      }
    }
    http.close();
    await Promise.all(children.map((c) => c.stop()));
    children.length = 0;

    let db: HappyPathResult['db'];
    if (db0) {
      const db1 = await dbCounters(opts.databaseUrl);
      db = {
        xactsPerOrder: Math.round(((db1.xacts - db0.xacts) / all) * 10) / 10,
        rowsInsertedPerOrder: Math.round(((db1.inserted - db0.inserted) / all) * 10) / 10,
        rowsUpdatedPerOrder: Math.round(((db1.updated - db0.updated) / all) * 10) / 10,
      };
      if (pg0 && pg1?.worker && pg1.api) {
        const per = (k: keyof PgCounts) => {
          const w = Math.round(((pg1.worker[k] - pg0.worker[k]) / all) * 10) / 10;
          const a = Math.round(((pg1.api[k] - pg0.api[k]) / all) * 10) / 10;
          return { worker: w, api: a, total: Math.round((w + a) * 10) / 10 };
        };
        db.statementsPerOrder = per('statements');
        db.transactionsPerOrder = per('transactions');
      }
    }
    const profiles = opts.profile
      ? { worker: summarizeProfiles(profileDir('worker')!), api: summarizeProfiles(profileDir('api')!) }
      : undefined;
    return {
      system,
      taskQueue,
      profiles,
      ...result,
      history,
      activityStats: wStats.activities,
      cpuMsPerOrder,
      eventLoopUtilization: { worker: wStats.eventLoopUtilization, api: aStats.eventLoopUtilization },
      rssMiB,
      db,
      emailsPerOrder: system === 'pipeline' ? Math.round(((ctx.smtpReceived() - mail0) / all) * 10) / 10 : undefined,
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

/** The statements and transactions the worker(s) and the API have sent so far (bench/lib/pg-count.ts). */
async function pgCounts(worker: { stats(): Promise<any> }, api: { stats<T>(): Promise<T> }): Promise<{ worker: PgCounts; api: PgCounts }> {
  const [w, a] = await Promise.all([worker.stats(), api.stats<any>()]);
  return { worker: w.pg ?? { statements: 0, transactions: 0 }, api: a.pg ?? { statements: 0, transactions: 0 } };
}
