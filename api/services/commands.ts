/**
 * Commands to a running order: look the order up in the read model (404),
 * refuse a closed one (409), then send the workflow Update and wait for its
 * answer. The workflow's validators decide whether the command is allowed in
 * the current stage; their failures become HTTP errors in api/errors.ts
 * through api/temporal-errors.ts.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { PrismaClient } from '../../activities/infra/db';
import { TERMINAL_STAGES, type Stage } from '../../workflows/order/contract';
import { conflict, notFound } from '../errors';
import { orderRef } from './orders';

/** An update waits for the workflow's answer at most this long (then 504; it is safe to repeat). */
export const UPDATE_TIMEOUT_MS = 30_000;

export interface OrderCommandTarget {
  id: string;
  orderNo: string;
  workflowId: string;
  stage: string;
}

export function refuseClosed(order: OrderCommandTarget): void {
  if (TERMINAL_STAGES.includes(order.stage as Stage))
    throw conflict(`order ${order.orderNo} is ${order.stage} and accepts no more commands`);
}

export async function sendUpdate<Ret, Args extends [any, ...any[]]>(
  temporal: Client,
  workflowId: string,
  update: UpdateDefinition<Ret, Args>,
  args: Args,
): Promise<Ret> {
  return temporal.connection.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, () =>
    temporal.workflow.getHandle(workflowId).executeUpdate(update, { args }),
  );
}

/** Update the workflow of the order with this number. */
export async function updateOrder<Ret, Args extends [any, ...any[]]>(
  deps: { prisma: PrismaClient; temporal: Client },
  orderNo: string,
  update: UpdateDefinition<Ret, Args>,
  args: Args,
): Promise<Ret> {
  const order = await orderRef(deps.prisma, orderNo);
  refuseClosed(order);
  try {
    return await sendUpdate(deps.temporal, order.workflowId, update, args);
  } catch (err) {
    // The order closed between the lookup and the update (a workflow ends right after it stores its
    // last stage): a closed order refuses the command (409), as when the lookup had seen it.
    if (err instanceof WorkflowNotFoundError) refuseClosed(await orderRef(deps.prisma, orderNo));
    throw err;
  }
}

/** The order behind a production order: 404 when unknown. */
export async function productionOrderRef(prisma: PrismaClient, productionOrderId: string) {
  const po = await prisma.productionOrder.findUnique({
    where: { id: productionOrderId },
    select: { id: true, order: { select: { id: true, orderNo: true, workflowId: true, stage: true } } },
  });
  if (!po) throw notFound(`production order ${productionOrderId} not found`);
  return po;
}
