/**
 * A payment reminder is sent exactly once even when the worker dies after the
 * reminder was recorded (and its mail queued) but before Temporal heard that
 * the activity finished: the retry runs on a new worker and finds the
 * reminder and its outbox row already there; the mail goes out once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { messageIdFor } from '../../activities/email/outbox';
import { createFixture } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/stack';
import { api, placeOrder, recordHistory, waitForState } from '../support/orders';

jest.setTimeout(120_000);

let stack: TestStack;
afterAll(async () => {
  await stack?.stop();
});

test('the first dunning reminder survives a worker crash mid-activity and is sent once', async () => {
  let sentOnFirstWorker!: () => void;
  const firstSendDone = new Promise<void>((resolve) => (sentOnFirstWorker = resolve));

  stack = await startTestStack({
    policy: {
      paymentTerms: { NET_30: { creditPeriod: '3s', prepayment: false } },
      dunning: [
        { code: 'friendly', offset: '-1s' },
        { code: 'overdue_1', offset: '1h' },
      ],
    },
    // First worker: the reminder really goes out, then the process "hangs"
    // until the worker is shut down, so the activity never reports completion.
    activities: (real) => ({
      ...real,
      async sendDunningReminder(a: Parameters<typeof real.sendDunningReminder>[0]) {
        const result = await real.sendDunningReminder(a);
        sentOnFirstWorker();
        await Context.current().cancelled;
        return result;
      },
    }),
  });

  const f = await createFixture(stack.prisma);
  const orderNo = await placeOrder(stack, f);
  await api(stack, 'POST', `/orders/${orderNo}/reviews/sales`, { decision: 'approve' }, 'sales');
  await api(stack, 'POST', `/orders/${orderNo}/reviews/finance`, { decision: 'approve' }, 'finance');
  await waitForState(stack, orderNo, (s) => s.stage === 'shipping' && !!s.shipment);
  await api(stack, 'POST', `/orders/${orderNo}/dispatch`, {}, 'logistics');

  await firstSendDone;
  await stack.stopWorker(); // the crash: the activity's completion is never reported
  await stack.startWorker(); // a fresh worker with the real activities picks up the retry

  const state = await waitForState(stack, orderNo, (s) => s.remindersSent === 1, 60_000);
  expect(state.stage).toBe('in_transit');

  const invoice = await stack.prisma.invoice.findFirstOrThrow({ where: { order: { orderNo } } });
  const key = `dunning:${invoice.id}:friendly`;
  // The activity only queued the mail; a dispatcher (of either worker) sends it.
  const mail = await stack.smtp.waitFor((m) => m.messageId === messageIdFor(key));
  const outbox = await stack.prisma.emailOutbox.findMany({ where: { key } });
  expect(outbox).toHaveLength(1);
  for (let i = 0; i < 50 && (await stack.prisma.emailOutbox.findUniqueOrThrow({ where: { key } })).status !== 'sent'; i++) await sleep(100);
  expect((await stack.prisma.emailOutbox.findUniqueOrThrow({ where: { key } })).status).toBe('sent');
  await sleep(300); // a second copy would have arrived by now
  const caught = stack.smtp.messages.filter((m) => m.messageId === mail.messageId);
  expect(caught).toHaveLength(1);
  expect(await stack.prisma.dunningReminder.count({ where: { invoiceId: invoice.id } })).toBe(1);
  await recordHistory(stack, orderNo, 'reminder-after-worker-restart');
});
