/**
 * Sales analysis benchmark (issue 14: "computed in SQL that stays fast at
 * 100,000 orders").
 *
 *   npx tsx bench/analysis.ts [--orders 100000] [--reseed] [--runs 20] [--explain]
 *
 * Standalone: a scratch database `salesorder_bench_analysis` on the server of
 * DATABASE_URL (or BENCH_ANALYSIS_DATABASE_URL as given), migrated and
 * seeded, then filled in bulk in the database (generate_series) with
 * --orders orders over Jan 2025 - Nov 2026: 1-3 lines each, 500 customers,
 * 40 products, 8 regions, the 5 channels, about 4 % rejected or cancelled.
 * A filled database is reused unless --reseed.
 *
 * Then, --runs times each (one after another, p50 and p99):
 * - every statement of the analysis API (api/services/analysis.ts
 *   ANALYSIS_SQL) for a month, a quarter and a year, unfiltered and with a
 *   region filter, straight on pg;
 * - every analysis endpoint through the API (api/app.ts, app.inject with a
 *   marketing token: authentication, validation, SQL, JSON or CSV), with and
 *   without filters.
 * --explain prints EXPLAIN (ANALYZE, BUFFERS) of every statement for the year
 * and lists the indexes the plans use.
 */
import { Client } from 'pg';
import { ANALYSIS_SQL, DIMENSIONS, type AnalysisFilters, type Query } from '../api/services/analysis';
import { explain, ms, parseBulkOptions, prefixedLog, prepareBulkDatabase, scratchDatabaseUrl, timeRuns } from './lib/bulk';
import type { Summary } from './lib/util';

const log = prefixedLog('bench:analysis');

const REGIONS = ['上海', '浙江', '江苏', '广东', '北京', '四川', '湖北', '山东'];
const CHANNELS = ['phone', 'email', 'fax', 'ecommerce', 'api'];

/** The bulk fill, all in SQL. Bench rows have ids starting 'ba' so a refill finds them. */
function fillSql(n: number): string[] {
  const regions = `ARRAY[${REGIONS.map((r) => `'${r}'`).join(',')}]`;
  const channels = `ARRAY[${CHANNELS.map((c) => `'${c}'`).join(',')}]`;
  return [
    `INSERT INTO customers (id, code, name, language, email, credit_limit, allowed_payment_terms)
       SELECT 'bacu' || i, 'BA-C' || lpad(i::text, 4, '0'), '基准客户' || i || '有限公司', 'zh', 'ba' || i || '@example.com', 1000000, ARRAY['NET_30']
         FROM generate_series(0, 499) i`,
    `INSERT INTO products (id, sku, name, list_price, standard_cost, lead_time_days, daily_capacity)
       SELECT 'bapr' || i, 'BA-P' || lpad(i::text, 3, '0'), '基准产品' || i, 100 + i * 37, round((100 + i * 37) * (0.55 + (i % 5) * 0.05), 2), 3, 50
         FROM generate_series(0, 39) i`,
    `CREATE TEMP TABLE bo AS
       SELECT i, 'bao' || i AS id,
              (date '2025-01-01' + (i::float8 / ${n} * 690)::int) AS day,
              -- a skewed customer mix: a few large accounts, a long tail
              'bacu' || (CASE WHEN i % 4 = 0 THEN i % 20 ELSE i % 500 END) AS customer_id,
              (${regions})[1 + abs(hashtext('r' || i)) % 8] AS region,
              (${channels})[1 + abs(hashtext('c' || i)) % 5] AS channel,
              CASE WHEN i % 41 = 0 THEN 'rejected' WHEN i % 53 = 0 THEN 'cancelled' WHEN i % 3 = 0 THEN 'closed' ELSE 'in_transit' END AS stage,
              1 + i % 3 AS nlines
         FROM generate_series(1, ${n}) i`,
    `CREATE TEMP TABLE bl AS
       SELECT bo.id AS order_id, bo.i, k AS line_no, 'bapr' || ((bo.i * 7 + k * 13) % 40) AS product_id, 1 + (bo.i + k) % 12 AS quantity
         FROM bo CROSS JOIN LATERAL generate_series(1, bo.nlines) k`,
    `INSERT INTO orders (id, order_no, idempotency_key, request_hash, customer_id, channel, contact_name, order_date,
                         requested_delivery_date, delivery_address, payment_terms, subtotal, tax_amount, total_amount,
                         stage, stage_entered_at, entered_by, workflow_id, created_at)
       SELECT bo.id, 'SO-BA-' || lpad(bo.i::text, 7, '0'), 'bench-analysis-' || bo.i, 'bench', bo.customer_id, bo.channel, '王经理',
              bo.day, bo.day + 21,
              jsonb_build_object('recipient', '王经理', 'phone', '+86 21 5555 0101', 'region', bo.region, 'city', '某市', 'line1', '某路1号'),
              'NET_30', 0, 0, 0, bo.stage, bo.day, 'sales', 'order-SO-BA-' || bo.i, bo.day
         FROM bo`,
    `INSERT INTO order_lines (id, order_id, line_no, product_id, quantity, unit_price, tax_rate)
       SELECT 'bal' || bl.i || '-' || bl.line_no, bl.order_id, bl.line_no, bl.product_id, bl.quantity,
              round(p.list_price * (0.9 + (bl.i % 20) / 100.0), 2), 0.13
         FROM bl JOIN products p ON p.id = bl.product_id`,
    `UPDATE orders o SET subtotal = t.net, tax_amount = t.tax, total_amount = t.net + t.tax
       FROM (SELECT order_id, sum(round(quantity * unit_price, 2)) AS net, sum(round(round(quantity * unit_price, 2) * tax_rate, 2)) AS tax
               FROM order_lines WHERE order_id LIKE 'bao%' GROUP BY order_id) t
      WHERE o.id = t.order_id`,
  ];
}

