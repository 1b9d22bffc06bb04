/**
 * Work queues: what waits for a role, oldest first, with its deadline.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Amount, DateTime, Escalation, Nullable, RoleSchema, errors } from '../schemas';
import { scopedOwnerId } from '../auth/rules';
import { listTasks } from '../services/tasks';

const TasksQuery = Type.Object(
  {
    role: RoleSchema,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);

const Task = Type.Object({
  orderNo: Type.String(),
  task: Type.String({
    description:
      'review, correct, joint_review:<department>, change_review:<department>, production, dispatch, delivery, prepayment, payment, resolve_exception, escalated:<stage>',
  }),
  stage: Type.String({ description: 'The order’s stage' }),
  changeId: Type.Optional(Type.String({ description: 'The change request to decide (change_review tasks)' })),
  customerId: Type.String(),
  customerName: Type.String(),
  stageEnteredAt: DateTime(),
  timeInStageSeconds: Type.Integer(),
  stageDeadline: Nullable(DateTime()),
  overdue: Type.Boolean(),
  escalation: Escalation,
  onHold: Type.Boolean(),
  riskLevel: Type.String(),
  totalAmount: Amount,
  currency: Type.String(),
  productionOrders: Type.Optional(
    Type.Array(
      Type.Object({
        id: Type.String(),
        productionNo: Type.String(),
        quantity: Type.Integer(),
        percent: Type.Integer(),
        status: Type.String(),
        plannedFinish: DateTime(),
      }),
    ),
  ),
});

const TaskList = Type.Object({ role: Type.String(), items: Type.Array(Task) });

const tasks: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/tasks',
    {
      schema: {
        summary: 'Work queue of a role',
        description:
          'Every item waits for each role that may act on it (the route table): stage tasks, each department’s joint and change reviews, ' +
          'and escalations for managers. role must be the caller’s own, unless a manager, admin or auditor asks (403). A sales user sees their own customers’ orders.',
        tags: ['tasks'],
        querystring: TasksQuery,
        response: { 200: TaskList, ...errors(400, 401, 403) },
      },
    },
    async (request) =>
      listTasks(app.prisma, app.config.policy, request.query.role, request.query.limit, new Date(), scopedOwnerId(request.user)),
  );
};

export default tasks;
