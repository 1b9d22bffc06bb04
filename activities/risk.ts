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
import { notFound, writeAudit } from './audit';
import { sqlOf } from './infra/db';
import { loadOrderGraph } from './order-graph';
import { creditOf, pricedLines, ratesOf } from './checks';
import { carrierOptions, shipmentSpec } from './shipping';
import { enqueueRoleMail, notifyRole } from './email/notify';
import { staffMessage } from './email/templates';

const DAY_MS = 86_400_000;
const PENDING_PRODUCTION = ['planned', 'in_progress', 'rework'];

export type RiskPolicyInput = Pick<Policy, 'jointReviewThreshold' | 'priceDeviation' | 'productionGrace' | 'shipLeadDays' | 'minMargin'>;

export const riskAlertKey = (orderId: string, r: Pick<RiskAssessment, 'category' | 'code'>) => `risk:${orderId}:${r.category}:${r.code}`;

async function gatherFacts(deps: ActivityDeps, orderId: string, policy: RiskPolicyInput, now: Date) {
  const { prisma } = deps;
  const sql = sqlOf(prisma);
  const order = await loadOrderGraph(sql, orderId);
  const requested = order.requestedDeliveryDate.toISOString().slice(0, 10);
  const active = order.lines.filter((l) => l.quantity > 0);

  // Credit: exposure as financeCheck computes it, and the customer's overdue invoices.
  const credit = await creditOf(prisma, order, ratesOf(deps));
  const overdue = await sql.query<{ dueDate: Date }>(
    `SELECT due_date FROM invoices WHERE customer_id = $1 AND status = 'open' AND due_date < $2::timestamp(3)`,
    [order.customerId, now.toISOString()],
  );
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
    const stock = await sql.query<{ productId: string; onHand: number; reserved: number }>(
      `SELECT product_id, on_hand, reserved FROM inventory WHERE product_id = ANY($1::text[])`,
      [[...demand.keys()]],
    );
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

/** What an assessment sets on a register row, in the column order of the INSERT and UPDATE below. */
const REGISTER_FIELDS = ['code', 'probability', 'impact', 'score', 'level', 'control', 'owner', 'reason'] as const;
type RegisterField = (typeof REGISTER_FIELDS)[number];

type RiskRow = Pick<RiskAssessment, RegisterField | 'category'> & { id: string; status: string };

const same = (p: RiskRow, r: RiskAssessment) => REGISTER_FIELDS.every((k) => p[k] === r[k]);

/** The early-warning mail to a high risk's owner. */
const riskMail = (orderNo: string, stage: string, r: RiskAssessment) =>
  staffMessage('alert', {
    orderNo,
    stage,
    detail: `New high ${r.category} risk (${r.code}): probability ${r.probability} x impact ${r.impact} = ${r.score}.\nWhy: ${r.reason}\nControl: ${r.control}`,
  });

export async function assessRisks(
  deps: ActivityDeps,
  a: { orderId: string; orderNo: string; policy?: Partial<RiskPolicyInput> },
): Promise<{ level: RiskLevel; risks: RiskAssessment[] }> {
  const policy: RiskPolicyInput = { ...DEFAULT_POLICY, ...(a.policy ?? {}) };
  const now = new Date();
  const { order, facts } = await gatherFacts(deps, a.orderId, policy, now);
  const risks = assessRiskRules(facts, { ...DEFAULT_POLICY, ...policy });
  const level = orderRiskLevel(risks);

  const newAlerts = await sqlOf(deps.prisma).transaction(async (tx) => {
    const [locked] = await tx.query<{ riskLevel: string }>(`SELECT risk_level FROM orders WHERE id = $1 FOR UPDATE`, [a.orderId]);
    if (!locked) throw notFound(`order ${a.orderId} not found`);
    const prior = await tx.query<RiskRow>(`SELECT * FROM risks WHERE order_id = $1`, [a.orderId]);
    const changes: Record<string, unknown>[] = [];
    const inserted: string[] = [];
    const nowIso = now.toISOString();

    for (const r of risks) {
      const p = prior.find((x) => x.category === r.category);
      const values = REGISTER_FIELDS.map((k) => r[k]);
      const fields = Object.fromEntries(REGISTER_FIELDS.map((k) => [k, r[k]]));
      if (!p) {
        await tx.execute(
          `INSERT INTO risks (id, order_id, category, code, probability, impact, score, level, control, owner, reason, status, updated_at)
           VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11::timestamp(3))`,
          [a.orderId, r.category, ...values, nowIso],
        );
        changes.push({ category: r.category, before: null, after: { ...fields, status: 'open' } });
      } else if (!same(p, r) || p.status === 'closed') {
        const status = p.status === 'closed' ? 'open' : p.status;
        await tx.execute(
          `UPDATE risks SET code = $2, probability = $3, impact = $4, score = $5, level = $6, control = $7, owner = $8, reason = $9,
                  status = $10, updated_at = $11::timestamp(3) WHERE id = $1`,
          [p.id, ...values, status, nowIso],
        );
        changes.push({ category: r.category, before: { code: p.code, score: p.score, level: p.level, status: p.status }, after: { ...fields, status } });
      }
      const wasHigh = p !== undefined && p.status !== 'closed' && p.level === 'high';
      if (r.level === 'high' && !wasHigh) {
        const key = riskAlertKey(a.orderId, r);
        const added = await tx.execute(
          `INSERT INTO alerts (id, key, order_id, kind, role, message) VALUES (gen_random_uuid()::text, $1, $2, 'risk', $3, $4)
           ON CONFLICT (key) DO NOTHING`,
          [key, a.orderId, r.owner, `high ${r.category} risk (${r.code}, score ${r.score}): ${r.reason}`],
        );
        if (added === 1) {
          inserted.push(key);
          // The owner's early-warning mail commits with the alert.
          await enqueueRoleMail(tx, { key, orderId: a.orderId, role: r.owner, ...riskMail(a.orderNo, order.stage, r) }, deps.mailQueue, deps.publicUrl);
        }
      }
    }
    for (const p of prior)
      if (p.status !== 'closed' && !risks.some((r) => r.category === p.category)) {
        await tx.execute(`UPDATE risks SET status = 'closed', updated_at = $2::timestamp(3) WHERE id = $1`, [p.id, nowIso]);
        changes.push({ category: p.category, before: { code: p.code, score: p.score, level: p.level, status: p.status }, after: { status: 'closed' } });
      }
    if (locked.riskLevel !== level) await tx.execute(`UPDATE orders SET risk_level = $2 WHERE id = $1`, [a.orderId, level]);

    if (changes.length || locked.riskLevel !== level) {
      // Numbered: each assessment that changed the register has its own audit row, a retry adds none.
      const [{ n }] = await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_trail WHERE entity = 'order' AND entity_id = $1 AND action = 'risk.assess'`,
        [a.orderId],
      );
      await writeAudit(tx, {
        key: `risk-assess:${a.orderId}:${n + 1}`,
        actor: 'system',
        action: 'risk.assess',
        entity: 'order',
        entityId: a.orderId,
        orderNo: a.orderNo,
        before: { riskLevel: locked.riskLevel },
        after: { riskLevel: level, changes, alerts: inserted },
      });
    }
    return inserted;
  });

  // An alert raised before the outbox was transactional may lack its mails: queue them (keys already queued are left alone).
  for (const r of risks.filter((x) => x.level === 'high' && !newAlerts.includes(riskAlertKey(a.orderId, x)))) {
    const key = riskAlertKey(a.orderId, r);
    const alert = await deps.prisma.alert.findUnique({ where: { key }, select: { id: true } });
    if (!alert) continue;
    if ((await deps.prisma.emailOutbox.count({ where: { orderId: a.orderId, key: { startsWith: `${key}:` } } })) > 0) continue;
    await notifyRole(deps, { key, orderId: a.orderId, role: r.owner, ...riskMail(a.orderNo, order.stage, r) });
  }
  return { level, risks };
}
