/**
 * Refunds: money due back to customers (a cancellation after payment, a
 * change lowering a paid total, an overpayment), and finance recording that
 * it went back.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../actor';
import { Id, Line, RefundSchema, errors } from '../schemas';
import { listRefunds, settleRefund } from '../services/refunds';

const OrderRefund = Type.Object({ orderNo: Type.String(), ...RefundSchema.properties });

const refunds: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/refunds',
    {
      schema: {
        summary: 'Refunds by status, oldest first',
        tags: ['finance'],
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Enum(['due', 'paid', 'cancelled'], { default: 'due' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(OrderRefund) }), ...errors(400) },
      },
    },
    async (request) => listRefunds(app.prisma, request.query),
  );

  app.post(
    '/refunds/:id/settle',
    {
      schema: {
        summary: 'Record that a refund was paid back',
        description: 'With the reference of the transfer. 409 when the refund is not due (already paid or cancelled).',
        tags: ['finance'],
        params: Type.Object({ id: Id }),
        body: Type.Object({ reference: Line(100) }, { additionalProperties: false }),
        response: { 200: OrderRefund, ...errors(400, 404, 409) },
      },
    },
    async (request) => settleRefund(app.prisma, { id: request.params.id, reference: request.body.reference, actor: actorOf(request), ip: request.ip }),
  );
};

export default refunds;
