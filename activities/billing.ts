/**
 * Settlement (SPEC 3.9): the invoice (one per order), payments (partial
 * allowed, one per bank reference), and dunning reminders (one per invoice
 * and level, the email sent exactly once; the final level puts the customer
 * on credit hold and alerts the finance manager).
 */
import type { ActivityDeps } from './index';
import { fmt, money } from '../workflows/domain/money';
import { outstanding } from '../workflows/domain/billing';
import { TX, badInput, notFound, toDate, wrongStage, writeAudit } from './audit';
import { sqlOf } from './infra/db';
import type { Invoice, Order, Payment } from '../generated/prisma/client';
import { enqueueRoleMail } from './email/notify';
import { enqueueMail } from './email/outbox';
import { syncRefunds } from './refunds';
import { render, staffMessage } from './email/templates';

/** INV-2026-000123 for SO-2026-000123. */
export function invoiceNoFor(orderNo: string): string {
  return `INV-${orderNo.replace(/^SO-/, '')}`;
}

export interface IssuedInvoice {
  invoiceId: string;
  invoiceNo: string;
  amount: string;
  dueDate: string;
}

export async function issueInvoice(
  deps: ActivityDeps,
  a: { orderId: string; issuedAt: string; dueDate: string },
): Promise<IssuedInvoice> {
  const issuedAt = toDate(a.issuedAt, 'issuedAt');
  const dueDate = toDate(a.dueDate, 'dueDate');
  return sqlOf(deps.prisma).transaction(async (tx) => {
    const [order] = await tx.query<Order>(`SELECT * FROM orders WHERE id = $1`, [a.orderId]);
    if (!order) throw notFound(`order ${a.orderId} not found`);
    const inserted = await tx.execute(
      `INSERT INTO invoices (id, invoice_no, order_id, customer_id, amount, currency, issued_at, due_date, status)
       VALUES (gen_random_uuid()::text, $1, $2, $3, $4::numeric, $5, $6::timestamp(3), $7::timestamp(3), 'open')
       ON CONFLICT DO NOTHING`,
      [invoiceNoFor(order.orderNo), order.id, order.customerId, order.totalAmount.toFixed(2), order.currency, issuedAt.toISOString(), dueDate.toISOString()],
    );
    const [inv] = await tx.query<Invoice>(`SELECT * FROM invoices WHERE order_id = $1`, [order.id]);
    if (inserted === 1)
      await writeAudit(tx, {
        key: `invoice:${order.id}`,
        actor: 'system',
        action: 'invoice.issue',
        entity: 'invoice',
        entityId: inv.id,
        orderNo: order.orderNo,
        after: {
          invoiceNo: inv.invoiceNo,
          amount: inv.amount.toFixed(2),
          currency: inv.currency,
          issuedAt: a.issuedAt,
          dueDate: inv.dueDate.toISOString(),
        },
      });
    return { invoiceId: inv.id, invoiceNo: inv.invoiceNo, amount: inv.amount.toFixed(2), dueDate: inv.dueDate.toISOString() };
  });
}

export interface RecordedPayment {
  paymentId: string;
  paid: string;
  outstanding: string;
  paidInFull: boolean;
}

const AMOUNT_RE = /^\d{1,16}(\.\d{1,2})?$/;

/**
 * One payment per (invoice, reference): the same reference with the same
 * amount returns the first recording; with another amount it is refused.
 * A payment larger than what is outstanding is recorded (the money has
 * arrived) and the excess becomes a refund due (activities/refunds.ts).
 */
