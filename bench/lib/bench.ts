/**
 * One bench run: Temporal (reused or started), the bench database (recreated
 * and seeded), workflow bundles, an SMTP sink, then the phases asked for, the
 * ratios and targets, a table and a JSON result file. Everything it starts is
 * stopped at the end, and killed if the process dies.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFor, parseCodecKey } from '../../activities/infra/codec';
import { createPrisma } from '../../activities/infra/db';
import { issueToken } from '../../api/auth/tokens';
import { setupDatabase } from '../../scripts/db-setup';
import { runHappyPath, type HappyPathResult } from '../phases/happy-path';
import { runRead, type ReadResult } from '../phases/read';
import { runScale, type ScaleResult } from '../phases/scale';
import type { BenchOptions, Ctx, Phase } from './context';
import { BENCH_USERS } from './drive';
import { createBenchFixtures } from './fixtures';
import { setTokens } from './http';
import { startSmtpSink } from './smtp-sink';
import { startOrReuseTemporal } from './temporal-server';
import { errorText } from './util';

const ROOT = resolve(__dirname, '../..');

export interface Target {
  name: string;
  target: string;
  value: number | null;
  met: boolean | null;
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  mode: 'full' | 'smoke';
  machine: { cpus: number; cpuModel: string; memGiB: number; node: string; platform: string; loadAvgAtStart: number[]; loadAvgAtEnd?: number[] };
  options: Omit<BenchOptions, 'log' | 'databaseUrl' | 'orderBundle' | 'resultsDir'> & { database: string };
  temporal: { address: string; started: boolean };
  /** Order workers per phase (bench --cluster). */
  workers?: number;
  /** The pipeline and baseline of the round whose throughput ratio is the median (all details). */
  pipeline?: HappyPathResult;
  baseline?: HappyPathResult;
  /** Medians over the rounds of each round's ratio. */
  ratio?: Ratios;
  /** Every round: which ran first, the two throughputs and the ratios. */
  rounds?: RoundSummary[];
  scale?: ScaleResult;
  read?: ReadResult;
  targets: Target[];
  /** Wall time of the set-up and of each phase, s. */
  seconds: Record<string, number>;
  errors: string[];
  resultFile?: string;
}

function isLoopback(host: string): boolean {
  return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
}

async function bundle(workflowsPath: string, out: string): Promise<string> {
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => process.stderr.write(`[bundler] ${m}\n`) };
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  writeFileSync(out, code);
  return out;
}

const r2 = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : NaN);

