/**
 * Sales analysis for marketing (SPEC section 11, §4.2 "analyse demand and
 * customer preferences"): orders, revenue and margin by product, customer,
 * region, channel and month; the top customers and products; new and
 * returning customers; average order value. Every figure is computed in SQL
 * (plain statements on the shared pool, activities/infra/sql.ts), so the
 * answer stays fast at 100,000 orders (bench/analysis.ts measures it).
 *
 * Definitions (README "Sales analysis"):
 * - an order counts when it was taken (order date in the period) and not
 *   rejected or cancelled: demand, whatever stage it has reached;
 * - revenue is the lines' net amount (quantity x unit price, 2 dp per line,
 *   before tax), as orders are priced (workflows/domain/money.ts);
 * - cost is quantity x the product's standard cost; margin = revenue - cost,
 *   margin rate = margin / revenue;
 * - average order value = revenue / orders;
 * - a customer is new in the month of their first such order (ever, not
 *   just in the period) and returning in every later month.
 * Filters narrow the lines counted: with `productId`, an order's revenue is
 * that product's lines only.
 */
import type { Sql } from '../../activities/infra/sql';
import { csvField } from './kpis';

export const DIMENSIONS = ['product', 'customer', 'region', 'channel', 'month'] as const;
export type Dimension = (typeof DIMENSIONS)[number];
export const TOP_DIMENSIONS = ['customer', 'product'] as const;

export interface AnalysisFilters {
  /** YYYY-MM-DD, inclusive. */
  from: string;
  /** YYYY-MM-DD, inclusive. */
  to: string;
  region?: string;
  channel?: string;
  customerId?: string;
  productId?: string;
}

export interface Query {
  text: string;
  values: unknown[];
}

/** The lines counted: one row per order line, with the order's dimensions, revenue and cost. */
function linesCte(f: AnalysisFilters): Query {
  const values: unknown[] = [f.from, f.to];
  const where = [`o.stage NOT IN ('rejected', 'cancelled')`, `o.order_date BETWEEN $1::date AND $2::date`];
  const add = (sql: string, v: unknown) => {
    values.push(v);
    where.push(sql.replace('?', `$${values.length}`));
  };
  if (f.region !== undefined) add(`o.delivery_address->>'region' = ?`, f.region);
  if (f.channel !== undefined) add(`o.channel = ?`, f.channel);
  if (f.customerId !== undefined) add(`o.customer_id = ?`, f.customerId);
  if (f.productId !== undefined) add(`l.product_id = ?`, f.productId);
  return {
    text: `lines AS (
      SELECT o.id AS order_id, o.customer_id, o.channel, coalesce(o.delivery_address->>'region', '') AS region,
             to_char(o.order_date, 'YYYY-MM') AS month, l.product_id, l.quantity,
             round(l.quantity * l.unit_price, 2) AS revenue,
             round(l.quantity * p.standard_cost, 2) AS cost
        FROM orders o
        JOIN order_lines l ON l.order_id = o.id
        JOIN products p ON p.id = l.product_id
       WHERE ${where.join(' AND ')})`,
    values,
  };
}

/** The figures every row carries, from aggregated `orders`, `revenue`, `cost` columns. */
const FIGURES = `
  orders, quantity, revenue, cost, revenue - cost AS margin,
  round((revenue - cost) / nullif(revenue, 0), 4) AS margin_rate,
  round(revenue / nullif(orders, 0), 2) AS average_order_value,
  round(revenue / nullif(sum(revenue) OVER (), 0), 4) AS share`;

const KEY: Record<Dimension, string> = {
  product: 'product_id',
  customer: 'customer_id',
  region: 'region',
  channel: 'channel',
  month: 'month',
};

const LABEL: Record<Dimension, { join: string; label: string }> = {
  product: { join: 'JOIN products x ON x.id = a.key', label: `x.sku || ' ' || x.name` },
  customer: { join: 'JOIN customers x ON x.id = a.key', label: `x.code || ' ' || x.name` },
  region: { join: '', label: 'a.key' },
  channel: { join: '', label: 'a.key' },
  month: { join: '', label: 'a.key' },
};

/**
 * Why the statements are shaped as they are (bench/analysis.ts, 100,000 orders): the lines
 * are summed per order first (a hash aggregate), so a row's order count is a plain count(*)
 * instead of count(DISTINCT order_id), which sorts every line of the period; and a
 * customer's first order is looked up per customer on orders (customer_id, order_date)
 * instead of aggregating every order of those customers.
 */
