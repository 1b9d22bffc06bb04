/**
 * bench --cluster: the same pipeline and waiting-orders phases on three
 * deployments, one after another in one run, so their ratios compare:
 *
 *   dev       the Temporal dev server (SQLite, one shard), one worker: what `npm start` runs
 *   cluster1  the Temporal server on PostgreSQL, 4 shards (scripts/cluster.sh and deploy/,
 *             as `npm run start:cluster` runs it), one worker
 *   cluster2  the same topology, two workers on the task queue
 *
 * Each cluster deployment gets a cluster of its own (databases recreated), as the
 * dev server gets a fresh SQLite file.
 * The order database is the bench's own (salesorder_bench_cluster, or
 * BENCH_DATABASE), fresh for each deployment (runBench); the cluster's two
 * databases are named after it (<it>_temporal, <it>_temporal_visibility,
 * recreated), so they never meet the failover tests' (temporal_cluster_test)
 * or another run's with another BENCH_DATABASE.
 * Results: bench/results/<timestamp>-cluster.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureClusterTools, startCluster } from '../../scripts/lib/cluster';
import { runBench, type BenchResult } from './bench';
import type { BenchOptions } from './context';
import { errorText } from './util';

export const DEPLOYMENTS = ['dev', 'cluster1', 'cluster2'] as const;
export type Deployment = (typeof DEPLOYMENTS)[number];

export interface DeploymentFigures {
  ordersPerSec: number | null;
  orderLatencyMs: { p50: number; p99: number } | null;
  approvalP99Ms: number | null;
  cpuMsPerOrder: number | null;
  /** Waiting orders: timer lateness p99 (while all wait, else all), worker RSS max (all workers together). */
  timerLatenessP99Ms: number | null;
  workerRssMaxMiB: number | null;
  scaleOrders: number | null;
}

export interface ClusterBenchResult {
  startedAt: string;
  finishedAt: string;
  options: { orders: number; concurrency: number; scaleOrders: number; scaleTimed: number; scaleDeadline: string; smoke: boolean };
  figures: Partial<Record<Deployment, DeploymentFigures>>;
  /** Each figure divided by the dev server's. */
  vsDev: Partial<Record<Deployment, Partial<Record<keyof DeploymentFigures, number | null>>>>;
  runs: Partial<Record<Deployment, BenchResult>>;
  errors: string[];
  resultFile?: string;
}

function figures(r: BenchResult): DeploymentFigures {
  const p = r.pipeline;
  const s = r.scale;
  return {
    ordersPerSec: p?.ordersPerSec ?? null,
    orderLatencyMs: p ? { p50: p.latencyMs.p50, p99: p.latencyMs.p99 } : null,
    approvalP99Ms: p?.approvalMs.p99 ?? null,
    cpuMsPerOrder: p?.cpuMsPerOrder.total ?? null,
    timerLatenessP99Ms: s ? (s.latenessWhileAllWaitingMs.n ? s.latenessWhileAllWaitingMs.p99 : s.latenessMs.p99) : null,
    workerRssMaxMiB: s?.workerRssMiB.max ?? null,
    scaleOrders: s?.created ?? null,
  };
}

const ratio = (a: number | null, b: number | null) => (a !== null && b !== null && b !== 0 && Number.isFinite(a / b) ? Math.round((a / b) * 100) / 100 : null);

