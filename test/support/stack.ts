/**
 * The real stack for one test file: a worker on its own task queue (against
 * the dev server the global setup started) with its outbox dispatcher, the
 * API app wired to the same queue, PostgreSQL, and an SMTP server that
 * captures what is sent. The stack's mails go to an outbox queue named after
 * its task queue, so stacks sharing the test database never send each
 * other's mail.
 * Nothing here is mocked; tests shrink the policy's times instead.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app';
import { builtinCarrierAdapter } from '../../activities/carriers/builtin';
import type { createActivities } from '../../activities';
import { loadConfig, type Config } from '../../activities/infra/config';
import { createMailer } from '../../activities/infra/mailer';
import { startMailDispatcher, type DispatcherOptions, type MailDispatcher } from '../../activities/email/dispatcher';
import { dataConverterFor } from '../../activities/infra/codec';
import { deepMerge, resolvePolicy, type PolicyOverrides } from '../../workflows/domain/policy';
import { createWorker } from '../../worker/worker';
import { closeTestPrisma, testPrisma } from './db';
import { FAST_MAIL, startSmtpCapture, type SmtpCapture } from './smtp';

/** Times shrunk to seconds so a test can watch a clock run out. */
export const FAST_POLICY: PolicyOverrides = {
  stages: {
    sales_review: { limit: '1h', escalateAfter: '1h', actionAfter: '1h' },
    finance_review: { limit: '1h', escalateAfter: '1h', actionAfter: '1h' },
  },
  productionGrace: '1h',
  deliveryGrace: '1h',
};

export interface TestStack {
  config: Config;
  client: Client;
  app: FastifyInstance;
  smtp: SmtpCapture;
  prisma: ReturnType<typeof testPrisma>;
  taskQueue: string;
  /** The running worker's outbox dispatcher (its counters). */
  dispatcher(): MailDispatcher | undefined;
  /** Starts (another) worker and its dispatcher on the stack's queue, e.g. after stopWorker() to simulate a restart. */
  startWorker(activities?: (real: ReturnType<typeof createActivities>) => object): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The set-up the API test files share: the stack started before the file's
 * tests (then `ready` keeps it and prepares the file's data) and stopped
 * after them, with the file's Prisma client.
 */
export function useTestStack(ready: (stack: TestStack) => void | Promise<void>): void {
  let stack: TestStack | undefined;
  beforeAll(async () => {
    stack = await startTestStack();
    await ready(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await closeTestPrisma();
  });
}

let openStacks = 0;
let runtimeInstalled = false;

export async function startTestStack(opts: {
  policy?: PolicyOverrides;
  activities?: (real: ReturnType<typeof createActivities>) => object;
  mail?: Partial<DispatcherOptions>;
  /** Configuration keys for this stack (e.g. SESSION_IDLE_TIMEOUT, WEB_DIST), over the environment. */
  env?: Record<string, string>;
} = {}): Promise<TestStack> {
  if (!runtimeInstalled) {
    // Worker state changes at INFO drown the test output; warnings and errors still show.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const taskQueue = `test-${randomUUID()}`;
  const smtp = await startSmtpCapture();
  const base = loadConfig({ ...process.env, ...opts.env, SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue });
  const config: Config = { ...base, policy: resolvePolicy(deepMerge(FAST_POLICY, opts.policy ?? {})) };
  const prisma = testPrisma();
  const mailer = createMailer(smtp.url);
  const nativeConnection = await NativeConnection.connect({ address: config.temporalAddress });
  const connection = await Connection.connect({ address: config.temporalAddress });
  const dataConverter = dataConverterFor(config.payloadCodecKeys);
  const client = new Client({ connection, namespace: config.temporalNamespace, dataConverter });
  const app = await buildApp({ config, prisma, temporal: client, logger: false });

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let dispatcher: MailDispatcher | undefined;
  const mail: DispatcherOptions = { ...FAST_MAIL, queue: taskQueue, ...opts.mail };
  const startWorker = async (activities?: (real: ReturnType<typeof createActivities>) => object) => {
    worker = await createWorker({
      connection: nativeConnection,
      namespace: config.temporalNamespace,
      taskQueue,
      deps: { prisma, mailQueue: mail.queue, carriers: builtinCarrierAdapter, policy: config.policy, publicUrl: config.console.publicUrl },
      dataConverter,
      workflowBundlePath: process.env.WORKFLOW_BUNDLE,
      activities,
      options: { shutdownGraceTime: '1s' },
    });
    running = worker.run();
    dispatcher = startMailDispatcher({ prisma, databaseUrl: config.databaseUrl, mailer, mailFrom: config.mailFrom, publicUrl: config.console.publicUrl, log: () => undefined }, mail);
  };
  const stopWorker = async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
    if (!worker) return;
    worker.shutdown();
    await running;
    worker = undefined;
  };
  await startWorker(opts.activities);
  openStacks += 1;

  return {
    config,
    client,
    app,
    smtp,
    prisma,
    taskQueue,
    dispatcher: () => dispatcher,
    startWorker,
    stopWorker,
    async stop() {
      await stopWorker();
      await app.close();
      mailer.close();
      await smtp.close();
      await connection.close();
      await nativeConnection.close();
      // The last stack of a test file lets go of the shared database client.
      if (--openStacks === 0) await closeTestPrisma();
    },
  };
}
