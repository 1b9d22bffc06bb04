/**
 * The API-level audit record of every command (SPEC 5): one audit_trail row
 * per successful write request, with the caller, the route as the action,
 * what it acted on, the caller's address, and the state before and after
 * (plus the request body, secrets redacted). Written by the auth plugin's
 * onSend hook before the answer leaves, so a client that got its 2xx can
 * find the row. The domain rows the activities and services write (e.g.
 * `order.create`, `risk.update`) stay; these are the API's own.
 */
import { sqlOf, type PrismaClient } from '../../activities/infra/db';
import { writeAudit } from '../../activities/audit';

const SECRET_KEY = /token|secret|password|passwd|authorization|api[-_]?key|credential/i;
const TOKEN_VALUE = /^so_[A-Za-z0-9_-]{20,}$/;
export const REDACTED = '[redacted]';

/** A copy of a request body with secrets (by key name, or bearer-token-like values) replaced. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 20) return REDACTED;
  if (typeof value === 'string') return TOKEN_VALUE.test(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1);
    return out;
  }
  return value;
}

export interface CommandRecord {
  actor: string;
  /** `POST /orders/:orderNo/payments`: the method and the route as registered. */
  action: string;
  entity: string;
  entityId: string;
  orderNo: string | null;
  ip: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  body: unknown;
}

export async function recordCommand(prisma: PrismaClient, c: CommandRecord): Promise<void> {
  const request = c.body === undefined || c.body === null ? {} : { request: redact(c.body) };
  await writeAudit(sqlOf(prisma), {
    actor: c.actor,
    action: c.action,
    entity: c.entity,
    entityId: c.entityId,
    orderNo: c.orderNo,
    ip: c.ip,
    ...(c.before ? { before: c.before } : {}),
    after: { ...(c.after ?? {}), ...request },
  });
}