export async function runClusterBench(opts: BenchOptions): Promise<ClusterBenchResult> {
  const log = opts.log;
  const result: ClusterBenchResult = {
    startedAt: new Date().toISOString(),
    finishedAt: '',
    options: { orders: opts.orders, concurrency: opts.concurrency, scaleOrders: opts.scaleOrders, scaleTimed: opts.scaleTimed, scaleDeadline: opts.scaleDeadline, smoke: opts.smoke },
    figures: {},
    vsDev: {},
    runs: {},
    errors: [],
  };
  // Written after every deployment, so a run cut short keeps what finished.
  const save = () => {
    if (!opts.resultsDir) return;
    mkdirSync(opts.resultsDir, { recursive: true });
    result.resultFile ??= join(opts.resultsDir, `${result.startedAt.replace(/[:.]/g, '-')}-cluster.json`);
    writeFileSync(result.resultFile, `${JSON.stringify(result, null, 2)}\n`);
  };
  const one = async (name: Deployment, o: Partial<BenchOptions>) => {
    log(`===== ${name} =====`);
    try {
      const r = await runBench({ ...opts, resultsDir: null, cluster: false, ...o, log: (l) => log(`[${name}] ${l}`) });
      result.runs[name] = r;
      result.figures[name] = figures(r);
      result.errors.push(...r.errors.map((e) => `${name}: ${e}`));
    } catch (err) {
      result.errors.push(`${name}: ${errorText(err)}`);
    }
    compare();
    save();
  };
  const compare = () => {
    const dev = result.figures.dev;
    for (const name of DEPLOYMENTS) {
      const f = result.figures[name];
      if (!f || !dev) continue;
      result.vsDev[name] = {
        ordersPerSec: ratio(f.ordersPerSec, dev.ordersPerSec),
        approvalP99Ms: ratio(f.approvalP99Ms, dev.approvalP99Ms),
        cpuMsPerOrder: ratio(f.cpuMsPerOrder, dev.cpuMsPerOrder),
        timerLatenessP99Ms: ratio(f.timerLatenessP99Ms, dev.timerLatenessP99Ms),
        workerRssMaxMiB: ratio(f.workerRssMaxMiB, dev.workerRssMaxMiB),
      };
    }
  };

  // The dev server the bench starts itself (a TEMPORAL_ADDRESS of the caller is not used here).
  await one('dev', { temporalAddress: undefined, workers: 1 });

  ensureClusterTools(log, { ui: false }); // the bench starts no Web UI
  const benchDb = new URL(opts.databaseUrl).pathname.slice(1);
  // A fresh cluster (its databases recreated) for each deployment, as the dev server gets a
  // fresh SQLite file: the order database is recreated too, so its order numbers, and with
  // them the workflow ids, start again at 1, which the previous deployment's closed
  // workflows would hold (every intake answered 503 in the first run that shared one).
  for (const [name, workers] of [['cluster1', 1], ['cluster2', 2]] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'salesorder-bench-cluster-'));
    try {
      const cluster = await startCluster({
        dir,
        databaseUrl: opts.databaseUrl,
        dbName: `${benchDb}_temporal`,
        visibilityDbName: `${benchDb}_temporal_visibility`,
        log: (l) => log(`[cluster] ${l}`),
      });
      try {
        await one(name, { temporalAddress: cluster.address, temporalPid: cluster.serverPid(), workers });
      } finally {
        await cluster.stop();
      }
    } catch (err) {
      result.errors.push(`${name}: cluster: ${errorText(err)}`);
      save();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  result.finishedAt = new Date().toISOString();
  save();
  return result;
}

export function formatClusterReport(r: ClusterBenchResult): string {
  const f = (x: number | null | undefined, dp = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(dp));
  const header = ['', ...DEPLOYMENTS.map((d) => ({ dev: 'dev server, 1 worker', cluster1: 'cluster, 1 worker', cluster2: 'cluster, 2 workers' })[d])];
  const row = (label: string, pick: (x: DeploymentFigures) => number | null, dp: number, key?: keyof DeploymentFigures) => [
    label,
    ...DEPLOYMENTS.map((d) => {
      const x = r.figures[d];
      if (!x) return '-';
      const v = f(pick(x), dp);
      const vs = key && d !== 'dev' ? r.vsDev[d]?.[key] : undefined;
      return vs !== undefined && vs !== null ? `${v} (x${vs.toFixed(2)})` : v;
    }),
  ];
  const rows = [
    header,
    row(`pipeline orders/s (N = ${r.options.orders}, C = ${r.options.concurrency})`, (x) => x.ordersPerSec, 2, 'ordersPerSec'),
    row('order latency p50 (ms)', (x) => x.orderLatencyMs?.p50 ?? null, 0),
    row('order latency p99 (ms)', (x) => x.orderLatencyMs?.p99 ?? null, 0),
    row('approval round trip p99 (ms)', (x) => x.approvalP99Ms, 0, 'approvalP99Ms'),
    row('CPU per order, all processes (ms)', (x) => x.cpuMsPerOrder, 0, 'cpuMsPerOrder'),
    row(`waiting orders (${r.options.scaleOrders}): timer lateness p99 (ms)`, (x) => x.timerLatenessP99Ms, 0, 'timerLatenessP99Ms'),
    row('waiting orders: worker RSS max, all workers (MiB)', (x) => x.workerRssMaxMiB, 0, 'workerRssMaxMiB'),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((x) => x[i].length)));
  const lines = rows.map((x, j) => {
    const line = x.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    return j === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  });
  return [`Bench --cluster ${r.startedAt} (x: ratio to the dev server, same run)`, ...lines, ...(r.errors.length ? ['', 'errors:', ...r.errors.map((e) => `  ${e}`)] : []), ...(r.resultFile ? ['', `result: ${r.resultFile}`] : [])].join('\n');
}
