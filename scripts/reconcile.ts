/**
 * `npm run reconcile [-- SO-2026-000123 ...]`: one full reconciler sweep by
 * hand (worker/reconciler.ts): every open order's workflow (or only the
 * orders named) checked, missing ones started, disagreements alerted. Safe beside running workers (advisory lock; workflow ids).
 * Exit code 0 when all is consistent, 1 when something needs an admin or
 * could not be checked, 2 when another process holds the lock.
 */
import { loadConfig } from '../activities/infra/config';
import { createPrisma } from '../activities/infra/db';
import { createTemporalClient } from '../activities/infra/temporal';
import { reconcileOrders } from '../worker/reconciler';

async function main(): Promise<number> {
  const config = loadConfig();
  const prisma = createPrisma(config.databaseUrl);
  const temporal = createTemporalClient(config);
  try {
    const r = await reconcileOrders(
      { prisma, client: temporal.client, taskQueue: config.temporalTaskQueue, policy: config.policy, databaseUrl: config.databaseUrl },
      { full: true, orderNos: process.argv.length > 2 ? process.argv.slice(2) : undefined },
    );
    if (r.skipped) {
      console.log('[reconcile] another process is sweeping right now; nothing done');
      return 2;
    }
    console.log(
      `[reconcile] ${r.checked} open orders checked: ${r.started} started, ${r.verified} confirmed, ${r.conflicts} conflicts, ` +
        `${r.missing} missing, ${r.closed} closed early, ${r.failed} not checkable now`,
    );
    return r.conflicts || r.missing || r.closed || r.failed ? 1 : 0;
  } finally {
    await temporal.connection.close();
    await prisma.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[reconcile] failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
