/**
 * Payments against the order's invoice (partial payments allowed). The
 * workflow records it (one payment per reference) and answers what is
 * still outstanding.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { recordPayment } from '../../workflows/order/contract';
import { actorOf } from '../actor';
import { badRequest } from '../errors';
import { Amount, DateTime, Line, Money, OrderNoParams, errors } from '../schemas';
import { updateOrder } from '../services/commands';
import { notInFuture } from '../time';

const PaymentBody = Type.Object(
  {
    amount: Money('Amount received, in the order currency'),
    reference: Line(64, { description: 'Bank or remittance reference; one payment per reference' }),
    paidAt: DateTime('When the money arrived; not in the future'),
  },
  { additionalProperties: false },
);

const PaymentResult = Type.Object({
  paymentId: Type.String(),
  outstanding: Amount,
  paidInFull: Type.Boolean(),
});

const payments: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/orders/:orderNo/payments',
    {
      schema: {
        summary: 'Record a payment',
        tags: ['finance'],
        params: OrderNoParams,
        body: PaymentBody,
        response: { 200: PaymentResult, ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { amount } = request.body;
      if (!/[1-9]/.test(amount)) throw badRequest('amount must be greater than 0', 'amount');
      const reference = request.body.reference.trim();
      if (!reference) throw badRequest('reference must not be blank', 'reference');
      const paidAt = notInFuture(request.body.paidAt, 'paidAt');
      return updateOrder(app, request.params.orderNo, recordPayment, [{ amount, reference, paidAt, actor }]);
    },
  );
};

export default payments;
