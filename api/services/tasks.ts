/**
 * Work queues (SPEC 9 `GET /tasks?role=`): what waits for a role, oldest
 * first, with its deadline. Read from the database read model.
 *
 *   sales            sales_review, correction (returned for correction)
 *   finance          finance_review, awaiting_prepayment, awaiting_payment, joint_review (until finance decided)
 *   production       stock_preparation with open production orders, joint_review (until production decided)
 *   logistics        shipping, in_transit, joint_review (until logistics decided)
 *   sales_manager,   escalated (or timed out) orders in the stages the policy makes them
 *   finance_manager  the manager of
 *   others           nothing waits for them
 */
import type { Prisma, PrismaClient } from '../../activities/infra/db';
import { TIMED_STAGES, type Policy, type Role } from '../../workflows/domain/policy';
import { secondsSince } from './orders';

const OPEN_PRODUCTION = { status: { notIn: ['completed', 'cancelled'] } };
const ESCALATED = ['escalated', 'timed_out'];

const jointReviewFor = (department: string): Prisma.OrderWhereInput => ({
  stage: 'joint_review',
  reviews: { none: { stage: 'joint_review', department } },
});

/** An order that needs attention (stage exception) waits for the roles it alerted: the failed stage's assignee and manager. */
const exceptionFor = (role: Role): Prisma.OrderWhereInput => ({ stage: 'exception', alerts: { some: { kind: 'exception', role } } });

/** Which orders wait for the role; null when none can. */
export function taskFilter(role: Role, policy: Policy): Prisma.OrderWhereInput | null {
  const own = stageFilter(role, policy);
  return own ? { OR: [own, exceptionFor(role)] } : exceptionFor(role);
}

function stageFilter(role: Role, policy: Policy): Prisma.OrderWhereInput | null {
  switch (role) {
    case 'sales':
      return { stage: { in: ['sales_review', 'correction'] } };
    case 'finance':
      return {
        OR: [{ stage: { in: ['finance_review', 'awaiting_prepayment', 'awaiting_payment'] } }, jointReviewFor('finance')],
      };
    case 'production':
      return {
        OR: [{ stage: 'stock_preparation', productionOrders: { some: OPEN_PRODUCTION } }, jointReviewFor('production')],
      };
    case 'logistics':
      return { OR: [{ stage: { in: ['shipping', 'in_transit'] } }, jointReviewFor('logistics')] };
    case 'sales_manager':
    case 'finance_manager': {
      const stages = TIMED_STAGES.filter((s) => policy.stages[s].manager === role);
      return stages.length ? { stage: { in: [...stages] }, escalation: { in: ESCALATED } } : null;
    }
    default:
      return null;
  }
}

/** What the role is to do with the order in its stage. */
function taskName(role: Role, stage: string): string {
  if (stage === 'exception') return 'resolve_exception';
  if (role === 'sales_manager' || role === 'finance_manager') return `escalated:${stage}`;
  switch (stage) {
    case 'sales_review':
    case 'finance_review':
      return 'review';
    case 'correction':
      return 'correct';
    case 'joint_review':
      return `joint_review:${role}`;
    case 'awaiting_prepayment':
      return 'prepayment';
    case 'stock_preparation':
      return 'production';
    case 'shipping':
      return 'dispatch';
    case 'in_transit':
      return 'delivery';
    case 'awaiting_payment':
      return 'payment';
    default:
      return stage;
  }
}

/** `ownerId`: only orders of customers this (sales) user owns. */
export async function listTasks(prisma: PrismaClient, policy: Policy, role: Role, limit = 100, now = new Date(), ownerId?: string) {
  const filter = taskFilter(role, policy);
  if (!filter) return { role, items: [] };
  const where: Prisma.OrderWhereInput = ownerId ? { AND: [filter, { customer: { ownerId } }] } : filter;
  const rows = await prisma.order.findMany({
    where,
    orderBy: [{ stageEnteredAt: 'asc' }, { id: 'asc' }],
    take: limit,
    include: {
      customer: { select: { name: true } },
      productionOrders: role === 'production' ? { where: OPEN_PRODUCTION, orderBy: { plannedFinish: 'asc' } } : false,
    },
  });
  return {
    role,
    items: rows.map((o) => ({
      orderNo: o.orderNo,
      task: taskName(role, o.stage),
      stage: o.stage,
      customerId: o.customerId,
      customerName: o.customer.name,
      stageEnteredAt: o.stageEnteredAt.toISOString(),
      timeInStageSeconds: secondsSince(o.stageEnteredAt, now),
      stageDeadline: o.stageDeadline ? o.stageDeadline.toISOString() : null,
      overdue: o.stageDeadline ? o.stageDeadline.getTime() < now.getTime() : false,
      escalation: o.escalation,
      onHold: o.onHold,
      riskLevel: o.riskLevel,
      totalAmount: o.totalAmount.toFixed(2),
      currency: o.currency,
      ...(role === 'production'
        ? {
            productionOrders: (o.productionOrders ?? []).map((p) => ({
              id: p.id,
              productionNo: p.productionNo,
              quantity: p.quantity,
              percent: p.percent,
              status: p.status,
              plannedFinish: p.plannedFinish.toISOString(),
            })),
          }
        : {}),
    })),
  };
}
