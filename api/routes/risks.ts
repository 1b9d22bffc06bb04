/**
 * The risk register: open risks ranked by score, with filters; updating a
 * risk's control measure, owner or status (audited).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RISK_CATEGORIES } from '../../workflows/domain/risk';
import { actorOf } from '../actor';
import { scopedOwnerId } from '../auth/rules';
import { DateTime, FreeText, Id, Line, Nullable, RoleSchema, errors } from '../schemas';
import { RISK_STATUSES, listRisks, updateRisk } from '../services/risks';

const RiskQuery = Type.Object(
  {
    category: Type.Optional(Type.Enum([...RISK_CATEGORIES])),
    level: Type.Optional(Type.Enum(['low', 'medium', 'high'])),
    customerId: Type.Optional(Line(64)),
    owner: Type.Optional(RoleSchema),
    status: Type.Optional(Type.Enum([...RISK_STATUSES], { default: 'open' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 300, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

const Risk = Type.Object({
  id: Type.String(),
  orderNo: Type.String(),
  customerId: Type.String(),
  customerName: Type.String(),
  category: Type.String(),
  code: Type.String(),
  probability: Type.Integer(),
  impact: Type.Integer(),
  score: Type.Integer(),
  level: Type.String(),
  control: Type.String(),
  owner: Type.String({ description: 'The responsible role' }),
  status: Type.String({ description: 'open | mitigated | closed' }),
  reason: Type.String(),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

const RiskList = Type.Object({
  items: Type.Array(Risk),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' })),
});

const RiskPatch = Type.Object(
  {
    control: Type.Optional(FreeText(500, { minLength: 1, description: 'The control measure' })),
    owner: Type.Optional(RoleSchema),
    status: Type.Optional(Type.Enum([...RISK_STATUSES])),
  },
  { additionalProperties: false, description: 'At least one of control, owner, status' },
);

const risks: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/risks',
    {
      schema: {
        summary: 'The risk register, highest score first',
        description: 'Open risks by default (status=); filters by category, level, customer and owner role.',
        tags: ['risks'],
        querystring: RiskQuery,
        response: { 200: RiskList, ...errors(400) },
      },
    },
    async (request) => listRisks(app.prisma, { ...request.query, ownerId: scopedOwnerId(request.user) }),
  );

  app.patch(
    '/risks/:id',
    {
      schema: {
        summary: 'Update a risk’s control, owner or status',
        tags: ['risks'],
        params: Type.Object({ id: Id }),
        body: RiskPatch,
        response: { 200: Risk, ...errors(400, 404) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      return updateRisk(app.prisma, { id: request.params.id, patch: request.body, actor, ip: request.ip });
    },
  );
};

export default risks;
