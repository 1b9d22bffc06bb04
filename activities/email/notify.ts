/**
 * Who gets which email: customers in their own language (templates.ts),
 * staff by role. Every message goes through the outbox, once per key.
 */
import type { ActivityDeps } from '../index';
import type { Role } from '../../workflows/domain/policy';
import { notFound } from '../audit';
import { sqlOf } from '../infra/db';
import { sendOnce } from './outbox';
import { documentsForEmail } from '../documents/attachments';
import { render, type Lang, type TemplateName } from './templates';

export interface SendCustomerEmailInput {
  key: string;
  orderId: string;
  template: TemplateName;
  data: Record<string, string | number>;
}

/** The customer's address and language come from the database; `data` fills the template. */
export async function sendCustomerEmail(
  deps: ActivityDeps,
  a: SendCustomerEmailInput,
): Promise<{ messageId: string; sent: boolean }> {
  const [order] = await sqlOf(deps.prisma).query<{
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
  const mail = render(a.template, lang, data);
  // The event's documents (contract, confirmation, delivery note, invoice) go with the mail.
  const attachments = await documentsForEmail(deps, { orderId: order.id, template: a.template });
  return sendOnce(deps, {
    key: a.key,
    orderId: order.id,
    to: { name: order.name, address: order.email },
    template: a.template,
    ...mail,
    attachments,
  });
}

export interface NotifyRoleInput {
  key: string;
  orderId?: string;
  role: Role;
  subject: string;
  text: string;
}

/** Emails every active user of `role`, once per user (outbox key `${key}:${userId}`). */
export async function notifyRole(deps: ActivityDeps, a: NotifyRoleInput): Promise<void> {
  const users = await sqlOf(deps.prisma).query<{ id: string; name: string; email: string }>(
    `SELECT id, name, email FROM users WHERE role = $1 AND active ORDER BY id`,
    [a.role],
  );
  for (const u of users) {
    await sendOnce(deps, {
      key: `${a.key}:${u.id}`,
      orderId: a.orderId ?? null,
      to: { name: u.name, address: u.email },
      template: `staff:${a.role}`,
      subject: a.subject,
      text: a.text,
    });
  }
}
