/**
 * A customer's credit hold (SPEC 2, 3.3): finance puts a customer on hold
 * (the dunning ladder's final notice does it automatically), and only the
 * finance manager releases it. While on hold no order of the customer passes
 * finance review. Each change is one transaction with its audit entry
 * (before and after), under a row lock so two concurrent calls cannot both
 * succeed: the second answers 409.
 */
import type { PrismaClient } from '../../activities/infra/db';
import { TX, writeAudit } from '../../activities/audit';
import { badRequest, conflict, notFound } from '../errors';

export interface CreditHoldView {
  customerId: string;
  code: string;
  creditHold: boolean;
  creditHoldReason: string | null;
}

async function setCreditHold(
  prisma: PrismaClient,
  a: { customerId: string; hold: boolean; reason: string; actor: string; ip?: string },
): Promise<CreditHoldView> {
  const reason = a.reason.trim();
  if (!reason) throw badRequest('reason must not be blank', 'reason');
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM customers WHERE id = ${a.customerId} FOR UPDATE`;
    if (rows.length === 0) throw notFound(`customer ${a.customerId} not found`);
    const c = await tx.customer.findUniqueOrThrow({ where: { id: a.customerId } });
    if (c.creditHold === a.hold)
      throw conflict(a.hold ? `customer ${c.code} is already on credit hold` : `customer ${c.code} is not on credit hold`);
    const updated = await tx.customer.update({
      where: { id: c.id },
      data: { creditHold: a.hold, creditHoldReason: a.hold ? reason : null },
    });
    await writeAudit(tx, {
      actor: a.actor,
      action: a.hold ? 'customer.credit_hold' : 'customer.credit_release',
      entity: 'customer',
      entityId: c.id,
      ip: a.ip ?? null,
      before: { creditHold: c.creditHold, creditHoldReason: c.creditHoldReason },
      after: { creditHold: updated.creditHold, creditHoldReason: updated.creditHoldReason, reason },
    });
    return { customerId: c.id, code: c.code, creditHold: updated.creditHold, creditHoldReason: updated.creditHoldReason };
  }, TX);
}

export const placeCreditHold = (prisma: PrismaClient, a: { customerId: string; reason: string; actor: string; ip?: string }) =>
  setCreditHold(prisma, { ...a, hold: true });

export const releaseCreditHold = (prisma: PrismaClient, a: { customerId: string; reason: string; actor: string; ip?: string }) =>
  setCreditHold(prisma, { ...a, hold: false });
