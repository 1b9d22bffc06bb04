/**
 * The console's reads (docs/CONSOLE-API.md): my work, the actions a user may
 * take now on an order, and the order's timeline.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { userOf } from '../auth/plugin';
import { DateTime, Nullable, OrderNoParams, errors } from '../schemas';
import { orderActions } from '../services/actions';
import { orderTimeline } from '../services/timeline';
import { myWork } from '../services/work';

const S = Type.String();
const L = Type.Object({ zh: S, en: S });

const WorkItem = Type.Object({
  key: Type.String({ description: 'Unique and stable per item' }),
  task: Type.String({
    description:
      'review, correct, joint_review:<department>, change_review:<department>, contract_signature, contract_confirmation, production, dispatch, delivery, prepayment, payment, overdue_invoice, resolve_exception, escalated:<stage>',
  }),
  orderNo: S,
  customer: Type.Object({ id: S, name: S }),
  amount: S,
  currency: S,
  stage: S,
  stageEnteredAt: DateTime(),
  deadline: Nullable(DateTime()),
  secondsLeft: Nullable(Type.Integer({ description: 'Negative when overdue' })),
  overdue: Type.Boolean(),
  escalation: S,
  onHold: Type.Boolean(),
  riskLevel: S,
  problems: Type.Array(S, { description: 'Pre-check problems (sales and finance review)' }),
  risks: Type.Array(Type.Object({ category: S, code: S, level: S, score: Type.Integer(), status: S, reason: S })),
  changeId: Type.Optional(S),
  department: Type.Optional(S),
  productionOrderId: Type.Optional(S),
  productionNo: Type.Optional(S),
  percent: Type.Optional(Type.Integer()),
  invoiceNo: Type.Optional(S),
  outstanding: Type.Optional(S),
});

const Field = Type.Object({
  name: S,
  type: S,
  required: Type.Boolean(),
  label: L,
  options: Type.Optional(Type.Array(Type.Object({ value: S, label: L }))),
  value: Type.Optional(Type.Union([S, Type.Number(), Type.Boolean()])),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  requiredWhen: Type.Optional(Type.Object({ field: S, in: Type.Array(S) })),
});

const Action = Type.Object({
  id: S,
  label: L,
  method: S,
  path: S,
  fields: Type.Array(Field),
  headers: Type.Optional(Type.Object({ 'Idempotency-Key': Type.Literal('generate') })),
});

const TimelineItem = Type.Object({
  at: DateTime(),
  kind: S,
  title: L,
  actor: Nullable(S),
  detail: Type.Record(S, Type.Union([S, Type.Number(), Type.Boolean(), Type.Null()])),
});

const work: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/work',
    {
      schema: {
        summary: 'My work: what waits for the caller’s role, most urgent first',
        description:
          'The work queue of GET /tasks for the caller’s own role, one item per thing to do, with deadline, seconds left, escalation, pre-check problems, open risks and the ids needed to act. ' +
          'Ordered by deadline (earliest, i.e. most overdue, first; none last), then escalation, then age.',
        tags: ['tasks'],
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 200 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ role: S, total: Type.Integer(), generatedAt: DateTime(), items: Type.Array(WorkItem) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => myWork({ prisma: app.prisma, policy: app.config.policy }, userOf(request), request.query.limit ?? 200),
  );

  app.get(
    '/orders/:orderNo/actions',
    {
      schema: {
        summary: 'The actions the caller may take now on the order',
        description:
          'From the route table and rules the routes enforce and the order’s live state: each with its route, method and body fields. Empty for a role that may do nothing here (liveError says why when the workflow could not be asked).',
        tags: ['orders'],
        params: OrderNoParams,
        response: { 200: Type.Object({ orderNo: S, stage: S, actions: Type.Array(Action), liveError: Type.Optional(S) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) =>
      orderActions({ prisma: app.prisma, temporal: app.temporal, policy: app.config.policy }, userOf(request), request.params.orderNo),
  );

  app.get(
    '/orders/:orderNo/timeline',
    {
      schema: {
        summary: 'The order’s timeline: transitions, decisions, alerts, emails, holds, changes, production, shipment, payments',
        tags: ['orders'],
        params: OrderNoParams,
        response: { 200: Type.Object({ orderNo: S, workflowId: S, workflowUrl: S, items: Type.Array(TimelineItem) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) =>
      orderTimeline(
        { prisma: app.prisma, temporal: app.temporal, temporalUiUrl: app.config.temporalUiUrl, namespace: app.config.temporalNamespace },
        request.params.orderNo,
      ),
  );
};

export default work;