export async function recordPayment(
  deps: ActivityDeps,
  a: { orderId: string; amount: string; reference: string; paidAt: string; actor: string },
): Promise<RecordedPayment> {
  const amountText = typeof a.amount === 'string' ? a.amount.trim() : '';
  if (!AMOUNT_RE.test(amountText) || money(amountText).lte(0))
    throw badInput(`amount: "${String(a.amount)}" must be a positive amount with at most 2 decimals`, 'amount');
  const reference = typeof a.reference === 'string' ? a.reference.trim() : '';
  if (!reference) throw badInput('reference: a payment reference is required', 'reference');
  const paidAt = toDate(a.paidAt, 'paidAt');
  const amount = money(amountText);

  return sqlOf(deps.prisma).transaction(async (tx) => {
    const [inv] = await tx.query<Invoice>(`SELECT * FROM invoices WHERE order_id = $1 FOR UPDATE`, [a.orderId]);
    const [order] = await tx.query<{ orderNo: string }>(`SELECT order_no FROM orders WHERE id = $1`, [a.orderId]);
    if (!order) throw notFound(`order ${a.orderId} not found`);
    if (!inv) throw wrongStage(`order ${order.orderNo} has no invoice yet`);
    const amountOf = (paid: string) => ({ paid, outstanding: outstanding(inv.amount.toFixed(2), paid) });

    const [prior] = await tx.query<Payment>(`SELECT * FROM payments WHERE invoice_id = $1 AND reference = $2`, [inv.id, reference]);
    if (prior) {
      if (!money(prior.amount.toFixed(2)).eq(amount))
        throw badInput(
          `reference: payment ${reference} was already recorded with amount ${prior.amount.toFixed(2)}, not ${fmt(amount)}`,
          'reference',
        );
      const now = amountOf(inv.paid.toFixed(2));
      return { paymentId: prior.id, ...now, paidInFull: money(now.outstanding).isZero() };
    }
    if (inv.status === 'void') throw wrongStage(`invoice ${inv.invoiceNo} is void`);
    const before = amountOf(inv.paid.toFixed(2));
    // More than the outstanding is accepted (the money has arrived): the excess is a refund due.
    const paid = fmt(money(inv.paid.toFixed(2)).plus(amount));
    const after = amountOf(paid);
    const paidInFull = money(after.outstanding).isZero();
    const [payment] = await tx.query<{ id: string }>(
      `INSERT INTO payments (id, invoice_id, amount, reference, paid_at, recorded_by)
       VALUES (gen_random_uuid()::text, $1, $2::numeric, $3, $4::timestamp(3), $5) RETURNING id`,
      [inv.id, fmt(amount), reference, paidAt.toISOString(), a.actor],
    );
    await tx.execute(`UPDATE invoices SET paid = $2::numeric, status = $3 WHERE id = $1`, [inv.id, paid, paidInFull ? 'paid' : 'open']);
    const excess = money(paid).minus(money(inv.amount.toFixed(2)));
    if (excess.gt(0))
      await syncRefunds(tx, inv.id, { key: `payment:${payment.id}`, reason: `overpayment ${reference}: ${fmt(excess)} above the invoice`, actor: a.actor });
    await writeAudit(tx, {
      key: `payment:${inv.id}:${reference}`,
      actor: a.actor,
      action: 'payment.record',
      entity: 'invoice',
      entityId: inv.id,
      orderNo: order.orderNo,
      before: { ...before, status: inv.status },
      after: { ...after, status: paidInFull ? 'paid' : 'open', payment: { id: payment.id, amount: fmt(amount), reference, paidAt: a.paidAt } },
    });
    return { paymentId: payment.id, ...after, paidInFull };
  });
}

/**
 * The reminder of one level for one invoice. Skipped (sent: false) when the
 * invoice is no longer open and this level was never queued; otherwise the
 * email is queued once (outbox key `dunning:<invoiceId>:<level>`, in the
 * transaction that records the reminder) and the answer is sent: true,
 * retries included. The final level also puts the
 * customer on credit hold and alerts the finance manager.
 */
