/**
 * Customer contact: feedback (rating 1-5) and complaints with an owner and
 * a resolution, recorded against the order.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../actor';
import { Complaint, DateTime, FreeText, Id, Nullable, OrderNoParams, errors } from '../schemas';
import { addFeedback, fileComplaint, resolveComplaint } from '../services/customer';

const FeedbackBody = Type.Object(
  {
    rating: Type.Integer({ minimum: 1, maximum: 5 }),
    comment: Type.Optional(FreeText(2000)),
  },
  { additionalProperties: false },
);

const FeedbackResult = Type.Object({
  id: Type.String(),
  orderNo: Type.String(),
  rating: Type.Integer(),
  comment: Nullable(Type.String()),
  createdBy: Type.String(),
  createdAt: DateTime(),
});

const ComplaintBody = Type.Object(
  {
    text: FreeText(4000, { minLength: 1 }),
    owner: Type.Optional(
      Type.String({ pattern: '^[a-z0-9_.-]{1,64}$', maxLength: 64, description: 'Username of an active user; default: an active sales manager' }),
    ),
  },
  { additionalProperties: false },
);

const ResolveBody = Type.Object({ resolution: FreeText(4000, { minLength: 1 }) }, { additionalProperties: false });

const customer: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/orders/:orderNo/feedback',
    {
      schema: {
        summary: 'Record the customer’s feedback',
        description: 'A rating 1-5 with an optional comment. 409 for a cancelled or rejected order.',
        tags: ['customer'],
        params: OrderNoParams,
        body: FeedbackBody,
        response: { 201: FeedbackResult, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const result = await addFeedback(app.prisma, {
        orderNo: request.params.orderNo,
        rating: request.body.rating,
        comment: request.body.comment,
        actor,
        ip: request.ip,
      });
      return reply.status(201).send(result);
    },
  );

  app.post(
    '/orders/:orderNo/complaints',
    {
      schema: {
        summary: 'Record a complaint',
        description: 'The complaint gets an owner (default: an active sales manager) and raises an alert for the sales managers.',
        tags: ['customer'],
        params: OrderNoParams,
        body: ComplaintBody,
        response: { 201: Complaint, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const result = await fileComplaint(app.prisma, {
        orderNo: request.params.orderNo,
        text: request.body.text,
        owner: request.body.owner,
        actor,
        ip: request.ip,
      });
      return reply.status(201).send(result);
    },
  );

  app.post(
    '/complaints/:id/resolve',
    {
      schema: {
        summary: 'Resolve a complaint',
        description: '409 when it is already resolved.',
        tags: ['customer'],
        params: Type.Object({ id: Id }),
        body: ResolveBody,
        response: { 200: Complaint, ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      return resolveComplaint(app.prisma, { id: request.params.id, resolution: request.body.resolution, actor, ip: request.ip });
    },
  );
};

export default customer;
