/**
 * Risk assessment, the risk register and early warning (SPEC 4). The rules
 * are the domain's (workflows/domain/risk.ts); this module gathers the facts
 * from the database, keeps the register (one row per order and category)
 * and raises one alert per new high risk.
 *
 * Facts
 * - credit: exposure as the finance check computes it (checks.ts
 *   creditOf: creditFigures + creditExposure), the customer's open invoices past their
 *   due date and the oldest one's whole days overdue;
 * - production: before stock preparation, the shortfall against what is
 *   available in stock (demand of the order's lines per product); after it,
 *   what the reservations do not cover, with the latest planned finish of
 *   the production orders still running;
 * - logistics: the booked carrier (reliability, transit, ETA vs requested
 *   date) or, before booking, chooseCarrier's choice for the delivery region
 *   shipping today; no choice = region not served;
 * - market: priceReview of the lines (lowest deviation vs list, margin).
 *
 * Register: upserted by (orderId, category); a category that no longer
 * applies is closed, one that applies again is reopened; orders.risk_level
 * is the highest level. A risk that becomes high gets an alerts row with key
 * `risk:<orderId>:<category>:<code>` (unique: one alert per event) and its
 * owner role is emailed through the outbox with that key. All register
 * writes are one transaction; a retry finds nothing changed and writes
 * nothing, and an alert whose email did not go out yet is emailed then.
 */
import type { ActivityDeps } from './index';
import { calendarDate, chooseCarrier } from '../workflows/domain/carriers';
import { priceReview } from '../workflows/domain/pricing';
import { DEFAULT_POLICY, type Policy } from '../workflows/domain/policy';
import {
  assessRisks as assessRiskRules,
  orderRiskLevel,
  type LogisticsFacts,
  type RiskAssessment,
  type RiskFacts,
  type RiskLevel,
} from '../workflows/domain/risk';
import { TX, notFound, writeAudit } from './audit';
import { creditOf, pricedLines } from './checks';
import { carrierOptions, shipmentSpec } from './shipping';
import { notifyRole } from './email/notify';
import { staffMessage } from './email/templates';

const DAY_MS = 86_400_000;
const PENDING_PRODUCTION = ['planned', 'in_progress', 'rework'];

export type RiskPolicyInput = Pick<Policy, 'jointReviewThreshold' | 'priceDeviation' | 'productionGrace' | 'shipLeadDays' | 'minMargin'>;

export const riskAlertKey = (orderId: string, r: Pick<RiskAssessment, 'category' | 'code'>) => `risk:${orderId}:${r.category}:${r.code}`;

