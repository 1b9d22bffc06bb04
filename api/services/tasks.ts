/**
 * Work queues (SPEC 9 `GET /tasks?role=`): what waits for a role, oldest
 * first, with its deadline. Read from the database read model.
 *
 * An item is in the queue of every role that can act on it, and who can act
 * comes from the one route -> roles table (api/auth/roles.ts), never from a
 * second list here:
 *
 *   stage                 task          acted on by (route)
 *   sales_review          review        POST /orders/:orderNo/reviews/sales   (sales, sales_manager)
 *   correction            correct       POST /orders/:orderNo/correction      (sales, sales_manager)
 *   finance_review        review        POST /orders/:orderNo/reviews/finance (finance, finance_manager)
 *   awaiting_prepayment   prepayment    POST /orders/:orderNo/payments        (finance, finance_manager)
 *   awaiting_payment      payment       POST /orders/:orderNo/payments
 *   contract_signature    contract_signature     POST /orders/:orderNo/contract/signature (sales), until the newest version is signed
 *                         contract_confirmation  POST /orders/:orderNo/contract/finance-confirmation (finance), once signed, until confirmed
 *   stock_preparation     production    POST /production-orders/:id/complete  (production), while a production order is open
 *   shipping              dispatch      POST /orders/:orderNo/dispatch        (logistics)
 *   in_transit            delivery      POST /orders/:orderNo/delivery        (logistics)
 *   exception             resolve_exception, for the roles it alerted (the failed stage's assignee and manager)
 *   joint_review          joint_review:<department>, per department that has not decided, for that
 *                         department's roles (DEPARTMENT_ROLES)
 *   any open stage        overdue_invoice, for who records payments (POST /orders/:orderNo/payments),
 *                         when the order's invoice is open past its due date (replaces payment)
 *   a change request      change_review:<department>, per reviewing department that has not decided
 *   under review          (change_requests.reviews + review_decisions), for that department's roles
 *
 * On top, a manager role sees the escalated (or timed-out) orders of the
 * stages the policy makes it the manager of (`escalated:<stage>`), when it
 * cannot act on them itself.
 */
import { sqlOf, type Prisma, type PrismaClient } from '../../activities/infra/db';
import { contractStatus, type ContractStatus } from '../../activities/documents/signature';
import { outstanding } from '../../workflows/domain/billing';
import { TIMED_STAGES, type Policy, type Role } from '../../workflows/domain/policy';
import { addDuration } from '../../workflows/domain/duration';
import { JOINT_DEPARTMENTS, TERMINAL_STAGES, type Department } from '../../workflows/order/contract';
import { DEPARTMENT_ROLES, accessFor } from '../auth/roles';
import { secondsSince } from './orders';

const OPEN_PRODUCTION = { status: { notIn: ['completed', 'cancelled'] } };
const ESCALATED = ['escalated', 'timed_out'];

/** The task of each stage and the route whose roles act on it. */
const STAGE_TASKS: { stage: string; task: string; method: 'POST'; url: string; where?: Prisma.OrderWhereInput }[] = [
  { stage: 'sales_review', task: 'review', method: 'POST', url: '/orders/:orderNo/reviews/sales' },
  { stage: 'correction', task: 'correct', method: 'POST', url: '/orders/:orderNo/correction' },
  { stage: 'finance_review', task: 'review', method: 'POST', url: '/orders/:orderNo/reviews/finance' },
  { stage: 'awaiting_prepayment', task: 'prepayment', method: 'POST', url: '/orders/:orderNo/payments' },
  { stage: 'awaiting_payment', task: 'payment', method: 'POST', url: '/orders/:orderNo/payments' },
  { stage: 'contract_signature', task: 'contract_signature', method: 'POST', url: '/orders/:orderNo/contract/signature' },
  { stage: 'contract_signature', task: 'contract_confirmation', method: 'POST', url: '/orders/:orderNo/contract/finance-confirmation' },
  {
    stage: 'stock_preparation',
    task: 'production',
    method: 'POST',
    url: '/production-orders/:id/complete',
    where: { productionOrders: { some: OPEN_PRODUCTION } },
  },
  { stage: 'shipping', task: 'dispatch', method: 'POST', url: '/orders/:orderNo/dispatch' },
  { stage: 'in_transit', task: 'delivery', method: 'POST', url: '/orders/:orderNo/delivery' },
];

