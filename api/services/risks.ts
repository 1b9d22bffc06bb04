/**
 * The risk register (SPEC 4): risks from the `risks` table with their order
 * and customer, ranked by score (highest first), then most recently
 * updated. Pages by keyset on (score desc, updatedAt desc, id desc) with an
 * opaque cursor, like the order list. Updating a risk's control, owner or
 * status is audited with before and after.
 */
import type { PrismaClient } from '../../activities/infra/db';
import { badRequest, notFound } from '../errors';
import { TX, writeAudit } from '../../activities/audit';

export const RISK_STATUSES = ['open', 'mitigated', 'closed'] as const;

export interface RiskQuery {
  /** Only risks of orders of customers this (sales) user owns. */
  ownerId?: string;
  category?: string;
  level?: string;
  customerId?: string;
  owner?: string;
  status?: string;
  limit?: number;
  cursor?: string;
}

interface RiskCursor {
  score: number;
  updatedAt: Date;
  id: string;
}

export function encodeRiskCursor(c: RiskCursor): string {
  return Buffer.from(JSON.stringify([c.score, c.updatedAt.toISOString(), c.id]), 'utf8').toString('base64url');
}

export function decodeRiskCursor(text: string): RiskCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 3 && Number.isInteger(v[0]) && typeof v[1] === 'string' && typeof v[2] === 'string') {
      const updatedAt = new Date(v[1]);
      if (!Number.isNaN(updatedAt.getTime())) return { score: v[0] as number, updatedAt, id: v[2] };
    }
  } catch {
    // fall through
  }
  throw badRequest('cursor is not a cursor returned by this API', 'cursor');
}

const withOrder = { order: { select: { orderNo: true, customerId: true, customer: { select: { name: true } } } } } as const;

type RiskRow = {
  id: string;
  category: string;
  code: string;
  probability: number;
  impact: number;
  score: number;
  level: string;
  control: string;
  owner: string;
  status: string;
  reason: string;
  createdAt: Date;
  updatedAt: Date;
  order: { orderNo: string; customerId: string; customer: { name: string } };
};

/** A risk row's register fields as the API shows them; shared by the risk register and the order detail so both stay alike. */
export const riskView = (
  r: Pick<RiskRow, 'category' | 'code' | 'probability' | 'impact' | 'score' | 'level' | 'control' | 'owner' | 'status' | 'reason'>,
) => ({
  category: r.category,
  code: r.code,
  probability: r.probability,
  impact: r.impact,
  score: r.score,
  level: r.level,
  control: r.control,
  owner: r.owner,
  status: r.status,
  reason: r.reason,
});

const view = (r: RiskRow) => ({
  id: r.id,
  orderNo: r.order.orderNo,
  customerId: r.order.customerId,
  customerName: r.order.customer.name,
  ...riskView(r),
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export async function listRisks(prisma: PrismaClient, q: RiskQuery) {
  const limit = q.limit ?? 50;
  const after = q.cursor ? decodeRiskCursor(q.cursor) : undefined;
  const rows = await prisma.risk.findMany({
    where: {
      status: q.status ?? 'open',
      ...(q.category ? { category: q.category } : {}),
      ...(q.level ? { level: q.level } : {}),
      ...(q.owner ? { owner: q.owner } : {}),
      ...(q.customerId || q.ownerId
        ? { order: { ...(q.customerId ? { customerId: q.customerId } : {}), ...(q.ownerId ? { customer: { ownerId: q.ownerId } } : {}) } }
        : {}),
      ...(after
        ? {
            OR: [
              { score: { lt: after.score } },
              { score: after.score, updatedAt: { lt: after.updatedAt } },
              { score: after.score, updatedAt: after.updatedAt, id: { lt: after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ score: 'desc' }, { updatedAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    include: withOrder,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(view),
    nextCursor: rows.length > limit && last ? encodeRiskCursor({ score: last.score, updatedAt: last.updatedAt, id: last.id }) : null,
  };
}

export interface RiskPatch {
  control?: string;
  owner?: string;
  status?: string;
}

export async function updateRisk(prisma: PrismaClient, a: { id: string; patch: RiskPatch; actor: string; ip?: string }) {
  const patch: RiskPatch = {};
  if (a.patch.control !== undefined) {
    patch.control = a.patch.control.trim();
    if (!patch.control) throw badRequest('control must not be blank', 'control');
  }
  if (a.patch.owner !== undefined) patch.owner = a.patch.owner;
  if (a.patch.status !== undefined) patch.status = a.patch.status;
  if (Object.keys(patch).length === 0) throw badRequest('give at least one of control, owner, status', 'body');

  return prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM risks WHERE id = ${a.id} FOR UPDATE`;
    if (locked.length === 0) throw notFound(`risk ${a.id} not found`);
    const before = await tx.risk.findUniqueOrThrow({ where: { id: a.id }, include: withOrder });
    const after = await tx.risk.update({ where: { id: a.id }, data: patch, include: withOrder });
    const pick = (r: RiskRow) => ({ control: r.control, owner: r.owner, status: r.status });
    await writeAudit(tx, {
      actor: a.actor,
      action: 'risk.update',
      entity: 'risk',
      entityId: a.id,
      orderNo: before.order.orderNo,
      ip: a.ip,
      before: pick(before),
      after: pick(after),
    });
    return view(after);
  }, TX);
}