/** Every statement the API runs, by name. */
function queries(f: AnalysisFilters): Record<string, Query> {
  const q: Record<string, Query> = { summary: ANALYSIS_SQL.summary(f), customers: ANALYSIS_SQL.customers(f) };
  for (const by of DIMENSIONS) q[`by_${by}`] = ANALYSIS_SQL.breakdown(f, by);
  q.top_customers = ANALYSIS_SQL.breakdown(f, 'customer', 10);
  q.top_products = ANALYSIS_SQL.breakdown(f, 'product', 10);
  return q;
}

const fmt = (t: Summary) => `p50 ${ms(t.p50)} p99 ${ms(t.p99)}`;

/** Names of the indexes a plan reads (Index Scan / Index Only Scan / Bitmap Index Scan using|on X). */
const indexesIn = (plan: string) => [...new Set([...plan.matchAll(/Index (?:Only )?Scan (?:using|on) (\w+)/g)].map((m) => m[1]))];
const seqScansIn = (plan: string) => [...new Set([...plan.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1]))];

async function timeStatements(url: string, runs: number, withPlans: boolean): Promise<string[]> {
  const periods: { name: string; f: AnalysisFilters }[] = [
    { name: 'month 2026-06', f: { from: '2026-06-01', to: '2026-06-30' } },
    { name: 'quarter 2026-Q2', f: { from: '2026-04-01', to: '2026-06-30' } },
    { name: 'year 2025', f: { from: '2025-01-01', to: '2025-12-31' } },
    { name: 'year 2025, region 浙江', f: { from: '2025-01-01', to: '2025-12-31', region: '浙江' } },
  ];
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const summary: string[] = [];
  try {
    for (const p of periods) {
      const parts: string[] = [];
      let worst = 0;
      for (const [name, q] of Object.entries(queries(p.f))) {
        await pg.query(q.text, q.values); // warm
        const t = await timeRuns(runs, () => pg.query(q.text, q.values));
        worst = Math.max(worst, t.p99);
        parts.push(`${name} ${fmt(t)}`);
        if (withPlans && p.name.startsWith('year')) {
          const plan = await explain(pg, q.text, q.values);
          console.log(`\n--- EXPLAIN ${name} (${p.name}) ---\n${plan}`);
          summary.push(`plan ${name} (${p.name}): indexes ${indexesIn(plan).join(', ') || 'none'}; seq scans ${seqScansIn(plan).join(', ') || 'none'}`);
        }
      }
      const line = `SQL ${p.name}: slowest p99 ${ms(worst)} | ${parts.join(', ')}`;
      summary.push(line);
      log(line);
    }
  } finally {
    await pg.end();
  }
  return summary;
}