const mayCall = (role: Role, method: string, url: string): boolean => accessFor(method, url)?.roles.includes(role) ?? false;

/** The departments a role decides for (joint and change reviews), as far as the review routes let it. */
export function departmentsOf(role: Role, url: string): Department[] {
  return (Object.keys(DEPARTMENT_ROLES) as Department[]).filter((d) => DEPARTMENT_ROLES[d].includes(role) && mayCall(role, 'POST', url));
}

const JOINT_URL = '/orders/:orderNo/reviews/joint';
const CHANGE_URL = '/orders/:orderNo/changes/:changeId/reviews';

/** An order that needs attention (stage exception) waits for the roles it alerted: the failed stage's assignee and manager. */
const exceptionFor = (role: Role): Prisma.OrderWhereInput => ({ stage: 'exception', alerts: { some: { kind: 'exception', role } } });

const PAYMENT_URL = '/orders/:orderNo/payments';
/** An order whose invoice is open past its due date. */
const overdueInvoice = (now: Date): Prisma.OrderWhereInput => ({
  stage: { notIn: [...TERMINAL_STAGES] },
  invoice: { is: { status: 'open', dueDate: { lt: now } } },
});

/** Which orders wait for the role in their stage (change reviews are listed apart). */
export function taskFilter(role: Role, policy: Policy, now = new Date()): Prisma.OrderWhereInput {
  const or: Prisma.OrderWhereInput[] = [exceptionFor(role)];
  if (mayCall(role, 'POST', PAYMENT_URL)) or.push(overdueInvoice(now));
  for (const t of STAGE_TASKS) if (mayCall(role, t.method, t.url)) or.push({ stage: t.stage, ...(t.where ?? {}) });
  for (const department of departmentsOf(role, JOINT_URL).filter((d) => (JOINT_DEPARTMENTS as readonly string[]).includes(d)))
    or.push({ stage: 'joint_review', reviews: { none: { stage: 'joint_review', department } } });
  const managed = TIMED_STAGES.filter((s) => policy.stages[s].manager === role);
  if (managed.length) or.push({ stage: { in: [...managed] }, escalation: { in: ESCALATED } });
  return { OR: or };
}

/** What the role is to do with the order in its stage. */
function taskName(role: Role, stage: string, invoiceOverdue = false): string {
  if (stage === 'exception') return 'resolve_exception';
  if (invoiceOverdue && mayCall(role, 'POST', PAYMENT_URL)) return 'overdue_invoice';
  const t = STAGE_TASKS.find((x) => x.stage === stage && mayCall(role, x.method, x.url));
  if (t) return t.task;
  if (stage === 'joint_review') {
    const [department] = departmentsOf(role, JOINT_URL);
    if (department) return `joint_review:${department}`;
  }
  return `escalated:${stage}`;
}

export type TaskItem = {
  orderNo: string;
  task: string;
  stage: string;
  changeId?: string;
  /** The department the role decides for (joint and change reviews). */
  department?: string;
  /** The order's invoice, for payment tasks. */
  invoice?: { invoiceNo: string; dueDate: string; outstanding: string };
  customerId: string;
  customerName: string;
  stageEnteredAt: string;
  timeInStageSeconds: number;
  stageDeadline: string | null;
  overdue: boolean;
  escalation: string;
  onHold: boolean;
  riskLevel: string;
  totalAmount: string;
  currency: string;
  productionOrders?: { id: string; productionNo: string; quantity: number; percent: number; status: string; plannedFinish: string }[];
};

/**
 * Change requests under review that wait for one of the role's departments:
 * a department listed in the row's reviews with no decision yet (neither in
 * the row nor as a review decision `change:<id>:<department>`).
 */
