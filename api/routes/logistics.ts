/**
 * Logistics confirmations: loading/dispatch and delivery.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { confirmDelivery, confirmDispatch } from '../../workflows/order/contract';
import { actorOf } from '../actor';
import { DateTime, OrderNoParams, StageResult, errors } from '../schemas';
import { updateOrder } from '../services/commands';
import { notInFuture } from '../time';

const ConfirmBody = Type.Object(
  { at: Type.Optional(DateTime('When it happened; default now')) },
  { additionalProperties: false },
);

const logistics: FastifyPluginAsyncTypebox = async (app) => {
  for (const [path, update, summary] of [
    ['/orders/:orderNo/dispatch', confirmDispatch, 'Confirm loading and dispatch'],
    ['/orders/:orderNo/delivery', confirmDelivery, 'Confirm delivery'],
  ] as const) {
    app.post(
      path,
      {
        schema: {
          summary,
          tags: ['logistics'],
          params: OrderNoParams,
          body: ConfirmBody,
          response: { 200: StageResult, ...errors(400, 404, 409) },
        },
        // The body is optional: a bare POST confirms "now".
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) (request as { body: unknown }).body = {};
        },
      },
      async (request) => {
        const actor = actorOf(request);
        const at = request.body?.at ? notInFuture(request.body.at, 'at') : undefined;
        return updateOrder(app, request.params.orderNo, update, [{ actor, ...(at ? { at } : {}) }]);
      },
    );
  }
};

export default logistics;