export const ANALYSIS_SQL = {
  /** One row per value of `by`: months in order, the rest by revenue (highest first); `limit` rows at most. */
  breakdown(f: AnalysisFilters, by: Dimension, limit?: number): Query {
    const base = linesCte(f);
    const values = [...base.values];
    let limitSql = '';
    if (limit !== undefined) {
      values.push(limit);
      limitSql = `LIMIT $${values.length}`;
    }
    return {
      text: `WITH ${base.text},
        per_order AS (
          SELECT ${KEY[by]} AS key, order_id, sum(quantity) AS quantity, sum(revenue) AS revenue, sum(cost) AS cost
            FROM lines GROUP BY 1, 2),
        a AS (
          SELECT key, count(*)::int AS orders, sum(quantity)::bigint AS quantity, sum(revenue) AS revenue, sum(cost) AS cost
            FROM per_order GROUP BY 1)
        SELECT a.key, ${LABEL[by].label} AS label, ${FIGURES}
          FROM a ${LABEL[by].join}
         ORDER BY ${by === 'month' ? 'a.key' : 'a.revenue DESC, a.key'}
         ${limitSql}`,
      values,
    };
  },

  /** The period in one row. */
  summary(f: AnalysisFilters): Query {
    const base = linesCte(f);
    return {
      text: `WITH ${base.text},
        per_order AS (
          SELECT order_id, customer_id, sum(quantity) AS quantity, sum(revenue) AS revenue, sum(cost) AS cost
            FROM lines GROUP BY 1, 2),
        a AS (
          SELECT count(*)::int AS orders, count(DISTINCT customer_id)::int AS customers,
                 coalesce(sum(quantity), 0)::bigint AS quantity, coalesce(sum(revenue), 0) AS revenue, coalesce(sum(cost), 0) AS cost
            FROM per_order)
        SELECT customers, ${FIGURES} FROM a`,
      values: base.values,
    };
  },

  /** Per month: customers new that month (their first order ever) and returning ones, their orders and revenue. */
  customers(f: AnalysisFilters): Query {
    const base = linesCte(f);
    return {
      text: `WITH ${base.text},
        per_order AS (SELECT order_id, customer_id, month, sum(revenue) AS revenue FROM lines GROUP BY 1, 2, 3),
        per_customer AS (
          SELECT customer_id, month, count(*) AS orders, sum(revenue) AS revenue FROM per_order GROUP BY 1, 2),
        firsts AS (
          SELECT c.customer_id, to_char(f.first_date, 'YYYY-MM') AS first_month
            FROM (SELECT DISTINCT customer_id FROM per_customer) c
            CROSS JOIN LATERAL (
              SELECT min(o.order_date) AS first_date FROM orders o
               WHERE o.customer_id = c.customer_id AND o.stage NOT IN ('rejected', 'cancelled')) f),
        t AS (SELECT per_customer.*, firsts.first_month = per_customer.month AS is_new FROM per_customer JOIN firsts USING (customer_id))
        SELECT month,
               count(*) FILTER (WHERE is_new)::int AS new_customers,
               count(*) FILTER (WHERE NOT is_new)::int AS returning_customers,
               coalesce(sum(orders) FILTER (WHERE is_new), 0)::int AS new_orders,
               coalesce(sum(orders) FILTER (WHERE NOT is_new), 0)::int AS returning_orders,
               coalesce(sum(revenue) FILTER (WHERE is_new), 0) AS new_revenue,
               coalesce(sum(revenue) FILTER (WHERE NOT is_new), 0) AS returning_revenue
          FROM t GROUP BY month ORDER BY month`,
      values: base.values,
    };
  },
};

type Dec = { toFixed(dp: number): string } | null;
const amount = (d: Dec) => (d === null ? '0.00' : d.toFixed(2));
const rate = (d: Dec) => (d === null ? null : d.toFixed(4));

export interface Figures {
  orders: number;
  quantity: number;
  revenue: string;
  cost: string;
  margin: string;
  /** Fraction, 4 dp; null when there is no revenue. */
  marginRate: string | null;
  averageOrderValue: string | null;
  /** Share of the whole answer's revenue, 4 dp. */
  share: string | null;
}

interface FigureRow {
  orders: number;
  quantity: bigint;
  revenue: Dec;
  cost: Dec;
  margin: Dec;
  marginRate: Dec;
  averageOrderValue: Dec;
  share: Dec;
}

const figures = (r: FigureRow): Figures => ({
  orders: r.orders,
  quantity: Number(r.quantity),
  revenue: amount(r.revenue),
  cost: amount(r.cost),
  margin: amount(r.margin),
  marginRate: rate(r.marginRate),
  averageOrderValue: r.averageOrderValue === null ? null : r.averageOrderValue.toFixed(2),
  share: rate(r.share),
});

export interface BreakdownRow extends Figures {
  key: string;
  label: string;
}

export async function breakdown(sql: Sql, f: AnalysisFilters, by: Dimension, limit?: number): Promise<BreakdownRow[]> {
  const q = ANALYSIS_SQL.breakdown(f, by, limit);
  const rows = await sql.query<FigureRow & { key: string; label: string }>(q.text, q.values);
  return rows.map((r) => ({ key: r.key, label: r.label, ...figures(r) }));
}

export async function summary(sql: Sql, f: AnalysisFilters): Promise<Figures & { customers: number }> {
  const q = ANALYSIS_SQL.summary(f);
  const [r] = await sql.query<FigureRow & { customers: number }>(q.text, q.values);
  const { share: _, ...rest } = figures(r);
  return { customers: r.customers, ...rest, share: null };
}

export interface CustomerMonth {
  month: string;
  newCustomers: number;
  returningCustomers: number;
  newOrders: number;
  returningOrders: number;
  newRevenue: string;
  returningRevenue: string;
}

export async function customerMix(sql: Sql, f: AnalysisFilters): Promise<CustomerMonth[]> {
  const q = ANALYSIS_SQL.customers(f);
  const rows = await sql.query<Omit<CustomerMonth, 'newRevenue' | 'returningRevenue'> & { newRevenue: Dec; returningRevenue: Dec }>(q.text, q.values);
  return rows.map((r) => ({ ...r, newRevenue: amount(r.newRevenue), returningRevenue: amount(r.returningRevenue) }));
}

/** CSV of `rows` with `columns` as the header, fields escaped as the KPI report's. */
export function toCsv<T extends object>(rows: T[], columns: (keyof T & string)[]): string {
  const field = (v: unknown) => csvField(v === null || v === undefined ? '' : String(v));
  return `${[columns.join(','), ...rows.map((r) => columns.map((c) => field(r[c])).join(','))].join('\r\n')}\r\n`;
}
