/**
 * One activity test file's environment: the harness's PostgreSQL database,
 * a capturing SMTP server, the real activities wired to both (their mails
 * go to an outbox queue of the file's own, sent by a dispatcher to its
 * capture), and a fresh fixture (customer and products of its own).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createActivities, builtinCarrierAdapter, type ActivityDeps } from '../../activities';
import { createMailer } from '../../activities/infra/mailer';
import { startMailDispatcher, type DispatcherOptions, type MailDispatcher } from '../../activities/email/dispatcher';
import { closeTestPrisma, testPrisma } from '../support/db';
import { createFixture } from '../support/fixtures';
import { FAST_MAIL, startSmtpCapture, type SmtpCapture } from '../support/smtp';
import type { FixtureIds } from './order-factory';

export interface ActivityEnv {
  prisma: ActivityDeps['prisma'];
  smtp: SmtpCapture;
  deps: ActivityDeps;
  /** The outbox queue of this file and its dispatcher's options. */
  mail: DispatcherOptions;
  dispatcher: MailDispatcher;
  mailer: ReturnType<typeof createMailer>;
  mailFrom: string;
  acts: ReturnType<typeof createActivities>;
  fixture: FixtureIds;
  close(): Promise<void>;
}

export async function activityEnv(): Promise<ActivityEnv> {
  const prisma = testPrisma();
  const smtp = await startSmtpCapture();
  const mailer = createMailer(smtp.url);
  const mail: DispatcherOptions = { ...FAST_MAIL, queue: `test-${randomUUID()}` };
  const mailFrom = '"销售订单 Sales Orders" <orders@example.com>';
  const deps: ActivityDeps = { prisma, mailQueue: mail.queue, carriers: builtinCarrierAdapter };
  const dispatcher = startMailDispatcher({ prisma, databaseUrl: process.env.DATABASE_URL, mailer, mailFrom, log: () => undefined }, mail);
  const fixture: FixtureIds = await createFixture(prisma);
  return {
    prisma,
    smtp,
    deps,
    mail,
    dispatcher,
    mailer,
    mailFrom,
    acts: createActivities(deps),
    fixture,
    async close() {
      await dispatcher.stop();
      mailer.close();
      await smtp.close();
      await closeTestPrisma();
    },
  };
}

/**
 * The set-up the activity test files share: the environment made before the
 * file's tests (then `ready` keeps it and adds the file's data) and closed
 * after them.
 */
export function useActivityEnv(ready: (env: ActivityEnv) => void | Promise<void>): void {
  let env: ActivityEnv | undefined;
  beforeAll(async () => {
    env = await activityEnv();
    await ready(env);
  });
  afterAll(async () => {
    await env?.close();
  });
}

/** Message-IDs compared without their angle brackets. */
export const bare = (id: string | undefined) => (id ?? '').replace(/^<|>$/g, '');

/** The captured messages with this Message-ID, after giving stragglers a moment to arrive. */
export async function messagesWithId(smtp: SmtpCapture, messageId: string, settleMs = 300) {
  await sleep(settleMs);
  return smtp.messages.filter((m) => bare(m.messageId) === bare(messageId));
}

/**
 * The captured messages with this Message-ID once the first has arrived:
 * activities only queue mail; the file's dispatcher sends it moments later.
 */
export async function delivered(smtp: SmtpCapture, messageId: string, settleMs = 300) {
  await smtp.waitFor((m) => bare(m.messageId) === bare(messageId));
  return messagesWithId(smtp, messageId, settleMs);
}

/** Waits (up to 10 s) until no outbox row whose key starts with `prefix` is still pending or sending; answers the rows. */
export async function outboxSettled(prisma: ActivityDeps['prisma'], prefix: string) {
  const end = Date.now() + 10_000;
  for (;;) {
    const rows = await prisma.emailOutbox.findMany({ where: { key: { startsWith: prefix } } });
    if (rows.every((r) => r.status === 'sent' || r.status === 'failed') || Date.now() > end) return rows;
    await sleep(100);
  }
}

export async function auditCount(prisma: ActivityDeps['prisma'], key: string): Promise<number> {
  return prisma.auditEntry.count({ where: { key } });
}
