/** What every phase of a bench run gets: options, the run's servers and master data. */
import type { Client } from '@temporalio/client';
import type { BenchFixtures } from './fixtures';
import type { Log } from './util';

export const PHASES = ['pipeline', 'baseline', 'scale', 'read'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  smoke: boolean;
  /** Pipeline and baseline: orders measured (after the warm-up), concurrency, warm-up orders. */
  orders: number;
  concurrency: number;
  warmup: number;
  /**
   * Pipeline and baseline runs, alternating which goes first; the ratios are
   * the median of the rounds' ratios, because one VM's neighbours move a single
   * pair by tens of percent.
   */
  rounds: number;
  only: Phase[];
  /** Open-order scale: orders left waiting, their sales review limit, intake concurrency. */
  scaleOrders: number;
  /** How many of them (the last taken) get the shrunk deadline; the rest wait with a day's limit. */
  scaleTimed: number;
  scaleDeadline: string;
  scaleConcurrency: number;
  /** Read path: rows bulk-seeded, requests per list query. */
  readRows: number;
  readRequests: number;
  /** Reuse this Temporal server when it answers; else one is started. */
  temporalAddress?: string;
  /** The reused server's pid, so its CPU is counted (bench --cluster). */
  temporalPid?: number;
  /** Order workers per phase (default 1). */
  workers?: number;
  /** bench --cluster: pipeline and scale on the dev server, then on the cluster with one worker and with two (bench/lib/cluster-bench.ts). */
  cluster?: boolean;
  /** The bench's own database (recreated). */
  databaseUrl: string;
  /** A prebuilt bundle of workflows/index.ts (else bundled now). */
  orderBundle?: string;
  /** Where results go (null: not written). */
  resultsDir: string | null;
  /** CPU-profile the worker and API processes of the pipeline and baseline (summaries in the result). */
  profile?: boolean;
  /** Extra WorkerOptions for both workers, e.g. { maxCachedWorkflows: 1000 }. */
  workerOptions?: Record<string, unknown>;
  log: Log;
}

export interface Ctx {
  opts: BenchOptions;
  runId: string;
  temporalAddress: string;
  /** True when the bench started the Temporal server (and its pid). */
  temporalStarted: boolean;
  temporalPid?: number;
  /** Order workers per phase (pipeline and scale): 1, or 2 in bench --cluster's second run. */
  workers?: number;
  temporal: Client;
  smtpUrl: string;
  smtpReceived(): number;
  orderBundle: string;
  bareBundle: string;
  fixtures: BenchFixtures;
  tmpDir: string;
  /** This run's payload encryption key (base64), given to the order worker and API. */
  codecKey: string;
  log: Log;
}

/** Environment for the order worker/API children. */
export function orderEnv(ctx: Ctx, taskQueue: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BENCH_KIND: 'orders',
    TEMPORAL_ADDRESS: ctx.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    DATABASE_URL: ctx.opts.databaseUrl,
    SMTP_URL: ctx.smtpUrl,
    MAIL_FROM: 'Sales Orders <orders@example.com>',
    POLICY_FILE: '',
    HOST: '127.0.0.1',
    // Unused (the bench API listens on a free port it picks) but must be valid for loadConfig.
    PORT: '3000',
    PAYLOAD_CODEC_KEY: ctx.codecKey,
    PAYLOAD_CODEC_OLD_KEYS: '',
    // The per-caller rate limit protects a live system from a runaway client; the bench is one on purpose.
    RATE_LIMIT_MAX: '100000000',
    RATE_LIMIT_WINDOW: '1m',
    BENCH_BUNDLE: ctx.orderBundle,
    BENCH_WORKER_OPTIONS: ctx.opts.workerOptions ? JSON.stringify(ctx.opts.workerOptions) : '',
    ...extra,
  };
}
