/**
 * The transactional outbox and its dispatcher against real PostgreSQL and a
 * real SMTP server that misbehaves on demand (test/support/smtp.ts): queued
 * only with the transaction that caused it, sent once, retried while SMTP is
 * down or refusing for now, failed and alerted on a permanent refusal, never
 * sent twice by two dispatchers, and sent again (same Message-ID, counted)
 * after a dispatcher process is killed mid-send.
 */
import { until } from '../support/poll';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { enqueueMail, messageIdFor, type OutboxMessage } from '../../activities/email/outbox';
import { startMailDispatcher, type DispatcherOptions, type MailDispatcher } from '../../activities/email/dispatcher';
import { createPrisma } from '../../activities/infra/db';
import { sqlOf } from '../../activities/infra/db';
import { FAST_MAIL } from '../support/smtp';
import { createOrder } from './order-factory';
import { useActivityEnv, bare, messagesWithId, type ActivityEnv } from './setup';

jest.setTimeout(90_000);

let env: ActivityEnv;
useActivityEnv((started) => {
  env = started;
});
afterEach(() => {
  env.smtp.accept();
  env.smtp.delayAcceptance(0);
});

const message = (key: string, over: Partial<OutboxMessage> = {}): OutboxMessage => ({
  key,
  to: { name: '张三', address: 'zhang.san@example.cn' },
  template: 'test',
  subject: '订单 SO-2099-000000001 已确认（测试）',
  text: '尊敬的张三：\n\n您的订单已确认。\n',
  html: '<p>尊敬的张三：</p><p>您的订单已确认。</p>',
  queue: env.mail.queue,
  ...over,
});

const row = (key: string) => env.prisma.emailOutbox.findUniqueOrThrow({ where: { key } });

const statusOf = async (key: string) => (await row(key)).status;
const untilStatus = (key: string, status: string, timeoutMs?: number) =>
  until(`${key} ${status}`, async () => ((await statusOf(key)) === status ? true : undefined), timeoutMs);

test('Message-ID is derived from the key', () => {
  expect(messageIdFor('abc')).toMatch(/^<[0-9a-f]{32}@sales-orders\.local>$/);
  expect(messageIdFor('abc')).toBe(messageIdFor('abc'));
  expect(messageIdFor('abc')).not.toBe(messageIdFor('abd'));
});

test('a key is queued once and sent once, with its Message-ID, display name and HTML', async () => {
  const key = `outbox-test:${randomUUID()}`;
  const sql = sqlOf(env.prisma);
  const first = await enqueueMail(sql, message(key));
  const second = await enqueueMail(sql, message(key, { subject: 'a retry renders again; the first row stays' }));
  expect(first).toEqual({ sent: true, messageId: messageIdFor(key) });
  expect(second).toEqual(first);

  const mail = await env.smtp.waitFor((m) => bare(m.messageId) === bare(first.messageId));
  expect(mail.subject).toBe('订单 SO-2099-000000001 已确认（测试）');
  expect(mail.text).toContain('尊敬的张三');
  expect(mail.html).toContain('<p>尊敬的张三：</p>');
  expect(mail.headers.to).toContain('张三');
  expect(await messagesWithId(env.smtp, first.messageId)).toHaveLength(1);

  await untilStatus(key, 'sent');
  const sent = await row(key);
  expect(sent).toMatchObject({ status: 'sent', attempts: 1, messageId: first.messageId, toAddress: 'zhang.san@example.cn', lastError: null, leaseUntil: null });
  expect(sent.sentAt).toBeInstanceOf(Date);
  expect(Math.abs(sent.sentAt!.getTime() - Date.now())).toBeLessThan(60_000); // stored as UTC like every other timestamp
});

test('a mail queued in a transaction that rolls back never exists; one that commits is sent', async () => {
  const rolledBack = `outbox-rollback:${randomUUID()}`;
  const committed = `outbox-commit:${randomUUID()}`;
  await expect(
    sqlOf(env.prisma).transaction(async (tx) => {
      await enqueueMail(tx, message(rolledBack));
      throw new Error('the step failed after queueing its mail');
    }),
  ).rejects.toThrow('the step failed');
  await env.prisma.$transaction(async (tx) => {
    await enqueueMail(tx, message(committed));
  });
  await env.smtp.waitFor((m) => bare(m.messageId) === bare(messageIdFor(committed)));
  expect(await env.prisma.emailOutbox.count({ where: { key: rolledBack } })).toBe(0);
  expect(await messagesWithId(env.smtp, messageIdFor(rolledBack))).toHaveLength(0);
});

test('SMTP down: the row waits with its error and backoff; it is sent once SMTP is back', async () => {
  const key = `outbox-down:${randomUUID()}`;
  await env.smtp.down();
  try {
    await enqueueMail(sqlOf(env.prisma), message(key));
    const waiting = await until('a failed attempt', async () => {
      const r = await row(key);
      return r.attempts >= 2 && r.status === 'pending' ? r : undefined;
    });
    expect(waiting.lastError).toMatch(/ECONNREFUSED|connect|closed/i);
    expect(waiting.sentAt).toBeNull();
  } finally {
    await env.smtp.up();
  }
  await env.smtp.waitFor((m) => bare(m.messageId) === bare(messageIdFor(key)));
  await untilStatus(key, 'sent');
  expect(await messagesWithId(env.smtp, messageIdFor(key))).toHaveLength(1);
});

