/**
 * Corrections and change requests (SPEC "Changes and cancellation"): the
 * order's data is updated, then its plan follows: reservations and
 * production orders reconciled with the new quantities, the carrier booking
 * changed, the invoice amount updated.
 *
 * Each activity is idempotent under retry:
 * - applyOrderChanges: one transaction per key; audit row `apply:<orderId>:<key>`
 *   says it is done, and a retry only reads the order back;
 * - adjustPlan: reconciles towards the order's quantities, so a second run
 *   finds nothing to do;
 * - rebookCarrier: adapter key `<orderId>:<key>` gives the same tracking
 *   number again; audit row `rebook:<orderId>:<key>` says it is done;
 * - updateInvoiceAmount / updateChangeRequest: set a value, write only when
 *   it changes.
 *
 * Lines of a change are keyed by product: an existing line of that product
 * is updated, a new product gets a new line (next line number), and a line
 * whose product is left out keeps its row with quantity 0 (reservations and
 * production orders reference it).
 */
import type { ActivityDeps } from './index';
import type { Product } from '../generated/prisma/client';
import { orderLineInput, type OrderChanges, type OrderLineInput, type ProductionState } from '../workflows/order/contract';
import { fmt, money, orderTotals } from '../workflows/domain/money';
import { planProduction } from '../workflows/domain/production';
import { TX, badInput, notFound, toDate, wrongStage, writeAudit, type Db } from './audit';
import { lockInventory } from './inventory';
import { syncRefunds } from './refunds';
import { productionNoFor } from './production';
import { bookingView, chooseCarrierFor, type Booking } from './shipping';

export type ChangeLine = NonNullable<OrderChanges['lines']>[number];

const MONEY_RE = /^\d{1,12}(\.\d{1,2})?$/;
const TAX_RE = /^(0(\.\d{1,4})?|1(\.0{1,4})?)$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

const isoDate = (d: Date) => d.toISOString().slice(0, 10);
const nonEmpty = (v: unknown) => typeof v === 'string' && v.trim() !== '';

/**
 * Shape and master-data checks of a change (what a retry cannot fix is
 * BadInput naming the field): lines well-formed, one line per product, every
 * product known and active; dates and address complete. Returns the
 * products of the change's lines by id. Payment terms are checked by the
 * caller (against the customer).
 */
export async function checkChanges(db: Db, changes: OrderChanges) {
  if (!changes || typeof changes !== 'object') throw badInput('changes: must be an object', 'changes');
  if (changes.requestedDeliveryDate !== undefined) {
    const d = changes.requestedDeliveryDate;
    if (typeof d !== 'string' || !DATE_RE.test(d.slice(0, 10)) || Number.isNaN(new Date(d).getTime()))
      throw badInput(`changes.requestedDeliveryDate: "${String(d)}" is not an ISO date`, 'changes.requestedDeliveryDate');
  }
  if (changes.deliveryAddress !== undefined) {
    const addr = changes.deliveryAddress as Record<string, unknown> | null;
    if (!addr || typeof addr !== 'object') throw badInput('changes.deliveryAddress: must be an object', 'changes.deliveryAddress');
    for (const f of ['recipient', 'phone', 'region', 'city', 'line1'])
      if (!nonEmpty(addr[f])) throw badInput(`changes.deliveryAddress.${f}: required`, `changes.deliveryAddress.${f}`);
  }
  if (changes.contact !== undefined && !nonEmpty(changes.contact?.name))
    throw badInput('changes.contact.name: required', 'changes.contact.name');
  if (changes.paymentTerms !== undefined && !nonEmpty(changes.paymentTerms))
    throw badInput('changes.paymentTerms: required', 'changes.paymentTerms');

  const products = new Map<string, Product>();
  if (changes.lines === undefined) return products;
  if (!Array.isArray(changes.lines) || changes.lines.length === 0)
    throw badInput('changes.lines: an order needs at least one line', 'changes.lines');
  const seen = new Set<string>();
  changes.lines.forEach((l, i) => {
    const f = `changes.lines[${i}]`;
    if (!l || typeof l !== 'object') throw badInput(`${f}: must be an object`, f);
    if (!nonEmpty(l.productId)) throw badInput(`${f}.productId: required`, `${f}.productId`);
    if (seen.has(l.productId)) throw badInput(`${f}.productId: product ${l.productId} appears twice`, `${f}.productId`);
    seen.add(l.productId);
    if (!Number.isInteger(l.quantity) || l.quantity < 1) throw badInput(`${f}.quantity: a whole number of at least 1`, `${f}.quantity`);
    if (typeof l.unitPrice !== 'string' || !MONEY_RE.test(l.unitPrice))
      throw badInput(`${f}.unitPrice: a decimal with at most 2 places`, `${f}.unitPrice`);
    if (typeof l.taxRate !== 'string' || !TAX_RE.test(l.taxRate))
      throw badInput(`${f}.taxRate: a fraction from 0 to 1 with at most 4 places`, `${f}.taxRate`);
  });
  const found = await db.product.findMany({ where: { id: { in: [...seen] } } });
  for (const p of found) products.set(p.id, p);
  changes.lines.forEach((l, i) => {
    const p = products.get(l.productId);
    if (!p) throw badInput(`changes.lines[${i}].productId: unknown product ${l.productId}`, `changes.lines[${i}].productId`);
    if (!p.active) throw badInput(`changes.lines[${i}].productId: product ${p.sku} is no longer sold`, `changes.lines[${i}].productId`);
  });
  return products;
}