async function gatherFacts(deps: ActivityDeps, orderId: string, policy: RiskPolicyInput, now: Date) {
  const { prisma } = deps;
  const order = await prisma.order.findUnique({
    where: { id: orderId },
    include: {
      customer: true,
      lines: { include: { product: true, reservation: true }, orderBy: { lineNo: 'asc' } },
      productionOrders: true,
      shipment: { include: { carrier: true } },
    },
  });
  if (!order) throw notFound(`order ${orderId} not found`);
  const requested = order.requestedDeliveryDate.toISOString().slice(0, 10);
  const active = order.lines.filter((l) => l.quantity > 0);

  // Credit: exposure as financeCheck computes it, and the customer's overdue invoices.
  const credit = await creditOf(prisma, order);
  const overdue = await prisma.invoice.findMany({
    where: { customerId: order.customerId, status: 'open', dueDate: { lt: now } },
    select: { dueDate: true },
  });
  const maxDaysOverdue = overdue.reduce((m, i) => Math.max(m, Math.floor((now.getTime() - i.dueDate.getTime()) / DAY_MS)), 0);

  // Logistics: the booking when there is one, else the carrier that would be chosen today.
  let logistics: LogisticsFacts;
  const s = order.shipment;
  if (s && s.status !== 'cancelled') {
    logistics = {
      regionServed: true,
      carrierReliability: s.carrier.reliability.toFixed(3),
      transitDays: s.carrier.transitDays,
      meetsRequestedDate: calendarDate(s.eta.toISOString()) <= requested,
    };
  } else {
    const { region, weightKg } = shipmentSpec(order);
    const { options } = await carrierOptions(prisma);
    const choice = chooseCarrier(options, { region, weightKg, shipDate: now.toISOString(), requestedDeliveryDate: requested });
    logistics = choice
      ? {
          regionServed: true,
          carrierReliability: options.find((o) => o.code === choice.code)!.reliability,
          transitDays: choice.transitDays,
          meetsRequestedDate: choice.meetsRequestedDate,
        }
      : { regionServed: false };
  }

  // Production: what stock does not cover, and when the production orders finish.
  let shortfallQty = 0;
  if (order.lines.some((l) => l.reservation)) {
    for (const l of active) {
      const r = l.reservation;
      const covered = !r ? 0 : r.status === 'consumed' ? l.quantity : r.status === 'reserved' ? r.quantity : 0;
      shortfallQty += Math.max(0, l.quantity - covered);
    }
  } else {
    const demand = new Map<string, number>();
    for (const l of active) demand.set(l.productId, (demand.get(l.productId) ?? 0) + l.quantity);
    const stock = await prisma.inventory.findMany({ where: { productId: { in: [...demand.keys()] } } });
    for (const [productId, qty] of demand) {
      const inv = stock.find((x) => x.productId === productId);
      shortfallQty += Math.max(0, qty - (inv ? Math.max(0, inv.onHand - inv.reserved) : 0));
    }
  }
  const pending = order.productionOrders.filter((p) => PENDING_PRODUCTION.includes(p.status));
  const latest = pending.reduce<Date | null>((m, p) => (!m || p.plannedFinish > m ? p.plannedFinish : m), null);

  // Market: price vs list and margin.
  const price = priceReview(pricedLines(order), { minMargin: policy.minMargin, priceDeviation: policy.priceDeviation });
  const minDeviation = price.lines.reduce<string | null>((m, l) => (m === null || Number(l.deviation) < Number(m) ? l.deviation : m), null);

  const facts: RiskFacts = {
    amount: order.totalAmount.toFixed(2),
    credit: {
      exposure: credit.exposure,
      creditLimit: order.customer.creditLimit.toFixed(2),
      creditHold: order.customer.creditHold,
      overdueInvoices: overdue.length,
      maxDaysOverdue,
    },
    production: {
      shortfallQty,
      ...(latest ? { plannedFinish: latest.toISOString() } : {}),
      requestedDeliveryDate: requested,
      ...(logistics.transitDays !== undefined ? { transitDays: logistics.transitDays } : {}),
    },
    logistics,
    ...(active.length ? { market: { minDeviation: minDeviation ?? '0.0000', margin: price.margin, minMargin: policy.minMargin } } : {}),
  };
  return { order, facts };
}

const same = (p: { code: string; probability: number; impact: number; score: number; level: string; control: string; owner: string; reason: string }, r: RiskAssessment) =>
  p.code === r.code &&
  p.probability === r.probability &&
  p.impact === r.impact &&
  p.score === r.score &&
  p.level === r.level &&
  p.control === r.control &&
  p.owner === r.owner &&
  p.reason === r.reason;