async function changeTasks(prisma: PrismaClient, policy: Policy, role: Role, limit: number, now: Date, ownerId?: string): Promise<TaskItem[]> {
  const departments = departmentsOf(role, CHANGE_URL);
  if (departments.length === 0) return [];
  const rows = await prisma.changeRequest.findMany({
    where: {
      status: 'under_review',
      order: { stage: { notIn: [...TERMINAL_STAGES] }, ...(ownerId ? { customer: { ownerId } } : {}) },
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: limit,
    include: {
      order: {
        include: {
          customer: { select: { name: true } },
          reviews: { where: { key: { startsWith: 'change:' } }, select: { key: true } },
        },
      },
    },
  });
  const items: TaskItem[] = [];
  for (const c of rows) {
    const reviews = (c.reviews && typeof c.reviews === 'object' && !Array.isArray(c.reviews) ? c.reviews : {}) as Record<string, { decision?: unknown } | null>;
    const decided = new Set(c.order.reviews.map((r) => r.key));
    for (const d of departments) {
      if (!(d in reviews) || reviews[d]?.decision || decided.has(`change:${c.id}:${d}`)) continue;
      const deadline = new Date(addDuration(c.createdAt.toISOString(), policy.stages.change_review.limit));
      const o = c.order;
      items.push({
        orderNo: o.orderNo,
        task: `change_review:${d}`,
        stage: o.stage,
        changeId: c.id,
        department: d,
        customerId: o.customerId,
        customerName: o.customer.name,
        stageEnteredAt: c.createdAt.toISOString(),
        timeInStageSeconds: secondsSince(c.createdAt, now),
        stageDeadline: deadline.toISOString(),
        overdue: deadline.getTime() < now.getTime(),
        escalation: 'none',
        onHold: o.onHold,
        riskLevel: o.riskLevel,
        totalAmount: o.totalAmount.toFixed(2),
        currency: o.currency,
      });
    }
  }
  return items;
}

/** `ownerId`: only orders of customers this (sales) user owns. */
export async function listTasks(prisma: PrismaClient, policy: Policy, role: Role, limit = 100, now = new Date(), ownerId?: string) {
  const filter = taskFilter(role, policy, now);
  const production = mayCall(role, 'POST', '/production-orders/:id/complete');
  const rows = await prisma.order.findMany({
    where: ownerId ? { AND: [filter, { customer: { ownerId } }] } : filter,
    orderBy: [{ stageEnteredAt: 'asc' }, { id: 'asc' }],
    take: limit,
    include: {
      customer: { select: { name: true } },
      invoice: { select: { invoiceNo: true, dueDate: true, status: true, amount: true, paid: true } },
      productionOrders: production ? { where: OPEN_PRODUCTION, orderBy: { plannedFinish: 'asc' } } : false,
    },
  });
  // The signature step waits for sales until the newest contract is signed, then for finance until confirmed.
  const contract = new Map<string, ContractStatus>();
  for (const o of rows) if (o.stage === 'contract_signature') contract.set(o.id, await contractStatus(sqlOf(prisma), o.id));
  const stageItems: TaskItem[] = rows.flatMap((o) => {
    const inv = o.invoice;
    const invoiceOverdue = !!inv && inv.status === 'open' && inv.dueDate.getTime() < now.getTime();
    const task = taskName(role, o.stage, invoiceOverdue);
    const c = contract.get(o.id);
    if (task === 'contract_signature' && c?.signed) return [];
    if (task === 'contract_confirmation' && (!c?.signed || c.financeConfirmed)) return [];
    const department = task.startsWith('joint_review:') ? task.slice('joint_review:'.length) : undefined;
    const item: TaskItem = {
      orderNo: o.orderNo,
      task,
      stage: o.stage,
      ...(department ? { department } : {}),
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
      ...(inv && ['payment', 'prepayment', 'overdue_invoice'].includes(task)
        ? { invoice: { invoiceNo: inv.invoiceNo, dueDate: inv.dueDate.toISOString(), outstanding: outstanding(inv.amount.toFixed(2), inv.paid.toFixed(2)) } }
        : {}),
      ...(production
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
    };
    return [item];
  });
  const changeItems = await changeTasks(prisma, policy, role, limit, now, ownerId);
  // Oldest first across both kinds; ties by order number for a stable page.
  const items = [...stageItems, ...changeItems]
    .sort((a, b) => a.stageEnteredAt.localeCompare(b.stageEnteredAt) || a.orderNo.localeCompare(b.orderNo))
    .slice(0, limit);
  return { role, items };
}