test.each([421, 451] as const)('a temporary refusal (%i) is retried until the server accepts', async (code) => {
  const key = `outbox-4xx-${code}:${randomUUID()}`;
  env.smtp.refuseTemporarily(code);
  await enqueueMail(sqlOf(env.prisma), message(key));
  const refused = await until('a refused attempt', async () => {
    const r = await row(key);
    return r.attempts >= 2 && r.status === 'pending' ? r : undefined;
  });
  expect(refused.lastError).toContain(String(code));
  env.smtp.accept();
  await untilStatus(key, 'sent');
  expect(await messagesWithId(env.smtp, messageIdFor(key))).toHaveLength(1);
});

test('a permanent refusal (550) fails that row at once and alerts sales on the order; the other mails still go', async () => {
  const order = await createOrder(env.prisma, { customerId: env.fixture.customerId, lines: [{ productId: env.fixture.inStockProductId, quantity: 1 }] });
  const bad = `nobody-${randomUUID().slice(0, 8)}@example.cn`;
  env.smtp.refuseRecipient(bad);
  const refusedKey = `outbox-550:${randomUUID()}`;
  const goodKeys = [1, 2, 3].map((i) => `outbox-550-others:${i}:${randomUUID()}`);
  await enqueueMail(sqlOf(env.prisma), message(refusedKey, { orderId: order.id, to: { name: '查无此人', address: bad } }));
  for (const k of goodKeys) await enqueueMail(sqlOf(env.prisma), message(k, { orderId: order.id }));

  await untilStatus(refusedKey, 'failed');
  const failed = await row(refusedKey);
  expect(failed.attempts).toBe(1); // no retries of a permanent refusal
  expect(failed.lastError).toContain('550');
  for (const k of goodKeys) await untilStatus(k, 'sent');

  const alerts = await env.prisma.alert.findMany({ where: { key: `mail-failed:${refusedKey}` } });
  expect(alerts).toHaveLength(1);
  expect(alerts[0]).toMatchObject({ orderId: order.id, kind: 'mail_failed', role: 'sales' });
  expect(alerts[0].message).toContain(bad);
  // Sales is also told by mail (customer mail failing; staff mail failing is only an alert for admin).
  // Only the sales users who may see the order (the record rule: the customer's owner).
  const owner = (await env.prisma.customer.findUniqueOrThrow({ where: { id: env.fixture.customerId } })).ownerId;
  const salesUsers = await env.prisma.user.count({ where: { role: 'sales', active: true, ...(owner ? { id: owner } : {}) } });
  expect(await env.prisma.emailOutbox.count({ where: { key: { startsWith: `mail-failed:${refusedKey}:` } } })).toBe(salesUsers);
  expect(env.smtp.messages.filter((m) => m.to.includes(bad))).toHaveLength(0);
});

test('two dispatchers on one queue send each mail exactly once', async () => {
  const queue = `outbox-two:${randomUUID()}`;
  const opts: DispatcherOptions = { ...FAST_MAIL, queue };
  const n = 40;
  const keys = Array.from({ length: n }, (_, i) => `outbox-two:${i}:${randomUUID()}`);
  env.smtp.delayAcceptance(20); // each send takes a moment, so both dispatchers have work at the same time
  // The second dispatcher has a pool and LISTEN connection of its own, like a second worker process.
  const otherPrisma = createPrisma(process.env.DATABASE_URL!);
  const dispatchers: MailDispatcher[] = [
    startMailDispatcher({ prisma: env.prisma, databaseUrl: process.env.DATABASE_URL, mailer: env.mailer, mailFrom: env.mailFrom, log: () => undefined }, opts),
    startMailDispatcher({ prisma: otherPrisma, databaseUrl: process.env.DATABASE_URL, mailer: env.mailer, mailFrom: env.mailFrom, log: () => undefined }, opts),
  ];
  try {
    await sqlOf(env.prisma).transaction(async (tx) => {
      for (const k of keys) await enqueueMail(tx, message(k, { queue }));
    });
    await until('all sent', async () => (await env.prisma.emailOutbox.count({ where: { queue, status: 'sent' } })) === n, 60_000);
  } finally {
    await Promise.all(dispatchers.map((d) => d.stop()));
    await otherPrisma.$disconnect();
  }
  await sleep(300);
  const ids = new Set(keys.map((k) => bare(messageIdFor(k))));
  const caught = env.smtp.messages.filter((m) => ids.has(bare(m.messageId)));
  expect(caught).toHaveLength(n);
  expect(new Set(caught.map((m) => bare(m.messageId))).size).toBe(n);
  const [a, b] = dispatchers.map((d) => d.stats);
  expect(a.sent + b.sent).toBe(n);
  expect(a.claimed + b.claimed).toBe(n);
  expect(a.sent).toBeGreaterThan(0);
  expect(b.sent).toBeGreaterThan(0);
});