export async function assessRisks(
  deps: ActivityDeps,
  a: { orderId: string; orderNo: string; policy?: Partial<RiskPolicyInput> },
): Promise<{ level: RiskLevel; risks: RiskAssessment[] }> {
  const policy: RiskPolicyInput = { ...DEFAULT_POLICY, ...(a.policy ?? {}) };
  const now = new Date();
  const { order, facts } = await gatherFacts(deps, a.orderId, policy, now);
  const risks = assessRiskRules(facts, { ...DEFAULT_POLICY, ...policy });
  const level = orderRiskLevel(risks);

  const newAlerts = await deps.prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ risk_level: string }[]>`SELECT risk_level FROM orders WHERE id = ${a.orderId} FOR UPDATE`;
    if (locked.length === 0) throw notFound(`order ${a.orderId} not found`);
    const prior = await tx.risk.findMany({ where: { orderId: a.orderId } });
    const changes: Record<string, unknown>[] = [];
    const inserted: string[] = [];

    for (const r of risks) {
      const p = prior.find((x) => x.category === r.category);
      const fields = {
        code: r.code,
        probability: r.probability,
        impact: r.impact,
        score: r.score,
        level: r.level,
        control: r.control,
        owner: r.owner,
        reason: r.reason,
      };
      if (!p) {
        await tx.risk.create({ data: { orderId: a.orderId, category: r.category, ...fields, status: 'open' } });
        changes.push({ category: r.category, before: null, after: { ...fields, status: 'open' } });
      } else if (!same(p, r) || p.status === 'closed') {
        const status = p.status === 'closed' ? 'open' : p.status;
        await tx.risk.update({ where: { id: p.id }, data: { ...fields, status } });
        changes.push({ category: r.category, before: { code: p.code, score: p.score, level: p.level, status: p.status }, after: { ...fields, status } });
      }
      const wasHigh = p !== undefined && p.status !== 'closed' && p.level === 'high';
      if (r.level === 'high' && !wasHigh) {
        const key = riskAlertKey(a.orderId, r);
        const alert = await tx.alert.createMany({
          data: [{ key, orderId: a.orderId, kind: 'risk', role: r.owner, message: `high ${r.category} risk (${r.code}, score ${r.score}): ${r.reason}` }],
          skipDuplicates: true,
        });
        if (alert.count === 1) inserted.push(key);
      }
    }
    for (const p of prior)
      if (p.status !== 'closed' && !risks.some((r) => r.category === p.category)) {
        await tx.risk.update({ where: { id: p.id }, data: { status: 'closed' } });
        changes.push({ category: p.category, before: { code: p.code, score: p.score, level: p.level, status: p.status }, after: { status: 'closed' } });
      }
    if (locked[0].risk_level !== level) await tx.order.update({ where: { id: a.orderId }, data: { riskLevel: level } });

    if (changes.length || locked[0].risk_level !== level) {
      // Numbered: each assessment that changed the register has its own audit row, a retry adds none.
      const n = await tx.auditEntry.count({ where: { entity: 'order', entityId: a.orderId, action: 'risk.assess' } });
      await writeAudit(tx, {
        key: `risk-assess:${a.orderId}:${n + 1}`,
        actor: 'system',
        action: 'risk.assess',
        entity: 'order',
        entityId: a.orderId,
        orderNo: a.orderNo,
        before: { riskLevel: locked[0].risk_level },
        after: { riskLevel: level, changes, alerts: inserted },
      });
    }
    return inserted;
  }, TX);

  // Early warning emails: for alerts raised now, and for those an earlier attempt raised but did not email.
  for (const r of risks.filter((x) => x.level === 'high')) {
    const key = riskAlertKey(a.orderId, r);
    if (!newAlerts.includes(key)) {
      const alert = await deps.prisma.alert.findUnique({ where: { key }, select: { id: true } });
      if (!alert) continue;
      const mails = await deps.prisma.emailOutbox.findMany({ where: { orderId: a.orderId, key: { startsWith: `${key}:` } }, select: { status: true } });
      if (mails.length > 0 && mails.every((m) => m.status === 'sent')) continue;
    }
    const mail = staffMessage('alert', {
      orderNo: a.orderNo,
      stage: order.stage,
      detail: `New high ${r.category} risk (${r.code}): probability ${r.probability} x impact ${r.impact} = ${r.score}.\nWhy: ${r.reason}\nControl: ${r.control}`,
    });
    await notifyRole(deps, { key, orderId: a.orderId, role: r.owner, ...mail });
  }
  return { level, risks };
}
