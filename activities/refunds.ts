/**
 * Refunds (SPEC 3.9 settlement, changes and cancellation): money that must go
 * back to a customer is a `refunds` row, due until finance records the
 * transfer. Written by the step that creates the debt, in its own
 * transaction (voidInvoice on cancellation, updateInvoiceAmount when a change
 * lowers a paid total, recordPayment on an overpayment), and settled through
 * the API (`POST /refunds/:id/settle`).
 *
 * The rows of an invoice always add up to what it owes back
 * (billing.ts `refundOwed`): the helper below books the difference, so a
 * retry books nothing twice; when a later change raises the amount again,
 * refunds still due shrink (newest first) and one that drops to zero is
 * cancelled. Refunds already paid are never touched.
 */
import Decimal from 'decimal.js';
import { fmt, money } from '../workflows/domain/money';
import { refundOwed } from '../workflows/domain/billing';
import { writeAudit } from './audit';
import { asSql, type PrismaRaw, type Sql } from './infra/sql';

export interface RefundCause {
  /** Unique per cause, e.g. `void:<invoiceId>`, `payment:<paymentId>`. */
  key: string;
  reason: string;
  actor: string;
}

/**
 * Brings the invoice's refunds in line with what it owes back. Call inside
 * the transaction that changed the invoice (row locked FOR UPDATE). Returns
 * the amount still due back on this invoice.
 */
export async function syncRefunds(db: Sql | PrismaRaw, invoiceId: string, cause: RefundCause): Promise<string> {
  const sql = asSql(db);
  const [inv] = await sql.query<{
    id: string;
    orderId: string;
    customerId: string;
    currency: string;
    amount: Decimal;
    paid: Decimal;
    status: string;
    orderNo: string;
  }>(
    `SELECT i.id, i.order_id, i.customer_id, i.currency, i.amount, i.paid, i.status, o.order_no
       FROM invoices i JOIN orders o ON o.id = i.order_id WHERE i.id = $1`,
    [invoiceId],
  );
  const owed = money(refundOwed({ amount: inv.amount.toFixed(2), paid: inv.paid.toFixed(2), void: inv.status === 'void' }));
  const rows = await sql.query<{ id: string; amount: Decimal; status: string }>(
    `SELECT id, amount, status FROM refunds WHERE invoice_id = $1 AND status IN ('due', 'paid') ORDER BY created_at DESC, id DESC`,
    [invoiceId],
  );
  const booked = rows.reduce((s, r) => s.plus(money(r.amount.toFixed(2))), money(0));
  let diff = owed.minus(booked);
  if (diff.gt(0)) {
    const inserted = await sql.query<{ id: string }>(
      `INSERT INTO refunds (id, key, order_id, invoice_id, customer_id, amount, currency, reason, status, created_by)
       VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5::numeric, $6, $7, 'due', $8)
       ON CONFLICT (key) DO NOTHING RETURNING id`,
      [cause.key, inv.orderId, inv.id, inv.customerId, fmt(diff), inv.currency, cause.reason, cause.actor],
    );
    if (inserted.length)
      await writeAudit(sql, {
        key: `refund:${cause.key}`,
        actor: cause.actor,
        action: 'refund.due',
        entity: 'refund',
        entityId: inserted[0].id,
        orderNo: inv.orderNo,
        before: null,
        after: { invoiceId: inv.id, amount: fmt(diff), currency: inv.currency, reason: cause.reason, status: 'due' },
      });
  }
  // Owed less than booked: shrink what is still due, newest first.
  for (const r of rows) {
    if (!diff.lt(0)) break;
    if (r.status !== 'due') continue;
    const amount = money(r.amount.toFixed(2));
    const next = Decimal.max(0, amount.plus(diff));
    diff = diff.plus(amount.minus(next));
    await sql.execute(`UPDATE refunds SET amount = $2::numeric, status = $3 WHERE id = $1`, [r.id, fmt(next), next.isZero() ? 'cancelled' : 'due']);
    await writeAudit(sql, {
      key: `refund-adjust:${cause.key}:${r.id}`,
      actor: cause.actor,
      action: 'refund.adjust',
      entity: 'refund',
      entityId: r.id,
      orderNo: inv.orderNo,
      before: { amount: fmt(amount), status: 'due' },
      after: { amount: fmt(next), status: next.isZero() ? 'cancelled' : 'due', reason: cause.reason },
    });
  }
  const [due] = await sql.query<{ due: Decimal }>(`SELECT COALESCE(sum(amount), 0) AS due FROM refunds WHERE invoice_id = $1 AND status = 'due'`, [invoiceId]);
  return fmt(money(due.due.toFixed(2)));
}
