/**
 * The audit trail entries the API writes itself (intake writes its own the
 * same way): inside the transaction of the change they record, with a key
 * when the write has a natural one.
 */
import { Prisma } from '../../activities/infra/db';

export interface ApiAuditEntry {
  key?: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string;
  orderNo?: string | null;
  ip?: string;
  before?: unknown;
  after?: unknown;
}

const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as Prisma.InputJsonValue;

export async function writeApiAudit(tx: Prisma.TransactionClient, a: ApiAuditEntry): Promise<void> {
  await tx.auditEntry.create({
    data: {
      key: a.key ?? null,
      actor: a.actor,
      action: a.action,
      entity: a.entity,
      entityId: a.entityId,
      orderNo: a.orderNo ?? null,
      ip: a.ip ?? null,
      ...(a.before !== undefined ? { before: json(a.before) } : {}),
      ...(a.after !== undefined ? { after: json(a.after) } : {}),
    },
  });
}

/** Interactive transactions: room for lock waits under contention (as intake). */
export const TX = { maxWait: 10_000, timeout: 30_000 } as const;
