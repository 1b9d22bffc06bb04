/**
 * Corrections after a return, and change requests: filing (exactly once per
 * Idempotency-Key), the list, and each department's decision.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DEPARTMENTS, correctOrder, reviewChange } from '../../workflows/order/contract';
import { actorOf } from '../actor';
import { badRequest } from '../errors';
import { DateTime, FreeText, Id, IdempotencyKey, Nullable, OrderChangesSchema, OrderNo, OrderNoParams, Reason, StageResult, errors } from '../schemas';
import { updateOrder } from '../services/commands';
import { checkChanges, fileOrderChange, listOrderChanges } from '../services/changes';

const ChangeParams = Type.Object({ orderNo: OrderNo, changeId: Id });

const CorrectionBody = Type.Object({ changes: OrderChangesSchema }, { additionalProperties: false });

const ChangeBody = Type.Object(
  {
    changes: OrderChangesSchema,
    reason: Reason,
    wrongData: Type.Optional(Type.Boolean({ description: 'The change corrects data taken wrongly at intake' })),
  },
  { additionalProperties: false },
);

const ChangeHeaders = Type.Object({
  'idempotency-key': IdempotencyKey('Client-chosen key (8-100 visible ASCII characters); repeating the request with it files nothing twice'),
});

const ChangeResult = Type.Object({
  orderNo: Type.String(),
  changeId: Type.String(),
  status: Type.String({ description: 'under_review | approved | rejected | applied' }),
  pending: Type.Array(Type.String(), { description: 'Departments that have not decided yet' }),
});

const ChangeReviewBody = Type.Object(
  {
    department: Type.Enum([...DEPARTMENTS]),
    decision: Type.Enum(['approve', 'reject']),
    comment: Type.Optional(FreeText(2000, { description: 'Required when rejecting' })),
  },
  { additionalProperties: false },
);

const ChangeList = Type.Object({
  orderNo: Type.String(),
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      status: Type.String(),
      changes: Type.Object({}, { additionalProperties: true }),
      reason: Type.String(),
      wrongData: Type.Boolean(),
      requestedBy: Type.String(),
      reviews: Type.Record(
        Type.String(),
        Type.Object({}, { additionalProperties: true, description: '{ decision, actor, comment, at } once decided' }),
      ),
      createdAt: DateTime(),
      decidedAt: Nullable(DateTime()),
      appliedAt: Nullable(DateTime()),
    }),
  ),
});

const changes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/orders/:orderNo/correction',
    {
      schema: {
        summary: 'Correct a returned order',
        description: 'Only while the order is in correction (returned by a review); review starts again afterwards.',
        tags: ['orders'],
        params: OrderNoParams,
        body: CorrectionBody,
        response: { 200: StageResult, ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const changes = checkChanges(app.config, request.body.changes);
      return updateOrder(app, request.params.orderNo, correctOrder, [{ changes, actor }]);
    },
  );

  app.post(
    '/orders/:orderNo/changes',
    {
      schema: {
        summary: 'File a change request',
        description:
          'Reviewed by sales and finance before confirmation, jointly by production, logistics and finance after; ' +
          'one change under review at a time; not possible after dispatch (409). Repeating the request with the same ' +
          'Idempotency-Key returns the change (200, header Idempotent-Replay: true); the same key with a different body is 409.',
        tags: ['orders'],
        params: OrderNoParams,
        headers: ChangeHeaders,
        body: ChangeBody,
        response: { 201: ChangeResult, 200: ChangeResult, ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { orderNo } = request.params;
      const { replay, result } = await fileOrderChange(app, {
        orderNo,
        idempotencyKey: request.headers['idempotency-key'],
        body: request.body,
        actor,
      });
      if (replay) return reply.status(200).header('Idempotent-Replay', 'true').send(result);
      return reply.status(201).header('Location', `/orders/${orderNo}/changes`).send(result);
    },
  );

  app.get(
    '/orders/:orderNo/changes',
    {
      schema: {
        summary: 'The change requests of an order, oldest first',
        tags: ['orders'],
        params: OrderNoParams,
        response: { 200: ChangeList, ...errors(400, 404) },
      },
    },
    async (request) => listOrderChanges(app.prisma, request.params.orderNo),
  );

  app.post(
    '/orders/:orderNo/changes/:changeId/reviews',
    {
      schema: {
        summary: 'A department decides on a change request',
        description:
          'All reviewing departments must approve; one rejection (with a comment) rejects. The person who filed the ' +
          'change cannot decide on it (403). Answers once the change is applied or refused, or at once while others are pending.',
        tags: ['reviews'],
        params: ChangeParams,
        body: ChangeReviewBody,
        response: { 200: ChangeResult, ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => {
      const { department, decision } = request.body;
      const comment = request.body.comment?.trim() || undefined;
      if (decision === 'reject' && !comment) throw badRequest('comment is required when rejecting', 'comment');
      const actor = actorOf(request);
      const { orderNo, changeId } = request.params;
      return updateOrder(app, orderNo, reviewChange, [{ changeId, department, decision, comment, actor }]);
    },
  );
};

export default changes;