export interface MergedLine<L> {
  /** The existing line, when there is one. */
  existing?: L;
  /** The change's line for it; absent: the line's product was left out (quantity 0). */
  next?: ChangeLine;
  lineNo: number;
  productId: string;
  quantity: number;
}

/**
 * The order's lines after a change that gives the full new set: an existing
 * line of each product (the first one, by line number) is updated, new
 * products are appended, existing lines left out get quantity 0.
 */
export function mergeLines<L extends { lineNo: number; productId: string; quantity: number }>(
  existing: L[],
  next: ChangeLine[],
): MergedLine<L>[] {
  const sorted = [...existing].sort((a, b) => a.lineNo - b.lineNo);
  let lastNo = sorted.reduce((m, l) => Math.max(m, l.lineNo), 0);
  const used = new Set<L>();
  const out: MergedLine<L>[] = [];
  const added: MergedLine<L>[] = [];
  const matchOf = new Map<L, ChangeLine>();
  for (const n of next) {
    const line = sorted.find((l) => l.productId === n.productId && !used.has(l));
    if (line) {
      used.add(line);
      matchOf.set(line, n);
    } else {
      lastNo += 1;
      added.push({ next: n, lineNo: lastNo, productId: n.productId, quantity: n.quantity });
    }
  }
  for (const l of sorted) {
    const n = matchOf.get(l);
    out.push({ existing: l, next: n, lineNo: l.lineNo, productId: l.productId, quantity: n ? n.quantity : 0 });
  }
  return [...out, ...added];
}

export interface AppliedChanges {
  totalAmount: string;
  paymentTerms: string;
  /** ISO date. */
  requestedDeliveryDate: string;
  /** The order's lines with a quantity (lines left out by a change are not listed). */
  lines: OrderLineInput[];
}

async function orderFacts(db: Db, orderId: string): Promise<AppliedChanges> {
  const order = await db.order.findUniqueOrThrow({
    where: { id: orderId },
    include: { lines: { include: { product: { select: { sku: true } } }, orderBy: { lineNo: 'asc' } } },
  });
  return {
    totalAmount: order.totalAmount.toFixed(2),
    paymentTerms: order.paymentTerms,
    requestedDeliveryDate: isoDate(order.requestedDeliveryDate),
    lines: order.lines.filter((l) => l.quantity > 0).map((l) => orderLineInput(l)),
  };
}

/** Payment terms of a change must be among the customer's allowed terms. */
export function checkTerms(allowed: string[], changes: OrderChanges): void {
  if (changes.paymentTerms !== undefined && !allowed.includes(changes.paymentTerms))
    throw badInput(
      `changes.paymentTerms: ${changes.paymentTerms} is not allowed for this customer (allowed: ${allowed.join(', ') || 'none'})`,
      'changes.paymentTerms',
    );
}