export async function runBench(opts: BenchOptions): Promise<BenchResult> {
  const log = opts.log;
  const startedAt = new Date();
  const db = new URL(opts.databaseUrl);
  if (!isLoopback(db.hostname)) throw new Error(`the bench only uses loopback addresses; DATABASE_URL points at ${db.hostname}`);
  if (opts.temporalAddress && !isLoopback(opts.temporalAddress.replace(/:\d+$/, ''))) throw new Error(`the bench only uses loopback addresses, not ${opts.temporalAddress}`);
  const runId = `${startedAt.toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const tmpDir = mkdtempSync(join(tmpdir(), 'salesorder-bench-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(tmpDir, { recursive: true, force: true })];
  const errors: string[] = [];
  const result: BenchResult = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    mode: opts.smoke ? 'smoke' : 'full',
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}`, loadAvgAtStart: loadavg().map((x) => r2(x)) },
    options: {
      smoke: opts.smoke, orders: opts.orders, concurrency: opts.concurrency, warmup: opts.warmup, rounds: opts.rounds, only: opts.only,
      scaleOrders: opts.scaleOrders, scaleTimed: opts.scaleTimed, scaleDeadline: opts.scaleDeadline, scaleConcurrency: opts.scaleConcurrency,
      readRows: opts.readRows, readRequests: opts.readRequests, temporalAddress: opts.temporalAddress, workerOptions: opts.workerOptions,
      database: decodeURIComponent(db.pathname.slice(1)),
    },
    temporal: { address: '', started: false },
    workers: opts.workers ?? 1,
    targets: [],
    seconds: {},
    errors,
  };
  const t0 = Date.now();
  try {
    log(`run ${runId} (${result.mode}): ${result.machine.cpus} CPUs, phases ${opts.only.join(', ')}`);
    // Temporal, the database and the bundles are independent: prepare them side by side.
    const needsOrders = opts.only.some((p) => p !== 'baseline');
    const [server, , bundles] = await Promise.all([
      startOrReuseTemporal({ address: opts.temporalAddress, log }),
      setupDatabase({ databaseUrl: opts.databaseUrl, recreate: true, log: (l) => log(`db: ${l}`) }),
      (async () => {
        const order = opts.orderBundle ?? (needsOrders ? await bundle(join(ROOT, 'workflows/index.ts'), join(tmpDir, 'orders-bundle.js')) : '');
        const bare = opts.only.includes('baseline') ? await bundle(join(ROOT, 'bench/baseline/index.ts'), join(tmpDir, 'bare-bundle.js')) : '';
        log('workflows bundled');
        return { order, bare };
      })(),
    ]);
    cleanups.unshift(() => server.stop());
    result.seconds.setup = r2((Date.now() - t0) / 1000);
    result.temporal = { address: server.address, started: server.started };
    const connection = await Connection.connect({ address: server.address });
    cleanups.unshift(() => connection.close());
    // The order system encrypts its payloads (activities/infra/codec.ts): the bench's client reads order
    // results with this run's key; the baseline's plain payloads pass the codec unchanged.
    const codecKey = randomBytes(32).toString('base64');
    const temporal = new Client({ connection, namespace: 'default', dataConverter: dataConverterFor([parseCodecKey(codecKey)]) });
    const smtp = await startSmtpSink();
    cleanups.unshift(() => smtp.close());
    const prisma = createPrisma(opts.databaseUrl);
    const fixtures = await (async () => {
      try {
        // One bearer token per acting user, valid for this run's database only.
        const tokens: Record<string, string> = {};
        for (const username of BENCH_USERS) tokens[username] = (await issueToken(prisma, { username, name: `bench ${runId}`, ttlDays: 1 })).token;
        setTokens(tokens);
        return await createBenchFixtures(prisma);
      } finally {
        await prisma.$disconnect();
      }
    })();

    const ctx: Ctx = {
      opts,
      runId,
      temporalAddress: server.address,
      temporalStarted: server.started,
      temporalPid: server.pid ?? opts.temporalPid,
      workers: opts.workers,
      temporal,
      smtpUrl: smtp.url,
      smtpReceived: smtp.received,
      orderBundle: bundles.order,
      bareBundle: bundles.bare,
      fixtures,
      tmpDir,
      codecKey,
      log,
    };

    const phase = async <T>(name: Phase, fn: () => Promise<T>): Promise<T | undefined> => {
      if (!opts.only.includes(name)) return undefined;
      log(`--- ${name} ---`);
      const started = Date.now();
      try {
        return await fn();
      } catch (err) {
        errors.push(`${name}: ${errorText(err)}`);
        log(`${name} failed: ${errorText(err)}`);
        return undefined;
      } finally {
        result.seconds[name] = r2((result.seconds[name] ?? 0) + (Date.now() - started) / 1000);
      }
    };
    const pairs: { first: 'pipeline' | 'baseline'; p?: HappyPathResult; b?: HappyPathResult }[] = [];
    for (let round = 1; round <= (opts.only.includes('pipeline') || opts.only.includes('baseline') ? opts.rounds : 0); round++) {
      // Alternate the order, so neither system always runs on a server that the other has just filled.
      const first = round % 2 === 1 ? 'pipeline' : 'baseline';
      if (opts.rounds > 1) log(`--- round ${round} of ${opts.rounds} (${first} first) ---`);
      const run = (s: 'pipeline' | 'baseline') => phase(s, () => runHappyPath(ctx, s, round));
      const pair: (typeof pairs)[number] = { first };
      if (first === 'pipeline') {
        pair.p = await run('pipeline');
        pair.b = await run('baseline');
      } else {
        pair.b = await run('baseline');
        pair.p = await run('pipeline');
      }
      pairs.push(pair);
    }
    const complete = pairs.filter((x): x is { first: 'pipeline' | 'baseline'; p: HappyPathResult; b: HappyPathResult } => !!x.p && !!x.b);
    if (complete.length) {
      result.rounds = complete.map((x, i) => ({ round: i + 1, first: x.first, pipelineOrdersPerSec: x.p.ordersPerSec, baselineOrdersPerSec: x.b.ordersPerSec, ratio: ratios(x.p, x.b) }));
      const median = (k: keyof Ratios) => r2(medianOf(result.rounds!.map((x) => x.ratio[k])));
      result.ratio = {
        throughput: median('throughput'),
        approvalP50: median('approvalP50'),
        approvalP99: median('approvalP99'),
        orderLatencyP50: median('orderLatencyP50'),
        orderLatencyP99: median('orderLatencyP99'),
        cpuPerOrder: median('cpuPerOrder'),
      };
      const byThroughput = result.rounds.map((x, i) => ({ i, t: x.ratio.throughput })).sort((x, y) => x.t - y.t);
      const shown = complete[byThroughput[Math.floor((complete.length - 1) / 2)].i];
      result.pipeline = shown.p;
      result.baseline = shown.b;
    } else {
      result.pipeline = pairs.find((x) => x.p)?.p;
      result.baseline = pairs.find((x) => x.b)?.b;
    }
    result.scale = await phase('scale', () => runScale(ctx));
    result.read = await phase('read', () => runRead(ctx));
  } finally {
    for (const c of cleanups) {
      try {
        await c();
      } catch (err) {
        errors.push(`cleanup: ${errorText(err)}`);
      }
    }
  }

  result.machine.loadAvgAtEnd = loadavg().map((x) => r2(x));
  result.seconds.total = r2((Date.now() - t0) / 1000);
  result.targets = targets(result);
  result.finishedAt = new Date().toISOString();
  if (opts.resultsDir) {
    mkdirSync(opts.resultsDir, { recursive: true });
    const file = join(opts.resultsDir, `${result.startedAt.replace(/[:.]/g, '-')}${opts.smoke ? '-smoke' : ''}.json`);
    result.resultFile = file;
    const text = `${JSON.stringify(result, null, 2)}\n`;
    writeFileSync(file, text);
    writeFileSync(join(opts.resultsDir, 'latest.json'), text);
  }
  return result;
}

