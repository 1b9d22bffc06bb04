/**
 * KPIs per month, quarter and year (SPEC 7): the performance archive when the
 * period has been closed, else live values; and the period's report as CSV
 * and as an HTML page with a trend chart per KPI.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DateTime, Nullable, errors } from '../schemas';
import { kpisFor, reportCsv, reportHtml, requestedPeriod, trendFor } from '../services/kpis';

const PeriodParam = Type.String({
  minLength: 1,
  maxLength: 16,
  description: 'YYYY-MM (month), YYYY-Qn (quarter) or YYYY (year); not in the future',
  examples: ['2026-10', '2026-Q3', '2025'],
});

const KpiValue = Type.Object({
  value: Nullable(Type.String({ description: 'Rates are fractions ("0.9500" = 95 %); null when the denominator is 0' })),
  numerator: Type.String(),
  denominator: Type.String(),
});

const Overall = Type.Object({ overall: KpiValue });
const ByDepartment = Type.Object({
  overall: KpiValue,
  departments: Type.Optional(
    Type.Object({ sales: KpiValue, finance: KpiValue, production: KpiValue, logistics: KpiValue }, { description: 'Per department' }),
  ),
});

const Kpis = Type.Object({
  period: Type.String(),
  kind: Type.String({ description: 'month | quarter | year' }),
  start: DateTime('Inclusive, UTC'),
  end: DateTime('Exclusive, UTC'),
  source: Type.Enum(['archive', 'live'], { description: 'archive: as stored when the period was closed' }),
  computedAt: DateTime(),
  kpis: Type.Object({
    timeliness: ByDepartment,
    intakeToConfirmation: Overall,
    accuracy: Overall,
    averageRating: Overall,
    complaintRate: Overall,
    inventoryTurnover: Overall,
    profitMargin: Overall,
  }),
  basis: Type.Object({
    intakeToConfirmationTargetMs: Type.Integer(),
    openingInventoryValue: Type.String(),
    closingInventoryValue: Type.String(),
  }),
});

const kpis: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/kpis',
    {
      schema: {
        summary: 'A period’s KPIs: archived if closed, else live',
        tags: ['kpis'],
        querystring: Type.Object({ period: PeriodParam }, { additionalProperties: false }),
        response: { 200: Kpis, ...errors(400) },
      },
    },
    async (request) => kpisFor(app.prisma, requestedPeriod(request.query.period)),
  );

  app.get(
    '/kpis/report.csv',
    {
      schema: {
        summary: 'A period’s KPI report as CSV',
        description: 'text/csv, UTF-8: one row per KPI and department (`all` = overall): value, numerator, denominator, source.',
        tags: ['kpis'],
        produces: ['text/csv'],
        querystring: Type.Object({ period: PeriodParam }, { additionalProperties: false }),
        response: { 200: Type.String({ description: 'CSV' }), ...errors(400) },
      },
    },
    async (request, reply) => {
      const report = await kpisFor(app.prisma, requestedPeriod(request.query.period));
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="kpi-${report.period}.csv"`)
        .send(reportCsv(report));
    },
  );

  app.get(
    '/kpis/report.html',
    {
      schema: {
        summary: 'A period’s KPI report as an HTML page with trend charts',
        description: 'Self-contained HTML (inline SVG, no scripts): the period’s KPIs and a chart per KPI over the last `trend` periods of its kind.',
        tags: ['kpis'],
        produces: ['text/html'],
        querystring: Type.Object(
          {
            period: PeriodParam,
            trend: Type.Optional(Type.Integer({ minimum: 1, maximum: 24, default: 6, description: 'Periods in the trend, this one included' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.String({ description: 'HTML' }), ...errors(400) },
      },
    },
    async (request, reply) => {
      const period = requestedPeriod(request.query.period);
      const trend = await trendFor(app.prisma, period, request.query.trend ?? 6);
      const report = trend[trend.length - 1];
      return reply.header('content-type', 'text/html; charset=utf-8').send(reportHtml(report, trend));
    },
  );
};

export default kpis;
