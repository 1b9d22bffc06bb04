/**
 * A bench API process (forked by bench/lib/procs.ts, not run directly).
 *
 *   BENCH_KIND=orders  the order API (api/app.ts buildApp), configured from the
 *                      environment like api/server.ts (loadConfig)
 *   BENCH_KIND=bare    the baseline API (bench/baseline/api.ts)
 *
 * Listens on 127.0.0.1 on a free port and tells the bench which.
 */
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { countPgQueries } from '../lib/pg-count';
import { serveParent } from '../lib/procs';

async function main(): Promise<void> {
  const kind = process.env.BENCH_KIND;
  const address = process.env.TEMPORAL_ADDRESS!;
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const connection = await Connection.connect({ address });
  const closers: (() => Promise<void> | void)[] = [() => connection.close()];
  let app: FastifyInstance;
  // Statements and transactions of this process (the order system's only; the baseline has no database).
  const pgCounts = kind === 'orders' ? countPgQueries() : undefined;
  if (kind === 'orders') {
    // Configured from the environment like api/server.ts (the bench sets every key).
    const { loadConfig } = await import('../../activities/infra/config');
    const { dataConverterFor } = await import('../../activities/infra/codec');
    const { createPrisma } = await import('../../activities/infra/db');
    const { buildApp } = await import('../../api/app');
    const config = loadConfig();
    const temporal = new Client({ connection, namespace, dataConverter: dataConverterFor(config.payloadCodecKeys) });
    const prisma = createPrisma(config.databaseUrl);
    closers.push(() => prisma.$disconnect());
    app = await buildApp({ config, prisma, temporal, logger: false });
  } else if (kind === 'bare') {
    // Bare Temporal: the default data converter, no payload encryption.
    const { buildBareApp } = await import('../baseline/api');
    app = buildBareApp({ temporal: new Client({ connection, namespace }), taskQueue: process.env.TEMPORAL_TASK_QUEUE! });
  } else {
    throw new Error(`BENCH_KIND must be orders or bare, not ${kind}`);
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const elu0 = performance.eventLoopUtilization();

  let stopping: Promise<void> | undefined;
  serveParent({
    stats: () => ({
      rssMiB: Math.round((process.memoryUsage().rss / 1048576) * 10) / 10,
      eventLoopUtilization: Math.round(performance.eventLoopUtilization(elu0).utilization * 1000) / 1000,
      pg: pgCounts?.(),
    }),
    stop: () =>
      (stopping ??= (async () => {
        await app.close();
        for (const c of closers) await c();
      })()),
  });
  process.send!({ type: 'ready', port, url: `http://127.0.0.1:${port}` });
}

main().catch((err) => {
  process.stderr.write(`[bench api] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
