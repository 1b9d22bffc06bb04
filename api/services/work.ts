/**
 * "My work" of the console (GET /work): the work queue of the caller's role
 * (listTasks, api/services/tasks.ts, the same queue as GET /tasks), shaped
 * for people: one item per thing to do (one per open production order),
 * what is due when and how long is left, the pre-check problems of a review,
 * the order's open risks, the ids needed to act, most urgent first.
 */
import type { PrismaClient } from '../../activities/infra/db';
import { builtinCarrierAdapter } from '../../activities/carriers/builtin';
import { financeCheck, salesPrechecks } from '../../activities/checks';
import type { ActivityDeps } from '../../activities/index';
import type { Policy, Role } from '../../workflows/domain/policy';
import { scopedOwnerId } from '../auth/rules';
import type { AuthUser } from '../auth/tokens';
import { listTasks, type TaskItem } from './tasks';

export interface WorkItem {
  key: string;
  task: string;
  orderNo: string;
  customer: { id: string; name: string };
  amount: string;
  currency: string;
  stage: string;
  stageEnteredAt: string;
  deadline: string | null;
  secondsLeft: number | null;
  overdue: boolean;
  escalation: string;
  onHold: boolean;
  riskLevel: string;
  problems: string[];
  risks: { category: string; code: string; level: string; score: number; status: string; reason: string }[];
  changeId?: string;
  department?: string;
  productionOrderId?: string;
  productionNo?: string;
  percent?: number;
  invoiceNo?: string;
  outstanding?: string;
}

const ESCALATION_RANK: Record<string, number> = { none: 0, warned: 1, reminded: 2, escalated: 3, timed_out: 4 };

/**
 * Most urgent first: items with a deadline before those without, the
 * earliest deadline first (the most overdue on top); then the higher
 * escalation; then the older; then by key, so the order is stable.
 */
export function byUrgency(a: WorkItem, b: WorkItem): number {
  if (a.deadline && b.deadline && a.deadline !== b.deadline) return a.deadline.localeCompare(b.deadline);
  if (!!a.deadline !== !!b.deadline) return a.deadline ? -1 : 1;
  const esc = (ESCALATION_RANK[b.escalation] ?? 0) - (ESCALATION_RANK[a.escalation] ?? 0);
  if (esc) return esc;
  return a.stageEnteredAt.localeCompare(b.stageEnteredAt) || a.key.localeCompare(b.key);
}

export async function myWork(deps: { prisma: PrismaClient; policy: Policy }, user: AuthUser, limit = 200, now = new Date()) {
  const role = user.role as Role;
  const { items: tasks } = await listTasks(deps.prisma, deps.policy, role, limit, now, scopedOwnerId(user));

  const orderNos = [...new Set(tasks.map((t) => t.orderNo))];
  const [risks, orders] = await Promise.all([
    deps.prisma.risk.findMany({
      where: { order: { orderNo: { in: orderNos } }, status: 'open' },
      orderBy: [{ score: 'desc' }, { code: 'asc' }],
      select: { category: true, code: true, level: true, score: true, status: true, reason: true, order: { select: { orderNo: true } } },
    }),
    deps.prisma.order.findMany({ where: { orderNo: { in: orderNos } }, select: { id: true, orderNo: true } }),
  ]);
  const risksOf = new Map<string, WorkItem['risks']>();
  for (const r of risks) {
    const list = risksOf.get(r.order.orderNo) ?? [];
    list.push({ category: r.category, code: r.code, level: r.level, score: r.score, status: r.status, reason: r.reason });
    risksOf.set(r.order.orderNo, list);
  }
  const idOf = new Map(orders.map((o) => [o.orderNo, o.id]));

  // The automatic checks shown with a review (SPEC 3.2, 3.3): the activities' own read-only checks.
  const checkDeps: ActivityDeps = { prisma: deps.prisma, carriers: builtinCarrierAdapter, policy: deps.policy };
  const problemsOf = async (t: TaskItem): Promise<string[]> => {
    const orderId = idOf.get(t.orderNo);
    if (!orderId || t.task !== 'review') return [];
    try {
      if (t.stage === 'sales_review') return (await salesPrechecks(checkDeps, { orderId, priceDeviation: deps.policy.priceDeviation })).problems;
      if (t.stage === 'finance_review')
        return (await financeCheck(checkDeps, { orderId, minMargin: deps.policy.minMargin, priceDeviation: deps.policy.priceDeviation })).problems;
    } catch {
      return ['the automatic checks could not be run'];
    }
    return [];
  };

  const items: WorkItem[] = [];
  for (const t of tasks) {
    const deadline = t.task === 'overdue_invoice' && t.invoice ? t.invoice.dueDate : t.stageDeadline;
    const secondsLeft = deadline ? Math.floor((Date.parse(deadline) - now.getTime()) / 1000) : null;
    const base: WorkItem = {
      key: `${t.orderNo}:${t.task}${t.changeId ? `:${t.changeId}` : ''}`,
      task: t.task,
      orderNo: t.orderNo,
      customer: { id: t.customerId, name: t.customerName },
      amount: t.totalAmount,
      currency: t.currency,
      stage: t.stage,
      stageEnteredAt: t.stageEnteredAt,
      deadline,
      secondsLeft,
      overdue: secondsLeft !== null && secondsLeft < 0,
      escalation: t.escalation,
      onHold: t.onHold,
      riskLevel: t.riskLevel,
      problems: await problemsOf(t),
      risks: risksOf.get(t.orderNo) ?? [],
      ...(t.changeId ? { changeId: t.changeId } : {}),
      ...(t.department ? { department: t.department } : {}),
      ...(t.invoice ? { invoiceNo: t.invoice.invoiceNo, outstanding: t.invoice.outstanding } : {}),
    };
    if (t.task === 'production' && t.productionOrders?.length) {
      for (const p of t.productionOrders)
        items.push({ ...base, key: `${base.key}:${p.id}`, productionOrderId: p.id, productionNo: p.productionNo, percent: p.percent });
    } else items.push(base);
  }
  items.sort(byUrgency);
  return { role, total: items.length, generatedAt: now.toISOString(), items };
}