/** The endpoints as a marketing user calls them: default period (the last 365 days), a year, filters, CSV. */
function endpointCases(ids: { customerId: string; productId: string }): string[] {
  const year = 'from=2025-01-01&to=2025-12-31';
  const cases = [
    '/analysis/summary',
    `/analysis/summary?${year}`,
    ...DIMENSIONS.map((by) => `/analysis/sales?by=${by}&${year}`),
    `/analysis/top?dimension=customer&limit=10&${year}`,
    `/analysis/top?dimension=product&limit=10&${year}`,
    `/analysis/customers?${year}`,
    // filters
    `/analysis/summary?${year}&region=${encodeURIComponent('浙江')}`,
    `/analysis/sales?by=month&${year}&channel=ecommerce`,
    `/analysis/sales?by=product&${year}&customerId=${ids.customerId}`,
    `/analysis/sales?by=customer&${year}&productId=${ids.productId}`,
    `/analysis/customers?${year}&region=${encodeURIComponent('浙江')}&channel=phone`,
    `/analysis/sales?by=month&from=2026-06-01&to=2026-06-30&region=${encodeURIComponent('广东')}`,
    // CSV
    `/analysis/summary?${year}&format=csv`,
    `/analysis/sales?by=customer&${year}&format=csv`,
    `/analysis/top?dimension=product&limit=10&${year}&format=csv`,
    `/analysis/customers?${year}&format=csv`,
  ];
  return cases;
}

async function timeEndpoints(url: string, runs: number): Promise<string[]> {
  // Loaded here: the configuration is read from this environment (the app's own loadConfig).
  Object.assign(process.env, { DATABASE_URL: url, RATE_LIMIT_MAX: '100000000', PAYLOAD_CODEC_KEY: process.env.PAYLOAD_CODEC_KEY || Buffer.alloc(32, 7).toString('base64') });
  const { loadConfig } = await import('../activities/infra/config');
  const { createPrisma } = await import('../activities/infra/db');
  const { createTemporalClient } = await import('../activities/infra/temporal');
  const { issueToken } = await import('../api/auth/tokens');
  const { buildApp } = await import('../api/app');
  const config = loadConfig();
  const prisma = createPrisma(url);
  // Lazy: the analysis routes never call Temporal, so none needs to run.
  const { client: temporal, connection } = createTemporalClient(config);
  const app = await buildApp({ config, prisma, temporal });
  const out: string[] = [];
  try {
    const { token } = await issueToken(prisma, { username: 'marketing', name: 'bench-analysis', ttlDays: 1 });
    const headers = { authorization: `Bearer ${token}` };
    const cases = endpointCases({ customerId: 'bacu3', productId: 'bapr7' });
    let worst = { p99: 0, path: '' };
    for (const path of cases) {
      const get = async () => {
        const r = await app.inject({ method: 'GET', url: path, headers });
        if (r.statusCode !== 200) throw new Error(`GET ${path}: ${r.statusCode} ${r.body.slice(0, 300)}`);
        return r;
      };
      const first = await get(); // warm
      const t = await timeRuns(runs, get);
      if (t.p99 > worst.p99) worst = { p99: t.p99, path };
      const size = first.rawPayload.length;
      const line = `HTTP GET ${path}: ${fmt(t)} (${size} bytes)`;
      out.push(line);
      log(line);
    }
    out.push(`HTTP slowest p99 ${ms(worst.p99)}: GET ${worst.path}`);
  } finally {
    await app.close();
    await connection.close().catch(() => undefined);
    await prisma.$disconnect();
  }
  return out;
}

async function main(): Promise<void> {
  const o = parseBulkOptions(process.argv.slice(2), { orders: 100_000, reseed: false, runs: 20, explain: false });
  const url = scratchDatabaseUrl(process.env.BENCH_ANALYSIS_DATABASE_URL, 'salesorder_bench_analysis');
  await prepareBulkDatabase(
    url,
    o,
    {
      orderIds: 'bao%',
      clear: [`DELETE FROM order_lines WHERE order_id LIKE 'bao%'`, `DELETE FROM orders WHERE id LIKE 'bao%'`, `DELETE FROM customers WHERE id LIKE 'bacu%'`, `DELETE FROM products WHERE id LIKE 'bapr%'`],
      fill: fillSql(o.orders),
      counts: `SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM order_lines) AS lines`,
    },
    log,
  );
  const sql = await timeStatements(url, o.runs, o.explain);
  const http = await timeEndpoints(url, o.runs);
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const { rows } = await pg.query(`SELECT count(*)::int AS n FROM orders WHERE id LIKE 'bao%'`);
  await pg.end();
  console.log(`\nSummary (${rows[0].n} bench orders, ${o.runs} runs each)`);
  for (const l of [...sql, ...http]) console.log(`  ${l}`);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(`[bench:analysis] failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
