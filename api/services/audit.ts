/**
 * The audit trail as the API reads it (GET /audit). The API writes its own
 * entries with the activities' writer (activities/audit.ts writeAudit),
 * inside the transaction of the change they record.
 */
import { Prisma, type PrismaClient } from '../../activities/infra/db';
import { badRequest } from '../errors';


// ---------------------------------------------------------------------------
// Reading the trail (GET /audit): newest first, keyset pages on the id
// (the trail only grows, ids only increase), with an opaque cursor.
// ---------------------------------------------------------------------------

export interface AuditQuery {
  orderNo?: string;
  actor?: string;
  action?: string;
  entity?: string;
  entityId?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export const encodeAuditCursor = (id: bigint): string => Buffer.from(`a:${id.toString()}`, 'utf8').toString('base64url');

export function decodeAuditCursor(text: string): bigint {
  const m = /^a:(\d{1,19})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!m) throw badRequest('cursor is not a cursor returned by this API', 'cursor');
  return BigInt(m[1]);
}

export async function listAudit(prisma: PrismaClient, q: AuditQuery) {
  const limit = q.limit ?? 50;
  const before = q.cursor ? decodeAuditCursor(q.cursor) : undefined;
  const from = q.from ? new Date(q.from) : undefined;
  const to = q.to ? new Date(q.to) : undefined;
  if (from && to && from.getTime() > to.getTime()) throw badRequest('from must not be after to', 'from');
  const rows = await prisma.auditEntry.findMany({
    where: {
      ...(q.orderNo ? { orderNo: q.orderNo } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.entity ? { entity: q.entity } : {}),
      ...(q.entityId ? { entityId: q.entityId } : {}),
      ...(from || to ? { at: { ...(from ? { gte: from } : {}), ...(to ? { lte: to } : {}) } } : {}),
      ...(before !== undefined ? { id: { lt: before } } : {}),
    },
    orderBy: { id: 'desc' },
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.id.toString(),
      at: r.at.toISOString(),
      actor: r.actor,
      action: r.action,
      entity: r.entity,
      entityId: r.entityId,
      orderNo: r.orderNo,
      ip: r.ip,
      before: r.before ?? null,
      after: r.after ?? null,
    })),
    nextCursor: rows.length > limit && last ? encodeAuditCursor(last.id) : null,
  };
}