export async function applyOrderChanges(
  deps: ActivityDeps,
  a: { orderId: string; orderNo: string; key: string; kind: 'correction' | 'change'; changes: OrderChanges; actor: string },
): Promise<AppliedChanges> {
  if (a.kind !== 'correction' && a.kind !== 'change') throw badInput(`kind: "${String(a.kind)}" is not correction or change`, 'kind');
  if (!nonEmpty(a.key)) throw badInput('key: required', 'key');
  const auditKey = `apply:${a.orderId}:${a.key}`;
  return deps.prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM orders WHERE id = ${a.orderId} FOR UPDATE`;
    if (locked.length === 0) throw notFound(`order ${a.orderId} not found`);
    // Done by an earlier attempt (the order row is locked, so attempts queue up here).
    if (await tx.auditEntry.findUnique({ where: { key: auditKey }, select: { id: true } })) return orderFacts(tx, a.orderId);

    const order = await tx.order.findUniqueOrThrow({
      where: { id: a.orderId },
      include: { customer: true, shipment: true, lines: { orderBy: { lineNo: 'asc' } } },
    });
    if (order.shipment && ['dispatched', 'delivered'].includes(order.shipment.status))
      throw wrongStage(`order ${order.orderNo} has been dispatched: it can no longer be changed`);
    const products = await checkChanges(tx, a.changes);
    checkTerms(order.customer.allowedPaymentTerms, a.changes);
    const c = a.changes;

    const lineView = (l: (typeof order.lines)[number]) => ({
      lineNo: l.lineNo,
      productId: l.productId,
      quantity: l.quantity,
      unitPrice: l.unitPrice.toFixed(2),
      taxRate: l.taxRate.toFixed(4),
      specification: l.specification,
    });
    const before = {
      lines: order.lines.map(lineView),
      subtotal: order.subtotal.toFixed(2),
      tax: order.taxAmount.toFixed(2),
      total: order.totalAmount.toFixed(2),
      requestedDeliveryDate: isoDate(order.requestedDeliveryDate),
      deliveryAddress: order.deliveryAddress,
      paymentTerms: order.paymentTerms,
      contact: { name: order.contactName, phone: order.contactPhone, email: order.contactEmail },
    };

    if (c.lines) {
      for (const m of mergeLines(order.lines, c.lines)) {
        if (m.existing && m.next)
          await tx.orderLine.update({
            where: { id: m.existing.id },
            data: {
              quantity: m.next.quantity,
              unitPrice: m.next.unitPrice,
              taxRate: m.next.taxRate,
              specification: m.next.specification ?? m.existing.specification,
            },
          });
        else if (m.existing) {
          if (m.existing.quantity !== 0) await tx.orderLine.update({ where: { id: m.existing.id }, data: { quantity: 0 } });
        } else if (m.next) {
          if (!products.has(m.productId)) throw new Error(`product ${m.productId} was not checked`);
          await tx.orderLine.create({
            data: {
              orderId: order.id,
              lineNo: m.lineNo,
              productId: m.productId,
              quantity: m.next.quantity,
              unitPrice: m.next.unitPrice,
              taxRate: m.next.taxRate,
              specification: m.next.specification ?? null,
            },
          });
        }
      }
    }
    const lines = await tx.orderLine.findMany({ where: { orderId: order.id }, orderBy: { lineNo: 'asc' } });
    const totals = orderTotals(
      lines.filter((l) => l.quantity > 0).map((l) => ({ quantity: l.quantity, unitPrice: l.unitPrice.toFixed(2), taxRate: l.taxRate.toFixed(4) })),
    );
    await tx.order.update({
      where: { id: order.id },
      data: {
        subtotal: totals.subtotal,
        taxAmount: totals.tax,
        totalAmount: totals.total,
        ...(c.requestedDeliveryDate !== undefined ? { requestedDeliveryDate: new Date(c.requestedDeliveryDate.slice(0, 10)) } : {}),
        ...(c.deliveryAddress !== undefined ? { deliveryAddress: JSON.parse(JSON.stringify(c.deliveryAddress)) } : {}),
        ...(c.paymentTerms !== undefined ? { paymentTerms: c.paymentTerms } : {}),
        ...(c.contact !== undefined
          ? {
              contactName: c.contact.name,
              ...(c.contact.phone !== undefined ? { contactPhone: c.contact.phone } : {}),
              ...(c.contact.email !== undefined ? { contactEmail: c.contact.email } : {}),
            }
          : {}),
        ...(a.kind === 'correction' ? { correctionCount: { increment: 1 } } : {}),
      },
    });
    const after = await tx.order.findUniqueOrThrow({ where: { id: order.id } });
    await writeAudit(tx, {
      key: auditKey,
      actor: a.actor,
      action: a.kind === 'correction' ? 'order.correct' : 'order.change',
      entity: 'order',
      entityId: order.id,
      orderNo: order.orderNo,
      before,
      after: {
        key: a.key,
        changes: c,
        lines: lines.map(lineView),
        subtotal: totals.subtotal,
        tax: totals.tax,
        total: totals.total,
        requestedDeliveryDate: isoDate(after.requestedDeliveryDate),
        deliveryAddress: after.deliveryAddress,
        paymentTerms: after.paymentTerms,
        contact: { name: after.contactName, phone: after.contactPhone, email: after.contactEmail },
        correctionCount: after.correctionCount,
      },
    });
    return orderFacts(tx, order.id);
  }, TX);
}

/**
 * Files a change request: the row is written by the workflow when its
 * validator has accepted the change, so a refused request leaves nothing
 * behind. The id comes from the API's Idempotency-Key; a retry finds the row.
 */
export async function fileChangeRequest(
  deps: ActivityDeps,
  a: {
    changeId: string;
    orderId: string;
    orderNo: string;
    changes: OrderChanges;
    reason: string;
    wrongData: boolean;
    requestedBy: string;
    reviewers: string[];
    at: string;
  },
): Promise<void> {
  await deps.prisma.$transaction(async (tx) => {
    const existing = await tx.changeRequest.findUnique({ where: { id: a.changeId } });
    if (!existing) {
      await tx.changeRequest.create({
        data: {
          id: a.changeId,
          orderId: a.orderId,
          requestKey: a.changeId,
          changes: a.changes as object,
          reason: a.reason,
          wrongData: a.wrongData,
          requestedBy: a.requestedBy,
          status: 'under_review',
          reviews: Object.fromEntries(a.reviewers.map((d) => [d, null])),
          createdAt: toDate(a.at, 'at'),
        },
      });
    }
    await writeAudit(tx, {
      key: `change:${a.changeId}:filed`,
      actor: a.requestedBy,
      action: 'change.filed',
      entity: 'change_request',
      entityId: a.changeId,
      orderNo: a.orderNo,
      before: null,
      after: { changes: a.changes, reason: a.reason, wrongData: a.wrongData, reviewers: a.reviewers },
    });
  }, TX);
}

const CHANGE_STATUSES = ['under_review', 'rejected', 'applied'] as const;

/**
 * The change request's status as the workflow decides it. The API created
 * the row; a decided change (rejected/applied) is not reopened.
 */
export async function updateChangeRequest(
  deps: ActivityDeps,
  a: { changeId: string; orderNo: string; status: 'under_review' | 'rejected' | 'applied'; note?: string },
): Promise<void> {
  if (!CHANGE_STATUSES.includes(a.status)) throw badInput(`status: "${String(a.status)}" is not one of ${CHANGE_STATUSES.join(', ')}`, 'status');
  await deps.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM change_requests WHERE id = ${a.changeId} FOR UPDATE`;
    if (rows.length === 0) throw notFound(`change request ${a.changeId} not found`);
    const cr = await tx.changeRequest.findUniqueOrThrow({ where: { id: a.changeId } });
    const decided = cr.status === 'rejected' || cr.status === 'applied';
    if (cr.status !== a.status && !(decided && a.status === 'under_review')) {
      if (decided) throw wrongStage(`change request ${a.changeId} is already ${cr.status}`);
      const now = new Date();
      await tx.changeRequest.update({
        where: { id: cr.id },
        data: {
          status: a.status,
          ...(a.status !== 'under_review' ? { decidedAt: cr.decidedAt ?? now } : {}),
          ...(a.status === 'applied' ? { appliedAt: cr.appliedAt ?? now } : {}),
        },
      });
    }
    await writeAudit(tx, {
      key: `change:${a.changeId}:${a.status}`,
      actor: 'system',
      action: `change.${a.status}`,
      entity: 'change_request',
      entityId: cr.id,
      orderNo: a.orderNo,
      before: { status: cr.status },
      after: { status: decided && a.status === 'under_review' ? cr.status : a.status, note: a.note ?? null },
    });
  }, TX);
}

