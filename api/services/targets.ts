/**
 * What a request acts on (api/auth/roles.ts `target` / `creates`), read from
 * the database: the order it belongs to (for the record-level rule: whose
 * customer is it) and a small picture of its state (for the audit trail's
 * before and after).
 */
import { sqlOf, type PrismaClient } from '../../activities/infra/db';
import type { TargetKind } from '../auth/roles';

export interface Target {
  kind: TargetKind;
  /** Audit entity name. */
  entity: string;
  /** The key it was looked up by (order number, row id, username). */
  entityId: string;
  found: boolean;
  /** The order it belongs to, when it belongs to one. */
  orderNo: string | null;
  /** The owner (a sales user id) of that order's customer. */
  customerOwnerId: string | null;
  /** Its state, for the audit trail; null when not found. */
  state: Record<string, unknown> | null;
}

export const ENTITY: Record<TargetKind, string> = {
  order: 'order',
  productionOrder: 'production_order',
  complaint: 'complaint',
  risk: 'risk',
  token: 'api_token',
  user: 'user',
};

/** The message a handler gives for a missing one: used when the record-level rule hides one. */
export const NOT_FOUND_MESSAGE: Record<TargetKind, (id: string) => string> = {
  order: (id) => `order ${id} not found`,
  productionOrder: (id) => `production order ${id} not found`,
  complaint: (id) => `complaint ${id} not found`,
  risk: (id) => `risk ${id} not found`,
  token: (id) => `token ${id} not found`,
  user: (id) => `user ${id} not found`,
};

const ORDER_SELECT = {
  orderNo: true,
  stage: true,
  onHold: true,
  outcome: true,
  escalation: true,
  riskLevel: true,
  subtotal: true,
  taxAmount: true,
  totalAmount: true,
  currency: true,
  customer: { select: { ownerId: true } },
} as const;

type OrderRow = {
  orderNo: string;
  stage: string;
  onHold: boolean;
  outcome: string | null;
  escalation: string;
  riskLevel: string;
  subtotal: { toFixed(dp: number): string };
  taxAmount: { toFixed(dp: number): string };
  totalAmount: { toFixed(dp: number): string };
  currency: string;
  customer: { ownerId: string | null };
};

/** The order's stage, status and totals. */
export const orderState = (o: OrderRow) => ({
  orderNo: o.orderNo,
  stage: o.stage,
  onHold: o.onHold,
  outcome: o.outcome,
  escalation: o.escalation,
  riskLevel: o.riskLevel,
  subtotal: o.subtotal.toFixed(2),
  taxAmount: o.taxAmount.toFixed(2),
  totalAmount: o.totalAmount.toFixed(2),
  currency: o.currency,
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export async function loadTarget(prisma: PrismaClient, kind: TargetKind, key: string): Promise<Target> {
  const base = { kind, entity: ENTITY[kind], entityId: key };
  const none: Target = { ...base, found: false, orderNo: null, customerOwnerId: null, state: null };
  switch (kind) {
    case 'order': {
      // Plain SQL (activities/infra/sql.ts): every order command loads its order before and after.
      const [o] = await sqlOf(prisma).query<OrderRow>(
        `SELECT o.order_no, o.stage, o.on_hold, o.outcome, o.escalation, o.risk_level, o.subtotal, o.tax_amount, o.total_amount, o.currency,
                json_build_object('ownerId', c.owner_id) AS customer
           FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.order_no = $1`,
        [key],
      );
      if (!o) return { ...none, orderNo: key };
      return { ...base, found: true, orderNo: o.orderNo, customerOwnerId: o.customer.ownerId, state: { order: orderState(o) } };
    }
    case 'productionOrder': {
      const p = await prisma.productionOrder.findUnique({
        where: { id: key },
        select: { productionNo: true, percent: true, status: true, qcPassed: true, completedAt: true, order: { select: ORDER_SELECT } },
      });
      if (!p) return none;
      return {
        ...base,
        found: true,
        orderNo: p.order.orderNo,
        customerOwnerId: p.order.customer.ownerId,
        state: {
          productionOrder: { productionNo: p.productionNo, percent: p.percent, status: p.status, qcPassed: p.qcPassed, completedAt: iso(p.completedAt) },
          order: orderState(p.order),
        },
      };
    }
    case 'complaint': {
      const c = await prisma.complaint.findUnique({
        where: { id: key },
        select: { status: true, owner: true, resolvedBy: true, order: { select: ORDER_SELECT } },
      });
      if (!c) return none;
      return {
        ...base,
        found: true,
        orderNo: c.order.orderNo,
        customerOwnerId: c.order.customer.ownerId,
        state: { complaint: { status: c.status, owner: c.owner, resolvedBy: c.resolvedBy }, order: orderState(c.order) },
      };
    }
    case 'risk': {
      const r = await prisma.risk.findUnique({
        where: { id: key },
        select: { control: true, owner: true, status: true, level: true, score: true, order: { select: ORDER_SELECT } },
      });
      if (!r) return none;
      return {
        ...base,
        found: true,
        orderNo: r.order.orderNo,
        customerOwnerId: r.order.customer.ownerId,
        state: { risk: { control: r.control, owner: r.owner, status: r.status, level: r.level, score: r.score }, order: orderState(r.order) },
      };
    }
    case 'token': {
      const t = await prisma.apiToken.findUnique({
        where: { id: key },
        select: { name: true, kind: true, expiresAt: true, revokedAt: true, userId: true, user: { select: { username: true } } },
      });
      if (!t) return none;
      return {
        ...base,
        found: true,
        orderNo: null,
        customerOwnerId: null,
        state: {
          token: { username: t.user.username, userId: t.userId, name: t.name, kind: t.kind, expiresAt: iso(t.expiresAt), revokedAt: iso(t.revokedAt) },
        },
      };
    }
    case 'user': {
      const u = await prisma.user.findUnique({ where: { username: key }, select: { username: true, role: true, active: true } });
      if (!u) return none;
      return { ...base, found: true, orderNo: null, customerOwnerId: null, state: { user: u } };
    }
  }
}
