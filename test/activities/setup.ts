/**
 * One activity test file's environment: the harness's PostgreSQL database,
 * a capturing SMTP server, the real activities wired to both, and a fresh
 * fixture (customer and products of its own).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createActivities, builtinCarrierAdapter, type ActivityDeps } from '../../activities';
import { createMailer } from '../../activities/infra/mailer';
import { closeTestPrisma, testPrisma } from '../support/db';
import { createFixture } from '../support/fixtures';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp';
import type { FixtureIds } from './order-factory';

export interface ActivityEnv {
  prisma: ActivityDeps['prisma'];
  smtp: SmtpCapture;
  deps: ActivityDeps;
  acts: ReturnType<typeof createActivities>;
  fixture: FixtureIds;
  close(): Promise<void>;
}

export async function activityEnv(): Promise<ActivityEnv> {
  const prisma = testPrisma();
  const smtp = await startSmtpCapture();
  const mailer = createMailer(smtp.url);
  const deps: ActivityDeps = { prisma, mailer, mailFrom: '"销售订单 Sales Orders" <orders@example.com>', carriers: builtinCarrierAdapter };
  const fixture: FixtureIds = await createFixture(prisma);
  return {
    prisma,
    smtp,
    deps,
    acts: createActivities(deps),
    fixture,
    async close() {
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

export async function auditCount(prisma: ActivityDeps['prisma'], key: string): Promise<number> {
  return prisma.auditEntry.count({ where: { key } });
}