// ---------------------------------------------------------------------------
// The plan follows: reservations and production

const PENDING_PRODUCTION = ['planned', 'in_progress', 'rework'];

/** The order's production orders that still count (not cancelled), in the workflow's shape. */
export async function productionStates(db: Db, orderId: string): Promise<ProductionState[]> {
  const rows = await db.productionOrder.findMany({
    where: { orderId, status: { not: 'cancelled' } },
    orderBy: { productionNo: 'asc' },
  });
  return rows.map((p) => ({
    productionOrderId: p.id,
    lineId: p.orderLineId,
    quantity: p.quantity,
    plannedFinish: p.plannedFinish.toISOString(),
    percent: p.percent,
    status: p.status === 'completed' ? 'completed' : p.status === 'planned' ? 'planned' : 'in_progress',
  }));
}

/**
 * Reconciles each line's reservation and production order with its
 * quantity, in one transaction (order row, then inventory rows in product
 * order, as reserveStock locks them):
 * 1. a reservation above the line's quantity gives the excess back to stock;
 * 2. a line short of its quantity reserves more from what is available
 *    (never more than on_hand - reserved);
 * 3. what is still short is made: a pending production order is resized to
 *    it (re-planned from `at` when it grows), a new one planned from `at`
 *    (the line's cancelled or completed production order row is reused: one
 *    per line); a pending one no longer needed is cancelled.
 * Before stock preparation (no reservations yet) there is nothing to adjust.
 */
