/**
 * A customer's credit hold: put on by finance, released by the finance
 * manager (SPEC 2), each with a reason, audited.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../actor';
import { Id, Nullable, ReasonBody, errors } from '../schemas';
import { placeCreditHold, releaseCreditHold } from '../services/credit-hold';

const CustomerParams = Type.Object({ id: Id });

const CreditHold = Type.Object({
  customerId: Type.String(),
  code: Type.String(),
  creditHold: Type.Boolean(),
  creditHoldReason: Nullable(Type.String()),
});

const creditHold: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/customers/:id/credit-hold',
    {
      schema: {
        summary: 'Put a customer on credit hold',
        description: 'No order of the customer passes finance review until the hold is released. 409 when already on hold.',
        tags: ['customers'],
        params: CustomerParams,
        body: ReasonBody,
        response: { 200: CreditHold, ...errors(400, 404, 409) },
      },
    },
    async (request) =>
      placeCreditHold(app.prisma, { customerId: request.params.id, reason: request.body.reason, actor: actorOf(request), ip: request.ip }),
  );

  app.post(
    '/customers/:id/credit-hold/release',
    {
      schema: {
        summary: 'Release a customer’s credit hold',
        description: 'Finance manager only (SPEC 2). 409 when the customer is not on hold.',
        tags: ['customers'],
        params: CustomerParams,
        body: ReasonBody,
        response: { 200: CreditHold, ...errors(400, 404, 409) },
      },
    },
    async (request) =>
      releaseCreditHold(app.prisma, { customerId: request.params.id, reason: request.body.reason, actor: actorOf(request), ip: request.ip }),
  );
};

export default creditHold;
