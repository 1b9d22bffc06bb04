/**
 * The bench's smoke mode, so the bench cannot rot: a few orders through the
 * pipeline and the baseline, a few waiting orders with a short deadline, a
 * small read-path table; against the test run's Temporal server
 * (TEMPORAL_ADDRESS from the global setup) and a database of its own
 * (salesorder_bench_smoke on the server of DATABASE_URL). It checks that the
 * results exist and are well formed; it asserts no time.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench, type BenchResult } from '../../bench/lib/bench';
import { benchDatabaseUrl, parseArgs } from '../../bench/lib/options';

jest.setTimeout(300_000);

const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);

describe('bench --smoke', () => {
  const resultsDir = mkdtempSync(join(tmpdir(), 'bench-smoke-results-'));
  let result: BenchResult;
  const lines: string[] = [];

  beforeAll(async () => {
    const opts = parseArgs(['--smoke'], process.env);
    opts.databaseUrl = benchDatabaseUrl(process.env.DATABASE_URL, 'salesorder_bench_smoke');
    opts.orderBundle = process.env.WORKFLOW_BUNDLE || undefined;
    opts.resultsDir = resultsDir;
    opts.log = (line) => lines.push(line);
    result = await runBench(opts);
  });

  afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

  it('runs every phase without errors', () => {
    const errors = [...result.errors, ...(result.pipeline?.errors ?? []), ...(result.baseline?.errors ?? []), ...(result.scale?.errors ?? []), ...(result.read?.errors ?? [])];
    if (errors.length) throw new Error(`bench errors:\n${errors.join('\n')}\n\nlog:\n${lines.join('\n')}`);
  });

  it('drives the pipeline and the baseline through the happy path', () => {
    for (const r of [result.pipeline!, result.baseline!]) {
      expect(r).toBeDefined();
      expect(r.completed).toBe(result.options.orders);
      expect(r.failed).toBe(0);
      expect(finite(r.ordersPerSec) && r.ordersPerSec > 0).toBe(true);
      for (const s of [r.latencyMs, r.approvalMs, ...Object.values(r.updateMs)]) {
        expect(finite(s.p50)).toBe(true);
        expect(finite(s.p99)).toBe(true);
      }
      // Same shape on both sides: the baseline mirrors the order's activities and updates.
      expect(r.history?.updates).toBe(5);
    }
    // The baseline is today's shape (issue 13): 29 activities, whatever the order workflow does now.
    expect(result.baseline!.history!.activities).toBe(29);
    expect(result.baseline!.history!.localActivities).toBe(0);
    expect(result.pipeline!.history!.activities + result.pipeline!.history!.localActivities).toBeGreaterThan(0);
    // The pipeline's database work is counted in its processes (bench/lib/pg-count.ts).
    expect(result.pipeline!.db!.transactionsPerOrder!.total).toBeGreaterThan(0);
    expect(result.pipeline!.db!.statementsPerOrder!.total).toBeGreaterThanOrEqual(result.pipeline!.db!.transactionsPerOrder!.total);
    for (const v of Object.values(result.ratio!)) expect(finite(v)).toBe(true);
  });

  it('measures waiting orders, worker memory and timer lateness', () => {
    const s = result.scale!;
    expect(s.created).toBe(result.options.scaleOrders);
    expect(s.remindersFired).toBe(s.created);
    expect(s.latenessMs.n).toBe(s.created);
    expect(finite(s.latenessMs.p50) && finite(s.latenessMs.p99)).toBe(true);
    expect(finite(s.creationRate) && finite(s.workerRssMiB.max)).toBe(true);
  });

  it('measures every list query and keeps its plan', () => {
    const r = result.read!;
    expect(r.variants.length).toBeGreaterThanOrEqual(5);
    for (const v of r.variants) {
      expect(v.ms.n).toBe(result.options.readRequests);
      expect(finite(v.ms.p99)).toBe(true);
      expect(v.items).toBeGreaterThan(0);
      expect(v.plan).toMatch(/Execution Time/);
    }
  });

  it('writes the result file and latest.json', () => {
    expect(result.resultFile && existsSync(result.resultFile)).toBe(true);
    const latest = JSON.parse(readFileSync(join(resultsDir, 'latest.json'), 'utf8'));
    expect(latest.startedAt).toBe(result.startedAt);
    expect(result.targets.length).toBeGreaterThan(0);
  });
});
