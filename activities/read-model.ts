/**
 * The read model of an order's progress: stage transitions, review
 * decisions and stage alerts (SPEC 3: "every transition is written to the
 * database read model and to the audit trail"). Each write lands on a row
 * with a unique key, so a retried activity changes nothing.
 */
import type { ActivityDeps } from './index';
import { TERMINAL_STAGES, type ReviewDecision, type Stage } from '../workflows/order/contract';
import type { Role } from '../workflows/domain/policy';
import { notFound, toDate, writeAudit } from './audit';
import { sqlOf } from './infra/db';
import { enqueueRoleMail } from './email/notify';
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
 * moves the order back. Plain SQL (infra/sql.ts): seven of these per order.
 */
export async function recordTransition(deps: ActivityDeps, a: RecordTransitionInput): Promise<void> {
  const at = toDate(a.at, 'at').toISOString();
  const deadline = a.deadline ? toDate(a.deadline, 'deadline').toISOString() : null;
  const terminal = TERMINAL_STAGES.includes(a.to);
  await sqlOf(deps.prisma).transaction(async (tx) => {
    const locked = await tx.query(`SELECT id FROM orders WHERE id = $1 FOR UPDATE`, [a.orderId]);
    if (locked.length === 0) throw notFound(`order ${a.orderId} not found`);
    await tx.execute(
      `INSERT INTO stage_transitions (id, order_id, seq, from_stage, to_stage, reason, actor, at, deadline, held_ms)
       VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7::timestamp(3), $8::timestamp(3), $9)
       ON CONFLICT (order_id, seq) DO NOTHING`,
      [a.orderId, a.seq, a.from, a.to, a.reason ?? null, a.actor ?? null, at, deadline, Math.max(0, Math.round(a.heldMs ?? 0))],
    );
    await tx.execute(
      `UPDATE orders
          SET stage = $2, stage_entered_at = $3::timestamp(3), stage_deadline = $4::timestamp(3), escalation = 'none',
              closed_at = CASE WHEN $5 THEN $3::timestamp(3) ELSE closed_at END,
              outcome = CASE WHEN $5 THEN $6 ELSE outcome END
        WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM stage_transitions WHERE order_id = $1 AND seq > $7)`,
      [a.orderId, a.to, at, deadline, terminal, a.reason ? `${a.to}: ${a.reason}` : a.to, a.seq],
    );
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
  });
}

export interface RecordStageDeadlineInput {
  orderId: string;
  /** The transition whose deadline this is: a later stage is never touched. */
  seq: number;
  deadline: string;
}

/**
 * A stage whose limit is known only once it has started (stock preparation:
 * the production plan's latest finish + grace) stores its real deadline, so
 * lists, "where is it stuck" and the timeliness KPI do not count it overdue
 * against the policy's default limit.
 */
export async function recordStageDeadline(deps: ActivityDeps, a: RecordStageDeadlineInput): Promise<void> {
  const deadline = toDate(a.deadline, 'deadline').toISOString();
  await sqlOf(deps.prisma).transaction(async (tx) => {
    await tx.execute(`UPDATE stage_transitions SET deadline = $3::timestamp(3) WHERE order_id = $1 AND seq = $2`, [a.orderId, a.seq, deadline]);
    await tx.execute(
      `UPDATE orders SET stage_deadline = $3::timestamp(3)
        WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM stage_transitions WHERE order_id = $1 AND seq > $2)`,
      [a.orderId, a.seq, deadline],
    );
  });
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
  const decidedAt = toDate(a.at, 'at').toISOString();
  await sqlOf(deps.prisma).transaction(async (tx) => {
    // Only for an order that exists; the row's foreign key would refuse it anyway, as a retryable error.
    const inserted = await tx.query(
      `INSERT INTO review_decisions (id, order_id, key, stage, department, decision, comment, actor, decided_at)
       SELECT gen_random_uuid()::text, o.id, $2, $3, $4, $5, $6, $7, $8::timestamp(3) FROM orders o WHERE o.id = $1
       ON CONFLICT (order_id, key) DO NOTHING
       RETURNING 1`,
      [a.orderId, a.key, a.stage, a.department ?? null, a.decision, a.comment ?? null, a.actor, decidedAt],
    );
    if (inserted.length === 0) {
      const order = await tx.query(`SELECT 1 FROM orders WHERE id = $1`, [a.orderId]);
      if (order.length === 0) throw notFound(`order ${a.orderId} not found`);
    }
    await writeAudit(tx, {
      key: `review:${a.orderId}:${a.key}`,
      actor: a.actor,
      action: `review.${a.decision}`,
      entity: 'order',
      entityId: a.orderId,
      orderNo: a.orderNo,
      after: { stage: a.stage, department: a.department ?? null, decision: a.decision, comment: a.comment ?? null, at: a.at },
    });
  });
}

/** Steps of a stage clock (they also set the order's escalation flag), and other early-warning events. */
export type AlertLevel = 'warned' | 'reminded' | 'escalated' | 'timed_out' | 'overdue_payment' | 'exception';
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
  exception: 'exception',
  reminded: 'reminder',
  escalated: 'escalation',
  timed_out: 'timeout',
};

/**
 * One alerts row per key; the order's escalation flag follows it while the
 * order is still in that stage (set in the same transaction as the alert, so
 * a retry neither repeats nor loses it); every active user of `role` is
 * emailed once (outbox key `${key}:${userId}`, queued in the same transaction).
 */
export async function raiseStageAlert(deps: ActivityDeps, a: RaiseStageAlertInput): Promise<void> {
  await sqlOf(deps.prisma).transaction(async (tx) => {
    const [order] = await tx.query<{ stage: string; escalation: string }>(`SELECT stage, escalation FROM orders WHERE id = $1`, [a.orderId]);
    if (!order) throw notFound(`order ${a.orderId} not found`);
    const inserted = await tx.execute(
      `INSERT INTO alerts (id, key, order_id, kind, role, message) VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5)
       ON CONFLICT (key) DO NOTHING`,
      [a.key, a.orderId, a.level, a.role, a.message],
    );
    // The role's mails commit with the alert. Queued on a retry too (a key
    // already queued is left alone): an alert raised before the outbox was
    // transactional may still lack its mails.
    const mail = staffMessage(STAFF_KIND[a.level], { orderNo: a.orderNo, stage: a.stage, detail: a.message });
    await enqueueRoleMail(tx, { key: a.key, orderId: a.orderId, role: a.role, ...mail }, deps.mailQueue, deps.publicUrl);
    if (inserted === 0) return;
    if (CLOCK_LEVELS.includes(a.level))
      await tx.execute(`UPDATE orders SET escalation = $3 WHERE id = $1 AND stage = $2`, [a.orderId, a.stage, a.level]);
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
  });
}
