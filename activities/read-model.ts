/**
 * The read model of an order's progress: stage transitions, review
 * decisions and stage alerts (SPEC 3: "every transition is written to the
 * database read model and to the audit trail"). Each write lands on a row
 * with a unique key, so a retried activity changes nothing.
 */
import type { ActivityDeps } from './index';
import { TERMINAL_STAGES, type ReviewDecision, type Stage } from '../workflows/order/contract';
import type { Role } from '../workflows/domain/policy';
import { TX, notFound, toDate, writeAudit } from './audit';
import { notifyRole } from './email/notify';
import { staffMessage, type StaffMessageKind } from './email/templates';

export interface RecordTransitionInput {
  orderId: string;
  orderNo: string;
  /** The workflow's transition counter. */
  seq: number;
  from: Stage | null;
  to: Stage;
  at: string;
  reason?: string;
  actor?: string;
  deadline?: string | null;
  /** Time the order spent on hold in the stage it leaves (its clock stood still). */
  heldMs?: number;
}

/**
 * One stage_transitions row per (orderId, seq). The order's current stage is
 * moved only by the newest seq, so a late retry of an older transition never
 * moves the order back.
 */
export async function recordTransition(deps: ActivityDeps, a: RecordTransitionInput): Promise<void> {
  const at = toDate(a.at, 'at');
  const deadline = a.deadline ? toDate(a.deadline, 'deadline') : null;
  await deps.prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM orders WHERE id = ${a.orderId} FOR UPDATE`;
    if (locked.length === 0) throw notFound(`order ${a.orderId} not found`);
    await tx.stageTransition.createMany({
      data: [
        {
          orderId: a.orderId,
          seq: a.seq,
          fromStage: a.from,
          toStage: a.to,
          reason: a.reason ?? null,
          actor: a.actor ?? null,
          at,
          deadline,
          heldMs: BigInt(Math.max(0, Math.round(a.heldMs ?? 0))),
        },
      ],
      skipDuplicates: true,
    });
    const newest = await tx.stageTransition.aggregate({ where: { orderId: a.orderId }, _max: { seq: true } });
    if (newest._max.seq === a.seq) {
      const terminal = TERMINAL_STAGES.includes(a.to);
      await tx.order.update({
        where: { id: a.orderId },
        data: {
          stage: a.to,
          stageEnteredAt: at,
          stageDeadline: deadline,
          escalation: 'none',
          ...(terminal ? { closedAt: at, outcome: a.reason ? `${a.to}: ${a.reason}` : a.to } : {}),
        },
      });
    }
    await writeAudit(tx, {
      key: `transition:${a.orderId}:${a.seq}`,
      actor: a.actor ?? 'system',
      action: 'order.transition',
      entity: 'order',
      entityId: a.orderId,
      orderNo: a.orderNo,
      before: { stage: a.from },
      after: { stage: a.to, seq: a.seq, at: a.at, reason: a.reason ?? null, deadline: a.deadline ?? null },
    });
  }, TX);
}

export interface RecordReviewInput {
  orderId: string;
  orderNo: string;
  /** Workflow-made key, e.g. "sales_review:1". */
  key: string;
  stage: Stage;
  department?: string;
  decision: ReviewDecision;
  comment?: string;
  actor: string;
  at: string;
}

export async function recordReview(deps: ActivityDeps, a: RecordReviewInput): Promise<void> {
  const decidedAt = toDate(a.at, 'at');
  await deps.prisma.$transaction(async (tx) => {
    const order = await tx.order.findUnique({ where: { id: a.orderId }, select: { id: true } });
    if (!order) throw notFound(`order ${a.orderId} not found`);
    await tx.reviewDecision.createMany({
      data: [
        {
          orderId: a.orderId,
          key: a.key,
          stage: a.stage,
          department: a.department ?? null,
          decision: a.decision,
          comment: a.comment ?? null,
          actor: a.actor,
          decidedAt,
        },
      ],
      skipDuplicates: true,
    });
    await writeAudit(tx, {
      key: `review:${a.orderId}:${a.key}`,
      actor: a.actor,
      action: `review.${a.decision}`,
      entity: 'order',
      entityId: a.orderId,
      orderNo: a.orderNo,
      after: { stage: a.stage, department: a.department ?? null, decision: a.decision, comment: a.comment ?? null, at: a.at },
    });
  }, TX);
}

/** Steps of a stage clock (they also set the order's escalation flag), and other early-warning events. */
export type AlertLevel = 'warned' | 'reminded' | 'escalated' | 'timed_out' | 'overdue_payment';
const CLOCK_LEVELS: readonly AlertLevel[] = ['warned', 'reminded', 'escalated', 'timed_out'];

export interface RaiseStageAlertInput {
  orderId: string;
  orderNo: string;
  key: string;
  stage: Stage;
  level: AlertLevel;
  role: Role;
  message: string;
}

const STAFF_KIND: Record<AlertLevel, StaffMessageKind> = {
  warned: 'warning',
  overdue_payment: 'alert',
  reminded: 'reminder',
  escalated: 'escalation',
  timed_out: 'timeout',
};

/**
 * One alerts row per key; the order's escalation flag follows it while the
 * order is still in that stage (set in the same transaction as the alert, so
 * a retry neither repeats nor loses it); every active user of `role` is
 * emailed once (outbox key `${key}:${userId}`).
 */
export async function raiseStageAlert(deps: ActivityDeps, a: RaiseStageAlertInput): Promise<void> {
  await deps.prisma.$transaction(async (tx) => {
    const order = await tx.order.findUnique({ where: { id: a.orderId }, select: { stage: true, escalation: true } });
    if (!order) throw notFound(`order ${a.orderId} not found`);
    const inserted = await tx.alert.createMany({
      data: [{ key: a.key, orderId: a.orderId, kind: a.level, role: a.role, message: a.message }],
      skipDuplicates: true,
    });
    if (inserted.count === 0) return;
    if (CLOCK_LEVELS.includes(a.level)) await tx.order.updateMany({ where: { id: a.orderId, stage: a.stage }, data: { escalation: a.level } });
    await writeAudit(tx, {
      key: `alert:${a.key}`,
      actor: 'system',
      action: `stage.${a.level}`,
      entity: 'order',
      entityId: a.orderId,
      orderNo: a.orderNo,
      before: { stage: order.stage, escalation: order.escalation },
      after: { stage: a.stage, escalation: order.stage === a.stage ? a.level : order.escalation, role: a.role, message: a.message },
    });
  }, TX);
  const mail = staffMessage(STAFF_KIND[a.level], { orderNo: a.orderNo, stage: a.stage, detail: a.message });
  await notifyRole(deps, { key: a.key, orderId: a.orderId, role: a.role, ...mail });
}
