/**
 * Sales analysis benchmark (issue 14: "computed in SQL that stays fast at
 * 100,000 orders").
 *
 *   npx tsx bench/analysis.ts [--orders 100000] [--reseed] [--runs 5] [--explain]
 *
 * Standalone: a scratch database `salesorder_bench_analysis` on the server of
 * DATABASE_URL (or BENCH_ANALYSIS_DATABASE_URL as given), migrated and
 * seeded, then filled in bulk in the database (generate_series) with
 * --orders orders over Jan 2025 - Nov 2026: 1-3 lines each, 500 customers,
 * 40 products, 8 regions, the 5 channels, about 4 % rejected or cancelled.
 * A filled database is reused unless --reseed.
 *
 * Then it times every analysis query (api/services/analysis.ts ANALYSIS_SQL,
 * the statements the API runs) for a month, a quarter and a year, unfiltered
 * and with a region filter: p50 (min, max) of --runs runs each.
 */
import { Client } from 'pg';
import { setupDatabase } from '../scripts/db-setup';
import { ANALYSIS_SQL, DIMENSIONS, type AnalysisFilters, type Query } from '../api/services/analysis';

interface Options {
  orders: number;
  reseed: boolean;
  runs: number;
  explain: boolean;
}

function options(argv: string[]): Options {
  const o: Options = { orders: 100_000, reseed: false, runs: 5, explain: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--orders') o.orders = Number(argv[++i]);
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--reseed') o.reseed = true;
    else if (a === '--explain') o.explain = true;
    else throw new Error(`unknown option ${a}: --orders N, --runs N, --reseed, --explain`);
  }
  if (!Number.isInteger(o.orders) || o.orders < 1) throw new Error('--orders must be a whole number >= 1');
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs must be a whole number >= 1');
  return o;
}

function databaseUrl(): string {
  if (process.env.BENCH_ANALYSIS_DATABASE_URL) return process.env.BENCH_ANALYSIS_DATABASE_URL;
  const u = new URL(process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/salesorder');
  u.pathname = '/salesorder_bench_analysis';
  return u.toString();
}

const log = (line: string) => console.log(`[bench:analysis] ${line}`);

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

async function fill(url: string, o: Options): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM orders WHERE id LIKE 'bao%'`);
    const have = rows[0].n as number;
    if (have === o.orders && !o.reseed) {
      log(`reusing ${have} bench orders in the database`);
      return;
    }
    await c.query('BEGIN');
    if (have > 0) log(`removing ${have} bench orders (${o.reseed ? '--reseed' : `want ${o.orders}`})`);
    await c.query(`DELETE FROM order_lines WHERE order_id LIKE 'bao%'`);
    await c.query(`DELETE FROM orders WHERE id LIKE 'bao%'`);
    await c.query(`DELETE FROM customers WHERE id LIKE 'bacu%'`);
    await c.query(`DELETE FROM products WHERE id LIKE 'bapr%'`);
    const started = Date.now();
    for (const sql of fillSql(o.orders)) {
      const t0 = Date.now();
      const r = await c.query(sql);
      if (r.rowCount !== null) log(`  ${sql.trim().split(/\s+/).slice(0, 3).join(' ')}: ${r.rowCount} rows in ${Date.now() - t0} ms`);
    }
    await c.query('COMMIT');
    log(`filled in ${((Date.now() - started) / 1000).toFixed(1)} s; analysing`);
    await c.query('ANALYZE');
    const counts = await c.query(`SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM order_lines) AS lines`);
    log(`rows: ${JSON.stringify(counts.rows[0])}`);
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await c.end();
  }
}

const p50 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Every statement the API runs, by name. */
function queries(f: AnalysisFilters): Record<string, Query> {
  const q: Record<string, Query> = { summary: ANALYSIS_SQL.summary(f), customers: ANALYSIS_SQL.customers(f) };
  for (const by of DIMENSIONS) q[`by_${by}`] = ANALYSIS_SQL.breakdown(f, by);
  q.top_customers = ANALYSIS_SQL.breakdown(f, 'customer', 10);
  q.top_products = ANALYSIS_SQL.breakdown(f, 'product', 10);
  return q;
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const url = databaseUrl();
  log(`database ${url.replace(/\/\/[^@]*@/, '//')}`);
  await setupDatabase({ databaseUrl: url, log: (l) => log(l) });
  await fill(url, o);

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
        const times: number[] = [];
        for (let r = 0; r < o.runs; r++) {
          const t0 = performance.now();
          await pg.query(q.text, q.values);
          times.push(performance.now() - t0);
        }
        worst = Math.max(worst, p50(times));
        parts.push(`${name} ${ms(p50(times))} (${ms(Math.min(...times))}..${ms(Math.max(...times))})`);
        if (o.explain) {
          const { rows } = await pg.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.text}`, q.values);
          console.log(`\n--- EXPLAIN ${name} (${p.name}) ---\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`);
        }
      }
      const line = `${p.name}: slowest p50 ${ms(worst)} | ${parts.join(', ')}`;
      summary.push(line);
      log(line);
    }
    const { rows } = await pg.query(`SELECT count(*)::int AS n FROM orders WHERE id LIKE 'bao%'`);
    console.log(`\nSummary (${rows[0].n} bench orders, ${o.runs} runs each, p50 (min..max))`);
    for (const l of summary) console.log(`  ${l}`);
  } finally {
    await pg.end();
  }
}

main().catch((err: unknown) => {
  console.error(`[bench:analysis] failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
