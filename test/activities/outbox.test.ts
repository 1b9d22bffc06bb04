import { randomUUID } from 'node:crypto';
import { sendOnce, messageIdFor } from '../../activities/email/outbox';
import { createMailer } from '../../activities/infra/mailer';
import { useActivityEnv, bare, messagesWithId, type ActivityEnv } from './setup';

jest.setTimeout(60_000);

let env: ActivityEnv;
useActivityEnv((started) => {
  env = started;
});

const message = (key: string) => ({
  key,
  to: { name: '张三', address: 'zhang.san@example.cn' },
  template: 'test',
  subject: '订单 SO-2099-000000001 已确认（测试）',
  text: '尊敬的张三：\n\n您的订单已确认。\n',
  html: '<p>尊敬的张三：</p><p>您的订单已确认。</p>',
});

test('Message-ID is derived from the key', () => {
  expect(messageIdFor('abc')).toMatch(/^<[0-9a-f]{32}@sales-orders\.local>$/);
  expect(messageIdFor('abc')).toBe(messageIdFor('abc'));
  expect(messageIdFor('abc')).not.toBe(messageIdFor('abd'));
});

test('a key is sent once: the second send sends nothing and returns the same Message-ID', async () => {
  const key = `outbox-test:${randomUUID()}`;
  const first = await sendOnce(env.deps, message(key));
  const second = await sendOnce(env.deps, message(key));
  expect(first).toEqual({ sent: true, messageId: messageIdFor(key) });
  expect(second).toEqual({ sent: false, messageId: first.messageId });

  const mail = await env.smtp.waitFor((m) => bare(m.messageId) === bare(first.messageId));
  expect(mail.subject).toBe('订单 SO-2099-000000001 已确认（测试）');
  expect(mail.text).toContain('尊敬的张三');
  expect(await messagesWithId(env.smtp, first.messageId)).toHaveLength(1);

  const rows = await env.prisma.emailOutbox.findMany({ where: { key } });
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ status: 'sent', attempts: 1, messageId: first.messageId, toAddress: 'zhang.san@example.cn' });
  expect(rows[0].sentAt).toBeInstanceOf(Date);
});

test('two attempts of one key at the same time send one email', async () => {
  const key = `outbox-race:${randomUUID()}`;
  const results = await Promise.all([sendOnce(env.deps, message(key)), sendOnce(env.deps, message(key)), sendOnce(env.deps, message(key))]);
  expect(results.filter((r) => r.sent)).toHaveLength(1);
  expect(new Set(results.map((r) => r.messageId)).size).toBe(1);
  expect(await messagesWithId(env.smtp, messageIdFor(key), 500)).toHaveLength(1);
});

test('an SMTP failure is recorded and thrown; the retry sends it with the same Message-ID', async () => {
  const key = `outbox-fail:${randomUUID()}`;
  const deadMailer = createMailer('smtp://127.0.0.1:9'); // nothing listens on the discard port
  try {
    await expect(sendOnce({ ...env.deps, mailer: deadMailer }, message(key))).rejects.toThrow();
  } finally {
    deadMailer.close();
  }
  const failed = await env.prisma.emailOutbox.findUniqueOrThrow({ where: { key } });
  expect(failed).toMatchObject({ status: 'pending', attempts: 1 });
  expect(failed.lastError).toMatch(/ECONNREFUSED|connect|closed/i);
  expect(failed.sentAt).toBeNull();

  const retry = await sendOnce(env.deps, message(key));
  expect(retry).toEqual({ sent: true, messageId: messageIdFor(key) });
  const sent = await env.prisma.emailOutbox.findUniqueOrThrow({ where: { key } });
  expect(sent).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
  expect(await messagesWithId(env.smtp, retry.messageId)).toHaveLength(1);
});
