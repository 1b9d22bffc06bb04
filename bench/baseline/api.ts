/**
 * The baseline's HTTP API: a bare Fastify app with the same path shapes as
 * the order API (POST /orders, /orders/:orderNo/reviews/sales|finance,
 * /dispatch, /delivery, /payments), each a Temporal start or update through
 * the client with the same deadline. No database lookup, no schema
 * validation, no plugins: what a bare Temporal-backed endpoint costs.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import {
  bareConfirmDelivery,
  bareConfirmDispatch,
  bareFinanceReview,
  bareRecordPayment,
  bareSalesReview,
  type BareCommand,
} from './workflow';

export const BARE_WORKFLOW_TYPE = 'bareOrderWorkflow';
export const bareWorkflowId = (orderNo: string) => `bare-${orderNo}`;
const UPDATE_TIMEOUT_MS = 30_000;

export function buildBareApp(opts: { temporal: Client; taskQueue: string }): FastifyInstance {
  const app = Fastify({ logger: false });
  const { temporal, taskQueue } = opts;
  const actorOf = (h: unknown) => (typeof h === 'string' ? h : 'anonymous');

  app.post('/orders', async (request, reply) => {
    const orderNo = randomUUID();
    await temporal.workflow.start(BARE_WORKFLOW_TYPE, { taskQueue, workflowId: bareWorkflowId(orderNo), args: [{ orderId: orderNo }] });
    return reply.status(201).send({ orderNo, stage: 'sales_review', orderId: orderNo, totalAmount: '100.00', currency: 'CNY' });
  });

  const routes: [string, UpdateDefinition<unknown, [BareCommand]>][] = [
    ['/orders/:orderNo/reviews/sales', bareSalesReview as UpdateDefinition<unknown, [BareCommand]>],
    ['/orders/:orderNo/reviews/finance', bareFinanceReview as UpdateDefinition<unknown, [BareCommand]>],
    ['/orders/:orderNo/dispatch', bareConfirmDispatch as UpdateDefinition<unknown, [BareCommand]>],
    ['/orders/:orderNo/delivery', bareConfirmDelivery as UpdateDefinition<unknown, [BareCommand]>],
    ['/orders/:orderNo/payments', bareRecordPayment as UpdateDefinition<unknown, [BareCommand]>],
  ];
  for (const [path, update] of routes) {
    app.post(path, async (request, reply) => {
      const { orderNo } = request.params as { orderNo: string };
      const body = (request.body ?? {}) as Record<string, string>;
      const args: [BareCommand] = [{ ...body, actor: actorOf(request.headers['x-actor']) }];
      try {
        return await temporal.connection.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, () =>
          temporal.workflow.getHandle(bareWorkflowId(orderNo)).executeUpdate(update, { args }),
        );
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError) return reply.status(409).send({ error: 'Conflict', message: err.message });
        throw err;
      }
    });
  }
  return app;
}
