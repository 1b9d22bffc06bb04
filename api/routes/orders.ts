/**
 * Orders: intake, the list from the read model, and one order in full.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf } from '../actor';
import { scopedOwnerId } from '../auth/rules';
import { badRequest } from '../errors';
import {
  RefundSchema,
  Amount,
  Complaint,
  DateOnly,
  DateTime,
  Escalation,
  FreeText,
  IdempotencyKey,
  Line,
  Money,
  Nullable,
  OrderNo,
  OrderNoParams,
  Phone,
  Postcode,
  StageSchema,
  TaxRate,
  errors,
} from '../schemas';
import { intakeOrder } from '../services/intake';
import { getOrder, listOrders } from '../services/orders';

const Text = (maxLength: number, description?: string) => Line(maxLength, description ? { description } : {});

export const CHANNELS = ['phone', 'email', 'fax', 'ecommerce', 'api'] as const;

const IntakeLine = Type.Object(
  {
    productId: Type.Optional(Line(64, { description: 'Product id; or give sku' })),
    sku: Type.Optional(Line(64, { description: 'Product SKU; or give productId' })),
    specification: Type.Optional(FreeText(500)),
    quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    unitPrice: Money('Unit price before tax'),
    taxRate: TaxRate,
  },
  { additionalProperties: false },
);

const IntakeBody = Type.Object(
  {
    customerId: Line(64),
    channel: Type.Enum([...CHANNELS]),
    contact: Type.Object(
      {
        name: Text(100),
        phone: Type.Optional(Phone),
        email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
      },
      { additionalProperties: false },
    ),
    orderDate: Type.Optional(DateOnly('Defaults to today')),
    requestedDeliveryDate: DateOnly('Not in the past'),
    deliveryAddress: Type.Object(
      {
        recipient: Text(100),
        phone: Phone,
        region: Text(50, 'Province or region, e.g. 浙江'),
        city: Text(50),
        line1: Text(200),
        postcode: Type.Optional(Postcode),
      },
      { additionalProperties: false },
    ),
    paymentTerms: Line(32, { description: 'A payment term of the policy, e.g. NET_30' }),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217; default CNY' })),
    special: Type.Optional(Type.Boolean({ description: 'A flagged special order (goes to joint review)' })),
    notes: Type.Optional(FreeText(2000)),
    lines: Type.Array(IntakeLine, { minItems: 1, maxItems: 200 }),
  },
  { additionalProperties: false },
);

const IntakeHeaders = Type.Object({
  'idempotency-key': IdempotencyKey('Client-chosen key (8-100 visible ASCII characters); repeating a request with it returns the same order'),
});

const IntakeResult = Type.Object({
  orderNo: OrderNo,
  stage: Type.String(),
  orderId: Type.String(),
  totalAmount: Amount,
  currency: Type.String(),
});

const ListQuery = Type.Object(
  {
    stage: Type.Optional(StageSchema),
    customerId: Type.Optional(Line(64)),
    riskLevel: Type.Optional(Type.Enum(['low', 'medium', 'high'])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

const OrderListItem = Type.Object({
  orderNo: Type.String(),
  customerId: Type.String(),
  customerName: Type.String(),
  stage: Type.String(),
  stageEnteredAt: DateTime(),
  timeInStageSeconds: Type.Integer(),
  stageDeadline: Nullable(DateTime()),
  escalation: Escalation,
  totalAmount: Amount,
  currency: Type.String(),
  riskLevel: Type.String(),
  onHold: Type.Boolean(),
  createdAt: DateTime(),
});

const OrderList = Type.Object({
  items: Type.Array(OrderListItem),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next page; null on the last page' })),
});

const S = Type.String();
const NS = Nullable(Type.String());

/** The workflow's getState answer (contract OrderState); extra fields pass through. */
const LiveState = Type.Object(
  {
    orderNo: Type.Optional(S),
    stage: Type.Optional(S),
    stageEnteredAt: Type.Optional(S),
    escalation: Type.Optional(S),
    stageDeadline: Type.Optional(S),
  },
  { additionalProperties: true, description: 'The workflow’s live state (getState query)' },
);

