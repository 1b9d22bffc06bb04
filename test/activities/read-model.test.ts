import { randomUUID } from 'node:crypto';
import { messageIdFor } from '../../activities/email/outbox';
import { createOrder } from './order-factory';
import { useActivityEnv, auditCount, delivered, outboxSettled, type ActivityEnv } from './setup';

jest.setTimeout(60_000);

let env: ActivityEnv;
useActivityEnv((started) => {
  env = started;
});

const newOrder = () =>
  createOrder(env.prisma, { customerId: env.fixture.customerId, lines: [{ productId: env.fixture.inStockProductId, quantity: 1 }] });

describe('recordTransition', () => {
  test('writes one row per seq, moves the order only on the newest seq, and closes terminal stages', async () => {
    const o = await newOrder();
    const t1 = {
      orderId: o.id,
      orderNo: o.orderNo,
      seq: 1,
      from: 'sales_review' as const,
      to: 'finance_review' as const,
      at: '2099-01-02T03:04:05.000Z',
      actor: 'sales',
      reason: 'approved',
      deadline: '2099-01-03T03:04:05.000Z',
      heldMs: 1500,
    };
    await env.acts.recordTransition(t1);
    await env.acts.recordTransition(t1); // retry
    const rows = await env.prisma.stageTransition.findMany({ where: { orderId: o.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ seq: 1, fromStage: 'sales_review', toStage: 'finance_review', reason: 'approved', actor: 'sales', heldMs: 1500n });
    expect(rows[0].deadline?.toISOString()).toBe(t1.deadline);
    expect(await auditCount(env.prisma, `transition:${o.id}:1`)).toBe(1);
    let order = await env.prisma.order.findUniqueOrThrow({ where: { id: o.id } });
    expect(order).toMatchObject({ stage: 'finance_review', escalation: 'none', closedAt: null });
    expect(order.stageEnteredAt.toISOString()).toBe(t1.at);
    expect(order.stageDeadline?.toISOString()).toBe(t1.deadline);

    await env.acts.recordTransition({ orderId: o.id, orderNo: o.orderNo, seq: 2, from: 'finance_review', to: 'rejected', at: '2099-01-02T05:00:00.000Z', reason: 'credit limit' });
    await env.acts.recordTransition(t1); // a late retry of the older transition moves nothing
    order = await env.prisma.order.findUniqueOrThrow({ where: { id: o.id } });
    expect(order).toMatchObject({ stage: 'rejected', outcome: 'rejected: credit limit', stageDeadline: null });
    expect(order.closedAt?.toISOString()).toBe('2099-01-02T05:00:00.000Z');
    const audit = await env.prisma.auditEntry.findFirstOrThrow({ where: { key: `transition:${o.id}:2` } });
    expect(audit).toMatchObject({ actor: 'system', action: 'order.transition', entity: 'order', entityId: o.id, orderNo: o.orderNo });
    expect(audit.after).toMatchObject({ stage: 'rejected', reason: 'credit limit' });
  });

  test('an unknown order is a non-retryable NotFound', async () => {
    await expect(
      env.acts.recordTransition({ orderId: 'nope', orderNo: 'SO-2099-0', seq: 1, from: null, to: 'sales_review', at: new Date().toISOString() }),
    ).rejects.toMatchObject({ type: 'NotFound', nonRetryable: true });
  });
});

test('recordReview: one decision per key, one audit entry, Chinese comments intact', async () => {
  const o = await newOrder();
  const review = {
    orderId: o.id,
    orderNo: o.orderNo,
    key: 'sales_review:1',
    stage: 'sales_review' as const,
    decision: 'return' as const,
    comment: '请补充收货地址',
    actor: 'sales',
    at: '2099-01-02T03:04:05.000Z',
  };
  await env.acts.recordReview(review);
  await env.acts.recordReview(review);
  const rows = await env.prisma.reviewDecision.findMany({ where: { orderId: o.id } });
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ key: 'sales_review:1', decision: 'return', comment: '请补充收货地址', actor: 'sales' });
  expect(await auditCount(env.prisma, `review:${o.id}:sales_review:1`)).toBe(1);
});

describe('raiseStageAlert', () => {
  test('one alert, the escalation flag, one email per active user of the role, retries included', async () => {
    const tag = randomUUID().slice(0, 8);
    await env.prisma.user.createMany({
      data: [
        { username: `sm-a-${tag}`, name: '李经理', email: `li-${tag}@example.cn`, role: 'sales_manager' },
        { username: `sm-b-${tag}`, name: 'Bob', email: `bob-${tag}@example.com`, role: 'sales_manager' },
        { username: `sm-c-${tag}`, name: 'Gone', email: `gone-${tag}@example.com`, role: 'sales_manager', active: false },
      ],
    });
    const managers = await env.prisma.user.findMany({ where: { role: 'sales_manager', active: true } });
    const o = await newOrder();
    const key = `alert:${o.id}:sales_review:escalated:1`;
    const alert = {
      orderId: o.id,
      orderNo: o.orderNo,
      key,
      stage: 'sales_review' as const,
      level: 'escalated' as const,
      role: 'sales_manager' as const,
      message: 'Sales review is overdue',
    };
    await env.acts.raiseStageAlert(alert);
    await env.acts.raiseStageAlert(alert);

    expect(await env.prisma.alert.count({ where: { key } })).toBe(1);
    expect(await env.prisma.order.findUniqueOrThrow({ where: { id: o.id } })).toMatchObject({ escalation: 'escalated' });
    expect(await auditCount(env.prisma, `alert:${key}`)).toBe(1);
    const outbox = await outboxSettled(env.prisma, `${key}:`);
    expect(outbox).toHaveLength(managers.length);
    expect(outbox.every((r) => r.status === 'sent')).toBe(true);
    for (const m of managers) {
      const mails = await delivered(env.smtp, messageIdFor(`${key}:${m.id}`), 50);
      expect(mails).toHaveLength(1);
      expect(mails[0].subject).toContain(o.orderNo);
    }
  });

  test('an alert for a stage the order has left does not touch its escalation flag', async () => {
    const o = await newOrder(); // in sales_review
    await env.acts.raiseStageAlert({
      orderId: o.id,
      orderNo: o.orderNo,
      key: `alert:${o.id}:finance_review:reminded:1`,
      stage: 'finance_review',
      level: 'reminded',
      role: 'finance',
      message: 'late',
    });
    expect(await env.prisma.order.findUniqueOrThrow({ where: { id: o.id } })).toMatchObject({ escalation: 'none' });
  });
});
