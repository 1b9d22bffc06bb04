/**
 * The bench: one command, one machine, one run.
 *
 *   npm run bench -- [--orders N] [--concurrency C] [--warmup W] [--smoke]
 *                    [--only pipeline,baseline,scale,read]
 *                    [--scale-orders N] [--scale-timed K] [--scale-deadline 2m] [--scale-concurrency C]
 *                    [--rounds R] [--read-rows N] [--read-requests N] [--worker-options JSON] [--profile]
 *                    [--cluster]
 *
 * Temporal: reuses the server at TEMPORAL_ADDRESS when it answers, else starts
 * a dev server (.tools/bin/temporal, fresh SQLite file with WAL pragmas) on
 * free loopback ports. Database: `salesorder_bench` on the server of
 * DATABASE_URL (default postgresql://postgres@127.0.0.1:5432), recreated.
 * Results: a table on stdout, bench/results/<timestamp>.json and latest.json.
 *
 * --cluster: the pipeline and the waiting orders on the dev server (one
 * worker), then on the Temporal server on PostgreSQL (scripts/cluster.sh) with
 * one worker and with two, side by side (bench/lib/cluster-bench.ts).
 */
import { ensurePrismaClient } from '../scripts/db-setup';
import { parseArgs } from './lib/options';
import { defaultLog } from './lib/util';

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  // A fresh clone has no generated client yet; the bench's modules load it.
  ensurePrismaClient(opts.databaseUrl, defaultLog);
  const { runBench } = await import('./lib/bench');
  const { formatReport } = await import('./lib/report');
  // The whole run is bounded: nothing is left running past this.
  const limitMin = (opts.smoke ? 5 : 150) * (opts.cluster ? 3 : 1);
  const guard = setTimeout(() => {
    process.stderr.write(`[bench] the run took longer than ${limitMin} minutes: stopping\n`);
    process.exit(2);
  }, limitMin * 60_000);
  guard.unref();
  if (opts.cluster) {
    const { runClusterBench, formatClusterReport } = await import('./lib/cluster-bench');
    const r = await runClusterBench(opts);
    process.stdout.write(`\n${formatClusterReport(r)}\n`);
    process.exit(r.errors.length ? 1 : 0);
  }
  const result = await runBench(opts);
  process.stdout.write(`\n${formatReport(result)}\n`);
  const failed = result.errors.length > 0 || (result.pipeline?.failed ?? 0) > 0 || (result.baseline?.failed ?? 0) > 0;
  process.exit(failed ? 1 : 0);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`[bench] ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
