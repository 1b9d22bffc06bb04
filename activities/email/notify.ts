/**
 * Who gets which email: customers in their own language (templates.ts),
 * staff by role. Every message goes through the outbox, once per key.
 */
import type { ActivityDeps } from '../index';
import type { Role } from '../../workflows/domain/policy';
import { notFound } from '../audit';
import { sendOnce } from './outbox';
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
  const order = await deps.prisma.order.findUnique({ where: { id: a.orderId }, include: { customer: true } });
  if (!order) throw notFound(`order ${a.orderId} not found`);
  const c = order.customer;
  const lang: Lang = c.language === 'en' ? 'en' : 'zh';
  const data = {
    orderNo: order.orderNo,
    customerName: c.name,
    currency: order.currency,
    total: order.totalAmount.toFixed(2),
    ...a.data,
  };
  const mail = render(a.template, lang, data);
  return sendOnce(deps, {
    key: a.key,
    orderId: order.id,
    to: { name: c.name, address: c.email },
    template: a.template,
    ...mail,
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
  const users = await deps.prisma.user.findMany({ where: { role: a.role, active: true }, orderBy: { id: 'asc' } });
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