interface Ratios {
  throughput: number;
  approvalP50: number;
  approvalP99: number;
  orderLatencyP50: number;
  orderLatencyP99: number;
  /** CPU of every process on the machine per order, PostgreSQL included (pipeline ÷ baseline). */
  cpuPerOrder: number;
}

interface RoundSummary {
  round: number;
  first: 'pipeline' | 'baseline';
  pipelineOrdersPerSec: number;
  baselineOrdersPerSec: number;
  ratio: Ratios;
}

function ratios(p: HappyPathResult, b: HappyPathResult): Ratios {
  return {
    throughput: r2(p.ordersPerSec / b.ordersPerSec),
    approvalP50: r2(p.approvalMs.p50 / b.approvalMs.p50),
    approvalP99: r2(p.approvalMs.p99 / b.approvalMs.p99),
    orderLatencyP50: r2(p.latencyMs.p50 / b.latencyMs.p50),
    orderLatencyP99: r2(p.latencyMs.p99 / b.latencyMs.p99),
    cpuPerOrder: r2(p.cpuMsPerOrder.total / b.cpuMsPerOrder.total),
  };
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function targets(r: BenchResult): Target[] {
  const t: Target[] = [];
  const add = (name: string, target: string, value: number | null | undefined, ok: (v: number) => boolean) =>
    t.push({ name, target, value: value ?? null, met: value === null || value === undefined || !Number.isFinite(value) ? null : ok(value) });
  // Issue 13: against today's shape (bench/baseline), and per order.
  add("pipeline throughput / today's-shape baseline throughput", '>= 1.2', r.ratio?.throughput, (v) => v >= 1.2);
  add("approval round trip p99 / today's-shape update p99", '<= 1.0', r.ratio?.approvalP99, (v) => v <= 1.0);
  add('history events per order', '<= 90', r.pipeline?.history?.events, (v) => v <= 90);
  add('workflow tasks per order', '<= 15', r.pipeline?.history?.workflowTasks, (v) => v <= 15);
  add('database transactions per order', '<= 30', r.pipeline?.db?.xactsPerOrder, (v) => v <= 30);
  add('worker RSS with all scale orders waiting (MiB)', '< 1024', r.scale?.workerRssMiB.max, (v) => v < 1024);
  add('timer lateness p99, all orders waiting (ms)', '< 1000', r.scale?.latenessWhileAllWaitingMs.n ? r.scale.latenessWhileAllWaitingMs.p99 : r.scale?.latenessMs.p99, (v) => v < 1000);
  add('worst GET /orders p99 (ms)', '< 20', r.read?.worstP99Ms, (v) => v < 20);
  return t;
}