export async function adjustPlan(deps: ActivityDeps, a: { orderId: string; at: string }): Promise<{ production: ProductionState[] }> {
  const at = toDate(a.at, 'at');
  return deps.prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ order_no: string }[]>`SELECT order_no FROM orders WHERE id = ${a.orderId} FOR UPDATE`;
    if (locked.length === 0) throw notFound(`order ${a.orderId} not found`);
    const orderNo = locked[0].order_no;
    const lines = await tx.orderLine.findMany({
      where: { orderId: a.orderId },
      include: { product: true, reservation: true, production: true },
      orderBy: { lineNo: 'asc' },
    });
    if (!lines.some((l) => l.reservation)) return { production: await productionStates(tx, a.orderId) };
    const done = lines.find((l) => l.reservation && l.reservation.status !== 'reserved');
    if (done) throw wrongStage(`order ${orderNo}: reservations are ${done.reservation!.status}; the plan can no longer change`);

    const stock = await lockInventory(
      tx,
      lines.map((l) => l.productId),
    );
    const reserved = new Map(lines.map((l) => [l.id, l.reservation?.quantity ?? 0]));
    const log: Record<string, unknown>[] = [];

    // 1. Give back what is no longer needed first, so other lines of the same product can use it.
    for (const l of lines) {
      const r = reserved.get(l.id)!;
      if (r <= l.quantity) continue;
      const excess = r - l.quantity;
      const n = await tx.$executeRaw`
        UPDATE inventory SET reserved = reserved - ${excess}, updated_at = now()
        WHERE product_id = ${l.productId} AND reserved >= ${excess}`;
      if (n !== 1) throw new Error(`inventory of ${l.productId} does not hold the reservation of line ${l.id}`);
      const s = stock.get(l.productId);
      if (s) s.reserved -= excess;
      reserved.set(l.id, l.quantity);
      log.push({ lineNo: l.lineNo, released: excess });
    }
    // 2. Reserve more where stock is available (guarded again in SQL: never over-reserve).
    for (const l of lines) {
      const r = reserved.get(l.id)!;
      if (r >= l.quantity) continue;
      const s = stock.get(l.productId);
      const take = Math.min(l.quantity - r, s ? Math.max(0, s.onHand - s.reserved) : 0);
      if (take <= 0 || !s) continue;
      const n = await tx.$executeRaw`
        UPDATE inventory SET reserved = reserved + ${take}, updated_at = now()
        WHERE product_id = ${l.productId} AND on_hand - reserved >= ${take}`;
      if (n !== 1) throw new Error(`inventory of ${l.productId} changed under a lock`);
      s.reserved += take;
      reserved.set(l.id, r + take);
      log.push({ lineNo: l.lineNo, reserved: take });
    }
    for (const l of lines) {
      const r = reserved.get(l.id)!;
      if (!l.reservation)
        await tx.reservation.create({ data: { orderId: a.orderId, orderLineId: l.id, productId: l.productId, quantity: r, status: 'reserved' } });
      else if (l.reservation.quantity !== r) await tx.reservation.update({ where: { id: l.reservation.id }, data: { quantity: r } });
    }
    // 3. Production for what is still short.
    for (const l of lines) {
      const shortfall = l.quantity - reserved.get(l.id)!;
      const po = l.production;
      const pending = po !== null && PENDING_PRODUCTION.includes(po.status);
      if (shortfall <= 0) {
        if (po && pending) {
          await tx.productionOrder.update({ where: { id: po.id }, data: { status: 'cancelled' } });
          log.push({ lineNo: l.lineNo, production: po.productionNo, cancelled: po.quantity });
        }
        continue;
      }
      const plan = () =>
        planProduction({ quantity: shortfall, leadTimeDays: l.product.leadTimeDays, dailyCapacity: l.product.dailyCapacity, startAt: at.toISOString() });
      if (po && pending) {
        if (po.quantity === shortfall) continue;
        const grow = shortfall > po.quantity;
        const p = grow ? plan() : null;
        await tx.productionOrder.update({
          where: { id: po.id },
          data: {
            quantity: shortfall,
            ...(p ? { plannedStart: new Date(p.plannedStart), plannedFinish: new Date(p.plannedFinish) } : {}),
          },
        });
        log.push({ lineNo: l.lineNo, production: po.productionNo, from: po.quantity, to: shortfall, plannedFinish: p?.plannedFinish });
      } else {
        const p = plan();
        const data = {
          quantity: shortfall,
          plannedStart: new Date(p.plannedStart),
          plannedFinish: new Date(p.plannedFinish),
          status: 'planned',
          percent: 0,
          qcPassed: null,
          note: null,
          completedAt: null,
        };
        if (po) await tx.productionOrder.update({ where: { id: po.id }, data });
        else
          await tx.productionOrder.create({
            data: { productionNo: productionNoFor(orderNo, l.lineNo), orderId: a.orderId, orderLineId: l.id, productId: l.productId, ...data },
          });
        log.push({ lineNo: l.lineNo, production: po?.productionNo ?? productionNoFor(orderNo, l.lineNo), planned: shortfall, plannedFinish: p.plannedFinish, reused: po?.status ?? null });
      }
    }
    if (log.length) {
      // Numbered: every adjustment that changed something has its own audit row; a retry finds nothing to change.
      const n = await tx.auditEntry.count({ where: { entity: 'order', entityId: a.orderId, action: 'plan.adjust' } });
      await writeAudit(tx, {
        key: `plan:${a.orderId}:${n + 1}`,
        actor: 'system',
        action: 'plan.adjust',
        entity: 'order',
        entityId: a.orderId,
        orderNo,
        before: {
          lines: lines.map((l) => ({
            lineNo: l.lineNo,
            reserved: l.reservation?.quantity ?? 0,
            production: l.production ? { status: l.production.status, quantity: l.production.quantity } : null,
          })),
        },
        after: { at: at.toISOString(), steps: log },
      });
    }
    return { production: await productionStates(tx, a.orderId) };
  }, TX);
}