export async function sendDunningReminder(
  deps: ActivityDeps,
  a: { orderId: string; invoiceId: string; level: string; final: boolean },
): Promise<{ sent: boolean }> {
  const { prisma } = deps;
  const inv = await prisma.invoice.findUnique({
    where: { id: a.invoiceId },
    include: { order: { include: { customer: true } } },
  });
  if (!inv || inv.orderId !== a.orderId) throw notFound(`invoice ${a.invoiceId} of order ${a.orderId} not found`);
  const order = inv.order;
  const customer = order.customer;
  const emailKey = `dunning:${inv.id}:${a.level}`;

  const reminder = await prisma.dunningReminder.findUnique({ where: { invoiceId_level: { invoiceId: inv.id, level: a.level } } });
  if (!reminder) {
    // A queued mail without its reminder row predates the transactional outbox: finish recording it.
    const email = await prisma.emailOutbox.findUnique({ where: { key: emailKey }, select: { status: true } });
    if (inv.status !== 'open' && !email) return { sent: false };
    const owed = outstanding(inv.amount.toFixed(2), inv.paid.toFixed(2));
    const mail = render('dunning_reminder', customer.language === 'en' ? 'en' : 'zh', {
      level: a.level,
      orderNo: order.orderNo,
      customerName: customer.name,
      invoiceNo: inv.invoiceNo,
      currency: inv.currency,
      amount: inv.amount.toFixed(2),
      paid: inv.paid.toFixed(2),
      outstanding: owed,
      dueDate: inv.dueDate.toISOString(),
    });
    // The mail, the reminder row and the audit entry commit together; the dispatcher sends the mail.
    await prisma.$transaction(async (tx) => {
      await enqueueMail(tx, {
        key: emailKey,
        orderId: order.id,
        to: { name: customer.name, address: customer.email },
        template: 'dunning_reminder',
        queue: deps.mailQueue,
        ...mail,
      });
      await tx.dunningReminder.createMany({
        data: [{ invoiceId: inv.id, level: a.level, sentAt: new Date(), emailKey }],
        skipDuplicates: true,
      });
      await writeAudit(tx, {
        key: `dunning:${inv.id}:${a.level}`,
        actor: 'system',
        action: 'dunning.remind',
        entity: 'invoice',
        entityId: inv.id,
        orderNo: order.orderNo,
        after: { level: a.level, final: a.final, outstanding: owed, emailKey },
      });
    }, TX);
  }

  if (a.final) {
    const reason = `final dunning notice for invoice ${inv.invoiceNo} (order ${order.orderNo})`;
    const alertKey = `${emailKey}:credit_hold`;
    await prisma.$transaction(async (tx) => {
      const c = await tx.customer.findUniqueOrThrow({ where: { id: customer.id } });
      const inserted = await tx.alert.createMany({
        data: [{ key: alertKey, orderId: order.id, kind: 'credit_hold', role: 'finance_manager', message: reason }],
        skipDuplicates: true,
      });
      const note = staffMessage('alert', {
        orderNo: order.orderNo,
        stage: order.stage,
        detail: `Customer ${customer.name} (${customer.code}) is now on credit hold: ${reason}. Outstanding: ${inv.currency} ${outstanding(inv.amount.toFixed(2), inv.paid.toFixed(2))}.`,
      });
      // Queued on a retry too (a key already queued is left alone), for an alert raised before the outbox was transactional.
      await enqueueRoleMail(tx, { key: alertKey, orderId: order.id, role: 'finance_manager', ...note }, deps.mailQueue, deps.publicUrl);
      if (inserted.count === 0) return; // done by an earlier attempt
      if (!c.creditHold) await tx.customer.update({ where: { id: c.id }, data: { creditHold: true, creditHoldReason: reason } });
      await writeAudit(tx, {
        key: `credit-hold:${inv.id}:${a.level}`,
        actor: 'system',
        action: 'customer.credit_hold',
        entity: 'customer',
        entityId: c.id,
        orderNo: order.orderNo,
        before: { creditHold: c.creditHold, creditHoldReason: c.creditHoldReason },
        after: { creditHold: true, creditHoldReason: c.creditHold ? c.creditHoldReason : reason },
      });
    }, TX);
  }
  return { sent: true };
}
