/**
 * The randomized interleaving test as a command (README "Chaos test"):
 *
 *   npm run chaos -- --orders 200 --seed 7 [--worker-kills 3] [--server-restarts 1] [--smtp-outage 20] [...]
 *
 * Starts its own Temporal dev server, API, workers and SMTP server on free
 * loopback ports, on the database `salesorder_chaos` (recreated; or
 * CHAOS_DATABASE_URL), drives the orders with faults, lets the system settle,
 * checks the invariants and prints a summary. Exit 0 when every invariant
 * holds, 1 on any violation, 2 when the run itself could not be made.
 */
import { ensurePrismaClient } from './db-setup';
import { parseChaosArgs } from '../test/chaos/options';

async function main(): Promise<void> {
  const opts = parseChaosArgs(process.argv.slice(2));
  // A fresh clone has no generated client yet; the run's modules load it.
  ensurePrismaClient(opts.databaseUrl, opts.log);
  const { runChaos } = await import('../test/chaos/run');
  const { formatSummary } = await import('../test/chaos/summary');
  const result = await runChaos(opts);
  process.stdout.write(`\n${formatSummary(result)}\n`);
  process.exit(result.violations ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`[chaos] ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(2);
});