test('stop() finishes the sends in flight and records them', async () => {
  const queue = `outbox-stop:${randomUUID()}`;
  const keys = [1, 2, 3].map((i) => `outbox-stop:${i}:${randomUUID()}`);
  env.smtp.delayAcceptance(500);
  const d = startMailDispatcher({ prisma: env.prisma, databaseUrl: process.env.DATABASE_URL, mailer: env.mailer, mailFrom: env.mailFrom, log: () => undefined }, { ...FAST_MAIL, queue });
  for (const k of keys) await enqueueMail(sqlOf(env.prisma), message(k, { queue }));
  await until('all three in flight', async () => (await env.prisma.emailOutbox.count({ where: { queue, status: 'sending' } })) === 3);
  await d.stop();
  const rows = await env.prisma.emailOutbox.findMany({ where: { queue } });
  expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
  expect(d.stats.sent).toBe(3);
});

describe('a dispatcher process killed mid-send (kill -9)', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  test('every mail is delivered; duplicates only of the mails in flight, with the same Message-ID', async () => {
    const queue = `outbox-kill:${randomUUID()}`;
    const n = 20;
    const keys = Array.from({ length: n }, (_, i) => `outbox-kill:${i}:${randomUUID()}`);
    const ids = new Set(keys.map((k) => bare(messageIdFor(k))));
    const ours = () => env.smtp.messages.filter((m) => ids.has(bare(m.messageId)));
    await sqlOf(env.prisma).transaction(async (tx) => {
      for (const k of keys) await enqueueMail(tx, message(k, { queue }));
    });

    // The server takes each message but acknowledges it only 1.5 s later: the kill lands in that window.
    env.smtp.delayAcceptance(1500);
    const root = join(__dirname, '..', '..');
    // node itself with tsx as a loader: the tsx CLI would run the script in a child of its own, which a kill of the CLI leaves running.
    child = spawn(process.execPath, ['--import', 'tsx', join(root, 'worker', 'mail-dispatch.ts')], {
      cwd: root,
      env: {
        ...process.env,
        SMTP_URL: env.smtp.url,
        MAIL_QUEUE: queue,
        MAIL_SEND_LEASE: '2s',
        MAIL_POLL_INTERVAL: '200ms',
        MAIL_RETRY_MIN: '100ms',
        MAIL_RETRY_MAX: '1s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise((resolve) => child!.once('exit', resolve));

    // Kill the moment the server has the first messages but before it acknowledged them.
    await until(`the child's first messages (output so far: ${output})`, async () => ours().length >= 2, 45_000);
    child.kill('SIGKILL');
    await exited;
    const inFlight = await env.prisma.emailOutbox.findMany({ where: { queue, status: 'sending' } });
    const receivedBeforeKill = new Set(ours().map((m) => bare(m.messageId)));
    expect(inFlight.length).toBeGreaterThan(0);
    expect(inFlight.length).toBeLessThanOrEqual(3); // at most MAIL_DISPATCH_CONCURRENCY claimed at once

    // A dispatcher of the same queue (another worker) takes over once the dead one's leases run out.
    env.smtp.delayAcceptance(0);
    const heir = startMailDispatcher(
      { prisma: env.prisma, databaseUrl: process.env.DATABASE_URL, mailer: env.mailer, mailFrom: env.mailFrom, log: () => undefined },
      { ...FAST_MAIL, queue, leaseMs: 2000 },
    );
    try {
      await until('all sent', async () => (await env.prisma.emailOutbox.count({ where: { queue, status: 'sent' } })) === n, 30_000);
    } finally {
      await heir.stop();
    }
    await sleep(300);

    const caught = ours();
    const perId = new Map<string, number>();
    for (const m of caught) perId.set(bare(m.messageId), (perId.get(bare(m.messageId)) ?? 0) + 1);
    expect(perId.size).toBe(n); // every mail delivered
    const duplicated = [...perId].filter(([, c]) => c > 1).map(([id]) => id);
    const duplicates = caught.length - n;
    // The only duplicates: mails the server had taken when the sender died, resent under the same Message-ID.
    const inFlightIds = new Set(inFlight.map((r) => bare(r.messageId)));
    for (const id of duplicated) {
      expect(inFlightIds.has(id)).toBe(true);
      expect(receivedBeforeKill.has(id)).toBe(true);
      expect(perId.get(id)).toBe(2);
    }
    expect(duplicates).toBeGreaterThanOrEqual(1); // the kill landed in the window on purpose
    expect(duplicates).toBeLessThanOrEqual(inFlight.length);
    expect(heir.stats.reclaimed).toBe(inFlight.length);
    console.log(`kill -9 mid-send: ${n} mails, ${inFlight.length} in flight at the kill, ${duplicates} duplicate(s), all with the original Message-ID`);
  });
});
