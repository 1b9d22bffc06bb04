/**
 * The worker process: connects to Temporal, PostgreSQL and SMTP, runs orders
 * and (unless MAIL_DISPATCH_IN_WORKER=false) the outbox dispatcher that sends
 * the mails the activities queued. Beside it runs the reconciler
 * (reconciler.ts): a full check at start, then a sweep every
 * RECONCILE_INTERVAL for saved orders whose workflow was never started.
 * On SIGINT/SIGTERM it stops taking new tasks, lets running activities finish
 * (up to the shutdown grace time), lets the dispatcher finish the mails in
 * flight, stops the reconciler and closes its connections.
 */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig, describeConfig } from '../activities/infra/config';
import { createPrisma } from '../activities/infra/db';
import { createMailer } from '../activities/infra/mailer';
import { builtinCarrierAdapter } from '../activities/carriers/builtin';
import { dataConverterFor } from '../activities/infra/codec';
import { startMailDispatcher } from '../activities/email/dispatcher';
import { createTemporalClient } from '../activities/infra/temporal';
import { startReconciler } from './reconciler';
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
    deps: { prisma, mailQueue: config.mail.queue, carriers: builtinCarrierAdapter, policy: config.policy, company: config.company, publicUrl: config.console.publicUrl },
    dataConverter: dataConverterFor(config.payloadCodecKeys),
    // A prebuilt bundle of workflows/ (the chaos run builds one for the workers it restarts); else bundled now.
    workflowBundlePath: process.env.WORKFLOW_BUNDLE || undefined,
    options: { shutdownGraceTime: '10s', maxCachedWorkflows: config.workerCachedWorkflows },
  });
  console.log(`[worker] polling task queue "${config.temporalTaskQueue}" on ${config.temporalAddress} (namespace ${config.temporalNamespace})`);
  console.log(`[worker] config ${JSON.stringify(describeConfig(config))}`);
  const dispatcher = config.mail.dispatchInWorker
    ? startMailDispatcher({ prisma, databaseUrl: config.databaseUrl, mailer, mailFrom: config.mailFrom, publicUrl: config.console.publicUrl }, config.mail)
    : undefined;
  console.log(`[worker] ${dispatcher ? `sending the outbox (queue "${config.mail.queue}")` : 'not sending mail (MAIL_DISPATCH_IN_WORKER=false)'}`);
  const temporal = createTemporalClient(config);
  const reconciler = startReconciler(
    { prisma, client: temporal.client, taskQueue: config.temporalTaskQueue, policy: config.policy, databaseUrl: config.databaseUrl },
    { intervalMs: config.reconcileIntervalMs },
  );
  // Worker.run() installs SIGINT/SIGTERM handlers that call shutdown(); it resolves once drained.
  try {
    await worker.run();
  } finally {
    await dispatcher?.stop();
    await reconciler.stop();
    await temporal.connection.close();
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
