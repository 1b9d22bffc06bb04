/**
 * Customer contact recorded against an order (SPEC 3, customer contact):
 * feedback with a rating 1-5, and complaints, each with an owner (a user)
 * and a resolution. A complaint raises an alert for the sales managers.
 * Every write is one transaction with its audit entry.
 */
import type { PrismaClient } from '../../activities/infra/db';
import { badRequest, conflict, notFound } from '../errors';
import { TX, writeAudit } from '../../activities/audit';

/** Stages in which an order never reached the customer: no feedback on those. */
export const NO_FEEDBACK_STAGES = ['cancelled', 'rejected'];
export const COMPLAINT_ROLE = 'sales_manager';

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

async function orderOf(prisma: PrismaClient, orderNo: string) {
  const order = await prisma.order.findUnique({ where: { orderNo }, select: { id: true, orderNo: true, stage: true } });
  if (!order) throw notFound(`order ${orderNo} not found`);
  return order;
}

export async function addFeedback(
  prisma: PrismaClient,
  a: { orderNo: string; rating: number; comment?: string; actor: string; ip?: string },
) {
  const order = await orderOf(prisma, a.orderNo);
  if (NO_FEEDBACK_STAGES.includes(order.stage))
    throw conflict(`order ${order.orderNo} is ${order.stage}: there is no delivery to give feedback on`);
  const comment = a.comment?.trim() || null;
  return prisma.$transaction(async (tx) => {
    const fb = await tx.feedback.create({
      data: { orderId: order.id, rating: a.rating, comment, createdBy: a.actor },
    });
    await writeAudit(tx, {
      key: `feedback:${fb.id}`,
      actor: a.actor,
      action: 'feedback.create',
      entity: 'feedback',
      entityId: fb.id,
      orderNo: order.orderNo,
      ip: a.ip,
      after: { rating: fb.rating, comment: fb.comment },
    });
    return { id: fb.id, orderNo: order.orderNo, rating: fb.rating, comment: fb.comment, createdBy: fb.createdBy, createdAt: iso(fb.createdAt) };
  }, TX);
}

type ComplaintRow = {
  id: string;
  text: string;
  owner: string;
  status: string;
  resolution: string | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
  createdBy: string;
  createdAt: Date;
};

export const complaintView = (orderNo: string, c: ComplaintRow) => ({
  id: c.id,
  orderNo,
  text: c.text,
  owner: c.owner,
  status: c.status,
  resolution: c.resolution,
  resolvedBy: c.resolvedBy,
  resolvedAt: isoOrNull(c.resolvedAt),
  createdBy: c.createdBy,
  createdAt: iso(c.createdAt),
});

/** The named owner (an active user), else the first active sales manager. */
async function complaintOwner(prisma: PrismaClient, owner: string | undefined): Promise<string> {
  if (owner !== undefined) {
    const user = await prisma.user.findUnique({ where: { username: owner }, select: { username: true, active: true } });
    if (!user || !user.active) throw badRequest(`owner ${owner} is not an active user`, 'owner');
    return user.username;
  }
  const manager = await prisma.user.findFirst({
    where: { role: COMPLAINT_ROLE, active: true },
    orderBy: { username: 'asc' },
    select: { username: true },
  });
  if (!manager) throw conflict(`there is no active ${COMPLAINT_ROLE} to own the complaint; name an owner`, 'owner');
  return manager.username;
}

export async function fileComplaint(
  prisma: PrismaClient,
  a: { orderNo: string; text: string; owner?: string; actor: string; ip?: string },
) {
  const text = a.text.trim();
  if (!text) throw badRequest('text must not be blank', 'text');
  const order = await orderOf(prisma, a.orderNo);
  const owner = await complaintOwner(prisma, a.owner);
  return prisma.$transaction(async (tx) => {
    const c = await tx.complaint.create({ data: { orderId: order.id, text, owner, createdBy: a.actor } });
    const preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    await tx.alert.create({
      data: {
        key: `complaint:${c.id}`,
        orderId: order.id,
        kind: 'complaint',
        role: COMPLAINT_ROLE,
        message: `complaint on ${order.orderNo} (owner ${owner}): ${preview}`,
      },
    });
    await writeAudit(tx, {
      key: `complaint:${c.id}`,
      actor: a.actor,
      action: 'complaint.create',
      entity: 'complaint',
      entityId: c.id,
      orderNo: order.orderNo,
      ip: a.ip,
      after: { text, owner, status: c.status },
    });
    return complaintView(order.orderNo, c);
  }, TX);
}

export async function resolveComplaint(
  prisma: PrismaClient,
  a: { id: string; resolution: string; actor: string; ip?: string },
) {
  const resolution = a.resolution.trim();
  if (!resolution) throw badRequest('resolution must not be blank', 'resolution');
  return prisma.$transaction(async (tx) => {
    // Locked, so two resolutions of one complaint cannot both pass the check.
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM complaints WHERE id = ${a.id} FOR UPDATE`;
    if (locked.length === 0) throw notFound(`complaint ${a.id} not found`);
    const before = await tx.complaint.findUniqueOrThrow({ where: { id: a.id }, include: { order: { select: { orderNo: true } } } });
    if (before.status === 'resolved') throw conflict(`complaint ${a.id} is already resolved (by ${before.resolvedBy})`);
    const after = await tx.complaint.update({
      where: { id: a.id },
      data: { status: 'resolved', resolution, resolvedBy: a.actor, resolvedAt: new Date() },
    });
    await writeAudit(tx, {
      key: `complaint-resolve:${a.id}`,
      actor: a.actor,
      action: 'complaint.resolve',
      entity: 'complaint',
      entityId: a.id,
      orderNo: before.order.orderNo,
      ip: a.ip,
      before: { status: before.status, resolution: before.resolution },
      after: { status: after.status, resolution, resolvedBy: a.actor, resolvedAt: iso(after.resolvedAt!) },
    });
    return complaintView(before.order.orderNo, after);
  }, TX);
}
