/**
 * The audit trail for auditors (and admins): every command, newest first,
 * filtered by order, actor, action, entity and time.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DateTime, Line, Nullable, errors } from '../schemas';
import { listAudit } from '../services/audit';

const AuditQuery = Type.Object(
  {
    orderNo: Type.Optional(Line(32)),
    actor: Type.Optional(Line(64)),
    action: Type.Optional(Line(200, { description: 'e.g. `POST /orders/:orderNo/payments` or `order.create`' })),
    entity: Type.Optional(Line(64, { description: 'order, production_order, complaint, risk, api_token, ...' })),
    entityId: Type.Optional(Line(64)),
    from: Type.Optional(DateTime('At or after')),
    to: Type.Optional(DateTime('At or before')),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

const Json = Type.Unknown({ description: 'JSON as recorded' });

const AuditList = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      at: DateTime(),
      actor: Type.String(),
      action: Type.String(),
      entity: Type.String(),
      entityId: Type.String(),
      orderNo: Nullable(Type.String()),
      ip: Nullable(Type.String()),
      before: Json,
      after: Json,
    }),
  ),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next (older) page; null on the last page' })),
});

const audit: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit',
    {
      schema: {
        summary: 'The audit trail, newest first',
        description:
          'Append-only: the database refuses to change or delete an entry. API commands are recorded as `METHOD /route` ' +
          'with the caller’s address and the state before and after; the workflows add their own entries (e.g. `order.create`).',
        tags: ['audit'],
        querystring: AuditQuery,
        response: { 200: AuditList, ...errors(400) },
      },
    },
    async (request) => listAudit(app.prisma, request.query),
  );
};

export default audit;