const OrderDetail = Type.Object({
  orderNo: S,
  orderId: S,
  workflowId: S,
  workflowUrl: Type.String({ description: 'The order’s history in the Temporal Web UI' }),
  customer: Type.Object({ id: S, code: S, name: S, language: S }),
  channel: S,
  contact: Type.Object({ name: S, phone: NS, email: NS }),
  orderDate: S,
  requestedDeliveryDate: S,
  deliveryAddress: Type.Object({
    recipient: S,
    phone: S,
    region: S,
    city: S,
    line1: S,
    postcode: Type.Optional(S),
  }),
  paymentTerms: S,
  currency: S,
  subtotal: Amount,
  taxAmount: Amount,
  totalAmount: Amount,
  special: Type.Boolean(),
  notes: NS,
  stage: S,
  stageEnteredAt: S,
  timeInStageSeconds: Type.Integer(),
  stageDeadline: NS,
  escalation: S,
  riskLevel: S,
  onHold: Type.Boolean(),
  outcome: NS,
  enteredBy: S,
  createdAt: S,
  closedAt: NS,
  lines: Type.Array(
    Type.Object({
      id: S,
      lineNo: Type.Integer(),
      productId: S,
      sku: S,
      productName: S,
      specification: NS,
      quantity: Type.Integer(),
      unitPrice: Amount,
      taxRate: S,
    }),
  ),
  transitions: Type.Array(
    Type.Object({ seq: Type.Integer(), from: NS, to: S, reason: NS, actor: NS, at: S }),
  ),
  decisions: Type.Array(
    Type.Object({ stage: S, department: NS, decision: S, comment: NS, actor: S, at: S }),
  ),
  reservations: Type.Array(
    Type.Object({ id: S, lineNo: Nullable(Type.Integer()), productId: S, quantity: Type.Integer(), status: S }),
  ),
  productionOrders: Type.Array(
    Type.Object({
      id: S,
      productionNo: S,
      lineNo: Nullable(Type.Integer()),
      productId: S,
      quantity: Type.Integer(),
      plannedStart: S,
      plannedFinish: S,
      percent: Type.Integer(),
      status: S,
      qcPassed: Nullable(Type.Boolean()),
      note: NS,
      completedAt: NS,
    }),
  ),
  shipment: Nullable(
    Type.Object({
      id: S,
      carrierCode: S,
      carrierName: S,
      trackingNo: S,
      cost: Amount,
      weightKg: S,
      eta: S,
      status: S,
      bookedAt: S,
      dispatchedAt: NS,
      deliveredAt: NS,
    }),
  ),
  invoice: Nullable(
    Type.Object({
      id: S,
      invoiceNo: S,
      amount: Amount,
      paid: Amount,
      outstanding: Amount,
      currency: S,
      issuedAt: S,
      dueDate: S,
      status: S,
      payments: Type.Array(Type.Object({ id: S, amount: Amount, reference: S, paidAt: S, recordedBy: S })),
      reminders: Type.Array(Type.Object({ level: S, sentAt: S })),
    }),
  ),
  refunds: Type.Array(RefundSchema, { description: 'Money due back to the customer (cancellation after payment, a lowered paid total, an overpayment)' }),
  alerts: Type.Array(Type.Object({ key: S, kind: S, role: S, message: S, at: S })),
  emails: Type.Array(Type.Object({ subject: S, template: S, status: S, to: S, createdAt: S, sentAt: NS })),
  risks: Type.Array(
    Type.Object({
      category: S,
      code: S,
      probability: Type.Integer(),
      impact: Type.Integer(),
      score: Type.Integer(),
      level: S,
      control: S,
      owner: S,
      status: S,
      reason: S,
    }),
  ),
  changes: Type.Array(
    Type.Object({ id: S, status: S, reason: S, requestedBy: S, createdAt: S, decidedAt: NS, appliedAt: NS }),
  ),
  holds: Type.Array(
    Type.Object({ stage: S, reason: S, heldBy: S, heldAt: S, releasedBy: NS, releasedAt: NS }),
  ),
  feedback: Type.Array(Type.Object({ id: S, rating: Type.Integer(), comment: NS, createdBy: S, createdAt: S })),
  complaints: Type.Array(Complaint),
  live: Nullable(LiveState),
  liveError: Type.Optional(Type.String({ description: 'Why `live` is null' })),
});

const orders: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/orders',
    {
      schema: {
        summary: 'Take an order (intake)',
        description:
          'Stores the order, gives it a number and starts its workflow. Repeating the request with the same ' +
          'Idempotency-Key returns the same order (200, header Idempotent-Replay: true); the same key with a different body is 409. ' +
          'Workflow service unreachable: the order is saved and the answer is 503 within seconds; its workflow is started ' +
          'automatically when the service is back. 409 also when the workflow id is held by another order (admin is alerted).',
        tags: ['orders'],
        headers: IntakeHeaders,
        body: IntakeBody,
        response: { 201: IntakeResult, 200: IntakeResult, ...errors(400, 409, 413) },
      },
    },
    async (request, reply) => {
      // A sales user takes orders for their own customers; another's answers as an unknown one.
      const ownerId = scopedOwnerId(request.user);
      if (ownerId) {
        const customer = await app.prisma.customer.findUnique({ where: { id: request.body.customerId }, select: { ownerId: true } });
        if (customer && customer.ownerId !== ownerId) throw badRequest(`customer ${request.body.customerId} does not exist`, 'customerId');
      }
      const result = await intakeOrder(
        { prisma: app.prisma, temporal: app.temporal, config: app.config, log: request.log },
        {
          body: request.body,
          idempotencyKey: request.headers['idempotency-key'],
          actor: actorOf(request),
          ip: request.ip,
        },
      );
      if (result.replay) return reply.status(200).header('Idempotent-Replay', 'true').send(result.order);
      return reply.status(201).header('Location', `/orders/${result.order.orderNo}`).send(result.order);
    },
  );

  app.get(
    '/orders',
    {
      schema: {
        summary: 'List orders (newest first)',
        tags: ['orders'],
        querystring: ListQuery,
        response: { 200: OrderList, ...errors(400) },
      },
    },
    async (request) => listOrders(app.prisma, request.query, new Date(), { ownerId: scopedOwnerId(request.user) }),
  );

  app.get(
    '/orders/:orderNo',
    {
      schema: {
        summary: 'One order in full, with its workflow’s live state',
        tags: ['orders'],
        params: OrderNoParams,
        response: { 200: OrderDetail, ...errors(400, 404) },
      },
    },
    async (request) =>
      getOrder(
        {
          prisma: app.prisma,
          temporal: app.temporal,
          temporalUiUrl: app.config.temporalUiUrl,
          namespace: app.config.temporalNamespace,
        },
        request.params.orderNo,
      ),
  );
};

export default orders;
