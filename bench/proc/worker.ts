/**
 * A bench worker process (forked by bench/lib/procs.ts, not run directly).
 *
 *   BENCH_KIND=orders  the order worker (worker/worker.ts createWorker): real
 *                      activities on PostgreSQL, SMTP and the built-in carrier
 *   BENCH_KIND=bare    the baseline worker: bench/baseline, no-op activities
 *
 * Every activity is timed (count, p50/p99, total) so the bench can say where
 * an order's time goes. Env: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_TASK_QUEUE, BENCH_BUNDLE (prebuilt workflow bundle), and for the
 * order worker DATABASE_URL, SMTP_URL, MAIL_FROM. BENCH_WORKER_OPTIONS: JSON
 * of extra WorkerOptions for both kinds (e.g. {"maxCachedWorkflows":500}).
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { countPgQueries } from '../lib/pg-count';
import { serveParent } from '../lib/procs';
import { summarize } from '../lib/util';

type AnyFn = (...args: any[]) => Promise<unknown>;

const durations = new Map<string, number[]>();
const failures = new Map<string, number>();
const MAX_SAMPLES = 200_000;

function timed<T extends Record<string, unknown>>(acts: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(acts)) {
    if (typeof fn !== 'function') continue;
    out[name] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await (fn as AnyFn)(...args);
      } catch (err) {
        failures.set(name, (failures.get(name) ?? 0) + 1);
        throw err;
      } finally {
        let list = durations.get(name);
        if (!list) durations.set(name, (list = []));
        if (list.length < MAX_SAMPLES) list.push(performance.now() - started);
      }
    };
  }
  return out as T;
}

async function main(): Promise<void> {
  const kind = process.env.BENCH_KIND;
  const address = process.env.TEMPORAL_ADDRESS!;
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const taskQueue = process.env.TEMPORAL_TASK_QUEUE!;
  const bundle = process.env.BENCH_BUNDLE!;
  // Warnings and errors only: the SDK's INFO lines (worker state changes) would drown the bench's output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const extra: Partial<WorkerOptions> = process.env.BENCH_WORKER_OPTIONS ? JSON.parse(process.env.BENCH_WORKER_OPTIONS) : {};
  const connection = await NativeConnection.connect({ address });
  const closers: (() => Promise<void> | void)[] = [() => connection.close()];
  let worker: Worker;

  // Statements and transactions of this process (the order system's only; the baseline has no database).
  const pgCounts = kind === 'orders' ? countPgQueries() : undefined;
  if (kind === 'orders') {
    const { createWorker } = await import('../../worker/worker');
    const { createPrisma } = await import('../../activities/infra/db');
    const { createMailer } = await import('../../activities/infra/mailer');
    const { builtinCarrierAdapter } = await import('../../activities/carriers/builtin');
    const { loadConfig } = await import('../../activities/infra/config');
    const { dataConverterFor } = await import('../../activities/infra/codec');
    // Configured from the environment like worker/main.ts (the bench sets every key).
    const config = loadConfig();
    const prisma = createPrisma(config.databaseUrl);
    const { startMailDispatcher } = await import('../../activities/email/dispatcher');
    const mailer = createMailer(config.smtpUrl);
    // The worker process sends the outbox as worker/main.ts does; stopped (its sends finished) before the mailer closes.
    const dispatcher = startMailDispatcher({ prisma, databaseUrl: config.databaseUrl, mailer, mailFrom: config.mailFrom, publicUrl: config.console.publicUrl, log: () => undefined }, config.mail);
    closers.unshift(() => dispatcher.stop(), () => mailer.close(), () => prisma.$disconnect());
    worker = await createWorker({
      connection,
      namespace,
      taskQueue,
      deps: { prisma, mailQueue: config.mail.queue, carriers: builtinCarrierAdapter, policy: config.policy , publicUrl: config.console.publicUrl },
      dataConverter: dataConverterFor(config.payloadCodecKeys),
      workflowBundlePath: bundle,
      activities: (real) => timed(real),
      options: { shutdownGraceTime: '2s', maxCachedWorkflows: config.workerCachedWorkflows, ...extra },
    });
  } else if (kind === 'bare') {
    const activities = await import('../baseline/activities');
    worker = await Worker.create({
      connection,
      namespace,
      taskQueue,
      workflowBundle: { codePath: bundle },
      activities: timed({ ...activities }),
      shutdownGraceTime: '2s',
      ...extra,
    });
  } else {
    throw new Error(`BENCH_KIND must be orders or bare, not ${kind}`);
  }

  const elu0 = performance.eventLoopUtilization();
  const running = worker.run();
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      for (const c of closers) await c();
    })());

  serveParent({
    stats: () => ({
      rssMiB: Math.round((process.memoryUsage().rss / 1048576) * 10) / 10,
      heapUsedMiB: Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10,
      eventLoopUtilization: Math.round(performance.eventLoopUtilization(elu0).utilization * 1000) / 1000,
      pg: pgCounts?.(),
      activities: Object.fromEntries(
        [...durations.entries()].map(([name, d]) => [
          name,
          { ...summarize(d), totalMs: Math.round(d.reduce((x, y) => x + y, 0)), failures: failures.get(name) ?? 0 },
        ]),
      ),
      activityFailures: Object.fromEntries(failures),
    }),
    stop,
  });
  process.send!({ type: 'ready', taskQueue });
  await running;
}

main().catch((err) => {
  process.stderr.write(`[bench worker] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
