/**
 * The checks of api/auth/roles.ts that need the request's data, run after
 * the input is validated and the target is loaded. Each throws 403 (or 404
 * where saying "forbidden" would tell that the thing exists).
 */
import type { FastifyRequest } from 'fastify';
import type { PrismaClient } from '../../activities/infra/db';
import { HttpError, notFound } from '../errors';
import type { Target } from '../services/targets';
import {
  ANY_QUEUE_ROLES,
  CREDIT_HOLD_RELEASERS,
  CREDIT_HOLD_ROLES,
  DEPARTMENT_ROLES,
  RECORD_SCOPED_ROLES,
  RISK_MANAGERS,
  type CallerRole,
  type Rule,
} from './roles';
import type { AuthUser } from './tokens';

export const forbidden = (message: string) => new HttpError(403, message);

/** The owner to filter lists by: the caller's id for a record-scoped role (sales), else undefined (sees all). */
export function scopedOwnerId(user: AuthUser | null | undefined): string | undefined {
  return user && RECORD_SCOPED_ROLES.includes(user.role) ? user.id : undefined;
}

const field = (obj: unknown, name: string): unknown =>
  obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[name] : undefined;

/** The `department` rule: whether the role decides for the department (joint and change reviews). */
export function decidesFor(role: CallerRole, department: string): boolean {
  return (DEPARTMENT_ROLES[department] ?? []).includes(role as never);
}

/**
 * The `creditHold` rule: why the role may not release the order's hold (a
 * hold placed by finance is a credit hold, for the finance manager), or null.
 * Null also when the order is not on hold (the workflow answers 409).
 */
export async function creditHoldBlocks(prisma: PrismaClient, orderNo: string, role: CallerRole): Promise<string | null> {
  const hold = await prisma.orderHold.findFirst({
    where: { order: { orderNo }, releasedAt: null },
    orderBy: { heldAt: 'desc' },
    select: { heldBy: true },
  });
  if (!hold) return null;
  const holder = await prisma.user.findUnique({ where: { username: hold.heldBy }, select: { role: true } });
  if (holder && CREDIT_HOLD_ROLES.includes(holder.role as CallerRole) && !CREDIT_HOLD_RELEASERS.includes(role))
    return `order ${orderNo} is on a credit hold (by ${hold.heldBy}); only ${CREDIT_HOLD_RELEASERS.join(', ')} may release it`;
  return null;
}

export async function checkRule(
  rule: Rule,
  ctx: { request: FastifyRequest; user: AuthUser; target: Target | null; prisma: PrismaClient },
): Promise<void> {
  const { request, user, target, prisma } = ctx;
  switch (rule) {
    case 'department': {
      const department = String(field(request.body, 'department'));
      if (!decidesFor(user.role, department))
        throw forbidden(`${user.role} cannot decide for ${department}; that is for ${(DEPARTMENT_ROLES[department] ?? []).join(' or ') || 'nobody'}`);
      return;
    }
    case 'taskRole': {
      const role = String(field(request.query, 'role'));
      if (role !== user.role && !ANY_QUEUE_ROLES.includes(user.role))
        throw forbidden(`${user.role} may read its own work queue only (role=${user.role})`);
      return;
    }
    case 'riskOwner': {
      const owner = field(target?.state?.risk, 'owner');
      if (!target?.found) return; // the handler answers 404
      if (owner !== user.role && !RISK_MANAGERS.includes(user.role))
        throw forbidden(`risk ${target.entityId} is owned by ${String(owner)}; only that role or a manager may change it`);
      return;
    }
    case 'creditHold': {
      if (!target?.found || !target.orderNo) return;
      const blocked = await creditHoldBlocks(prisma, target.orderNo, user.role);
      if (blocked) throw forbidden(blocked);
      return;
    }
    case 'tokenOwner': {
      if (!target?.found) return;
      if (field(target.state?.token, 'userId') !== user.id && user.role !== 'admin') throw notFound(`token ${target.entityId} not found`);
      return;
    }
  }
}
