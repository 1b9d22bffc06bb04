/**
 * Sales, finance and joint reviews: the decision goes to the order's
 * workflow as an Update; its validator answers 409 when the order is not in
 * that review (or the department has already decided) and 403 when the
 * person may not decide (segregation of duties).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  JOINT_DEPARTMENTS,
  financeReview,
  jointReview,
  salesReview,
  type ReviewArgs,
  type StageResult as Result,
} from '../../workflows/order/contract';
import type { UpdateDefinition } from '@temporalio/common';
import { actorOf } from '../actor';
import { badRequest } from '../errors';
import { FreeText, OrderNoParams, StageResult, errors } from '../schemas';
import { updateOrder } from '../services/commands';

const ReviewBody = Type.Object(
  {
    decision: Type.Enum(['approve', 'reject', 'return']),
    comment: Type.Optional(FreeText(2000, { description: 'Required when rejecting' })),
  },
  { additionalProperties: false },
);

const JointReviewBody = Type.Object(
  {
    department: Type.Enum([...JOINT_DEPARTMENTS]),
    decision: Type.Enum(['approve', 'reject']),
    comment: Type.Optional(FreeText(2000, { description: 'Required when rejecting' })),
  },
  { additionalProperties: false },
);

const JointReviewResult = Type.Object({
  orderNo: Type.String(),
  stage: Type.String(),
  pending: Type.Array(Type.String(), { description: 'Departments that have not decided yet' }),
});

const REVIEWS: { path: string; update: UpdateDefinition<Result, [ReviewArgs]>; summary: string }[] = [
  { path: '/orders/:orderNo/reviews/sales', update: salesReview, summary: 'Sales review decision' },
  { path: '/orders/:orderNo/reviews/finance', update: financeReview, summary: 'Finance review decision' },
];

const reviews: FastifyPluginAsyncTypebox = async (app) => {
  for (const r of REVIEWS) {
    app.post(
      r.path,
      {
        schema: {
          summary: r.summary,
          description: 'approve, reject (a comment giving the reason is required) or return for correction.',
          tags: ['reviews'],
          params: OrderNoParams,
          body: ReviewBody,
          response: { 200: StageResult, ...errors(400, 403, 404, 409) },
        },
      },
      async (request) => {
        const { decision } = request.body;
        const comment = request.body.comment?.trim() || undefined;
        if (decision === 'reject' && !comment) throw badRequest('comment is required when rejecting', 'comment');
        const actor = actorOf(request);
        return updateOrder(app, request.params.orderNo, r.update, [{ decision, comment, actor }]);
      },
    );
  }

  app.post(
    '/orders/:orderNo/reviews/joint',
    {
      schema: {
        summary: 'Joint review decision of one department',
        description:
          'Production, logistics and finance decide in parallel; all must approve, one rejection (with a comment) rejects. ' +
          'Answers the departments still pending; once the last one decides, the order has moved on.',
        tags: ['reviews'],
        params: OrderNoParams,
        body: JointReviewBody,
        response: { 200: JointReviewResult, ...errors(400, 403, 404, 409) },
      },
    },
    async (request) => {
      const { department, decision } = request.body;
      const comment = request.body.comment?.trim() || undefined;
      if (decision === 'reject' && !comment) throw badRequest('comment is required when rejecting', 'comment');
      const actor = actorOf(request);
      return updateOrder(app, request.params.orderNo, jointReview, [{ department, decision, comment, actor }]);
    },
  );
};

export default reviews;
