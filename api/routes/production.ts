/**
 * Production reports against a production order: progress and completion
 * (with the quality result). Each goes to the workflow of the order the
 * production order belongs to.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { productionComplete, productionProgress } from '../../workflows/order/contract';
import { actorOf } from '../actor';
import { FreeText, Id, StageResult, errors } from '../schemas';
import { productionOrderRef, refuseClosed, sendUpdate } from '../services/commands';

const Params = Type.Object({ id: Id });

const ProgressBody = Type.Object(
  { percent: Type.Integer({ minimum: 0, maximum: 100 }) },
  { additionalProperties: false },
);

const CompleteBody = Type.Object(
  {
    qcPassed: Type.Boolean({ description: 'Quality check result; false means rework and a new finish date' }),
    note: Type.Optional(FreeText(2000)),
  },
  { additionalProperties: false },
);

const production: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/production-orders/:id/progress',
    {
      schema: {
        summary: 'Report production progress',
        tags: ['production'],
        params: Params,
        body: ProgressBody,
        response: { 200: StageResult, ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const po = await productionOrderRef(app.prisma, request.params.id);
      refuseClosed(po.order);
      return sendUpdate(app.temporal, po.order.workflowId, productionProgress, [
        { productionOrderId: po.id, percent: request.body.percent, actor },
      ]);
    },
  );

  app.post(
    '/production-orders/:id/complete',
    {
      schema: {
        summary: 'Report a production order finished, with its quality result',
        tags: ['production'],
        params: Params,
        body: CompleteBody,
        response: { 200: StageResult, ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const po = await productionOrderRef(app.prisma, request.params.id);
      refuseClosed(po.order);
      const note = request.body.note?.trim() || undefined;
      return sendUpdate(app.temporal, po.order.workflowId, productionComplete, [
        { productionOrderId: po.id, qcPassed: request.body.qcPassed, note, actor },
      ]);
    },
  );
};

export default production;
