/**
 * Hold and release of an order (SPEC "Hold / release"): one order_holds row
 * per hold (unique key, made by the workflow from the hold's start time);
 * the release completes that row with who, why and how long. The order's
 * on_hold flag follows in the same transaction. A retry finds the row
 * already written and changes nothing.
 */
import type { ActivityDeps } from './index';
import { TX, badInput, notFound, toDate, writeAudit } from './audit';

export interface RecordHoldInput {
  orderId: string;
  orderNo: string;
  key: string;
  action: 'hold' | 'release';
  stage: string;
  reason: string;
  actor: string;
  at: string;
  /** Release only: how long the order was held (defaults to at - heldAt). */
  heldMs?: number;
}

export async function recordHold(deps: ActivityDeps, a: RecordHoldInput): Promise<void> {
  if (a.action !== 'hold' && a.action !== 'release') throw badInput(`action: "${String(a.action)}" is not hold or release`, 'action');
  if (typeof a.key !== 'string' || !a.key.trim()) throw badInput('key: required', 'key');
  if (typeof a.reason !== 'string' || !a.reason.trim()) throw badInput('reason: required', 'reason');
  const at = toDate(a.at, 'at');

  await deps.prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ on_hold: boolean }[]>`SELECT on_hold FROM orders WHERE id = ${a.orderId} FOR UPDATE`;
    if (locked.length === 0) throw notFound(`order ${a.orderId} not found`);
    const onHold = locked[0].on_hold;

    if (a.action === 'hold') {
      const inserted = await tx.orderHold.createMany({
        data: [{ orderId: a.orderId, key: a.key, stage: a.stage, reason: a.reason, heldBy: a.actor, heldAt: at }],
        skipDuplicates: true,
      });
      if (inserted.count === 0) return; // an earlier attempt
      await tx.order.update({ where: { id: a.orderId }, data: { onHold: true } });
      await writeAudit(tx, {
        key: `${a.key}:hold`,
        actor: a.actor,
        action: 'order.hold',
        entity: 'order',
        entityId: a.orderId,
        orderNo: a.orderNo,
        before: { onHold },
        after: { onHold: true, stage: a.stage, reason: a.reason, at: a.at },
      });
      return;
    }

    const hold = await tx.orderHold.findUnique({ where: { key: a.key } });
    if (!hold || hold.orderId !== a.orderId) throw notFound(`hold ${a.key} of order ${a.orderNo} not found`);
    if (hold.releasedAt) return; // an earlier attempt
    const heldMs = Math.max(0, Math.round(a.heldMs ?? at.getTime() - hold.heldAt.getTime()));
    await tx.orderHold.update({
      where: { id: hold.id },
      data: { releasedAt: at, releasedBy: a.actor, releaseReason: a.reason, heldMs: BigInt(heldMs) },
    });
    const stillHeld = await tx.orderHold.count({ where: { orderId: a.orderId, releasedAt: null } });
    if (stillHeld === 0) await tx.order.update({ where: { id: a.orderId }, data: { onHold: false } });
    await writeAudit(tx, {
      key: `${a.key}:release`,
      actor: a.actor,
      action: 'order.release',
      entity: 'order',
      entityId: a.orderId,
      orderNo: a.orderNo,
      before: { onHold, stage: hold.stage, heldAt: hold.heldAt.toISOString(), reason: hold.reason },
      after: { onHold: stillHeld > 0, stage: a.stage, reason: a.reason, at: a.at, heldMs },
    });
  }, TX);
}
