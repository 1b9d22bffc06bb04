/**
 * Who gets which email: customers in their own language (templates.ts),
 * staff by role. Every message is only queued in the outbox (outbox.ts),
 * once per key; the dispatcher sends it, so none of these waits for SMTP.
 */
import type { ActivityDeps } from '../index';
import type { Role } from '../../workflows/domain/policy';
import { isRecordScoped, maySeeOrder } from '../../workflows/domain/access';
import { notFound } from '../audit';
import { sqlOf } from '../infra/db';
import { asSql, type PrismaRaw, type Sql } from '../infra/sql';
import { enqueueMail, type OutboxResult } from './outbox';
import { documentsForEmail } from '../documents/attachments';
import { render, type Lang, type TemplateName } from './templates';

export interface SendCustomerEmailInput {
  key: string;
  orderId: string;
  template: TemplateName;
  data: Record<string, string | number>;
}

/**
 * Queues the customer's email: address and language from the database,
 * `data` fills the template. Answers at once with the Message-ID the mail
 * will carry; `sent: true` means queued (now or by an earlier attempt).
 */
export async function sendCustomerEmail(deps: ActivityDeps, a: SendCustomerEmailInput): Promise<OutboxResult> {
  // The event's documents (contract, confirmation, delivery note, invoice) go with the mail:
  // rendered and stored first, their ids on the outbox row, attached by the dispatcher.
  const attachments = await documentsForEmail(deps, { orderId: a.orderId, template: a.template });
  return enqueueCustomerMail(sqlOf(deps.prisma), a, deps.mailQueue, attachments);
}

/** The customer email of `sendCustomerEmail`, queued in the caller's transaction. */
export async function enqueueCustomerMail(
  tx: Sql | PrismaRaw,
  a: SendCustomerEmailInput,
  queue?: string,
  attachments?: string[],
): Promise<OutboxResult> {
  const [order] = await asSql(tx).query<{
    id: string;
    orderNo: string;
    currency: string;
    total: string;
    name: string;
    email: string;
    language: string;
  }>(
    `SELECT o.id, o.order_no, o.currency, o.total_amount::text AS total, c.name, c.email, c.language
       FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1`,
    [a.orderId],
  );
  if (!order) throw notFound(`order ${a.orderId} not found`);
  const lang: Lang = order.language === 'en' ? 'en' : 'zh';
  const data = {
    orderNo: order.orderNo,
    customerName: order.name,
    currency: order.currency,
    total: order.total,
    ...a.data,
  };
  return enqueueMail(tx, {
    key: a.key,
    orderId: order.id,
    to: { name: order.name, address: order.email },
    template: a.template,
    queue,
    attachments,
    ...render(a.template, lang, data),
  });
}

export interface NotifyRoleInput {
  key: string;
  orderId?: string;
  role: Role;
  subject: string;
  text: string;
}

/**
 * Queues one email to every active user of `role` who may see the order (the
 * record rule of workflows/domain/access.ts: a sales user only about their own
 * customers' orders), outbox key `${key}:${userId}`, all in one transaction.
 */
export async function notifyRole(deps: ActivityDeps, a: NotifyRoleInput): Promise<void> {
  await sqlOf(deps.prisma).transaction((tx) => enqueueRoleMail(tx, a, deps.mailQueue, deps.publicUrl));
}

/**
 * The staff emails of `notifyRole`, queued in the caller's transaction; answers how many users got one.
 * With `publicUrl` (PUBLIC_URL) a mail about an order ends with the link to the order's page in the console.
 */
export async function enqueueRoleMail(tx: Sql | PrismaRaw, a: NotifyRoleInput, queue?: string, publicUrl?: string): Promise<number> {
  const db = asSql(tx);
  const users = await recipientsOf(db, a);
  const text = publicUrl && a.orderId ? `${a.text}${await orderLink(db, a.orderId, publicUrl)}` : a.text;
  for (const u of users)
    await enqueueMail(db, {
      key: `${a.key}:${u.id}`,
      orderId: a.orderId ?? null,
      to: { name: u.name, address: u.email },
      template: `staff:${a.role}`,
      subject: a.subject,
      text,
      queue,
    });
  return users.length;
}

/** The console page of an order (api/routes/console.ts orderPageUrl), as the last lines of a staff mail. */
export const orderPageUrl = (publicUrl: string, orderNo: string) => `${publicUrl.replace(/\/+$/, '')}/app/orders/${encodeURIComponent(orderNo)}`;

async function orderLink(sql: Sql, orderId: string, publicUrl: string): Promise<string> {
  const [order] = await sql.query<{ orderNo: string }>(`SELECT order_no FROM orders WHERE id = $1`, [orderId]);
  return order ? `\n\n订单页面 / Order page: ${orderPageUrl(publicUrl, order.orderNo)}\n` : '';
}

/** Active users of the role, narrowed to those allowed to see the order when there is one. */
async function recipientsOf(sql: Sql, a: NotifyRoleInput): Promise<{ id: string; name: string; email: string }[]> {
  const users = await sql.query<{ id: string; name: string; email: string }>(
    `SELECT id, name, email FROM users WHERE role = $1 AND active ORDER BY id`,
    [a.role],
  );
  if (!a.orderId || !isRecordScoped(a.role)) return users;
  const [order] = await sql.query<{ ownerId: string | null }>(
    `SELECT c.owner_id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = $1`,
    [a.orderId],
  );
  if (!order) throw notFound(`order ${a.orderId} not found`);
  return users.filter((u) => maySeeOrder({ id: u.id, role: a.role }, { customerOwnerId: order.ownerId }));
}
