import { randomUUID } from 'node:crypto';
import { messageIdFor } from '../../activities/email/outbox';
import { createOrder } from './order-factory';
import { useActivityEnv, delivered, type ActivityEnv } from './setup';

jest.setTimeout(60_000);

let env: ActivityEnv;
useActivityEnv((started) => {
  env = started;
});

test('sendCustomerEmail: in the customer language, once per key', async () => {
  await env.prisma.customer.update({ where: { id: env.fixture.customerId }, data: { language: 'zh', name: '上海明辉贸易有限公司' } });
  const o = await createOrder(env.prisma, { customerId: env.fixture.customerId, lines: [{ productId: env.fixture.inStockProductId, quantity: 2 }] });
  const key = `confirmation:${o.id}`;
  const args = { key, orderId: o.id, template: 'order_confirmation' as const, data: { total: o.totalAmount.toFixed(2) } };
  const first = await env.acts.sendCustomerEmail(args);
  const second = await env.acts.sendCustomerEmail(args);
  expect(first).toEqual({ sent: true, messageId: messageIdFor(key) });
  expect(second).toEqual(first); // queued by the first call; the retry queues nothing new

  const mails = await delivered(env.smtp, first.messageId);
  expect(mails).toHaveLength(1);
  expect(mails[0].subject).toBe(`订单 ${o.orderNo} 已确认`);
  expect(mails[0].text).toContain('尊敬的上海明辉贸易有限公司');
  const customer = await env.prisma.customer.findUniqueOrThrow({ where: { id: env.fixture.customerId } });
  expect(mails[0].to.join(',')).toContain(customer.email);
  expect(await env.prisma.emailOutbox.count({ where: { key } })).toBe(1);
});

test('sendCustomerEmail: English customers get English', async () => {
  await env.prisma.customer.update({ where: { id: env.fixture.customerId }, data: { language: 'en' } });
  const o = await createOrder(env.prisma, { customerId: env.fixture.customerId, lines: [{ productId: env.fixture.inStockProductId, quantity: 1 }] });
  const r = await env.acts.sendCustomerEmail({ key: `shipped:${o.id}`, orderId: o.id, template: 'shipping_notice', data: { trackingNo: 'SF0123456789' } });
  const [mail] = await delivered(env.smtp, r.messageId);
  expect(mail.subject).toBe(`Order ${o.orderNo} has shipped`);
  expect(mail.text).toContain('SF0123456789');
});

test('sendCustomerEmail: an unknown order is NotFound', async () => {
  await expect(
    env.acts.sendCustomerEmail({ key: `x:${randomUUID()}`, orderId: 'no-such-order', template: 'order_confirmation', data: {} }),
  ).rejects.toMatchObject({ type: 'NotFound', nonRetryable: true });
});

test('notifyRole: each active user of the role once', async () => {
  const tag = randomUUID().slice(0, 8);
  await env.prisma.user.createMany({
    data: [
      { username: `lg-a-${tag}`, name: '赵物流', email: `zhao-${tag}@example.cn`, role: 'logistics' },
      { username: `lg-b-${tag}`, name: 'Off', email: `off-${tag}@example.com`, role: 'logistics', active: false },
    ],
  });
  const users = await env.prisma.user.findMany({ where: { role: 'logistics', active: true } });
  const key = `notify:${tag}`;
  const note = { key, role: 'logistics' as const, subject: '发货提醒 Dispatch reminder', text: '请尽快安排发货。' };
  await env.acts.notifyRole(note);
  await env.acts.notifyRole(note);
  expect(await env.prisma.emailOutbox.count({ where: { key: { startsWith: `${key}:` } } })).toBe(users.length);
  for (const u of users) {
    const mails = await delivered(env.smtp, messageIdFor(`${key}:${u.id}`), 50);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe('发货提醒 Dispatch reminder');
  }
});