// ---------------------------------------------------------------------------
// The carrier booking follows

/**
 * A new booking for the changed order (address, weight): a carrier is chosen
 * again and booked with adapter key `<orderId>:<key>`; the old booking is
 * cancelled with the carrier only once the new one exists; the shipment row
 * then carries the new carrier, tracking number, ETA, cost and weight.
 */
export async function rebookCarrier(deps: ActivityDeps, a: { orderId: string; key: string; shipDate: string }): Promise<Booking> {
  const { prisma } = deps;
  toDate(a.shipDate, 'shipDate');
  if (!nonEmpty(a.key)) throw badInput('key: required', 'key');
  const auditKey = `rebook:${a.orderId}:${a.key}`;
  const order = await prisma.order.findUnique({
    where: { id: a.orderId },
    include: { lines: { include: { product: { select: { weightKg: true } } } }, shipment: { include: { carrier: true } } },
  });
  if (!order) throw notFound(`order ${a.orderId} not found`);
  const shipment = order.shipment;
  if (!shipment) throw wrongStage(`order ${order.orderNo} has no carrier booking to change`);
  if (await prisma.auditEntry.findUnique({ where: { key: auditKey }, select: { id: true } })) return bookingView(shipment);
  if (shipment.status !== 'booked') throw wrongStage(`shipment of order ${order.orderNo} is ${shipment.status}: it cannot be rebooked`);

  const { region, weightKg, choice, carrier } = await chooseCarrierFor(prisma, order, a.shipDate);
  const booked = await deps.carriers.book({
    key: `${a.orderId}:${a.key}`,
    carrierCode: choice.code,
    region,
    weightKg,
    shipDate: a.shipDate,
    transitDays: choice.transitDays,
  });
  if (booked.trackingNo !== shipment.trackingNo) await deps.carriers.cancel(shipment.trackingNo);

  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM shipments WHERE order_id = ${a.orderId} FOR UPDATE`;
    if (rows.length === 0) throw wrongStage(`order ${order.orderNo} has no carrier booking to change`);
    const current = await tx.shipment.findUniqueOrThrow({ where: { id: rows[0].id }, include: { carrier: true } });
    if (current.trackingNo === booked.trackingNo) return bookingView(current);
    if (current.status !== 'booked') throw wrongStage(`shipment of order ${order.orderNo} is ${current.status}: it cannot be rebooked`);
    const row = await tx.shipment.update({
      where: { id: current.id },
      data: { carrierId: carrier.id, trackingNo: booked.trackingNo, cost: choice.cost, weightKg, eta: new Date(booked.eta), bookedAt: new Date() },
      include: { carrier: true },
    });
    await writeAudit(tx, {
      key: auditKey,
      actor: 'system',
      action: 'shipment.rebook',
      entity: 'shipment',
      entityId: row.id,
      orderNo: order.orderNo,
      before: { carrier: current.carrier.code, trackingNo: current.trackingNo, eta: current.eta.toISOString(), cost: current.cost.toFixed(2), weightKg: current.weightKg.toFixed(3) },
      after: { carrier: row.carrier.code, trackingNo: row.trackingNo, eta: row.eta.toISOString(), cost: row.cost.toFixed(2), weightKg, region },
    });
    return bookingView(row);
  }, TX);
}

// ---------------------------------------------------------------------------
// The invoice follows

/** The open invoice's amount becomes the order's (new) total; paid when what was paid covers it. */
export async function updateInvoiceAmount(deps: ActivityDeps, a: { orderId: string }): Promise<{ amount: string; paidInFull: boolean }> {
  return deps.prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM invoices WHERE order_id = ${a.orderId} FOR UPDATE`;
    const order = await tx.order.findUnique({ where: { id: a.orderId }, select: { orderNo: true, totalAmount: true } });
    if (!order) throw notFound(`order ${a.orderId} not found`);
    if (locked.length === 0) throw wrongStage(`order ${order.orderNo} has no invoice yet`);
    const inv = await tx.invoice.findUniqueOrThrow({ where: { id: locked[0].id } });
    if (inv.status === 'void') throw wrongStage(`invoice ${inv.invoiceNo} is void`);
    const amount = money(order.totalAmount.toFixed(2));
    const paid = money(inv.paid.toFixed(2));
    const paidInFull = paid.gte(amount);
    const status = paidInFull ? 'paid' : 'open';
    if (money(inv.amount.toFixed(2)).eq(amount) && inv.status === status) return { amount: fmt(amount), paidInFull };

    await tx.invoice.update({ where: { id: inv.id }, data: { amount: fmt(amount), status } });
    // One audit row per change of amount: numbered, so a change back to an earlier amount is recorded too.
    const n = await tx.auditEntry.count({ where: { entity: 'invoice', entityId: inv.id, action: 'invoice.amount' } });
    // Paid above the new amount: the difference is due back (a refund); a raise shrinks a refund still due.
    await syncRefunds(tx, inv.id, { key: `amount:${inv.id}:${n + 1}`, reason: `order ${order.orderNo} changed: invoice amount now ${fmt(amount)}`, actor: 'system' });
    await writeAudit(tx, {
      key: `invoice-amount:${inv.id}:${n + 1}`,
      actor: 'system',
      action: 'invoice.amount',
      entity: 'invoice',
      entityId: inv.id,
      orderNo: order.orderNo,
      before: { amount: inv.amount.toFixed(2), paid: fmt(paid), status: inv.status },
      after: { amount: fmt(amount), paid: fmt(paid), status, ...(paid.gt(amount) ? { refundDue: fmt(paid.minus(amount)) } : {}) },
    });
    return { amount: fmt(amount), paidInFull };
  }, TX);
}
