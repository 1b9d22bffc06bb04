/**
 * Sales analysis for marketing (api/services/analysis.ts has the SQL and the
 * definitions). Every route takes the same filters and answers JSON, or CSV
 * with `?format=csv`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import { sqlOf } from '../../activities/infra/db';
import { badRequest } from '../errors';
import { DateOnly, Line, Nullable, errors, todayIso } from '../schemas';
import { CHANNELS } from './orders';
import {
  DIMENSIONS,
  TOP_DIMENSIONS,
  breakdown,
  customerMix,
  summary,
  toCsv,
  type AnalysisFilters,
  type BreakdownRow,
  type CustomerMonth,
} from '../services/analysis';

const FilterProps = {
  from: Type.Optional(DateOnly('Order date from (inclusive); default: 365 days before `to`')),
  to: Type.Optional(DateOnly('Order date to (inclusive); default: today')),
  region: Type.Optional(Line(50, { description: 'Delivery region (province), e.g. 浙江' })),
  channel: Type.Optional(Type.Enum([...CHANNELS])),
  customerId: Type.Optional(Line(64)),
  productId: Type.Optional(Line(64, { description: 'Only this product’s lines count' })),
  format: Type.Optional(Type.Enum(['json', 'csv'], { default: 'json' })),
};
const Filters = Type.Object(FilterProps, { additionalProperties: false });
type FilterQuery = Static<typeof Filters>;

const Rate = Nullable(Type.String({ description: 'Fraction, 4 dp ("0.2500" = 25 %); null without revenue' }));
const FigureProps = {
  orders: Type.Integer(),
  quantity: Type.Integer(),
  revenue: Type.String({ description: 'Net of tax' }),
  cost: Type.String({ description: 'Quantity x standard cost' }),
  margin: Type.String(),
  marginRate: Rate,
  averageOrderValue: Nullable(Type.String()),
  share: Rate,
};
const Row = Type.Object({ key: Type.String(), label: Type.String(), ...FigureProps });
const Period = Type.Object({ from: Type.String(), to: Type.String() });

const DAY = 86_400_000;

/** The filters with the period's defaults; 400 naming the field when the period is backwards. */
function filtersOf(q: FilterQuery): AnalysisFilters {
  const to = q.to ?? todayIso();
  const from = q.from ?? new Date(Date.parse(to) - 364 * DAY).toISOString().slice(0, 10);
  if (from > to) throw badRequest(`from (${from}) is after to (${to})`, 'from');
  return { from, to, region: q.region, channel: q.channel, customerId: q.customerId, productId: q.productId };
}

const ROW_COLUMNS: (keyof BreakdownRow & string)[] = ['key', 'label', 'orders', 'quantity', 'revenue', 'cost', 'margin', 'marginRate', 'averageOrderValue', 'share'];
const MIX_COLUMNS: (keyof CustomerMonth & string)[] = ['month', 'newCustomers', 'returningCustomers', 'newOrders', 'returningOrders', 'newRevenue', 'returningRevenue'];

function csv(reply: FastifyReply, name: string, f: AnalysisFilters, body: string) {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}-${f.from}-${f.to}.csv"`)
    .send(body);
}

const CSV_NOTE = ' With `format=csv`: text/csv, UTF-8, one row per item.';

const analysis: FastifyPluginAsyncTypebox = async (app) => {
  const sql = () => sqlOf(app.prisma);

  app.get(
    '/analysis/summary',
    {
      schema: {
        summary: 'Orders, customers, revenue, margin and average order value of a period',
        description: `Orders taken in the period (order date) and not rejected or cancelled.${CSV_NOTE}`,
        tags: ['analysis'],
        querystring: Filters,
        response: { 200: Type.Union([Type.Object({ period: Period, customers: Type.Integer(), ...FigureProps }), Type.String()]), ...errors(400) },
      },
    },
    async (request, reply) => {
      const f = filtersOf(request.query);
      const s = await summary(sql(), f);
      if (request.query.format === 'csv') return csv(reply, 'summary', f, toCsv([{ from: f.from, to: f.to, ...s }], ['from', 'to', 'orders', 'customers', 'quantity', 'revenue', 'cost', 'margin', 'marginRate', 'averageOrderValue']));
      return { period: { from: f.from, to: f.to }, ...s };
    },
  );

  app.get(
    '/analysis/sales',
    {
      schema: {
        summary: 'Orders, revenue and margin by product, customer, region, channel or month',
        description: `Months in order; the other dimensions by revenue, highest first.${CSV_NOTE}`,
        tags: ['analysis'],
        querystring: Type.Object({ ...FilterProps, by: Type.Enum([...DIMENSIONS]) }, { additionalProperties: false }),
        response: { 200: Type.Union([Type.Object({ period: Period, by: Type.String(), items: Type.Array(Row) }), Type.String()]), ...errors(400) },
      },
    },
    async (request, reply) => {
      const f = filtersOf(request.query);
      const items = await breakdown(sql(), f, request.query.by);
      if (request.query.format === 'csv') return csv(reply, `sales-by-${request.query.by}`, f, toCsv(items, ROW_COLUMNS));
      return { period: { from: f.from, to: f.to }, by: request.query.by, items };
    },
  );

  app.get(
    '/analysis/top',
    {
      schema: {
        summary: 'The top customers or products by revenue',
        description: `\`share\` is each one's part of the period's revenue.${CSV_NOTE}`,
        tags: ['analysis'],
        querystring: Type.Object(
          { ...FilterProps, dimension: Type.Enum([...TOP_DIMENSIONS]), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Union([Type.Object({ period: Period, dimension: Type.String(), items: Type.Array(Row) }), Type.String()]), ...errors(400) },
      },
    },
    async (request, reply) => {
      const f = filtersOf(request.query);
      const items = await breakdown(sql(), f, request.query.dimension, request.query.limit ?? 10);
      if (request.query.format === 'csv') return csv(reply, `top-${request.query.dimension}s`, f, toCsv(items, ROW_COLUMNS));
      return { period: { from: f.from, to: f.to }, dimension: request.query.dimension, items };
    },
  );

  app.get(
    '/analysis/customers',
    {
      schema: {
        summary: 'New and returning customers per month, with their orders and revenue',
        description: `A customer is new in the month of their first order ever, returning after.${CSV_NOTE}`,
        tags: ['analysis'],
        querystring: Filters,
        response: {
          200: Type.Union([
            Type.Object({
              period: Period,
              items: Type.Array(
                Type.Object({
                  month: Type.String(),
                  newCustomers: Type.Integer(),
                  returningCustomers: Type.Integer(),
                  newOrders: Type.Integer(),
                  returningOrders: Type.Integer(),
                  newRevenue: Type.String(),
                  returningRevenue: Type.String(),
                }),
              ),
            }),
            Type.String(),
          ]),
          ...errors(400),
        },
      },
    },
    async (request, reply) => {
      const f = filtersOf(request.query);
      const items = await customerMix(sql(), f);
      if (request.query.format === 'csv') return csv(reply, 'customers-new-returning', f, toCsv(items, MIX_COLUMNS));
      return { period: { from: f.from, to: f.to }, items };
    },
  );
};

export default analysis;
