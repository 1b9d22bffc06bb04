/**
 * The outbox dispatcher as its own process (`npm run mail:dispatch`), for
 * when the worker runs with MAIL_DISPATCH_IN_WORKER=false, or beside it:
 * any number of dispatchers may send one queue, none sends a row twice.
 * SIGINT/SIGTERM: stop claiming, finish the mails in flight, exit.
 */
import { loadConfig } from '../activities/infra/config';
import { createPrisma } from '../activities/infra/db';
import { createMailer } from '../activities/infra/mailer';
import { startMailDispatcher } from '../activities/email/dispatcher';

async function main(): Promise<void> {
  const config = loadConfig();
  const prisma = createPrisma(config.databaseUrl);
  const mailer = createMailer(config.smtpUrl);
  const dispatcher = startMailDispatcher({ prisma, databaseUrl: config.databaseUrl, mailer, mailFrom: config.mailFrom, publicUrl: config.console.publicUrl }, config.mail);
  console.log(`[mail] sending the outbox (queue "${config.mail.queue}", ${config.mail.concurrency} at a time) pid ${process.pid}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  console.log('[mail] stopping: finishing the mails in flight');
  await dispatcher.stop();
  mailer.close();
  await prisma.$disconnect();
  console.log(`[mail] stopped ${JSON.stringify(dispatcher.stats)}`);
}

main().catch((err) => {
  console.error('[mail] failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
