/**
 * The worker process: connects to Temporal, PostgreSQL and SMTP, runs orders,
 * and on SIGINT/SIGTERM stops taking new tasks, lets running activities finish
 * (up to the shutdown grace time) and closes its connections.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, describeConfig } from '../activities/infra/config';
import { createPrisma } from '../activities/infra/db';
import { createMailer } from '../activities/infra/mailer';
import { builtinCarrierAdapter } from '../activities/carriers/builtin';
import { dataConverterFor } from '../activities/infra/codec';
import { createWorker } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const prisma = createPrisma(config.databaseUrl);
  const mailer = createMailer(config.smtpUrl);
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const worker = await createWorker({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.temporalTaskQueue,
    deps: { prisma, mailer, mailFrom: config.mailFrom, carriers: builtinCarrierAdapter },
    dataConverter: dataConverterFor(config.payloadCodecKeys),
    // A prebuilt bundle of workflows/ (the chaos run builds one for the workers it restarts); else bundled now.
    workflowBundlePath: process.env.WORKFLOW_BUNDLE || undefined,
    options: { shutdownGraceTime: '10s', maxCachedWorkflows: config.workerCachedWorkflows },
  });
  console.log(`[worker] polling task queue "${config.temporalTaskQueue}" on ${config.temporalAddress} (namespace ${config.temporalNamespace})`);
  console.log(`[worker] config ${JSON.stringify(describeConfig(config))}`);
  // Worker.run() installs SIGINT/SIGTERM handlers that call shutdown(); it resolves once drained.
  try {
    await worker.run();
  } finally {
    mailer.close();
    await prisma.$disconnect();
    await connection.close();
    console.log('[worker] stopped');
  }
}

main().catch((err) => {
  console.error('[worker] failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
