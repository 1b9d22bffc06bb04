/**
 * Cancellation, hold and release, each with a reason. Cancellation undoes
 * what was done (in reverse order) and is refused after dispatch; while on
 * hold the stage clock stands still.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { cancelOrder, holdOrder, releaseOrder } from '../../workflows/order/contract';
import { actorOf } from '../actor';
import { badRequest } from '../errors';
import { OrderNoParams, ReasonBody, StageResult, errors } from '../schemas';
import { updateOrder } from '../services/commands';

const COMMANDS = [
  {
    path: '/orders/:orderNo/cancel',
    update: cancelOrder,
    summary: 'Cancel an order',
    description: 'Releases reservations, cancels production orders and the carrier booking, voids an unpaid invoice, tells the customer. 409 after dispatch.',
  },
  {
    path: '/orders/:orderNo/hold',
    update: holdOrder,
    summary: 'Put an order on hold',
    description: 'The order stops progressing and its stage clock stands still until released. 409 when already on hold.',
  },
  {
    path: '/orders/:orderNo/release',
    update: releaseOrder,
    summary: 'Release an order from hold',
    description: 'The held time is recorded; the stage clock runs on. 409 when the order is not on hold.',
  },
] as const;

const holds: FastifyPluginAsyncTypebox = async (app) => {
  for (const c of COMMANDS) {
    app.post(
      c.path,
      {
        schema: {
          summary: c.summary,
          description: c.description,
          tags: ['orders'],
          params: OrderNoParams,
          body: ReasonBody,
          response: { 200: StageResult, ...errors(400, 404, 409) },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        const reason = request.body.reason.trim();
        if (!reason) throw badRequest('reason must not be blank', 'reason');
        return updateOrder(app, request.params.orderNo, c.update, [{ reason, actor }]);
      },
    );
  }
};

export default holds;
