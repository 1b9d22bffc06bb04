/**
 * The exception stage ("needs attention", SPEC 3a): a step of the order failed
 * in a way retrying will not fix. Someone fixes the cause (master data, a
 * change request) and retries the step, or cancels the order with
 * compensation. 409 when the order has no exception.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { resolveException } from '../../workflows/order/contract';
import { actorOf } from '../actor';
import { badRequest } from '../errors';
import { OrderNoParams, Reason, StageResult, errors } from '../schemas';
import { updateOrder } from '../services/commands';

const ResolveBody = Type.Object(
  {
    action: Type.Union([Type.Literal('retry'), Type.Literal('cancel')], { description: 'retry the failed step, or cancel the order' }),
    comment: Reason,
  },
  { additionalProperties: false },
);

const exceptions: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/orders/:orderNo/exception',
    {
      schema: {
        summary: 'Resolve an order that needs attention',
        description:
          'The order is in stage `exception` (see `exception` in GET /orders/:orderNo: the failed stage, step and message). ' +
          '`retry` runs the failed step again after its cause was fixed; `cancel` cancels the order with compensation.',
        tags: ['orders'],
        params: OrderNoParams,
        body: ResolveBody,
        response: { 200: StageResult, ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const comment = request.body.comment.trim();
      if (!comment) throw badRequest('comment must not be blank', 'comment');
      return updateOrder(app, request.params.orderNo, resolveException, [{ action: request.body.action, comment, actor: actorOf(request) }]);
    },
  );
};

export default exceptions;
